"""Shared fixtures: real CLI, real store, real index, real embedding model. No mocks."""

from __future__ import annotations

import contextlib
import json
import secrets
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
GOVBOT = Path(sys.executable).parent / "govbot"


def run_cli(
    home: Path, *args: str, stdin: str | None = None, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "GOVBOT_HOME": str(home), **(env or {})}
    return subprocess.run([str(GOVBOT), *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


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
    from govbot.engine import open_knowledge
    from govbot.settings import Settings

    kb = open_knowledge(Settings(home=sample_home))
    yield kb
    kb.close()


@pytest.fixture
def make_kb(tmp_path):
    """A fresh engine in an empty home of its own."""
    from govbot.engine import open_knowledge
    from govbot.settings import Settings

    made = []

    def factory(home: Path | None = None):
        kb = open_knowledge(Settings(home=home or tmp_path / "home"))
        made.append(kb)
        return kb

    yield factory
    for kb in made:
        kb.close()


def password(name: str) -> str:
    """Test accounts' passwords: strong enough for the account policy (zxcvbn score 3, 10 characters)."""
    return f"pass-{name}-Hz7q"


class Chat:
    """A citizen's web chat: a session the server issues (POST /api/chat/sessions), then turns."""

    def __init__(self, base: str):
        opened = httpx.post(f"{base}/api/chat/sessions", timeout=30)
        assert opened.status_code == 201, opened.text
        self.base, self.session_id, token = base, opened.json()["session_id"], opened.json()["token"]
        self.headers = {"X-Session-Token": token}

    def send(self, text: str | None = None, payload: str | None = None) -> httpx.Response:
        body = {
            "session_id": self.session_id,
            **({"text": text} if text is not None else {}),
            **({"payload": payload} if payload is not None else {}),
        }
        return httpx.post(f"{self.base}/api/chat", json=body, headers=self.headers, timeout=60)

    def say(self, text: str | None = None, payload: str | None = None) -> dict:
        response = self.send(text, payload)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["session_id"] == self.session_id
        return data

    def history(self) -> list[dict]:
        response = httpx.get(f"{self.base}/api/chat/{self.session_id}/history", headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["messages"]


def copy_home(source: Path, target: Path) -> Path:
    """A copy of a home that may be open in this process (`sample_kb`) or in a running server.

    A plain file copy opens and closes the database and its WAL index here, and closing any
    descriptor of a file drops every POSIX lock this process holds on it: this process's own SQLite
    connections would lose theirs, and the server then resets the WAL index under them (they read a
    stale database). SQLite's backup API copies it through SQLite, which keeps the locks."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("govbot.db*"))
    if (source / "govbot.db").exists():
        with contextlib.closing(sqlite3.connect(source / "govbot.db")) as live:
            with contextlib.closing(sqlite3.connect(target / "govbot.db")) as copy:
                live.backup(copy)
    return target


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(home: Path, **extra_env: str):
    """`govbot serve` over `home` on free ports (trains Rasa once if needed), stopped afterwards."""
    api, rasa, actions = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "GOVBOT_HOME": str(home), "GOVBOT_RASA_PORT": str(rasa), "GOVBOT_ACTION_PORT": str(actions)}
    env["GOVBOT_CHAT_TURNS_PER_MINUTE_ADDRESS"] = "1000000"  # every test citizen comes from 127.0.0.1
    env["GOVBOT_RASA_TOKEN"] = secrets.token_urlsafe(16)  # serve would make one; the tests need to know it
    env.update(extra_env)
    log = open(home / "serve-test.log", "w")  # what the stack prints: tests read it (no personal data in logs)
    process = subprocess.Popen(
        [str(GOVBOT), "serve", "--port", str(api)],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{api}"
    deadline = time.time() + 900
    try:
        while True:
            assert process.poll() is None, f"govbot serve exited: {(home / 'serve-test.log').read_text()[-3000:]}"
            try:
                if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "the stack did not become healthy in time"
            time.sleep(2)
        yield {
            "base": base,
            "rasa": f"http://127.0.0.1:{rasa}",
            "rasa_token": env["GOVBOT_RASA_TOKEN"],
            "pid": process.pid,
            "home": home,
            "log": home / "serve-test.log",
        }
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # it already exited (the assertion above says why)
        process.wait(timeout=60)
        log.close()


@pytest.fixture(scope="session")
def stack(sample_home):
    """`govbot serve` over the sample knowledge base, for the whole session."""
    with served(sample_home) as running:
        yield running


CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium, driven by Playwright (it cannot download browsers here)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")  # per module: Playwright's sync API keeps an event loop running while open
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
