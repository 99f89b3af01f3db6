"""The running stack for the benchmarks that talk to it: a sample home and `govbot serve` on free ports."""

from __future__ import annotations

import os
import signal
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import REPO

GOVBOT = Path(sys.executable).parent / "govbot"
HEALTH_TIMEOUT_S = 1800  # the first start may train the Rasa model (several minutes on 2 cores)


def env_for(home: Path, **extra: str) -> dict:
    # bench.common has set GOVBOT_SETTINGS_FILE to a file that does not exist: defaults only
    return {**os.environ, "GOVBOT_HOME": str(home), **extra}


def item_count(home: Path) -> int:
    db = home / "govbot.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM items").fetchone()[0]
    except sqlite3.Error:
        return 0


def ensure_home(home: Path) -> dict:
    """A home with the sample knowledge base: built with `govbot load-sample` unless it has content."""
    if item_count(home) and (home / "index").is_dir() and any((home / "index").iterdir()):
        return {"built": False, "items": item_count(home)}
    home.mkdir(parents=True, exist_ok=True)
    print(f"构建示例知识库：govbot load-sample（GOVBOT_HOME={home}）…", flush=True)
    start = time.perf_counter()
    result = subprocess.run([str(GOVBOT), "load-sample"], cwd=REPO, env=env_for(home), capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"govbot load-sample failed ({result.returncode}): {result.stderr[-2000:]}")
    return {"built": True, "items": item_count(home), "seconds": round(time.perf_counter() - start, 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """`govbot serve` in its own process group, on free ports, with extra environment if given."""

    def __init__(self, home: Path, name: str, env: dict[str, str] | None = None):
        self.home = home
        self.extra_env = env or {}
        self.api_port, self.rasa_port, self.action_port = free_port(), free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        self.rasa = f"http://127.0.0.1:{self.rasa_port}"
        self.rasa_token = secrets.token_urlsafe(16)  # Rasa's HTTP API wants it (the bench reads trackers)
        self.log_path = home / "logs" / f"bench-{name}-serve.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start and wait until /api/health says ready; returns the seconds that took."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # every simulated citizen comes from this one address: the per-address limit would throttle the bench
        # and a bench that measures latency wants every turn answered, not shed (bench.load sets its own)
        unlimited = {
            "GOVBOT_CHAT_TURNS_PER_MINUTE_ADDRESS": "1000000",
            "GOVBOT_MAX_PENDING_TURNS": "100000",
            "GOVBOT_RASA_TOKEN": self.rasa_token,
        }
        env = env_for(
            self.home, GOVBOT_RASA_PORT=str(self.rasa_port), GOVBOT_ACTION_PORT=str(self.action_port), **{**unlimited, **self.extra_env}
        )
        print(f"启动 govbot serve（API {self.api_port}，Rasa {self.rasa_port}，动作服务 {self.action_port}）…", flush=True)
        start = time.perf_counter()
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [str(GOVBOT), "serve", "--host", "127.0.0.1", "--port", str(self.api_port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline, last_note = time.time() + HEALTH_TIMEOUT_S, time.time()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"govbot serve exited ({self.process.returncode}): {self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                response = httpx.get(f"{self.base}/api/health", timeout=5)
                if response.status_code == 200:
                    break
                missing = response.json().get("missing") if response.status_code == 503 else response.status_code
            except (httpx.HTTPError, ValueError):
                missing = "api"
            if time.time() > deadline:
                raise RuntimeError(f"the stack was not healthy after {HEALTH_TIMEOUT_S} s (missing: {missing}); see {self.log_path}")
            if time.time() - last_note > 60:
                print(f"  等待就绪（{time.perf_counter() - start:.0f} s，缺少：{missing}）…", flush=True)
                last_note = time.time()
            time.sleep(2)
        return round(time.perf_counter() - start, 1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # serve stops its own children on SIGTERM
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
