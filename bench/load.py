"""Load: many citizens at once. Every turn is answered, or refused at once with Retry-After; the
stack is healthy again soon after.

    .venv/bin/python -m bench.load [--sessions 200] [--turns 3] [--out bench/results/load.json]

Target (issue 15): 200 concurrent sessions × 3 turns: every turn answered or refused at once
(503/429 with Retry-After); p95 of the answered turns <= 5 s; /api/health 200 within 10 s after.

What runs: the sample knowledge base home (bench/.cache/homes/load), `govbot serve` on free ports
with the default settings (`max_pending_turns` included) but the per-address limit (every simulated citizen comes from
127.0.0.1). Each session is opened (POST /api/chat/sessions), then all sessions send their turns
at once, each session its next question as soon as its previous turn came back (in-scope questions
of bench/eval/sample_kb.jsonl in a fixed order). Recorded per turn: status, wall time, whether a
refusal carried Retry-After. "At once" for a refusal: its wall time. After the last turn,
/api/health is asked every 0.5 s until it answers 200 (seconds recorded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.common import CACHE, RESULTS, SAMPLE_EVAL, chat_headers, finish, fmt, latency_summary, load_avg, md_table, open_chat_async
from bench.stack import Stack, ensure_home
from govbot.settings import Settings

HOME = CACHE / "homes" / "load"
DEFAULT_OUT = RESULTS / "load.json"
TARGET_P95_MS = 5000
TARGET_HEALTH_S = 10


def questions() -> list[str]:
    rows = [json.loads(line) for line in SAMPLE_EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if not r.get("oos")]


async def citizen(http: httpx.AsyncClient, sid: str, texts: list[str], turns: list[dict]) -> None:
    for text in texts:
        start = time.perf_counter()
        try:
            response = await http.post("/api/chat", json={"session_id": sid, "text": text}, headers=chat_headers(sid))
            status, retry = response.status_code, response.headers.get("retry-after")
        except httpx.HTTPError as exc:
            status, retry = f"error: {type(exc).__name__}", None
        turns.append({"status": status, "ms": (time.perf_counter() - start) * 1000, "retry_after": retry})


async def drive(base: str, sessions: int, per_session: int) -> dict:
    pool = questions()
    limits = httpx.Limits(max_connections=sessions + 10, max_keepalive_connections=sessions + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        warm = await open_chat_async(http)
        await http.post("/api/chat", json={"session_id": warm, "text": pool[0]}, headers=chat_headers(warm))
        sids = [await open_chat_async(http) for _ in range(sessions)]
        turns: list[dict] = []
        start = time.perf_counter()
        await asyncio.gather(
            *[
                citizen(http, sid, [pool[(i * per_session + k) % len(pool)] for k in range(per_session)], turns)
                for i, sid in enumerate(sids)
            ]
        )
        load_s = time.perf_counter() - start
        ended = time.perf_counter()
        health_s = None
        while time.perf_counter() - ended < 120:
            try:
                if (await http.get("/api/health", timeout=5)).status_code == 200:
                    health_s = round(time.perf_counter() - ended, 1)
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    return {"turns": turns, "load_s": round(load_s, 1), "health_s": health_s}


def summarize(data: dict, sessions: int, per_session: int) -> dict:
    turns = data["turns"]
    answered = [t["ms"] for t in turns if t["status"] == 200]
    refused = [t for t in turns if t["status"] in (429, 503)]
    other = [t for t in turns if t["status"] not in (200, 429, 503)]
    return {
        "sessions": sessions,
        "turns_per_session": per_session,
        "turns": len(turns),
        "statuses": dict(Counter(str(t["status"]) for t in turns)),
        "answered": latency_summary(answered) if answered else None,
        "refused": latency_summary([t["ms"] for t in refused]) if refused else None,
        "refused_with_retry_after": sum(1 for t in refused if t["retry_after"]),
        "refused_count": len(refused),
        "other": len(other),
        "load_s": data["load_s"],
        "health_after_s": data["health_s"],
        "meets_target": bool(answered)
        and not other
        and all(t["retry_after"] for t in refused)
        and latency_summary(answered)["p95_ms"] <= TARGET_P95_MS
        and data["health_s"] is not None
        and data["health_s"] <= TARGET_HEALTH_S,
    }


def markdown(result: dict) -> str:
    s = result["summary"]
    answered, refused = s["answered"] or {}, s["refused"] or {}
    rows = [
        ["turns", fmt(s["turns"])],
        ["statuses", ", ".join(f"{k}: {v}" for k, v in sorted(s["statuses"].items()))],
        [
            "answered: p50 / p95 / max ms",
            f"{fmt(answered.get('p50_ms'), 0)} / {fmt(answered.get('p95_ms'), 0)} / {fmt(answered.get('max_ms'), 0)}",
        ],
        [
            "refused: p50 / p95 / max ms",
            f"{fmt(refused.get('p50_ms'), 0)} / {fmt(refused.get('p95_ms'), 0)} / {fmt(refused.get('max_ms'), 0)}",
        ],
        ["refusals with Retry-After", f"{s['refused_with_retry_after']} of {s['refused_count']}"],
        ["other outcomes (errors, 5xx but 503)", fmt(s["other"])],
        ["/api/health 200 after the load (s)", fmt(s["health_after_s"], 1)],
        ["meets the target", str(s["meets_target"])],
    ]
    title = f"Load: {s['sessions']} sessions × {s['turns_per_session']} turns at once (load avg before {result['load_avg_before']})"
    return title + "\n\n" + md_table(["", "value"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--home", type=Path, default=HOME)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    ensure_home(args.home)
    shed = {"GOVBOT_MAX_PENDING_TURNS": str(Settings().max_pending_turns)}  # the default, not the benches' "unlimited"
    stack = Stack(args.home, "load", shed)
    before = load_avg()
    try:
        ready_s = stack.start()
        print(f"就绪（{ready_s} s）。{args.sessions} 个会话 × {args.turns} 轮 …", flush=True)
        data = asyncio.run(drive(stack.base, args.sessions, args.turns))
    finally:
        stack.stop()
    result = {"summary": summarize(data, args.sessions, args.turns), "load_avg_before": before, "command": " ".join(sys.argv)}
    return finish(result, markdown, args.out)


if __name__ == "__main__":
    sys.exit(main())
