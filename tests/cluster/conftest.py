"""The cluster of issue 17, all real: `deploy/local-cluster.sh` starts PostgreSQL and Redis (Debian's
packages, `make setup-cluster`), the migrate job, two API replicas and two Rasa replicas behind
round-robin proxies, and one action server (`bench.cluster.LocalCluster` runs it in a folder of its
own on free ports). Run by `make test-cluster`, not by `make test`, which needs neither PostgreSQL
nor Redis."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.cluster import LocalCluster

WECHAT_TOKEN = "govbot-cluster-test"


@pytest.fixture(scope="session")
def cluster():
    if not shutil.which("redis-server") or not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        pytest.fail("PostgreSQL and Redis are needed: make setup-cluster")
    running = LocalCluster(
        {
            "GOVBOT_WECHAT_TOKEN": WECHAT_TOKEN,
            "GOVBOT_CHAT_TURNS_PER_MINUTE_ADDRESS": "1000000",  # every test citizen comes from 127.0.0.1
            "GOVBOT_CHAT_TURNS_PER_MINUTE_SESSION": "1000",
            "GOVBOT_FOUR_EYES_PUBLISHING": "false",  # the import test publishes as one admin
            # 50 first messages at once are about racing inserts, not the load shedding (503) that a
            # replica's default of 8 turns in progress would answer most of them with
            "GOVBOT_MAX_PENDING_TURNS": "64",
            "GOVBOT_RASA_TIMEOUT_S": "60",  # 50 turns at once on two shared cores: slow is not lost
        }
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def records(cluster):
    """The cluster's operational records, read straight from PostgreSQL."""
    from govbot.records import Records

    return Records(cluster.settings["GOVBOT_DATABASE_URL"])
