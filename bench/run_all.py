"""Run every benchmark, one after the other, and write bench/results/latest.json (+ latest.md).

    .venv/bin/python -m bench.run_all            # everything (the 100k build takes a while)
    .venv/bin/python -m bench.run_all --quick    # without the 100k index
    .venv/bin/python -m bench.run_all --torch-threads 1   # torch on one thread (steadier on a busy machine)

Each benchmark runs in its own process (never two at once), so memory and timings do not leak
from one into the next. The Markdown printed at the end is ready to paste into the README.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import ingest_rate, latency, retrieval
from bench.common import CACHE, REPO, RESULTS, machine, read_json, write_json

PY = ".venv/bin/python"  # how the commands are shown: run from the repository root


def commands(quick: bool) -> list[tuple[str, list[str]]]:
    sizes = "sample,10k" if quick else "sample,10k,100k"
    return [
        ("ingest_rate", ["-m", "bench.ingest_rate"]),
        ("retrieval", ["-m", "bench.retrieval"]),
        ("latency", ["-m", "bench.latency", "--sizes", sizes]),
    ]


def git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "knowledge", "govbot", "data"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        return rev + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_one(name: str, args: list[str]) -> tuple[dict, float]:
    out = CACHE / "tmp" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    print(f"[run_all] {name}: {PY} {' '.join(args)}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args, "--out", str(out)], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    print(f"[run_all] {name}: done in {seconds:.0f} s", file=sys.stderr, flush=True)
    return read_json(out), seconds


def markdown(results: dict) -> str:
    meta = results["meta"]
    m = meta["machine"]
    lines = [
        f"Measured {meta['finished'][:10]} at commit {meta['git']} on {m['cores']} CPU cores "
        f"(torch threads: {m['torch_threads']}, {m['torch_threads_from']}; "
        f"1-min load average at start {m['load_avg'][0]:.1f}). Reproduce with:",
        "",
        "```",
        *meta["commands"],
        "```",
        "",
    ]
    if "retrieval" in results:
        lines += [
            "### Retrieval quality",
            "",
            "Item-level recall@1 / recall@5 / MRR over in-scope questions; `ours` = the full answer pipeline "
            "(`answer.ranked_keys`); passage R@5 = a right item among the first 5 passages; OOS refused = share "
            "of out-of-scope questions answered with no_answer / refused / handoff; p50 ms = time per question "
            "in this run.",
            "",
            retrieval.markdown(results["retrieval"]),
            "",
        ]
    if "latency" in results:
        lines += [
            "### Latency and scale",
            "",
            latency.markdown(results["latency"]),
            "",
            "100k index: district copies reuse their base item's passage vectors instead of being embedded "
            "(see bench/latency.py); the build time in brackets adds the embedding that was skipped, "
            "at the rate the 10k build measured.",
            "",
        ]
    if "ingest_rate" in results:
        lines += ["### Ingestion rate", "", ingest_rate.markdown(results["ingest_rate"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="skip the 100k-passage index")
    p.add_argument("--torch-threads", type=int, help="torch intra-op threads in every benchmark process")
    p.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = p.parse_args(argv)
    if args.torch_threads:
        os.environ["BENCH_TORCH_THREADS"] = str(args.torch_threads)  # inherited by the child processes
    started = datetime.now(timezone.utc)
    env_prefix = f"BENCH_TORCH_THREADS={args.torch_threads} " if args.torch_threads else ""
    results: dict = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "git": git_revision(),
            "machine": machine(),
            "quick": args.quick,
            "commands": [f"{env_prefix}{PY} {' '.join(a)}" for _, a in commands(args.quick)],
            "run_all": f"{PY} -m bench.run_all"
            + (" --quick" if args.quick else "")
            + (f" --torch-threads {args.torch_threads}" if args.torch_threads else ""),
            "seconds": {},
        }
    }
    for name, cmd in commands(args.quick):
        results[name], seconds = run_one(name, cmd)
        results["meta"]["seconds"][name] = round(seconds)
    results["meta"]["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(args.out, results)
    text = markdown(results)
    args.out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
