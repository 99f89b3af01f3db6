"""Shared fixtures: real CLI, real store, real index, real embedding model. No mocks."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GOVBOT = Path(sys.executable).parent / "govbot"


def run_cli(home: Path, *args: str, stdin: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "GOVBOT_HOME": str(home)}
    return subprocess.run([str(GOVBOT), *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory) -> Path:
    """A home with the whole sample knowledge base loaded through `govbot load-sample`."""
    home = tmp_path_factory.mktemp("sample_home")
    result = run_cli(home, "load-sample")
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture(scope="session")
def sample_kb(sample_home):
    """The engine in-process over the sample home (read-only use)."""
    from govbot.settings import Settings
    from knowledge.engine import Knowledge

    kb = Knowledge(Settings(home=sample_home))
    yield kb
    kb.close()


@pytest.fixture
def make_kb(tmp_path):
    """A fresh engine in an empty home of its own."""
    from govbot.settings import Settings
    from knowledge.engine import Knowledge

    made = []

    def factory(home: Path | None = None):
        kb = Knowledge(Settings(home=home or tmp_path / "home"))
        made.append(kb)
        return kb

    yield factory
    for kb in made:
        kb.close()


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
