"""Many replicas (issue 17): the cluster of `deploy/local-cluster.sh` (PostgreSQL, Redis, API x2,
Rasa x2, one action server, round-robin proxies), measured.

    .venv/bin/python -m bench.cluster [--sessions 40] [--import-rows 1000] [--out bench/results/cluster.json]

Measured:
- operator -> citizen across replicas: the citizen's event stream held by API 1, the operator's
  message sent to API 2; from the send to the event (30 messages);
- turns per second with 1 API replica (all sessions on API 1) and with 2 (half the sessions on
  each), the same sessions and questions (in-scope questions of bench/eval/sample_kb.jsonl), each
  session sending its next question when the last was answered (a busy 503 is asked again after
  its Retry-After); the time of a turn runs from its first try to its answer;
- memory (RSS) of each process after the load;
- publishing: Q&A rows imported and published on API 1 (the console's import, which embeds them
  before it commits them); from the commit (the rows visible in PostgreSQL) until each API's
  index holds them (`/api/health` passages), for one row and for `--import-rows`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.common import RESULTS, chat_headers, finish, latency_summary, md_table, open_chat, open_chat_async
from bench.load import questions

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "deploy" / "local-cluster.sh"
DEFAULT_OUT = RESULTS / "cluster.json"
ADMIN = ("bench_admin", "bench-admin-Pw7x-long")
OPERATOR = ("bench_operator", "bench-operator-Pw7x-long")


def free_port_base(span: int = 50) -> int:
    """A base port whose `span` followers are all free (the script derives every port from it)."""
    for base in range(21000, 60000, 97):
        try:
            for port in range(base, base + span):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range")


class LocalCluster:
    """`deploy/local-cluster.sh` in a folder of its own on free ports; `extra_env` reaches every replica."""

    def __init__(self, extra_env: dict[str, str] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="govbot-cluster-"))
        self.dir.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data folder
        self.port_base = free_port_base()
        self.env = {**os.environ, "CLUSTER_DIR": str(self.dir), "PORT_BASE": str(self.port_base), **(extra_env or {})}
        self.settings: dict[str, str] = {}

    def script(self, action: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(SCRIPT), action], env=self.env, cwd=REPO, capture_output=True, text=True, timeout=1200)

    def start(self) -> "LocalCluster":
        started = self.script("start")
        if started.returncode != 0:
            self.stop()
            raise RuntimeError(f"the cluster did not start:\n{started.stdout[-2000:]}{started.stderr[-3000:]}")
        self.settings = dict(line.split("=", 1) for line in self.script("env").stdout.split())
        return self

    def stop(self) -> None:
        self.script("stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port_base}"

    @property
    def apis(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port_base + 10 + i}" for i in (1, 2)]

    @property
    def rasas(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port_base + 20 + i}" for i in (1, 2)]

    @property
    def pg_port(self) -> int:
        return self.port_base + 40

    def govbot(self, *args: str) -> subprocess.CompletedProcess:
        """`govbot …` as one more replica would run it (its own home, the shared database)."""
        env = {**self.env, **self.settings, "GOVBOT_HOME": str(self.dir / "home" / "cli")}
        return subprocess.run(
            [str(REPO / ".venv" / "bin" / "govbot"), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=600
        )

    def add_user(self, name: str, password: str, role: str) -> None:
        added = self.govbot("user", "add", name, "--role", role, "--password", password)
        if added.returncode != 0 and "已存在" not in added.stderr:
            raise RuntimeError(added.stderr)

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of every process the cluster runs (the supervisors' children by name)."""
        out = {}
        for pid_file in sorted((self.dir / "home").glob("*/run/*.pid")) + sorted((self.dir / "pids").glob("*proxy.pid")):
            try:
                for line in Path(f"/proc/{int(pid_file.read_text())}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[pid_file.stem] = round(int(line.split()[1]) / 1024, 1)
            except (OSError, ValueError):
                continue
        return out


# --- measurements ---------------------------------------------------------------------------------
def _chat(base: str) -> tuple[str, dict]:
    session_id = open_chat(httpx, base)
    return session_id, chat_headers(session_id)


def listen_for_messages(base: str, session_id: str, headers: dict, ready: threading.Event, heard) -> threading.Thread:
    """The citizen's page: the chat's event stream on `base`, in a thread; `heard(message)` is
    called for every message event and stops the stream by returning True."""

    def listen() -> None:
        with httpx.stream("GET", f"{base}/api/chat/{session_id}/events", headers=headers, timeout=httpx.Timeout(120, read=120)) as stream:
            ready.set()
            event = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "message" and heard(json.loads(line[6:])):
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    return listener


def operator_to_citizen(cluster: LocalCluster, rounds: int = 30) -> dict:
    first, second = cluster.apis
    cluster.add_user(*OPERATOR, "operator")
    sid, headers = _chat(first)
    httpx.post(f"{first}/api/chat", json={"session_id": sid, "text": "路灯坏了归哪个部门管"}, headers=headers, timeout=60)
    httpx.post(f"{first}/api/chat", json={"session_id": sid, "text": "转人工"}, headers=headers, timeout=60)
    token = httpx.post(f"{second}/api/operator/login", json={"username": OPERATOR[0], "password": OPERATOR[1]}, timeout=30).json()["token"]
    operator = httpx.Client(base_url=second, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    operator.post(f"/api/operator/conversations/{sid}/claim").raise_for_status()
    arrived: dict[str, float] = {}
    ready = threading.Event()

    def heard(message: dict) -> bool:
        arrived[message["text"]] = time.perf_counter()
        return len(arrived) >= rounds + 1

    listen_for_messages(first, sid, headers, ready, heard)
    ready.wait(30)
    time.sleep(0.5)
    ms = []
    for n in range(rounds):
        text = f"第{n}条：请问具体位置在哪里？"
        start = time.perf_counter()
        operator.post(f"/api/operator/conversations/{sid}/messages", json={"text": text}).raise_for_status()
        deadline = time.perf_counter() + 10
        while text not in arrived and time.perf_counter() < deadline:
            time.sleep(0.001)
        if text in arrived:
            ms.append((arrived[text] - start) * 1000)
        time.sleep(0.2)
    return {"messages": rounds, "arrived": len(ms), **(latency_summary(ms) if ms else {})}


async def _drive(bases: list[str], sessions: int, per_session: int) -> dict:
    pool = questions()
    limits = httpx.Limits(max_connections=sessions + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        opened = []
        for i in range(sessions):
            base = bases[i % len(bases)]
            session_id = await open_chat_async(http, base)
            opened.append((base, session_id, chat_headers(session_id)))
        statuses: list[int | str] = []
        ms: list[float] = []

        async def citizen(i: int, base: str, sid: str, headers: dict) -> None:
            """Each question until it is answered: a busy answer (503/429) is asked again after its
            Retry-After, as the chat page does."""
            for k in range(per_session):
                text = pool[(i * per_session + k) % len(pool)]
                start = time.perf_counter()
                for _attempt in range(20):
                    try:
                        response = await http.post(f"{base}/api/chat", json={"session_id": sid, "text": text}, headers=headers)
                    except httpx.HTTPError as exc:
                        statuses.append(type(exc).__name__)
                        break
                    statuses.append(response.status_code)
                    if response.status_code not in (429, 503):
                        if response.status_code == 200:
                            ms.append((time.perf_counter() - start) * 1000)
                        break
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))

        start = time.perf_counter()
        await asyncio.gather(*[citizen(i, *s) for i, s in enumerate(opened)])
        wall = time.perf_counter() - start
    answered = sum(1 for s in statuses if s == 200)
    return {
        "sessions": sessions,
        "turns": sessions * per_session,
        "answered": answered,
        "busy_retries": sum(1 for s in statuses if s in (429, 503)),
        "errors": sum(1 for s in statuses if s not in (200, 429, 503)),
        "wall_s": round(wall, 1),
        "turns_per_s": round(answered / wall, 2),
        **({"answered_" + k: v for k, v in latency_summary(ms).items()} if ms else {}),
    }


def _passages(base: str) -> int:
    return httpx.get(f"{base}/api/health", timeout=30).json()["index"]["passages"]


def import_propagation(cluster: LocalCluster, rows: int) -> dict:
    """Import `rows` Q&A rows published on API 1 (each row makes two passages: its question, and
    question + answer). A watcher polls every 50 ms, from the request's start: the change log in
    PostgreSQL (the commit: the moment the rows are visible to every replica) and each API's
    `/api/health` passages; times are seconds after the commit (resolution ~0.1 s: one round of
    the watcher; the importing replica applies the rows in the very request that commits them)."""
    from openpyxl import Workbook
    from sqlalchemy import create_engine, func, select

    from knowledge.store.schema import changes_table

    first, second = cluster.apis
    cluster.add_user(*ADMIN, "admin")
    token = httpx.post(f"{first}/api/admin/login", json={"username": ADMIN[0], "password": ADMIN[1]}, timeout=30).json()["token"]
    book = Workbook()
    sheet = book.active
    sheet.append(["问题", "答案", "部门"])
    tag = uuid.uuid4().hex[:6]
    for n in range(rows):
        sheet.append([f"基准测试{tag}第{n}号便民服务卡怎么领取？", f"第{n}号便民服务卡到社区服务中心领取，带身份证。", "示例市民政局"])
    data = io.BytesIO()
    book.save(data)
    engine = create_engine(cluster.settings["GOVBOT_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        last = conn.execute(select(func.coalesce(func.max(changes_table.c.seq), 0))).scalar_one()
    targets = {base: _passages(base) + 2 * rows for base in (first, second)}
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        with engine.connect() as conn:
            while not stop.is_set() and len(seen) < 3:
                if "commit" not in seen:
                    new = conn.execute(select(func.count()).where(changes_table.c.seq > last)).scalar_one()
                    conn.rollback()  # a fresh snapshot next time
                    if new >= rows:
                        seen["commit"] = time.perf_counter()
                for base, target in targets.items():
                    if base not in seen and _passages(base) >= target:
                        seen[base] = time.perf_counter()
                time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    response = httpx.post(
        f"{first}/api/admin/import",
        params={"publish": 1},
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("bench.xlsx", data.getvalue())},
        timeout=1200,
    )
    response.raise_for_status()
    answered = time.perf_counter()
    watcher.join(timeout=900)
    stop.set()
    engine.dispose()
    commit = seen.get("commit")

    def after(base: str) -> float | None:
        return round(seen[base] - commit, 2) if commit and base in seen else None

    return {
        "rows": rows,
        "import_request_s": round(answered - start, 2),
        "commit_after_start_s": round(commit - start, 2) if commit else None,
        "api1_after_commit_s": after(first),
        "api2_after_commit_s": after(second),
    }


def run(sessions: int, per_session: int, import_rows: int) -> dict:
    cluster = LocalCluster({"GOVBOT_CHAT_TURNS_PER_MINUTE_ADDRESS": "1000000", "GOVBOT_FOUR_EYES_PUBLISHING": "false"})
    print(f"启动集群（{cluster.dir}）…", flush=True)
    started = time.perf_counter()
    cluster.start()
    try:
        result: dict = {"start_s": round(time.perf_counter() - started, 1)}
        print("运维 → 市民（跨副本）…", flush=True)
        result["operator_to_citizen"] = operator_to_citizen(cluster)
        warm = questions()[0]
        for base in cluster.apis:  # both replicas answered once before timing
            sid, headers = _chat(base)
            httpx.post(f"{base}/api/chat", json={"session_id": sid, "text": warm}, headers=headers, timeout=120)
        print("吞吐：1 个 API 副本…", flush=True)
        result["one_replica"] = asyncio.run(_drive(cluster.apis[:1], sessions, per_session))
        print("吞吐：2 个 API 副本…", flush=True)
        result["two_replicas"] = asyncio.run(_drive(cluster.apis, sessions, per_session))
        result["rss_mb"] = cluster.rss_mb()
        print("发布传播…", flush=True)
        result["publish"] = [import_propagation(cluster, 1), import_propagation(cluster, import_rows)]
        result["load_avg"] = [round(x, 2) for x in os.getloadavg()]
        result["cores"] = os.cpu_count()
        return result
    finally:
        cluster.stop()


def markdown(result: dict) -> str:
    o = result["operator_to_citizen"]
    lines = [
        f"Operator -> citizen across replicas: {o['arrived']}/{o['messages']} arrived, p50 {o.get('p50_ms')} ms, p95 {o.get('p95_ms')} ms",
        "",
        md_table(
            ["API replicas", "sessions x turns", "answered", "busy, asked again", "errors", "turns/s", "p50 ms", "p95 ms"],
            [
                [n, f"{r['sessions']} x {r['turns'] // r['sessions']}", r["answered"], r["busy_retries"], r["errors"], r["turns_per_s"]]
                + [r.get("answered_p50_ms"), r.get("answered_p95_ms")]
                for n, r in (("1", result["one_replica"]), ("2", result["two_replicas"]))
            ],
        ),
        "",
        "Memory (RSS, MB): " + ", ".join(f"{k} {v}" for k, v in result["rss_mb"].items()),
        "",
        md_table(
            ["rows imported on API 1", "import request s", "commit after s", "API 1 holds them after the commit s", "API 2: s"],
            [
                [p["rows"], p["import_request_s"], p["commit_after_start_s"], p["api1_after_commit_s"], p["api2_after_commit_s"]]
                for p in result["publish"]
            ],
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    return finish(run(args.sessions, args.turns, args.import_rows), markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
