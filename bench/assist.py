"""Operator assist on caller notes (issue 19): is the right item among the top three suggestions,
and does the top suggestion state the fact?

    .venv/bin/python -m bench.assist [--set dev|heldout] [--out bench/results/assist-<set>.json]

Notes: `data/assist/<set>/*.jsonl` (`data/assist/README.md`): what an operator types during a call,
labelled with the entry that answers it, its field and the exact words that state the fact
(`answer`), or `near_miss` (sounds covered, no entry answers it). Each note goes to the engine as
`POST /api/assist` sends it (`Knowledge.suggest`, three suggestions) on the sample KB's bench home.
- **top 3**: the labelled entry is among the three suggestions (**... or one stating the fact**:
  or a suggestion states it in other words, as below);
- **top states the fact**: the first suggestion's text holds `answer_span` (whitespace and width
  folded); **... or in other words**: or it holds every number of the span and 60% of its
  character pairs (`knowledge.text.states_fact`: the writer copied the span from one entry, and a Q&A of the same
  service often states the same fact in its own words); **fact led**: its lead (`knowledge/answer/lead.py`) holds it, the fact shown first;
- **near misses answered**: the share of near misses the chat itself would answer (`Knowledge.ask`),
  i.e. shown to the operator as a sure answer.
Targets (issue 19): top suggestion states the fact >= 0.75, right item in the top 3 >= 0.90.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from bench.common import RESULTS, finish, fmt, md_table, open_kb
from bench.reader import home_for
from knowledge.answer.types import AnswerStatus
from knowledge.text import folded as _norm, states_fact

REPO = Path(__file__).resolve().parent.parent
NOTES = REPO / "data" / "assist"


def read_notes(which: str) -> list[dict]:
    rows = []
    for path in sorted((NOTES / which).glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def score(kb, row: dict) -> dict:
    suggestions = kb.suggest(row["note"], 3)
    keys = [s.item_key for s in suggestions]
    out = {"style": row["style"], "label": row["label"], "top_keys": keys}
    if row["label"] == "answer":
        span = _norm(row["answer_span"])
        top = suggestions[0] if suggestions else None
        out.update(
            top3=row["item"] in keys,
            top1=bool(keys) and keys[0] == row["item"],
            fact=top is not None and span in _norm(top.answer),
            same_fact=top is not None and states_fact(row["answer_span"], top.answer),
            top3_fact=any(s.item_key == row["item"] or states_fact(row["answer_span"], s.answer) for s in suggestions),
            led=top is not None and bool(top.lead) and span in _norm(top.lead),
        )
    else:
        out["answered"] = kb.ask(row["note"], channel="bench").status == AnswerStatus.ANSWERED
    return out


def summarise(scored: list[dict]) -> dict:
    answers = [s for s in scored if s["label"] == "answer"]
    misses = [s for s in scored if s["label"] == "near_miss"]

    def share(rows, key):
        return sum(r[key] for r in rows) / len(rows) if rows else None

    return {
        "notes": len(answers),
        "top3": share(answers, "top3"),
        "top1_item": share(answers, "top1"),
        "top3_fact": share(answers, "top3_fact"),
        "top_fact": share(answers, "fact"),
        "top_same_fact": share(answers, "same_fact"),
        "fact_led": share(answers, "led"),
        "near_misses": len(misses),
        "near_misses_answered": share(misses, "answered"),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dev", choices=["dev", "heldout"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    kb = open_kb(home_for("sample", None))
    scored = [score(kb, row) for row in read_notes(args.set)]
    by_style = defaultdict(list)
    for s in scored:
        by_style[s["style"]].append(s)
    result = {"set": args.set, "all": summarise(scored), "by_style": {k: summarise(v) for k, v in sorted(by_style.items())}}

    def markdown(res: dict) -> str:
        rows = [["all", *_cells(res["all"])]] + [[k, *_cells(v)] for k, v in res["by_style"].items()]
        return md_table(
            [
                "style",
                "notes",
                "right item in top 3",
                "... or one stating the fact",
                "top is the right item",
                "top states the fact",
                "... or in other words",
                "fact led",
                "near misses",
                "near misses answered",
            ],
            rows,
        )

    return finish(result, markdown, args.out or RESULTS / f"assist-{args.set}.json")


def _cells(v: dict) -> list:
    return [
        v["notes"],
        fmt(v["top3"]),
        fmt(v["top3_fact"]),
        fmt(v["top1_item"]),
        fmt(v["top_fact"]),
        fmt(v["top_same_fact"]),
        fmt(v["fact_led"]),
        v["near_misses"],
        fmt(v["near_misses_answered"]),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
