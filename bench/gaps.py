"""How well the knowledge-gaps inbox groups questions: labelled inboxes, grouping against topics.

Sets (`data/gaps/`, written by helpers who saw only the knowledge bases, never the code or the
grouping's errors): `dev.jsonl` (240 questions, 50 topics; the threshold was chosen on it) and
`heldout.jsonl` (223 questions, 47 topics, another writer; read once per change, never tuned on).
Each question has the topic it is about; a good grouping puts one topic's questions together and
keeps different topics apart, also when they are phrased alike ("退休金怎么领" / "失业金怎么领").

Scores: pairwise precision / recall / F1 over all question pairs, and B-cubed F1 (per question:
how much of its group is its topic, and how much of its topic is in its group). Methods: what the
inbox does (`govbot.insights.similar.linked_groups` at `THRESHOLD`) and the greedy grouping
around a leader it replaced (at 0.93, its old threshold, and at its best threshold on dev).

    .venv/bin/python -m bench.gaps [--out FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np

from bench.common import REPO, RESULTS, SAMPLE_DIRS, CACHE, build_home, finish, md_table, open_kb

SETS = {"dev": REPO / "data" / "gaps" / "dev.jsonl", "held-out": REPO / "data" / "gaps" / "heldout.jsonl"}


def greedy_groups(vectors: np.ndarray, threshold: float) -> list[int]:
    """The grouping before: each question joins the most similar earlier group leader at or above
    the threshold, or leads a new group."""
    leaders: list[int] = []
    out: list[int] = []
    for i, vector in enumerate(vectors):
        if leaders:
            sims = vectors[leaders] @ vector
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                out.append(out[leaders[best]])
                continue
        leaders.append(i)
        out.append(len(leaders) - 1)
    return out


def scores(predicted: list[int], gold: list[str]) -> dict:
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(gold)), 2):
        same, truth = predicted[i] == predicted[j], gold[i] == gold[j]
        tp, fp, fn = tp + (same and truth), fp + (same and not truth), fn + (truth and not same)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    b_precision = b_recall = 0.0
    for i in range(len(gold)):
        group = {j for j, p in enumerate(predicted) if p == predicted[i]}
        topic = {j for j, g in enumerate(gold) if g == gold[i]}
        b_precision += len(group & topic) / len(group)
        b_recall += len(group & topic) / len(topic)
    b_precision, b_recall = b_precision / len(gold), b_recall / len(gold)
    return {
        "pair_precision": round(precision, 3),
        "pair_recall": round(recall, 3),
        "pair_f1": round(2 * precision * recall / (precision + recall) if precision + recall else 0.0, 3),
        "bcubed_f1": round(2 * b_precision * b_recall / (b_precision + b_recall), 3),
        "groups": len(set(predicted)),
        "topics": len(set(gold)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=str, default=None)
    args = ap.parse_args()

    from govbot.insights.questions import normalize_question
    from govbot.insights.similar import THRESHOLD, linked_groups

    home = CACHE / "homes" / "gaps-sample"
    if not (home / "index" / "manifest.json").exists():
        build_home(home, SAMPLE_DIRS)
    kb = open_kb(home)
    data: dict[str, list] = {}
    greedy_grid = [round(t, 2) for t in np.arange(0.88, 0.955, 0.01)]
    for name, path in SETS.items():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = [normalize_question(r["question"]) for r in rows]
        gold = [r["topic"] for r in rows]
        vectors = np.asarray(kb.embeddings.encode(texts, "query: "), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        data[name] = [
            ("average linkage (shipped)", THRESHOLD, scores(linked_groups(list(vectors), THRESHOLD), gold)),
            ("greedy around a leader (before)", 0.93, scores(greedy_groups(vectors, 0.93), gold)),
            *[("greedy around a leader", t, scores(greedy_groups(vectors, t), gold)) for t in greedy_grid],
        ]
    best_greedy = max(
        greedy_grid, key=lambda t: next(s["bcubed_f1"] for m, th, s in data["dev"] if m == "greedy around a leader" and th == t)
    )
    rows_out = []
    for name, results in data.items():
        for method, threshold, s in results:
            if method == "greedy around a leader" and threshold != best_greedy:
                continue
            label = method + (" (best on dev)" if method == "greedy around a leader" else "")
            rows_out.append(
                [
                    name,
                    label,
                    threshold,
                    s["pair_precision"],
                    s["pair_recall"],
                    s["pair_f1"],
                    s["bcubed_f1"],
                    f"{s['groups']} / {s['topics']}",
                ]
            )
    result = {
        "sets": {n: [{"method": m, "threshold": t, **s} for m, t, s in r] for n, r in data.items()},
        "best_greedy_on_dev": best_greedy,
    }
    header = ["set", "method", "threshold", "pair precision", "pair recall", "pair F1", "B-cubed F1", "groups / topics"]
    return finish(result, lambda _: md_table(header, rows_out), RESULTS / "gaps.json" if args.out is None else args.out)


if __name__ == "__main__":
    raise SystemExit(main())
