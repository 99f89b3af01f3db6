"""Web chat: how long after the citizen presses Enter is the bot's answer on the screen?

    .venv/bin/python -m bench.webchat [--questions 60] [--warm-up 5] [--session-every 10]
                                      [--out bench/results/webchat.json]

Target (issue 4): the answer is visible p95 <= 500 ms after send, on loopback, knowledge engine warm.

What runs: a home with the sample knowledge base under bench/.cache/homes/webchat (built with
`build_home` unless it already holds content; reused otherwise), then `govbot serve` on free
ports (API, Rasa, action server: GOVBOT_RASA_PORT / GOVBOT_ACTION_PORT, as the `stack` test
fixture does; the first start trains the Rasa model when its training data changed). The page
`/` is opened in Debian's headless Chromium (/usr/bin/chromium, driven by Playwright, with the
test suite's CHROMIUM_ARGS) at a phone's viewport, as tests/browser/test_webchat.py does.

Questions: the in-scope questions of bench/eval/sample_kb.jsonl in a fixed random order (seed
--seed). The first --warm-up are asked and not counted (the engine, Rasa and the page are warm
after them), then --questions are measured, one at a time, with a pause of --pause-ms between an
answer and the next question. Every --session-every questions a new browser context opens the
page again: a new localStorage, so the widget makes a new session id and the follow-up context of
the old conversation does not pile up (a context is also replaced when a reply hands the
conversation to a person, which would silence the bot).

The clock, inside the page, with performance.now() (no Python or CDP overhead in the numbers):

- start: the `timeStamp` of the Enter `keydown` event the widget receives (Playwright types the
  question into the textarea, then presses Enter; a capturing listener on the document notes the
  event's time stamp);
- **visible**: a MutationObserver on the chat log notes the first `.govbot-msg.bot` node added
  after the keydown (the widget renders all replies of one POST in one go), then waits for the
  next animation frame and a task after it: the frame that paints the new node has then been
  produced. This is the headline number;
- in the DOM: the time the MutationObserver saw the node (before layout and paint);
- POST /api/chat, from the browser's Resource Timing entry of that request: the whole fetch
  (startTime -> responseEnd) and the server's part, requestStart -> responseStart (time to first
  byte: API -> Rasa -> action server -> engine -> back; the API sends the JSON in one piece).

Python also waits (Playwright `wait_for_function`) for the reply to be there and checks that the
new bot reply is visible and not empty; its own wall time is recorded as a cross-check only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path


from bench.common import CACHE, RESULTS, SAMPLE_EVAL, finish, fmt, latency_summary, load_avg, md_table
from bench.stack import Stack, ensure_home

HOME = CACHE / "homes" / "webchat"
DEFAULT_OUT = RESULTS / "webchat.json"
TARGET_MS = 500
CHROMIUM = "/usr/bin/chromium"  # as tests/conftest.py: Playwright cannot download browsers here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPLY_TIMEOUT_MS = 60_000


# --- the home and the stack (bench/wechat.py uses these too) --------------------------------


def in_scope_questions(seed: int) -> list[dict]:
    rows = [json.loads(line) for line in SAMPLE_EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("docs") and not r.get("oos")]
    random.Random(seed).shuffle(rows)
    return rows


# --- the page -------------------------------------------------------------------------------

# Installed once per page (after the widget has rendered its greeting). window.__bench.arm()
# starts a measurement: the next Enter keydown is the start, the first bot message added after
# it the end; the result is read back with window.__bench.result().
PROBE = r"""
() => {
  const log = document.querySelector('.govbot-log');
  const b = window.__bench = {armed: false, t0: null, dom: null, paint: null, text: null};
  document.addEventListener('keydown', (e) => {
    if (b.armed && e.key === 'Enter' && b.t0 === null) b.t0 = e.timeStamp;
  }, true);
  new MutationObserver((records) => {
    if (!b.armed || b.t0 === null || b.dom !== null) return;
    for (const r of records) for (const n of r.addedNodes) {
      if (b.dom === null && n.nodeType === 1 && n.classList.contains('govbot-msg') && n.classList.contains('bot')) {
        b.dom = performance.now();
        b.node = n;
        requestAnimationFrame(() => setTimeout(() => { b.paint = performance.now(); }, 0));
      }
    }
  }).observe(log, {childList: true});
  b.arm = () => { b.armed = true; b.t0 = null; b.dom = null; b.paint = null; b.node = null;
                  performance.clearResourceTimings(); };
  b.result = () => {
    const posts = performance.getEntriesByType('resource').filter(
      (e) => e.name.endsWith('/api/chat') && e.initiatorType === 'fetch');
    const p = posts.length ? posts[posts.length - 1] : null;
    const node = b.node;
    const rect = node ? node.getBoundingClientRect() : null;
    return {t0: b.t0, dom: b.dom, paint: b.paint, posts: posts.length,
            fetch_ms: p ? p.responseEnd - p.startTime : null,
            server_ms: p && p.responseStart > 0 && p.requestStart > 0 ? p.responseStart - p.requestStart : null,
            text: node ? node.innerText : null, height: rect ? rect.height : 0,
            status_notice: !document.querySelector('.govbot-notice').hidden
                           ? document.querySelector('.govbot-notice').innerText : ''};
  };
}
"""


def open_page(browser, base: str):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")  # a phone
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_selector(".govbot-msg.bot")  # the greeting: history read, widget ready
    page.evaluate(PROBE)
    return context, page


def ask(page, text: str) -> dict:
    """One question through the page; the in-page timings (ms) and what came back."""
    count = page.locator(".govbot-msg.bot").count()
    page.wait_for_function("!document.querySelector('.govbot-form button[type=submit]').disabled")
    page.fill(".govbot-form textarea", text)
    page.evaluate("window.__bench.arm()")
    wall_start = time.perf_counter()
    page.press(".govbot-form textarea", "Enter")
    page.wait_for_function(
        f"document.querySelectorAll('.govbot-msg.bot').length > {count} && window.__bench.paint !== null", timeout=REPLY_TIMEOUT_MS
    )
    wall_ms = (time.perf_counter() - wall_start) * 1000
    reply = page.locator(".govbot-msg.bot").nth(count)
    visible = reply.is_visible()
    page.wait_for_function("!document.querySelector('.govbot-form button[type=submit]').disabled")
    r = page.evaluate("window.__bench.result()")
    if r["t0"] is None:
        raise RuntimeError("the Enter keydown was not seen by the page")
    return {
        "text": text,
        "visible_ms": round(r["paint"] - r["t0"], 1),
        "dom_ms": round(r["dom"] - r["t0"], 1),
        "fetch_ms": None if r["fetch_ms"] is None else round(r["fetch_ms"], 1),
        "server_ms": None if r["server_ms"] is None else round(r["server_ms"], 1),
        "python_wall_ms": round(wall_ms, 1),
        "posts": r["posts"],
        "visible": bool(visible and r["height"] > 0),
        "reply": (r["text"] or "")[:160],
        "notice": r["status_notice"],
    }


# --- the run --------------------------------------------------------------------------------


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    home = HOME.resolve()
    home_info = ensure_home(home)
    rows = in_scope_questions(args.seed)
    need = args.warm_up + args.questions
    if need > len(rows):
        raise SystemExit(f"only {len(rows)} in-scope questions; asked for {need}")
    warm, measured = rows[: args.warm_up], rows[args.warm_up : need]
    stack = Stack(home, "webchat")
    results, contexts, errors = [], 0, []
    try:
        ready_s = stack.start()
        print(f"就绪（{ready_s} s）。预热 {len(warm)} 个问题，计时 {len(measured)} 个问题 …", flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context, page = open_page(browser, stack.base)
            contexts += 1
            for row in warm:
                ask(page, row["question"])
            context.close()
            context, page, in_context = *open_page(browser, stack.base), 0
            contexts += 1
            for n, row in enumerate(measured):
                if in_context >= args.session_every:
                    context.close()
                    context, page, in_context = *open_page(browser, stack.base), 0
                    contexts += 1
                time.sleep(args.pause_ms / 1000)
                try:
                    result = ask(page, row["question"])
                except Exception as exc:  # a reply that never came: counted, and the session replaced
                    errors.append({"id": row["id"], "text": row["question"], "error": f"{type(exc).__name__}: {exc}"[:300]})
                    context.close()
                    context, page, in_context = *open_page(browser, stack.base), 0
                    contexts += 1
                    continue
                result.update(id=row["id"], new_session=in_context == 0)
                results.append(result)
                in_context += 1
                if result["notice"]:  # handed to a person: the bot would stay silent in this session
                    in_context = args.session_every
                if (n + 1) % 10 == 0:
                    print(f"  {n + 1}/{len(measured)}", flush=True)
            context.close()
            browser_version = browser.version
            browser.close()
    finally:
        stack.stop()
    visible = [r["visible_ms"] for r in results]
    over = sorted((r for r in results if r["visible_ms"] > TARGET_MS), key=lambda r: -r["visible_ms"])
    server = [r["server_ms"] for r in results if r["server_ms"] is not None]
    fetch = [r["fetch_ms"] for r in results if r["fetch_ms"] is not None]
    summary = {
        "measured": len(results),
        "errors": len(errors),
        "visible_ms": latency_summary(visible) if visible else None,
        "dom_ms": latency_summary([r["dom_ms"] for r in results]) if results else None,
        "post_fetch_ms": latency_summary(fetch) if fetch else None,
        "post_server_ms": latency_summary(server) if server else None,
        "python_wall_ms": latency_summary([r["python_wall_ms"] for r in results]) if results else None,
        "over_target": len(over),
        "not_visible": sum(not r["visible"] for r in results),
        "first_turn_of_session_visible_ms": latency_summary([r["visible_ms"] for r in results if r["new_session"]])
        if any(r["new_session"] for r in results)
        else None,
    }
    summary["target_met"] = bool(visible) and not errors and summary["visible_ms"]["p95_ms"] <= TARGET_MS
    return {
        "command": args.command,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "load_avg_after": load_avg(), "browser": f"chromium {browser_version}"},
        "home": {"path": str(home), **home_info},
        "stack_ready_s": ready_s,
        "target": {"visible_p95_ms": TARGET_MS},
        "settings": {
            "questions": args.questions,
            "warm_up": args.warm_up,
            "session_every": args.session_every,
            "pause_ms": args.pause_ms,
            "seed": args.seed,
            "browser_contexts": contexts,
        },
        "summary": summary,
        "slowest": [{k: r[k] for k in ("id", "text", "visible_ms", "server_ms", "new_session")} for r in over[:10]]
        or sorted(
            ({k: r[k] for k in ("id", "text", "visible_ms", "server_ms", "new_session")} for r in results), key=lambda r: -r["visible_ms"]
        )[:5],
        "errors": errors,
        "questions": results,
    }


def markdown(result: dict) -> str:
    s = result["summary"]

    def row(name, key):
        v = s[key] or {}
        return [name, fmt(v.get("p50_ms"), 0), fmt(v.get("p95_ms"), 0), fmt(v.get("max_ms"), 0), fmt(v.get("n"))]

    rows = [
        row("send → answer visible (next frame painted)", "visible_ms"),
        row("send → answer node in the DOM", "dom_ms"),
        row("POST /api/chat, whole fetch (Resource Timing)", "post_fetch_ms"),
        row("POST /api/chat, server part (requestStart → responseStart)", "post_server_ms"),
        row("Playwright wall time (cross-check)", "python_wall_ms"),
        row("first question of a session, visible", "first_turn_of_session_visible_ms"),
    ]
    verdict = "met" if s["target_met"] else "MISSED"
    return "\n".join(
        [
            "### Web chat: send → answer visible (headless Chromium, loopback, engine warm)",
            "",
            md_table(["measure", "p50 ms", "p95 ms", "max ms", "n"], rows),
            "",
            f"Target p95 <= {result['target']['visible_p95_ms']} ms: **{verdict}**; over {TARGET_MS} ms: "
            f"{s['over_target']} of {s['measured']}; errors (no reply): {s['errors']}; replies not visible: "
            f"{s['not_visible']}. {result['settings']['browser_contexts']} browser sessions, a new one every "
            f"{result['settings']['session_every']} questions.",
            "",
            f"Command: `{result['command']}`",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--questions", type=int, default=60)
    p.add_argument("--warm-up", type=int, default=5)
    p.add_argument("--session-every", type=int, default=10, help="questions per chat session (new browser context)")
    p.add_argument("--pause-ms", type=int, default=300, help="pause before each question")
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    args.command = ".venv/bin/python -m bench.webchat" + "".join(
        f" {flag} {shlex.quote(str(value))}"
        for flag, value, default in (
            ("--questions", args.questions, 60),
            ("--warm-up", args.warm_up, 5),
            ("--session-every", args.session_every, 10),
            ("--pause-ms", args.pause_ms, 300),
            ("--seed", args.seed, 4),
            ("--out", args.out, DEFAULT_OUT),
        )
        if str(value) != str(default)
    )
    return finish(run(args), markdown, args.out)


if __name__ == "__main__":
    sys.exit(main())
