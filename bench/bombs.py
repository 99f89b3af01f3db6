"""Hostile requests without an account: each is refused quickly, and the server stays responsive.

    .venv/bin/python -m bench.bombs [--rounds 5] [--out bench/results/bombs.json]

Target (issue 15): a 1 MB payload and a 30 KB pattern bomb each answer 4xx in under 1 s while
/api/health stays under 200 ms.

What runs: the sample knowledge base home of bench.load, `govbot serve` on free ports. Each round
sends, one after another, the requests below to POST /api/chat of an issued session, while a
second task asks GET /api/health every 50 ms; recorded: each bomb's status and wall time, and
every health call's wall time during the round.

- 1 MB payload: a JSON body of 1 MB (a `text` of digits and spaces);
- 30 KB pattern bomb: a 30 KB text built to make backtracking patterns explode (digit runs
  joined by separators, an e-mail local part without "@", a long dotted domain);
- 9 KB pattern bomb: the same under the 10,000-character field cap, so that it reaches the turn;
- a 1 MB button payload; deeply nested JSON; a lone surrogate; NaN.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

from bench.common import RESULTS, chat_headers, finish, fmt, latency_summary, load_avg, md_table, open_chat_async
from bench.load import HOME
from bench.stack import Stack, ensure_home
from govbot.settings import Settings

DEFAULT_OUT = RESULTS / "bombs.json"
TARGET_MS, HEALTH_MS = 1000, 200


def _pattern(size: int) -> str:
    unit = "1 2-3.4 " * 40 + "a" * 200 + " x@" + "b." * 100 + " "
    return (unit * (size // len(unit) + 1))[:size]


def bombs(sid: str) -> dict[str, bytes]:
    def body(**fields) -> bytes:
        return json.dumps({"session_id": sid, **fields}, ensure_ascii=False).encode()

    return {
        "1 MB payload": body(text="1 " * 500_000),
        "30 KB pattern bomb": body(text=_pattern(30_000)),
        "9 KB pattern bomb (reaches the turn)": body(text=_pattern(9_000)),
        "1 MB button payload": body(payload="/choose_service" + "{" * 10 + "x" * 1_000_000),
        "nested JSON": b'{"session_id": "' + sid.encode() + b'", "text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "lone surrogate": b'{"session_id": "' + sid.encode() + b'", "text": "\\ud800"}',
        "NaN": b'{"session_id": "' + sid.encode() + b'", "text": NaN}',
    }


async def round_(http: httpx.AsyncClient) -> tuple[dict, list[float]]:
    sid = await open_chat_async(http)
    health: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await http.get("/api/health", timeout=10)
            health.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.05)

    prober = asyncio.create_task(probe())
    results = {}
    headers = {"Content-Type": "application/json", **chat_headers(sid)}
    for name, body in bombs(sid).items():
        start = time.perf_counter()
        response = await http.post("/api/chat", content=body, headers=headers, timeout=60)
        results[name] = {"status": response.status_code, "ms": round((time.perf_counter() - start) * 1000, 1)}
    stop.set()
    await prober
    return results, health


async def drive(base: str, rounds: int) -> dict:
    async with httpx.AsyncClient(base_url=base) as http:
        per_bomb: dict[str, list[dict]] = {}
        health: list[float] = []
        for _ in range(rounds):
            results, probes = await round_(http)
            health += probes
            for name, outcome in results.items():
                per_bomb.setdefault(name, []).append(outcome)
    return {"per_bomb": per_bomb, "health": latency_summary(health)}


def markdown(result: dict) -> str:
    rows = []
    for name, outcomes in result["per_bomb"].items():
        statuses = sorted({o["status"] for o in outcomes})
        rows.append([name, ", ".join(map(str, statuses)), fmt(max(o["ms"] for o in outcomes), 0)])
    h = result["health"]
    rows.append(
        ["GET /api/health meanwhile (p50 / p95 / max ms)", "", f"{fmt(h['p50_ms'], 0)} / {fmt(h['p95_ms'], 0)} / {fmt(h['max_ms'], 0)}"]
    )
    title = f"Hostile requests, {result['rounds']} rounds (load avg before {result['load_avg_before']})"
    title += f"; target: 4xx < {TARGET_MS} ms, health < {HEALTH_MS} ms"
    return title + "\n\n" + md_table(["request", "status", "slowest ms"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--home", type=Path, default=HOME)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    ensure_home(args.home)
    stack = Stack(args.home, "bombs", {"GOVBOT_MAX_PENDING_TURNS": str(Settings().max_pending_turns)})
    before = load_avg()
    try:
        stack.start()
        data = asyncio.run(drive(stack.base, args.rounds))
    finally:
        stack.stop()
    result = {**data, "rounds": args.rounds, "load_avg_before": before, "command": " ".join(sys.argv)}
    return finish(result, markdown, args.out)


if __name__ == "__main__":
    sys.exit(main())
