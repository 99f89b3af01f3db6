"""Where the reader's wrong answers come from, and what each kind of them costs (development set only).

The answer decision keeps wrong answers (answered near misses, answered ambiguous questions,
in-scope answers without the fact) at 5% of all questions; whichever kind of wrong answer is
most common sets how high the thresholds must be, and so how many in-scope questions go
unanswered. This bench says which kind it is, per knowledge base, so that work goes where the
loss is: every development question is asked once with no threshold (the ask-back still asks),
and the answers are counted per threshold (one for all kinds of item; the model's own per-kind
operating point in the first row) as right (in scope, the fact stated, in other words too),
ambiguous answered, near misses answered (by kind), in scope without the fact, missing fields
answered. "Without ambiguous" is the wrong-answer rate if every ambiguous question were asked back
or refused: the ceiling a perfect ask-back would give. For an ambiguous question answered, the
services among its first four candidates say whether the ask-back even had two choices to offer.

Only `data/reader/dev` (other writers, looked at freely): the held-out sets are never asked here,
as a list of a set's errors is exactly what must not be seen before it is read.

    .venv/bin/python -m bench.reader_losses [--homes DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bench.common import RESULTS, finish, md_table, open_kb
from bench.reader import HOMES, KB_HOMES, home_for
from knowledge.answer.types import AnswerStatus
from knowledge.evaluation import evaluate
from knowledge.reader.choices import CLARIFY_DEPTH
from knowledge.reader.data import DEV, read_folder
from knowledge.reader.train import MAX_WRONG

GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def _row(kb, labelled, result_row, answer) -> dict:
    index = kb.index
    meta = index.meta.get(index.item_id(answer.item_key)) if answer.item_key else None
    ids = [(k, index.item_id(k)) for k in answer.ranked_keys[:CLARIFY_DEPTH]]  # the candidates choices come from
    services = {index.service_of(i) or k for k, i in ids if i is not None}
    return {
        "label": labelled.label,
        "near_kind": labelled.near_kind,
        "answered": answer.status == AnswerStatus.ANSWERED,
        "confidence": answer.confidence,
        "kind": meta.kind if meta is not None else "",
        "right": labelled.label == "answer" and bool(result_row["fact_words"]),
        "services": len(services),
    }


def collect(kb, rows: list) -> list[dict]:
    answers = []

    def answer(question: str):
        answers.append(kb.pipeline.answer(question, threshold=0.0))
        return answers[-1]

    result = evaluate(answer, [r.eval_row() for r in rows])
    return [_row(kb, lab, res, ans) for lab, res, ans in zip(rows, result.rows, answers)]


def _class(r: dict) -> str:
    if r["label"] == "answer":
        return "right" if r["right"] else "in_scope_without_fact"
    return r["label"]  # near_miss, ambiguous, field_missing


def count(rows: list[dict], bar) -> dict:
    """The answers given at `bar(kind)`, by class, and the rates over all questions."""
    answered = [r for r in rows if r["answered"] and r["confidence"] >= bar(r["kind"])]
    by = Counter(_class(r) for r in answered)
    n, in_scope = len(rows), sum(r["label"] == "answer" for r in rows)
    wrong = len(answered) - by["right"]
    return {
        "right": by["right"],
        "right_share": round(by["right"] / max(1, in_scope), 4),
        "ambiguous": by["ambiguous"],
        "near_miss": by["near_miss"],
        "near_miss_by_kind": dict(Counter(r["near_kind"] or "?" for r in answered if r["label"] == "near_miss")),
        "in_scope_without_fact": by["in_scope_without_fact"],
        "field_missing": by["field_missing"],
        "wrong_rate": round(wrong / max(1, n), 4),
        "wrong_rate_without_ambiguous": round((wrong - by["ambiguous"]) / max(1, n), 4),
        "ambiguous_one_service": sum(r["label"] == "ambiguous" and r["services"] < 2 for r in answered),
    }


def summarise(rows: list[dict], thresholds: dict[str, float]) -> dict:
    table = {"operating point": count(rows, lambda kind: thresholds.get(kind, thresholds[""]))}
    table.update({f"{t:.2f}": count(rows, lambda kind, t=t: t) for t in GRID})
    within = [(k, v) for k, v in table.items() if k != "operating point" and v["wrong_rate"] <= MAX_WRONG]
    ceiling = [(k, v) for k, v in table.items() if k != "operating point" and v["wrong_rate_without_ambiguous"] <= MAX_WRONG]
    best = lambda pairs: max(pairs, key=lambda kv: kv[1]["right_share"])[0] if pairs else None  # noqa: E731
    return {
        "questions": len(rows),
        "by_label": dict(Counter(r["label"] for r in rows)),
        "table": table,
        "best_single_threshold": best(within),
        "best_single_threshold_without_ambiguous": best(ceiling),
    }


def run(homes: Path | None) -> dict:
    labelled = read_folder(DEV)
    out = {}
    kbs = {name: open_kb(home_for(name, homes)) for name in HOMES}
    try:
        out["reader"] = kbs["sample"].reader.version
        for kb_name, home in KB_HOMES:
            rows = [r for r in labelled if r.kb == kb_name]
            kb = kbs[home]
            out[kb_name] = summarise(collect(kb, rows), kb.reader.thresholds)
    finally:
        for kb in kbs.values():
            kb.close()
    return out


def markdown(result: dict) -> str:
    header = ["knowledge base", "threshold", "in scope right", "wrong", "wrong without ambiguous"]
    header += ["ambiguous (one service)", "near misses", "in scope without the fact", "missing fields"]
    lines = [f"Reader {result['reader']}, development set: answers by kind of wrong answer (bench.reader_losses)", ""]
    rows = []
    for kb_name in ("sample", "seeds", "guangdong"):
        s = result[kb_name]
        for t, c in s["table"].items():
            rows.append(
                [
                    kb_name,
                    t,
                    f"{c['right_share']:.2f} ({c['right']})",
                    f"{c['wrong_rate']:.3f}",
                    f"{c['wrong_rate_without_ambiguous']:.3f}",
                    f"{c['ambiguous']} ({c['ambiguous_one_service']})",
                    c["near_miss"],
                    c["in_scope_without_fact"],
                    c["field_missing"],
                ]
            )
    lines.append(md_table(header, rows))
    lines.append("")
    for kb_name in ("sample", "seeds", "guangdong"):
        s = result[kb_name]
        for key, title in (
            ("best_single_threshold", "within 5%"),
            ("best_single_threshold_without_ambiguous", "within 5% if no ambiguous question were answered"),
        ):
            t = s[key]
            share = s["table"][t]["right_share"] if t else None
            lines.append(f"- {kb_name}: best single threshold {title}: {t} (in scope right {share})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--homes", type=Path, help="a GOVBOT_HOME where `govbot train-reader` built the knowledge bases")
    p.add_argument("--out", type=Path, default=RESULTS / "reader_losses.json")
    args = p.parse_args(argv)
    return finish(run(args.homes), markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
