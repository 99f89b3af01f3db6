"""Ingestion rate on the sample KB: the whole pipeline, and pure embedding.

whole pipeline  `Knowledge.ingest` of data/kb + data/documents into an empty home (what
                `govbot load-sample` does): read and parse the files, clean the documents,
                store items in SQLite, cut passages, BM25, e5 embedding, FAISS, save the index.
                Passages/s = passages in the index / wall time of that call (model already loaded).
                The split into its stages comes from the progress callbacks `ingest` offers:
                files done (parse + store), passages indexed (BM25 + embed + FAISS), the rest (save).
pure embedding  `E5Embeddings.encode(texts, "passage: ")` on the same passage texts, in the
                batch size of the settings: the ceiling for the whole pipeline.

.venv/bin/python -m bench.ingest_rate [--out bench/results/ingest_rate.json]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.common import finish, CACHE, SAMPLE_DIRS, fmt, fresh_dir, load_avg, md_table, open_kb, peak_rss_mb


class StageClock:
    """Progress hooks for `Knowledge.ingest` that note when each stage ends."""

    def __init__(self):
        self.files_done_at = None  # last file parsed and stored
        self.indexed_at = None  # last passage batch indexed
        self.total = 0

    def file_done(self, n: int = 1) -> None:
        self.files_done_at = time.perf_counter()

    # the index progress is tqdm-like: `total` is set, then refresh() and update(n)
    def refresh(self) -> None:
        pass

    def update(self, n: int) -> None:
        self.indexed_at = time.perf_counter()


def run() -> dict:
    from knowledge.ingest.service import IngestOptions, expand_paths

    home = fresh_dir(CACHE / "homes" / "ingest-rate")
    load_start = time.perf_counter()
    kb = open_kb(home)
    model_load_s = time.perf_counter() - load_start
    files = expand_paths(SAMPLE_DIRS)
    clock = StageClock()
    load_before = load_avg()
    start = time.perf_counter()
    report = kb.ingest(files, IngestOptions(actor="bench"), progress=clock.file_done, index_progress=clock)
    end = time.perf_counter()
    if report.errors:
        raise SystemExit("ingest failed: " + "; ".join(f"{f.path}: {f.reason}" for f in report.errors))
    passages = len(kb.index)
    seconds = end - start
    whole = {
        "files": len(files),
        "items": len(kb.index.meta),
        "passages": passages,
        "seconds": round(seconds, 1),
        "passages_per_s": round(passages / seconds, 1),
        "stages_s": {
            "parse_and_store": round(clock.files_done_at - start, 1),
            "index_bm25_embed_faiss": round(clock.indexed_at - clock.files_done_at, 1),
            "save": round(end - clock.indexed_at, 1),
        },
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
    }

    texts = [p.index_text for p in kb.index.passages.values()]
    kb.embeddings.encode(texts[:32], "passage: ")  # warm-up
    load_before = load_avg()
    start = time.perf_counter()
    kb.embeddings.encode(texts, "passage: ")
    seconds = time.perf_counter() - start
    chars = sum(len(t) for t in texts)
    embed = {
        "passages": len(texts),
        "seconds": round(seconds, 1),
        "passages_per_s": round(len(texts) / seconds, 1),
        "mean_chars_per_passage": round(chars / len(texts)),
        "batch_size": kb.embeddings.batch_size,
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
    }
    kb.close()
    return {"model_load_s": round(model_load_s, 1), "whole_pipeline": whole, "pure_embedding": embed, "peak_rss_mb": peak_rss_mb()}


def markdown(result: dict) -> str:
    w, e = result["whole_pipeline"], result["pure_embedding"]
    stages = w["stages_s"]
    rows = [
        [
            "whole pipeline (`Knowledge.ingest`, sample KB)",
            fmt(w["passages"]),
            fmt(w["seconds"], 1),
            fmt(w["passages_per_s"], 1),
            f"parse+store {stages['parse_and_store']:.1f} s, index {stages['index_bm25_embed_faiss']:.1f} s, "
            f"save {stages['save']:.1f} s; load avg {w['load_avg_before'][0]:.1f}",
        ],
        [
            'pure embedding (`encode(…, "passage: ")`)',
            fmt(e["passages"]),
            fmt(e["seconds"], 1),
            fmt(e["passages_per_s"], 1),
            f"batch {e['batch_size']}, {e['mean_chars_per_passage']} chars/passage; load avg {e['load_avg_before'][0]:.1f}",
        ],
    ]
    return md_table(["what", "passages", "seconds", "passages/s", "detail"], rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    result = run()
    return finish(result, markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
