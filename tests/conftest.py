"""Shared fixtures: real CLI, real store, real index, real embedding model. No mocks."""

from __future__ import annotations

import json
import os
import signal
import socket
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


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def stack(sample_home):
    """`govbot serve` on free ports over the sample knowledge base (trains Rasa once if needed)."""
    api, rasa, actions = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "GOVBOT_HOME": str(sample_home), "GOVBOT_RASA_PORT": str(rasa), "GOVBOT_ACTION_PORT": str(actions)}
    process = subprocess.Popen(
        [str(GOVBOT), "serve", "--port", str(api)],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{api}"
    deadline = time.time() + 900
    try:
        while True:
            assert process.poll() is None, f"govbot serve exited: {process.stdout.read()}"
            try:
                if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "the stack did not become healthy in time"
            time.sleep(2)
        yield {"base": base, "rasa": f"http://127.0.0.1:{rasa}", "home": sample_home}
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # it already exited (the assertion above says why)
        process.wait(timeout=60)


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
