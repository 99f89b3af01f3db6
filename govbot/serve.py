"""`govbot serve`: train the Rasa model if the training data changed, then run Rasa, the action
server and the FastAPI app together until interrupted (or until one of them dies)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from govbot.database import migrate
from govbot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
TRAINING_FILES = ["config.yml", "bot/domain.yml", "data/nlu.yml", "data/rules.yml", "data/stories.yml"]
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1"}


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


def write_endpoints(settings: Settings, port: int) -> Path:
    """Rasa's endpoints: our actions (hosted by the API on `port`, or the action server), and a SQL
    tracker store under $GOVBOT_HOME."""
    folder = settings.ensure_dirs().home.resolve() / "rasa"
    actions = f"http://127.0.0.1:{port}/actions" if settings.host_actions else settings.action_url
    folder.mkdir(exist_ok=True)
    path = folder / "endpoints.yml"
    path.write_text(
        f'action_endpoint:\n  url: "{actions}/webhook"\ntracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "{folder / "tracker.db"}"\n',
        encoding="utf-8",
    )
    return path


def commands(settings: Settings, host: str, port: int, model: Path) -> dict[str, list[str]]:
    endpoints = str(write_endpoints(settings, port))
    separate = {"actions": [sys.executable, "-m", "actions.server", "--port", str(settings.action_port), "--endpoints", endpoints]}
    return {
        **({} if settings.host_actions else separate),
        "rasa": [
            str(rasa_bin(settings)),
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "--port",
            str(settings.rasa_port),
            "--model",
            str(model),
            "--endpoints",
            endpoints,
            "--credentials",
            "bot/credentials.yml",
        ],
        "api": [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:app_factory",
            "--host",
            host,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
    }


def serve(settings: Settings, host: str, port: int) -> int:
    from knowledge.engine import reader_folder
    from knowledge.reader.model import Reader, ReaderModelError

    try:  # a missing or corrupt reader stops here, naming the file; never another scorer
        Reader.load(reader_folder(settings))
    except ReaderModelError as exc:
        raise RuntimeError(str(exc)) from exc
    before, now = migrate(settings.ensure_dirs().db_url)
    if before != now:
        print(f"数据库已从 {before or '（未迁移）'} 升级到 {now}", flush=True)
    model = ensure_model(settings)
    home = settings.home.resolve()
    env = {**os.environ, **QUIET, "GOVBOT_HOME": str(home)}
    processes: dict[str, subprocess.Popen] = {}
    for name, command in commands(settings, host, port, model).items():
        log = open(settings.log_dir / f"{name}.log", "a")
        processes[name] = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    print(f"govbot 正在启动：http://{host}:{port}（就绪检查 /api/health，日志在 {settings.log_dir}）", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} 已退出（代码 {process.returncode}），详见 {settings.log_dir / (name + '.log')}", file=sys.stderr)
                stopping, code = True, 1
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return code
