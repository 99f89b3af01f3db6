"""`govbot serve`: train the Rasa model if the training data changed, then run Rasa, the API (and,
with `GOVBOT_HOST_ACTIONS=false`, the action server) and supervise them until told to stop.

A child that dies is started again after a pause that doubles with each quick death (1 s up to
30 s; it resets once the child has run a minute). Meanwhile `/api/health` names the part that is
down and `/api/chat` answers 503 with the hotline number. SIGTERM or SIGINT stops the API first
(uvicorn finishes the requests in flight), then the rest. Each child is also told by the kernel to
stop when `serve` dies (PR_SET_PDEATHSIG), so even a SIGKILL leaves no orphans. Rasa listens on
loopback only, and its HTTP API and our action endpoint answer only callers with `rasa_token`.
Each child's pid is in `$GOVBOT_HOME/run/<name>.pid` while it runs."""

from __future__ import annotations

import ctypes
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from govbot.database import migrate
from govbot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
TRAINING_FILES = ["config.yml", "bot/domain.yml", "data/nlu.yml", "data/rules.yml", "data/stories.yml"]
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1"}
BACKOFF_S = (1, 2, 4, 8, 16, 30)
STEADY_S = 60  # a child that ran this long starts again after the shortest pause
DRAIN_S = 20  # the API's time to finish the requests in flight


def training_hash() -> str:
    digest = hashlib.sha256()
    for name in TRAINING_FILES:
        digest.update(name.encode() + b"\0" + (REPO / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def rasa_bin(settings: Settings) -> Path:
    path = settings.rasa_bin if settings.rasa_bin.is_absolute() else REPO / settings.rasa_bin
    if not path.exists():
        raise FileNotFoundError(f"没有找到 Rasa（{path}），请先运行 make setup-rasa")
    return path


def ensure_model(settings: Settings, log=print) -> Path:
    """The trained model for the current training data: trained only when that data changed."""
    name = f"govbot-{training_hash()}"
    model = settings.rasa_model_cache / f"{name}.tar.gz"
    if model.exists():
        return model
    settings.rasa_model_cache.mkdir(parents=True, exist_ok=True)
    log(f"训练 Rasa 模型 {name} …")
    command = [
        str(rasa_bin(settings)),
        "train",
        "--config",
        "config.yml",
        "--domain",
        "bot/domain.yml",
        "--data",
        "data/nlu.yml",
        "data/rules.yml",
        "data/stories.yml",
        "--out",
        str(settings.rasa_model_cache),
        "--fixed-model-name",
        name,
    ]
    with open(settings.ensure_dirs().log_dir / "rasa-train.log", "w") as out:
        result = subprocess.run(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **QUIET})
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"Rasa 训练失败，详见 {settings.log_dir / 'rasa-train.log'}")
    return model


TIERS = ("api", "rasa", "actions")


def _redis_parts(url: str) -> dict:
    parts = urlsplit(url)
    db = (parts.path or "/0").lstrip("/") or "0"
    return {"host": parts.hostname or "127.0.0.1", "port": parts.port or 6379, "db": int(db), "password": parts.password or ""}


def write_endpoints(settings: Settings, port: int, token: str = "") -> Path:
    """Rasa's endpoints, from settings: our actions (`action_url`; else hosted by the API on `port`,
    or the action server on `action_port`); the tracker store (with `database_url` on PostgreSQL,
    a SQL store in the same database, so any Rasa replica continues any conversation; else SQLite
    under $GOVBOT_HOME); with `redis_url`, Redis's lock store (one turn of a conversation at a time
    across replicas)."""
    folder = settings.ensure_dirs().home.resolve() / "rasa"
    hosted = settings.host_actions and not settings.action_url
    actions = f"http://127.0.0.1:{port}/actions" if hosted else settings.action_base
    folder.mkdir(exist_ok=True)
    lines = [f'action_endpoint:\n  url: "{actions}/webhook"\n' + (f'  token: "{token}"\n' if token else "")]
    database = make_url(settings.db_url)
    if database.get_backend_name() == "postgresql":
        lines.append(
            "tracker_store:\n  type: SQL\n  dialect: postgresql\n"
            f'  url: "{database.host or "127.0.0.1"}"\n  port: {database.port or 5432}\n  db: "{database.database}"\n'
            f'  username: "{database.username or ""}"\n  password: "{database.password or ""}"\n'
        )
    else:
        lines.append(f'tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{folder / "tracker.db"}"\n')
    if settings.redis_url:
        redis = _redis_parts(settings.redis_url)
        lines.append(
            f'lock_store:\n  type: redis\n  url: "{redis["host"]}"\n  port: {redis["port"]}\n  db: {redis["db"]}\n'
            + (f'  password: "{redis["password"]}"\n' if redis["password"] else "")
            + '  key_prefix: "govbot"\n'
        )
    path = folder / "endpoints.yml"
    path.touch(mode=0o600)  # it holds the token and the database password
    path.chmod(0o600)
    path.write_text("".join(lines), encoding="utf-8")
    return path


@dataclass
class Plan:
    """What `serve` runs: which tiers, where. `--only` picks one tier, listening on host:port."""

    host: str = "127.0.0.1"
    port: int = 8000
    only: str | None = None
    proxy_headers: str | None = None  # the proxies' addresses whose X-Forwarded-* are believed

    @property
    def tiers(self) -> tuple[str, ...]:
        return (self.only,) if self.only else TIERS

    def listens(self, tier: str, settings: Settings) -> tuple[str, int]:
        if self.only == tier:
            return self.host, self.port
        children = {"rasa": settings.rasa_port, "actions": settings.action_port}  # loopback, beside the API
        return (self.host, self.port) if tier == "api" else ("127.0.0.1", children[tier])


def commands(settings: Settings, plan: Plan, model: Path | None, token: str) -> dict[str, list[str]]:
    api_host, api_port = plan.listens("api", settings)
    endpoints = str(write_endpoints(settings, api_port, token))
    out: dict[str, list[str]] = {}
    runs_actions = plan.only == "actions" or (plan.only is None and not settings.host_actions)
    if runs_actions:
        host, port = plan.listens("actions", settings)
        out["actions"] = [sys.executable, "-m", "actions.server", "--host", host, "--port", str(port), "--endpoints", endpoints]
    if "rasa" in plan.tiers:
        host, port = plan.listens("rasa", settings)
        out["rasa"] = [
            str(rasa_bin(settings)),
            "run",
            "--enable-api",
            "-i",
            host,
            "--port",
            str(port),
            "--model",
            str(model),
            "--endpoints",
            endpoints,
            "--credentials",
            "bot/credentials.yml",
            f"--auth-token={token}",  # one argument: a token may begin with "-"
        ]
    if "api" in plan.tiers:
        proxy = ["--proxy-headers", "--forwarded-allow-ips", plan.proxy_headers] if plan.proxy_headers else ["--no-proxy-headers"]
        out["api"] = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:app_factory",
            "--host",
            api_host,
            "--port",
            str(api_port),
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            str(DRAIN_S),
            *proxy,
        ]
    return out


def serve(settings: Settings, plan: Plan) -> int:
    from knowledge.dispatch.model import DispatchModel, DispatchModelError
    from knowledge.engine import dispatch_folder, reader_folder
    from knowledge.reader.model import Reader, ReaderModelError

    if plan.only and not settings.rasa_token.get_secret_value():
        raise ValueError("分开运行各层（--only）时，各层须共用同一口令：请设置 GOVBOT_RASA_TOKEN")
    if "api" in plan.tiers or "actions" in plan.tiers:
        try:  # a missing or corrupt model stops here, naming the file; never another scorer
            Reader.load(reader_folder(settings))
            DispatchModel.load(dispatch_folder(settings))
        except (ReaderModelError, DispatchModelError) as exc:
            raise RuntimeError(str(exc)) from exc
        before, now = migrate(settings.ensure_dirs().db_url)
        if before != now:
            print(f"数据库已从 {before or '（未迁移）'} 升级到 {now}", flush=True)
    if "api" in plan.tiers and not settings.redis_url:
        print("未设置 GOVBOT_REDIS_URL：实时消息、微信去重等状态只在本进程内，只能运行一个 API 副本", flush=True)
    model = ensure_model(settings) if "rasa" in plan.tiers else None
    home = settings.ensure_dirs().home.resolve()
    token = settings.rasa_token.get_secret_value() or secrets.token_urlsafe(32)
    env = {**os.environ, **QUIET, "GOVBOT_HOME": str(home), "GOVBOT_RASA_TOKEN": token}
    suffix = f"-{plan.only}-{plan.port}" if plan.only else ""
    children = [
        Child(name, command, settings.log_dir / f"{name}{suffix}.log", home / "run", f"{name}{suffix}")
        for name, command in commands(settings, plan, model, token).items()
    ]
    host, port = plan.listens(plan.tiers[0], settings)
    print(f"govbot 正在启动 {'、'.join(plan.tiers)}：http://{host}:{port}（日志在 {settings.log_dir}）", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        for child in children:
            child.tend(env)
        time.sleep(0.5)
    for group in (["api"], [c.name for c in children if c.name != "api"]):  # the API drains first
        for child in children:
            if child.name in group:
                child.terminate()
        for child in children:
            if child.name in group:
                child.wait(DRAIN_S + 5)
    return 0


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM when `serve` ends, however it ends."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """One supervised process: started, watched, started again after a growing pause."""

    def __init__(self, name: str, command: list[str], log: Path, run_dir: Path, pid_name: str = ""):
        self.name, self.command, self.log = name, command, log
        self.pid_file = run_dir / f"{pid_name or name}.pid"
        run_dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.started = self.next_start = 0.0
        self.quick_deaths = 0

    def tend(self, env: dict) -> None:
        now = time.monotonic()
        if self.process is None:
            if now >= self.next_start:
                self.start(env)
            return
        if self.process.poll() is None:
            return
        code = self.process.returncode
        self.quick_deaths = 0 if now - self.started >= STEADY_S else self.quick_deaths + 1
        pause = BACKOFF_S[min(self.quick_deaths, len(BACKOFF_S) - 1)]
        print(f"{self.name} 已退出（代码 {code}），{pause} 秒后重新启动；详见 {self.log}", file=sys.stderr, flush=True)
        self.process, self.next_start = None, now + pause
        self.pid_file.unlink(missing_ok=True)

    def start(self, env: dict) -> None:
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                self.command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent
            )
        self.started = time.monotonic()
        self.pid_file.write_text(str(self.process.pid))

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.pid_file.unlink(missing_ok=True)
