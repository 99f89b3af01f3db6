"""`ask` latency at three index sizes, plus index build time, index size on disk and peak memory.

Sizes (passages in the index):
    sample  the sample KB alone (data/kb + data/documents, ~1.3k passages)
    10k     the sample KB + a synthetic base set (bench/synth.py: citywide guides, Q&As and policy
            documents for 168 services not in the sample KB, recombined from sample-KB sentences)
    100k    the 10k content + district copies of the synthetic base set (11 districts)

Every home is built through the real code path: `Knowledge.ingest` on the JSON Lines and .txt
files (parse, store in SQLite, passages, BM25, e5 vectors, FAISS, save). Build time is that call's
wall time; the model load is not part of it.

Embeddings. At 10k and below every passage is embedded for real. Embedding 100k passages would
take ~40 min on this machine, so the 100k build does NOT embed the passages it can copy: the
district copy of a base item reuses, passage by passage (same item key without "~dNN", same
passage number), the vectors the 10k build computed for the base item, and the sample-KB and
base passages reuse their own 10k vectors. They go in through `DenseIndex.add(pids, texts,
vectors=...)` from inside the unchanged `HybridIndex.upsert` (the index's `dense.add` is wrapped
for the build). Passages with no vector to copy (district directory entries, document chunks a
copy has beyond its base) are embedded for real. So at 100k the dense index holds ~100k vectors
of which ~90% are exact duplicates of a base vector (the district copies differ from their base
text only by district, department, address and phone): FAISS search cost does not depend on
the values, but the reported 100k build time is without most of the embedding work. The report
gives both the measured time and an estimate with full embedding (measured time + reused
passages / the 10k build's embedding rate).

Latency: each size is built in one process and measured in another (fresh process, index
loaded from disk, model loaded, 10 warm-up questions), so peak RSS is per phase. 200 questions
drawn at random (fixed seed) from bench/eval/seeds_dev.jsonl + sample_kb.jsonl (out-of-scope
included), each asked once with `Knowledge.ask` (the in-process call the CLI and API make).
The time of the parts that depend on index size (query embedding, BM25, FAISS) is also given.
Torch runs with its default threads unless $BENCH_TORCH_THREADS is set (`run_all --torch-threads
1`): on a busy 2-core machine the default threads wait on each other and p95 goes up ~10x.

    .venv/bin/python -m bench.latency [--sizes sample,10k,100k] [--out bench/results/latency.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench import synth
from bench.common import (
    finish,
    CACHE,
    REPO,
    SAMPLE_DIRS,
    dir_size_mb,
    fmt,
    fresh_dir,
    latency_summary,
    load_avg,
    md_table,
    open_kb,
    peak_rss_mb,
    read_json,
    timing_questions,
    write_json,
)

SIZES = {"sample": 0, "10k": 10_000, "100k": 100_000}  # target passages (0: the sample KB alone)
QUESTIONS = 200
WARMUP = 10
SYNTH_BASE = CACHE / "synth" / "base"
SYNTH_VARIANTS = CACHE / "synth" / "variants"
VECTORS = CACHE / "vectors" / "kb10k.npz"  # passage vectors of the 10k build, reused at 100k


def home_of(size: str) -> Path:
    return CACHE / "homes" / f"latency-{size}"


def folder_digest(folders: list[Path]) -> str:
    """Hash of the files the base vectors were computed from (synthetic base set + sample KB)."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


class DenseAdd:
    """Wraps one index's `dense.add` for a build: times embedding, optionally copies vectors.

    `vectors` maps "<item key>#<passage number>" to a vector; a passage of a district copy
    ("...~dNN") looks up its base item's key. Without `vectors` every passage is embedded by the
    original `add`, exactly as in production."""

    def __init__(self, kb, vectors: dict[str, np.ndarray] | None = None):
        self.kb, self.vectors = kb, vectors
        self.original = kb.index.dense.add
        self.embedded = self.reused = self.calls = 0
        self.embed_seconds = 0.0
        kb.index.dense.add = self.add

    def add(self, pids: list[str], texts: list[str], vectors=None) -> None:
        self.calls += 1
        if self.vectors is None:
            start = time.perf_counter()
            self.original(pids, texts, vectors)  # embeds the texts unless given, then adds them to FAISS
            self.embed_seconds += time.perf_counter() - start
            self.embedded += len(pids)
            return
        matrix = np.zeros((len(pids), self.kb.embeddings.dim), dtype=np.float32)
        missing = []
        for row, pid in enumerate(pids):
            item_id, number = pid.split(":")
            key = synth.base_key(self.kb.index.meta[int(item_id)].key)
            vector = self.vectors.get(f"{key}#{number}")
            if vector is None:
                missing.append(row)
            else:
                matrix[row] = vector
        if missing:
            start = time.perf_counter()
            matrix[missing] = self.kb.embeddings.encode([texts[r] for r in missing], "passage: ")
            self.embed_seconds += time.perf_counter() - start
        self.embedded += len(missing)
        self.reused += len(pids) - len(missing)
        self.original(pids, texts, vectors=matrix)


def export_vectors(kb, path: Path, meta: dict) -> int:
    """Every vector of the index, keyed "<item key>#<passage number>"."""
    store = kb.index.dense.store
    count = store.index.ntotal
    matrix = store.index.reconstruct_n(0, count)
    keys = []
    for row in range(count):
        item_id, number = store.index_to_docstore_id[row].split(":")
        keys.append(f"{kb.index.meta[int(item_id)].key}#{number}")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, keys=np.array(keys), vectors=matrix, meta=np.array(json.dumps(meta)))
    return count


def load_vectors(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    data = np.load(path)
    return dict(zip(data["keys"].tolist(), data["vectors"])), json.loads(str(data["meta"]))


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def home_disk(home: Path) -> dict:
    db = sum(p.stat().st_size for p in home.glob("govbot.db*")) / 2**20
    return {"index_mb": dir_size_mb(home / "index"), "db_mb": round(db, 1)}


# --- phase 1: build (one process) -------------------------------------------------------------
def build(size: str) -> dict:
    from knowledge.ingest.service import IngestOptions

    sample = synth.sample_passages()
    paths, generated, vectors = list(SAMPLE_DIRS), {}, None
    if size in ("10k", "100k"):
        generated["base"] = synth.write_base(SYNTH_BASE, SIZES["10k"] - sample)
        paths.append(SYNTH_BASE)
    digest = folder_digest([SYNTH_BASE, *SAMPLE_DIRS]) if size != "sample" else ""
    if size == "100k":
        generated["variants"] = synth.write_variants(
            SYNTH_BASE, SYNTH_VARIANTS, SIZES["100k"] - sample - generated["base"]["passages_expected"]
        )
        paths.append(SYNTH_VARIANTS)
        if not VECTORS.exists():
            raise SystemExit(f"{VECTORS} missing: build the 10k size first (--sizes 10k,100k)")
        vectors, vmeta = load_vectors(VECTORS)
        if vmeta["digest"] != digest:
            raise SystemExit(f"{VECTORS} was computed from other files: build the 10k size again")
    home = fresh_dir(home_of(size))
    kb = open_kb(home)
    if vectors is not None and vmeta["model"] != kb.model_id:
        raise SystemExit(f"{VECTORS} was computed with another model: build the 10k size again")
    adder = DenseAdd(kb, vectors)
    start = time.perf_counter()
    report = kb.ingest(paths, IngestOptions(actor="bench"))
    seconds = time.perf_counter() - start
    if report.errors:
        raise SystemExit("ingest failed: " + "; ".join(f"{f.path}: {f.reason}" for f in report.errors))
    if adder.calls == 0:
        raise SystemExit("the index was rebuilt outside the wrapped dense.add: nothing measured")
    passages = len(kb.index)
    out = {
        "size": size,
        "passages": passages,
        "items": len(kb.index.meta),
        "files": len(report.files),
        "build_s": round(seconds, 1),
        "embed_s": round(adder.embed_seconds, 1),
        "passages_embedded": adder.embedded,
        "passages_reused_vectors": adder.reused,
        "passages_per_s": round(passages / seconds, 1),
        "embed_passages_per_s": round(adder.embedded / adder.embed_seconds, 1) if adder.embed_seconds else None,
        "generated": generated,
        "peak_rss_mb": peak_rss_mb(),
        **home_disk(home),
        "torch_threads": torch_threads(),
        "load_avg_after": load_avg(),
    }
    if size == "10k":
        export_vectors(kb, VECTORS, {"model": kb.model_id, "digest": digest, "embed_passages_per_s": out["embed_passages_per_s"]})
    if size == "100k":
        rate = vmeta["embed_passages_per_s"]
        out["estimated_build_s_full_embedding"] = round(seconds + adder.reused / rate, 1)
        out["estimate_rate_passages_per_s"] = rate
    kb.close()
    return out


# --- phase 2: query (another process) ---------------------------------------------------------
def query(size: str, n_questions: int) -> dict:
    from knowledge.evaluation import REFUSING, matches
    from knowledge.index.hybrid import lexical_tokens

    start = time.perf_counter()
    kb = open_kb(home_of(size))
    load_s = time.perf_counter() - start
    rows = timing_questions(n_questions + WARMUP)
    warmup, rows = rows[n_questions:], rows[:n_questions]
    for row in warmup:
        kb.ask(row["question"])
    ask_ms, cpu_ms, ranks, refused = [], [], [], []
    load_before = load_avg()
    for row in rows:
        start, cpu = time.perf_counter(), time.process_time()
        answer = kb.ask(row["question"])
        ask_ms.append((time.perf_counter() - start) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)  # all threads of this process
        if row.get("oos"):
            refused.append(answer.status in REFUSING)
        elif row["eval_set"] == "sample_kb":
            ranks.append(next((i for i, (k, s) in enumerate(zip(answer.ranked_keys, answer.ranked_sources), 1) if matches(row, k, s)), 0))
    parts: dict[str, list[float]] = {"embed_query": [], "bm25": [], "faiss": []}
    settings = kb.settings
    for row in rows:
        t0 = time.perf_counter()
        vector = kb.embeddings.encode([row["question"]], "query: ")[0]
        t1 = time.perf_counter()
        kb.index.lexical.search(lexical_tokens(row["question"]), settings.lexical_candidates)
        t2 = time.perf_counter()
        kb.index.dense.search(vector, settings.dense_candidates)
        t3 = time.perf_counter()
        parts["embed_query"].append((t1 - t0) * 1000)
        parts["bm25"].append((t2 - t1) * 1000)
        parts["faiss"].append((t3 - t2) * 1000)
    out = {
        "size": size,
        "passages": len(kb.index),
        "load_s": round(load_s, 1),
        "ask": latency_summary(ask_ms),
        "ask_cpu": latency_summary(cpu_ms),
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
        "torch_threads": torch_threads(),
        "parts": {name: latency_summary(ms) for name, ms in parts.items()},
        "sample_kb_in_scope": len(ranks),
        "sample_kb_recall@1": round(sum(r == 1 for r in ranks) / len(ranks), 3) if ranks else None,
        "oos": len(refused),
        "oos_refusal_rate": round(sum(refused) / len(refused), 3) if refused else None,
        "peak_rss_mb": peak_rss_mb(),
    }
    kb.close()
    return out


# --- orchestration ------------------------------------------------------------------------------
def _child(phase: str, size: str, n_questions: int) -> dict:
    out = CACHE / "tmp" / f"latency-{phase}-{size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.latency", "--phase", phase, "--size", size, "--questions", str(n_questions), "--out", str(out)]
    print(f"[latency] {phase} {size} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True)
    print(f"[latency] {phase} {size} done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return read_json(out)


def run(sizes: list[str], n_questions: int = QUESTIONS) -> dict:
    results = {}
    for size in sizes:
        results[size] = {
            "load_avg_before": load_avg(),
            "build": _child("build", size, n_questions),
            "query": _child("query", size, n_questions),
        }
    return {"questions": n_questions, "warmup": WARMUP, "sizes": results}


def markdown(result: dict) -> str:
    lat_header = [
        "index",
        "passages",
        "ask p50 ms",
        "ask p95 ms",
        "CPU ms/ask p50",
        "embed query p50 ms",
        "BM25 p50 ms",
        "FAISS p50 ms",
        "R@1 (sample_kb qs)",
        "OOS refused",
        "load avg",
    ]
    build_header = [
        "index",
        "passages",
        "items",
        "build s",
        "passages embedded / vectors reused",
        "index MB",
        "SQLite MB",
        "peak RSS build MB",
        "peak RSS query MB",
        "open s (model + index)",
    ]
    lat_rows, build_rows = [], []
    for size, r in result["sizes"].items():
        b, q = r["build"], r["query"]
        lat_rows.append(
            [
                size,
                fmt(b["passages"]),
                fmt(q["ask"]["p50_ms"], 0),
                fmt(q["ask"]["p95_ms"], 0),
                fmt(q["ask_cpu"]["p50_ms"], 0),
                fmt(q["parts"]["embed_query"]["p50_ms"], 1),
                fmt(q["parts"]["bm25"]["p50_ms"], 1),
                fmt(q["parts"]["faiss"]["p50_ms"], 1),
                fmt(q["sample_kb_recall@1"]),
                fmt(q["oos_refusal_rate"]),
                f"{q['load_avg_before'][0]:.1f}→{q['load_avg_after'][0]:.1f}",
            ]
        )
        build_s = fmt(b["build_s"], 0)
        if "estimated_build_s_full_embedding" in b:
            build_s += f" (≈{fmt(b['estimated_build_s_full_embedding'], 0)} with full embedding)"
        build_rows.append(
            [
                size,
                fmt(b["passages"]),
                fmt(b["items"]),
                build_s,
                f"{fmt(b['passages_embedded'])} / {fmt(b['passages_reused_vectors'])}",
                fmt(b["index_mb"], 0),
                fmt(b["db_mb"], 0),
                fmt(b["peak_rss_mb"], 0),
                fmt(q["peak_rss_mb"], 0),
                fmt(q["load_s"], 1),
            ]
        )
    first = next(iter(result["sizes"].values()))["query"] if result["sizes"] else {}
    note = (
        f"{result['questions']} questions ({first.get('oos', '-')} out of scope), {result['warmup']} warm-up, "
        f"`Knowledge.ask` in-process, torch threads {first.get('torch_threads', '-')}. CPU ms/ask = process CPU "
        f"time per ask (all threads). R@1 over the {first.get('sample_kb_in_scope', '-')} in-scope sample_kb "
        f"questions among them (indicative at 10k/100k: the synthetic content is recombined from the sample "
        f"KB). Load avg = 1-min load average before→after the timed questions."
    )
    return "\n\n".join([md_table(lat_header, lat_rows), md_table(build_header, build_rows), note])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="sample,10k,100k", help="comma-separated, from: " + ", ".join(SIZES))
    p.add_argument("--questions", type=int, default=QUESTIONS)
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    p.add_argument("--phase", choices=["build", "query"], help=argparse.SUPPRESS)  # internal: one child process
    p.add_argument("--size", choices=list(SIZES), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.phase:
        result = build(args.size) if args.phase == "build" else query(args.size, args.questions)
        write_json(args.out, result)
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        p.error(f"unknown size(s): {', '.join(unknown)}")
    result = run([s for s in SIZES if s in sizes], args.questions)
    return finish(result, markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
