"""Publish → answered: how long until a change made in the console is in the answers elsewhere.

    .venv/bin/python -m bench.publish_latency [--trials 20] [--out bench/results/publish_latency.json]

A home with the sample knowledge base; the FastAPI app (`uvicorn api.app:app_factory`) runs in
its own process, as in production. The benchmark process holds a second `Knowledge` over the
same home: it plays the action server, the process that answers citizens in `POST /api/chat`.
Each trial, through the admin API over HTTP: an editor creates a new Q&A and submits it, a
reviewer publishes it (the clock starts when the publish reply arrives); the answering process
is asked until it answers with the new item (the clock stops). Then the item is abolished and the
clock runs until the answering process no longer cites it. Latency includes the answering
process's index sync (embedding the new passages) and one full answer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

import httpx

from bench.common import CACHE, REPO, SAMPLE_DIRS, build_home, finish, fmt, latency_summary, md_table, open_kb
from bench.stack import free_port

HOME = CACHE / "homes" / "publish-latency"
DEPARTMENT = "示例市民政局"
SUBJECTS = ["银杏", "海棠", "青松", "白鹭", "紫藤", "丹桂", "墨竹", "秋枫", "春兰", "雪梅"]


def question(n: int) -> tuple[str, str]:
    name = f"{SUBJECTS[n % len(SUBJECTS)]}{n}号惠民补贴"
    return f"{name}怎么申请？", f"{name}由街道办事处受理，携带身份证和户口簿申请，审核通过后次月发放。"


def start_api(home, port: int) -> subprocess.Popen:
    env = {**os.environ, "GOVBOT_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:app_factory", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, deadline_s: float = 300) -> None:
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            if httpx.post(f"{base}/api/admin/login", json={"username": "", "password": ""}).status_code == 401:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError("the API did not start")


def until(predicate, timeout_s: float = 30) -> float:
    """Seconds until `predicate()` holds (polled back to back)."""
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout_s:
            raise RuntimeError("change not seen in time")
    return time.perf_counter() - start


def run(trials: int, port: int) -> dict:
    from govbot.accounts import Accounts

    info = build_home(HOME, SAMPLE_DIRS)
    kb = open_kb(HOME)
    accounts = Accounts(kb.settings.db_url)
    for name, role in (("bench_editor", "editor"), ("bench_reviewer", "reviewer")):
        accounts.add_user(name, "bench-password", role, DEPARTMENT, actor="bench")
    api = start_api(HOME, port)
    base = f"http://127.0.0.1:{port}"
    publish_ms, abolish_ms = [], []
    try:
        wait_ready(base)
        clients = {}
        for name in ("bench_editor", "bench_reviewer"):
            token = httpx.post(f"{base}/api/admin/login", json={"username": name, "password": "bench-password"}).json()["token"]
            clients[name] = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        editor, reviewer = clients["bench_editor"], clients["bench_reviewer"]
        for n in range(trials):
            q, a = question(n)
            item = editor.post("/api/admin/items", json={"kind": "qa", "fields": {"question": q, "answer": a}}).json()
            editor.post(f"/api/admin/items/{item['id']}/submit").raise_for_status()
            reviewer.post(f"/api/admin/items/{item['id']}/publish").raise_for_status()
            publish_ms.append(1000 * until(lambda: kb.ask(q).item_key == item["key"]))
            editor.post(f"/api/admin/items/{item['id']}/abolish", json={"reason": "基准测试"}).raise_for_status()
            abolish_ms.append(1000 * until(lambda: item["key"] not in {s.key for s in kb.ask(q).sources}))
    finally:
        api.terminate()
        api.wait(timeout=30)
        kb.close()
        shutil.rmtree(HOME, ignore_errors=True)
    return {
        "trials": trials,
        "items_in_kb": info["items"],
        "publish_to_answer_ms": latency_summary(publish_ms),
        "abolish_to_gone_ms": latency_summary(abolish_ms),
    }


def markdown(result: dict) -> str:
    rows = [
        [name, fmt(result[key]["p50_ms"], 0), fmt(result[key]["p95_ms"], 0), fmt(result[key]["max_ms"], 0)]
        for name, key in (("publish → answered", "publish_to_answer_ms"), ("abolish → no longer cited", "abolish_to_gone_ms"))
    ]
    return (
        f"{result['trials']} trials over the sample KB ({result['items_in_kb']} items), "
        "change made through the admin API in the app process, seen by another answering process\n\n"
        + md_table(["change", "p50 ms", "p95 ms", "max ms"], rows)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--port", type=int, default=0, help="the API's port (default: a free one)")
    parser.add_argument("--out")
    args = parser.parse_args()
    return finish(run(args.trials, args.port or free_port()), markdown, args.out)


if __name__ == "__main__":
    sys.exit(main())
