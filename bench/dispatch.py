"""Dispatch (派单) on texts written by other hands: the shipped model against the sample directory.

Set: `data/dispatch/heldout/DH1.jsonl` (328 texts: operators' notes and citizens' messages, every
directory entry, greetings; written by a helper who saw only the knowledge base and the brief,
before the model existed; never tuned on). A text is dispatched right when the model's department
is the labelled one at or above its threshold (a greeting: nothing dispatched); below the
threshold the case goes to the hotline centre with candidates, counted as not dispatched.

    .venv/bin/python -m bench.dispatch [--set FILE] [--out FILE]

(`--set data/dispatch/heldout/DH2.jsonl --out bench/results/dispatch_dh2.json` for the second set.)
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.common import REPO, RESULTS, configure_threads, finish, latency_summary, md_table

HELDOUT = REPO / "data" / "dispatch" / "heldout" / "DH1.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=lambda p: Path(p).resolve(), default=HELDOUT)
    ap.add_argument("--out", type=str, default=None)
    args = ap.parse_args()
    configure_threads()

    from govbot.settings import Settings
    from knowledge.answer.pipeline import fallback_department
    from knowledge.dispatch.decide import dispatch, read_directory
    from knowledge.dispatch.model import NONE, DispatchModel
    from knowledge.embeddings import load_embeddings
    from knowledge.pii import redact
    from knowledge.text import normalize

    settings = Settings()
    directory = read_directory(REPO / "data" / "kb" / "hotline.jsonl")
    model = DispatchModel.load()
    embeddings = load_embeddings(str(settings.model_dir), settings.embed_batch_size)
    centre = fallback_department(settings.hotline_number)
    texts = [json.loads(line) for line in args.set.read_text(encoding="utf-8").splitlines() if line.strip()]
    outcomes, ms = [], []
    for row in texts:
        start = time.perf_counter()
        clean = normalize(redact(row["text"])).strip()
        vector = embeddings.encode([clean], "query: ")[0]
        decided = dispatch(model, directory, clean, vector, settings.hotline_number, centre)
        ms.append((time.perf_counter() - start) * 1000)
        probabilities = model.probabilities(clean, vector)
        first = max(probabilities, key=probabilities.get)
        dispatched = decided.key != "" and decided.probability is not None and decided.probability >= model.threshold
        outcomes.append(
            {
                "text": row["text"],
                "kind": row.get("kind", ""),
                "voice": row.get("voice", ""),
                "label": row["department"],
                "first": first,
                "decided": decided.key or "centre",
                "dispatched": dispatched,
                "right": dispatched and decided.key == row["department"],
                "probability": decided.probability,
            }
        )

    def summary(group: list[dict]) -> dict:
        n = len(group)
        sent = [o for o in group if o["dispatched"]]
        return {
            "texts": n,
            "right_first": round(sum(o["first"] == o["label"] for o in group) / n, 3),
            "dispatched": round(len(sent) / n, 3),
            "right_when_dispatched": round(sum(o["right"] for o in sent) / len(sent), 3) if sent else None,
            "right_overall": round(sum(o["right"] for o in group) / n, 3),
        }

    by = {"all": summary(outcomes)}
    for field in ("kind", "voice"):
        groups = defaultdict(list)
        for o in outcomes:
            groups[o[field]].append(o)
        for name, group in sorted(groups.items()):
            by[f"{field}: {name}"] = summary(group)
    greetings = [o for o in outcomes if o["label"] == NONE]
    result = {
        "model": model.version,
        "threshold": model.threshold,
        "set": str(args.set.relative_to(REPO)),
        "summary": by,
        "greetings_not_dispatched": round(sum(o["decided"] == NONE for o in greetings) / len(greetings), 3) if greetings else None,
        "latency_ms": latency_summary(ms),
        "wrong": [o for o in outcomes if o["dispatched"] and not o["right"]],
        "mean_probability": float(np.mean([o["probability"] or 0 for o in outcomes])),
    }

    def markdown(r: dict) -> str:
        header = ["texts", "n", "right first", "dispatched", "right when dispatched", "right overall"]
        rows_ = [
            [k, v["texts"], v["right_first"], v["dispatched"], v["right_when_dispatched"], v["right_overall"]]
            for k, v in r["summary"].items()
        ]
        return (
            md_table(header, rows_)
            + f"\n\nmodel {r['model']}, threshold {r['threshold']:.2f}; greetings not dispatched {r['greetings_not_dispatched']}; "
            + f"p50 / p95 {r['latency_ms']['p50_ms']} / {r['latency_ms']['p95_ms']} ms"
        )

    return finish(result, markdown, RESULTS / "dispatch.json" if args.out is None else args.out)


if __name__ == "__main__":
    raise SystemExit(main())
