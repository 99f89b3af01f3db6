"""Helpers shared by the benchmarks: paths, homes, settings, percentiles, memory and disk use."""

from __future__ import annotations

import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
CACHE = BENCH / ".cache"  # gitignored (bench/.gitignore)
RESULTS = BENCH / "results"
EVAL = BENCH / "eval"
SEEDS_DEV = EVAL / "seeds_dev.jsonl"
SEEDS_EXTRA = EVAL / "seeds_extra.jsonl"  # written after tuning on seeds_dev: does it carry over?
SAMPLE_EVAL = EVAL / "sample_kb.jsonl"
NEAR_MISS = EVAL / "near_miss.jsonl"  # written by another hand after tuning: 70 in scope, 40 near misses
HELD_OUT = EVAL / "held_out.jsonl"  # written by another hand after all tuning: 60 in scope, 30 out
SAMPLE_KB_DIR = REPO / "data" / "kb"
SEED_DOCS_DIR = REPO / "data" / "documents"
SAMPLE_DIRS = [SAMPLE_KB_DIR, SEED_DOCS_DIR]  # what `govbot load-sample` ingests

# A settings file that does not exist: the benchmarks measure the defaults in govbot/settings.py,
# not whatever a developer's $GOVBOT_HOME/settings.toml says. Set before Settings is first built.
os.environ["GOVBOT_SETTINGS_FILE"] = str(CACHE / "no-settings.toml")


def bench_settings(home: Path):
    """Settings for a benchmark home: defaults, LLM rewrite off (no model server is assumed)."""
    from govbot.settings import Settings

    return Settings(home=Path(home), llm_enabled=False)


def configure_threads() -> None:
    """Apply $BENCH_TORCH_THREADS (set by `run_all --torch-threads N`) to torch; unset: torch's default.

    The default is what production runs with. On a busy machine torch's intra-op threads wait for
    each other and latency explodes; one thread per process is then far steadier."""
    threads = os.environ.get("BENCH_TORCH_THREADS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))


def open_kb(home: Path):
    from govbot.engine import open_knowledge

    configure_threads()
    return open_knowledge(bench_settings(home))


def fresh_dir(path: Path) -> Path:
    """An empty directory at `path` (only ever called on paths under bench/.cache)."""
    path = Path(path)
    if CACHE not in path.resolve().parents:
        raise ValueError(f"refusing to clear {path}: not under {CACHE}")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def build_home(home: Path, paths: list[Path]) -> dict:
    """A new home with `paths` ingested through `Knowledge.ingest` (the code path of `govbot ingest`)."""
    import time

    from knowledge.ingest.service import IngestOptions

    fresh_dir(home)
    kb = open_kb(home)
    start = time.perf_counter()
    report = kb.ingest(list(paths), IngestOptions(actor="bench"))
    seconds = time.perf_counter() - start
    if report.errors:
        raise RuntimeError("ingest failed: " + "; ".join(f"{f.path}: {f.reason}" for f in report.errors))
    info = {"home": str(home), "items": len(kb.index.meta), "passages": len(kb.index), "seconds": round(seconds, 1)}
    kb.close()
    return info


def load_rows(path: Path) -> list[dict]:
    from knowledge.evaluation import load_eval

    return load_eval(path)


def timing_questions(n: int = 200, seed: int = 12345) -> list[dict]:
    """`n` eval rows (both sets, out-of-scope included) in a fixed random order."""
    rows = [dict(r, eval_set="seeds_dev") for r in load_rows(SEEDS_DEV)]
    rows += [dict(r, eval_set="sample_kb") for r in load_rows(SAMPLE_EVAL)]
    random.Random(seed).shuffle(rows)
    return rows[:n]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_summary(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "max_ms": round(max(ms), 1),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def dir_size_mb(path: Path) -> float:
    path = Path(path)
    if path.is_file():
        return round(path.stat().st_size / 2**20, 1)
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return round(total / 2**20, 1)


def machine() -> dict:
    import torch

    configure_threads()
    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch_threads_from": "BENCH_TORCH_THREADS" if os.environ.get("BENCH_TORCH_THREADS") else "torch default",
        "load_avg": load_avg(),
    }


def load_avg() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the machine slows every timing here."""
    return [round(x, 2) for x in os.getloadavg()]


def write_json(path: Path, data) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.rename(path)


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def fmt(value, digits: int = 2) -> str:
    """A table cell: '-' for missing, rounded floats, thousands separators for ints."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def finish(result: dict, markdown, out: Path | None) -> int:
    """The end of every benchmark's main: write the JSON if asked, print the Markdown table."""
    if out:
        write_json(out, result)
    print(markdown(result))
    return 0


# --- web chat sessions (POST /api/chat/sessions issues the id and its token) ------------------------
CHAT_TOKENS: dict[str, str] = {}  # session id -> token, for every session a bench opened


def chat_headers(session_id: str) -> dict[str, str]:
    return {"X-Session-Token": CHAT_TOKENS[session_id]}


def _issued(response) -> str:
    response.raise_for_status()
    body = response.json()
    CHAT_TOKENS[body["session_id"]] = body["token"]
    return body["session_id"]


def open_chat(client, base: str = "") -> str:
    """A new web chat session through a sync httpx client; its token is kept for `chat_headers`."""
    return _issued(client.post(f"{base}/api/chat/sessions", timeout=60))


async def open_chat_async(http, base: str = "") -> str:
    return _issued(await http.post(f"{base}/api/chat/sessions", timeout=60))
