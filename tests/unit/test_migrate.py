"""`govbot migrate`: an empty database and one made by the previous release both end at the newest
revision with the schema the code defines; running it twice, or twice at once, is safe."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from govbot.database import current, head, schema
from knowledge.store.sql import open_engine
from tests.conftest import REPO, run_cli

PREVIOUS_RELEASE = Path(__file__).parent / "data" / "release-5a68630.sql"  # `sqlite3 .dump` of a home it made


def _engine(home: Path):
    return open_engine(f"sqlite:///{home / 'govbot.db'}")


def _differences(home: Path) -> list:
    """What the database lacks or has beyond the code's tables (empty: they agree)."""
    engine = _engine(home)
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), schema())


def _previous_release_home(tmp_path: Path, *, without_live_version: bool = False) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    db = sqlite3.connect(home / "govbot.db")
    db.executescript(PREVIOUS_RELEASE.read_text(encoding="utf-8"))
    if without_live_version:  # as releases before the published/live split made it
        db.execute("ALTER TABLE items DROP COLUMN live_version")
    db.commit()
    db.close()
    return home


def test_empty_database_ends_at_head_and_a_second_run_does_nothing(tmp_path):
    first = run_cli(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert f"升级到 {head()}" in first.stdout
    assert current(_engine(tmp_path)) == head()
    assert _differences(tmp_path) == []
    second = run_cli(tmp_path, "migrate")
    assert second.returncode == 0, second.stderr
    assert f"已是最新版本 {head()}" in second.stdout


@pytest.mark.parametrize("without_live_version", [False, True])
def test_previous_release_database_is_adopted_with_its_rows(tmp_path, without_live_version):
    home = _previous_release_home(tmp_path, without_live_version=without_live_version)
    result = run_cli(home, "migrate")
    assert result.returncode == 0, result.stderr
    assert current(_engine(home)) == head()
    assert _differences(home) == []
    db = sqlite3.connect(home / "govbot.db")
    assert db.execute("SELECT key, status, version, live_version FROM items").fetchall() == [("qa-test-1", "published", 1, 1)]
    assert db.execute("SELECT username, role FROM users").fetchall() == [("editor1", "editor")]
    assert db.execute("SELECT text FROM messages").fetchall() == [("社保卡丢了怎么补办？",)]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # the audit log's triggers survive
        db.execute("DELETE FROM audit_log")


def test_the_store_and_accounts_work_on_a_migrated_previous_release(tmp_path):
    home = _previous_release_home(tmp_path)
    found = run_cli(home, "ask", "社保卡丢了怎么补办？", "--json")  # opens the store, migrating first
    assert found.returncode == 0, found.stderr
    assert current(_engine(home)) == head()
    added = run_cli(home, "user", "add", "op2", "--role", "operator", "--password", "correct-horse-battery-9")
    assert added.returncode == 0, added.stderr


def test_two_migrations_at_once_both_succeed(tmp_path):
    env = {"GOVBOT_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "govbot.cli", "migrate"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted("升级到" in out for out, _ in outputs) == [False, True]  # one did it, the other found it done
    assert current(_engine(tmp_path)) == head()
    assert _differences(tmp_path) == []


def test_an_unusable_database_url_is_a_clear_error(tmp_path):
    result = run_cli(tmp_path, "migrate", env={"GOVBOT_DATABASE_URL": "sqlite:////nonexistent-dir/x.db"})
    assert result.returncode == 2
    assert "无法打开数据库" in result.stderr and "Traceback" not in result.stderr
