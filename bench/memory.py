"""Resident memory of the whole stack, with the Rasa actions hosted by the API process (one
knowledge engine: the default) and with a separate action server (`GOVBOT_HOST_ACTIONS=false`,
how every release before 2026-12-03 ran).

    .venv/bin/python -m bench.memory [--home bench/.cache/memory-home] [--out bench/results/memory.json]

For each layout: `govbot serve` on the sample knowledge base, ready (/api/health), then the same
ten citizen turns through POST /api/chat (so that every process has answered and loaded what it
loads lazily), then each process of the stack is measured: RSS, and PSS (shared pages divided
among the processes that share them, so the PSS of the processes adds up to what the stack
costs the machine).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import httpx
import psutil

from bench.common import CACHE, RESULTS, chat_headers, open_chat
from bench.stack import Stack, ensure_home

TURNS = ["居住证怎么办理？", "要带什么材料？", "公积金怎么提取", "社保卡丢了怎么补办", "低保申请条件是什么？",
         "出入境证件的工本费是多少？", "我要投诉噪音", "取消", "你好", "谢谢"]  # fmt: skip
LAYOUTS = {"hosted": {}, "separate": {"GOVBOT_HOST_ACTIONS": "false"}}


def role(process: psutil.Process) -> str:
    line = " ".join(process.cmdline())
    if "rasa" in line and " run" in line:
        return "rasa"
    if "actions.server" in line:
        return "actions"
    if "uvicorn" in line:
        return "api"
    return "serve" if " serve" in line else process.name()


def measure(stack: Stack) -> dict:
    processes = [psutil.Process(stack.process.pid), *psutil.Process(stack.process.pid).children(recursive=True)]
    rows: dict[str, dict] = {}
    for process in processes:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        entry = rows.setdefault(role(process), {"rss_mb": 0.0, "pss_mb": 0.0})
        entry["rss_mb"] += info.rss / 2**20
        entry["pss_mb"] += getattr(info, "pss", info.rss) / 2**20
    rows = {k: {m: round(v, 1) for m, v in r.items()} for k, r in sorted(rows.items())}
    total = {m: round(sum(r[m] for r in rows.values()), 1) for m in ("rss_mb", "pss_mb")}
    return {"processes": rows, "total": total}


def run_layout(home: Path, name: str, env: dict) -> dict:
    stack = Stack(home, f"memory-{name}", env)
    try:
        ready_s = stack.start()
        with httpx.Client(base_url=stack.base, timeout=60) as http:
            session = open_chat(http)
            for text in TURNS:
                http.post("/api/chat", json={"session_id": session, "text": text}, headers=chat_headers(session)).raise_for_status()
        time.sleep(2)
        return {"layout": name, "ready_s": ready_s, **measure(stack)}
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=CACHE / "memory-home")
    parser.add_argument("--out", type=Path, default=RESULTS / "memory.json")
    args = parser.parse_args()
    ensure_home(args.home)
    results = [run_layout(args.home, name, env) for name, env in LAYOUTS.items()]
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("| layout | processes (PSS MB) | total PSS MB | total RSS MB |\n|---|---|---|---|")
    for r in results:
        parts = ", ".join(f"{k} {v['pss_mb']:.0f}" for k, v in r["processes"].items())
        print(f"| {r['layout']} | {parts} | {r['total']['pss_mb']:.0f} | {r['total']['rss_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
