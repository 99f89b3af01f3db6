"""Multi-turn follow-ups through the real stack: does the bot keep the service under discussion?

Each dialogue of `bench/eval/followups.jsonl` names a service in its first turn ("居住证怎么办理？")
and then asks follow-ups that do not ("要带什么材料？", "在哪办？"); a few switch to a newly named
service in their last turn ("那社保卡在哪里办？"). Format, one object per line:

    {"id": "fu-001", "turns": ["居住证怎么办理？", "要带什么材料？", "在哪办？"],
     "service": ["guide-juzhuzheng", "qa-juzhuzheng-001", ...]}
    {"id": "fu-048", "turns": [...], "service": [...], "switch": true, "service_before": [...]}

`service` lists the item keys (the service's guide and its Q&As) the last turn's reply must cite;
in a `switch` dialogue the follow-ups before the last turn must cite `service_before` (the service
the dialogue started with); in the others every follow-up must cite `service`.

What runs: a home built with `govbot load-sample` (reused when it already holds content), then
`govbot serve` on free ports (API, Rasa, action server: GOVBOT_RASA_PORT / GOVBOT_ACTION_PORT, as
the `stack` test fixture does; the first start trains the Rasa model when its training data
changed). Once /api/health is 200, one warm-up question (not counted) is asked, then every
dialogue gets a fresh session_id and each turn is POSTed to /api/chat in order.

- A dialogue is **resolved** when every follow-up turn (every turn after the first) gets a reply
  citing a source whose item key is in the expected list. Sources carry the content-DB item `id`;
  it is mapped to its key with `$GOVBOT_HOME/govbot.db` table `items`.
- Whether the first turn already cited the service is reported too (informational: a wrong first
  answer puts the wrong service in the slot that the follow-ups lean on).
- **Latency** is the wall time of the POST /api/chat call (API -> Rasa -> action server ->
  knowledge engine -> back), per turn, over the turns that called the knowledge engine: those
  after which Rasa ran `action_answer` or `action_choose_service`, read from Rasa's tracker
  (`GET /conversations/{id}/tracker` on the Rasa HTTP API), which also gives each turn's intent
  and the answer status the action sent.

    .venv/bin/python -m bench.dialogue [--home DIR] [--file bench/eval/followups.jsonl]
                                       [--out bench/results/dialogue.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench.common import CACHE, EVAL, RESULTS, chat_headers, fmt, open_chat, latency_summary, load_avg, md_table, write_json
from bench.stack import Stack, ensure_home

DEFAULT_HOME = CACHE / "dialogue-home"
DEFAULT_FILE = EVAL / "followups.jsonl"
DEFAULT_OUT = RESULTS / "dialogue.json"
ENGINE_ACTIONS = {"action_answer", "action_choose_service"}
WARM_UP = "居住证怎么办理？"


# --- dialogues ------------------------------------------------------------------------------


def load_dialogues(path: Path) -> list[dict]:
    dialogues, seen = [], set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        turns, service = row.get("turns"), row.get("service")
        if (
            not row.get("id")
            or row["id"] in seen
            or not isinstance(turns, list)
            or not 2 <= len(turns) <= 3
            or not all(isinstance(t, str) and t.strip() for t in turns)
            or not service
        ):
            raise ValueError(f"{path}:{n}: needs a new id, 2-3 non-empty turns and a service list")
        if row.get("switch") and not row.get("service_before"):
            raise ValueError(f"{path}:{n}: a switch dialogue needs service_before")
        seen.add(row["id"])
        dialogues.append(row)
    return dialogues


def expected_keys(dialogue: dict, turn: int) -> list[str]:
    """The keys turn `turn` (0-based, > 0) must cite."""
    last = turn == len(dialogue["turns"]) - 1
    if dialogue.get("switch") and not last:
        return dialogue["service_before"]
    return dialogue["service"]


# --- the home and the stack -----------------------------------------------------------------


def item_keys(home: Path) -> dict[int, str]:
    with sqlite3.connect(f"file:{home / 'govbot.db'}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT id, key FROM items").fetchall())


def tracker_turns(client: httpx.Client, rasa: str, session_id: str, token: str) -> list[dict]:
    """Per user message, in order: the intent, the actions Rasa ran and the answer statuses sent."""
    try:
        response = client.get(f"{rasa}/conversations/{session_id}/tracker", params={"include_events": "ALL", "token": token}, timeout=30)
        response.raise_for_status()
        events = response.json().get("events") or []
    except (httpx.HTTPError, ValueError):
        return []
    turns: list[dict] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            turns.append(
                {
                    "intent": intent.get("name"),
                    "intent_confidence": round(intent.get("confidence") or 0, 3),
                    "actions": [],
                    "answer_status": [],
                }
            )
        elif not turns:
            continue
        elif kind == "action" and event.get("name") != "action_listen":
            turns[-1]["actions"].append(event.get("name"))
        elif kind == "bot":
            custom = (event.get("data") or {}).get("custom")
            if isinstance(custom, dict) and custom.get("answer_status"):
                turns[-1]["answer_status"].append(custom["answer_status"])
    return turns


def run_dialogue(client: httpx.Client, stack: Stack, dialogue: dict, session_id: str, keys: dict[int, str], home: Path) -> dict:
    turns = []
    for text in dialogue["turns"]:
        start = time.perf_counter()
        response = client.post(
            f"{stack.base}/api/chat", json={"session_id": session_id, "text": text}, headers=chat_headers(session_id), timeout=60
        )
        ms = (time.perf_counter() - start) * 1000
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        replies = body.get("replies") or []
        cited = []
        for reply in replies:
            for source in reply.get("sources") or []:
                sid = source.get("id")
                if sid not in keys:  # content added since the map was read
                    keys.update(item_keys(home))
                cited.append({"id": sid, "key": keys.get(sid, f"?id={sid}"), "title": source.get("title", "")})
        turns.append(
            {
                "text": text,
                "http": response.status_code,
                "ms": round(ms, 1),
                "status": body.get("status"),
                "reply": " / ".join(r.get("text", "") for r in replies)[:300],
                "cited": cited,
                "buttons": [b.get("title") for r in replies for b in r.get("buttons") or []],
            }
        )
    for turn, info in zip(turns, tracker_turns(client, stack.rasa, session_id, stack.rasa_token)):
        turn.update(info)
        turn["engine"] = bool(ENGINE_ACTIONS & set(info["actions"]))
    for i, turn in enumerate(turns):
        turn.setdefault("engine", None)  # unknown: the tracker could not be read
        if i == 0:
            expect = dialogue["service_before"] if dialogue.get("switch") else dialogue["service"]
        else:
            expect = expected_keys(dialogue, i)
        turn["on_service"] = any(c["key"] in expect for c in turn["cited"])
    resolved = all(t["on_service"] for t in turns[1:])
    return {
        "id": dialogue["id"],
        "session_id": session_id,
        "switch": bool(dialogue.get("switch")),
        "resolved": resolved,
        "first_on_service": turns[0]["on_service"],
        "turns": turns,
    }


# --- report ---------------------------------------------------------------------------------


def rate(hits: int, n: int) -> float | None:
    return round(hits / n, 3) if n else None


def summarize(results: list[dict]) -> dict:
    follow = [r for r in results if not r["switch"]]
    switch = [r for r in results if r["switch"]]
    follow_turns = [t for r in results for t in r["turns"][1:]]
    engine_ms = [t["ms"] for r in results for t in r["turns"] if t.get("engine")]
    engine_follow_ms = [t["ms"] for r in results for t in r["turns"][1:] if t.get("engine")]
    all_ms = [t["ms"] for r in results for t in r["turns"]]
    statuses: dict[str, int] = {}
    for t in follow_turns:
        for s in t.get("answer_status") or ["(no engine answer)"]:
            statuses[s] = statuses.get(s, 0) + 1
    return {
        "dialogues": len(results),
        "resolved": sum(r["resolved"] for r in results),
        "resolution_rate": rate(sum(r["resolved"] for r in results), len(results)),
        "resolution_rate_followup": rate(sum(r["resolved"] for r in follow), len(follow)),
        "resolution_rate_switch": rate(sum(r["resolved"] for r in switch), len(switch)),
        "followup_turns": len(follow_turns),
        "followup_turn_accuracy": rate(sum(t["on_service"] for t in follow_turns), len(follow_turns)),
        "first_turn_on_service": rate(sum(r["first_on_service"] for r in results), len(results)),
        "followup_answer_status": statuses,
        "latency_engine_turns": latency_summary(engine_ms) if engine_ms else None,
        "latency_engine_followup_turns": latency_summary(engine_follow_ms) if engine_follow_ms else None,
        "latency_all_turns": latency_summary(all_ms) if all_ms else None,
        "non_engine_turns": sum(1 for r in results for t in r["turns"] if t.get("engine") is False),
        "http_errors": sum(1 for r in results for t in r["turns"] if t["http"] != 200),
    }


def failures(results: list[dict], dialogues: dict[str, dict]) -> list[dict]:
    out = []
    for r in results:
        for i, t in enumerate(r["turns"]):
            if i == 0 or t["on_service"]:
                continue
            out.append(
                {
                    "id": r["id"],
                    "turn": i + 1,
                    "text": t["text"],
                    "first_turn_on_service": r["first_on_service"],
                    "expected": expected_keys(dialogues[r["id"]], i)[0].replace("guide-", ""),
                    "intent": t.get("intent"),
                    "answer_status": t.get("answer_status"),
                    "cited": [c["key"] for c in t["cited"]],
                    "reply": t["reply"][:120],
                }
            )
    return out


def markdown(result: dict) -> str:
    s = result["summary"]
    lat, lat_f = s["latency_engine_turns"] or {}, s["latency_engine_followup_turns"] or {}
    rows = [
        ["dialogues (follow-up / switch)", f"{s['dialogues']} ({result['counts']['followup']} / {result['counts']['switch']})"],
        ["resolution rate (all)", f"{fmt(s['resolution_rate'], 3)} ({s['resolved']}/{s['dialogues']})"],
        ["resolution rate, follow-up dialogues", fmt(s["resolution_rate_followup"], 3)],
        ["resolution rate, switch dialogues", fmt(s["resolution_rate_switch"], 3)],
        ["follow-up turns citing the right service", f"{fmt(s['followup_turn_accuracy'], 3)} (of {s['followup_turns']})"],
        ["first turn citing the right service", fmt(s["first_turn_on_service"], 3)],
        ["follow-up answer statuses", ", ".join(f"{k} {v}" for k, v in sorted(s["followup_answer_status"].items()))],
        ["latency, engine turns p50 / p95 (ms)", f"{fmt(lat.get('p50_ms'), 0)} / {fmt(lat.get('p95_ms'), 0)} (n={lat.get('n', 0)})"],
        [
            "latency, engine follow-up turns p50 / p95 (ms)",
            f"{fmt(lat_f.get('p50_ms'), 0)} / {fmt(lat_f.get('p95_ms'), 0)} (n={lat_f.get('n', 0)})",
        ],
        ["turns without an engine call / HTTP errors", f"{s['non_engine_turns']} / {s['http_errors']}"],
    ]
    out = ["### Follow-up dialogues through the real stack (API → Rasa → actions → engine)", "", md_table(["measure", "value"], rows), ""]
    if result["failures"]:
        out += [
            "Failures (follow-up turns that did not cite the expected service):",
            "",
            md_table(
                ["dialogue", "turn", "text", "expected", "intent", "status", "cited", "turn 1 ok"],
                [
                    [
                        f["id"],
                        f["turn"],
                        f["text"],
                        f["expected"],
                        f["intent"] or "-",
                        ",".join(f["answer_status"] or []) or "-",
                        ", ".join(f["cited"]) or "(none)",
                        "yes" if f["first_turn_on_service"] else "no",
                    ]
                    for f in result["failures"]
                ],
            ),
            "",
        ]
    out.append(f"Command: `{result['command']}`")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--home",
        type=Path,
        default=DEFAULT_HOME,
        help="GOVBOT_HOME to use (built with load-sample if empty; default bench/.cache/dialogue-home)",
    )
    p.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the dialogues (JSON Lines)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON results go")
    args = p.parse_args(argv)
    command = ".venv/bin/python -m bench.dialogue" + "".join(
        f" {flag} {shlex.quote(str(value))}"
        for flag, value, default in (
            ("--home", args.home, DEFAULT_HOME),
            ("--file", args.file, DEFAULT_FILE),
            ("--out", args.out, DEFAULT_OUT),
        )
        if Path(value).resolve() != Path(default).resolve()
    )
    home = args.home.resolve()
    dialogues = load_dialogues(args.file)
    home_info = ensure_home(home)
    keys = item_keys(home)
    unknown = sorted({k for d in dialogues for k in d["service"] + d.get("service_before", [])} - set(keys.values()))
    if unknown:
        print(f"warning: keys not in the content DB: {', '.join(unknown)}", file=sys.stderr)
    stack = Stack(home, "dialogue")
    results: list[dict] = []
    try:
        ready_s = stack.start()
        print(f"就绪（{ready_s} s）。{len(dialogues)} 段对话 …", flush=True)
        with httpx.Client() as client:
            warm = open_chat(client, stack.base)
            client.post(f"{stack.base}/api/chat", json={"session_id": warm, "text": WARM_UP}, headers=chat_headers(warm), timeout=60)
            for dialogue in dialogues:
                results.append(run_dialogue(client, stack, dialogue, open_chat(client, stack.base), keys, home))
    finally:
        stack.stop()
    result = {
        "command": command,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "load_avg_after": load_avg()},
        "home": {"path": str(home), **home_info},
        "file": str(args.file),
        "stack_ready_s": ready_s,
        "counts": {"followup": sum(not d.get("switch") for d in dialogues), "switch": sum(bool(d.get("switch")) for d in dialogues)},
        "summary": summarize(results),
        "failures": failures(results, {d["id"]: d for d in dialogues}),
        "dialogues": results,
    }
    write_json(args.out, result)
    print(markdown(result))
    print(f"\nResults: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
