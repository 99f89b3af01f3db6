"""Follow-ups answered in context (issue 18): does the last answer of a dialogue state the fact the
citizen asked for?

    .venv/bin/python -m bench.followups [--set heldout|dev|train|all] [--kb sample] [--out bench/results/followups.json]

Dialogues: `data/dialogues/{train,dev,heldout}/*.jsonl` (`data/dialogues/README.md`): the citizen's
earlier turns, the follow-up, and the KB entry, field and exact text (`answer_span`) that answer it.
Each dialogue runs through the engine as the chat's action does (`actions/answer.py`): every turn
is asked with the service under discussion (`context_key`), which an answered turn sets to the
item it answered from, and after a clarify with the question asked back about (`pending`), which a
typed reply completes. When an earlier turn is asked back about and one of the choices offered is
the dialogue's service, the citizen presses it, as in the chat (the writers assumed every earlier
turn was answered; a citizen shown the right service among the choices picks it); `--typed`
replays the turns as typed only, no choice pressed (before 2026-12-05 the only replay). The
follow-up's answer is:
- **right** when it is answered and states `answer_span` (whitespace and width folded);
- **refused** when it is not answered (no answer, clarify, handoff);
- **wrong item** when it answers from another item than the labelled one;
- **wrong field** when it answers from the labelled item without the fact;
- **... or in other words** (a column beside them): right, or answered with every number of the
  span and 60% of its character pairs (`knowledge.text.states_fact`: a guide and a Q&A of one service
  often state one fact in their own words).
Knowledge bases: the sample KB and the Guangdong guides, the homes `bench.reader` builds
(bench/.cache/homes/reader-*; the first run builds the Guangdong one, ~12 minutes).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from bench.common import RESULTS, finish, fmt, md_table, open_kb
from bench.reader import home_for
from knowledge.answer.types import AnswerStatus
from knowledge.cases import situation_of
from knowledge.text import folded as _norm, states_fact

REPO = Path(__file__).resolve().parent.parent
DIALOGUES = REPO / "data" / "dialogues"
DEFAULT_OUT = RESULTS / "followups.json"
OUTCOMES = ("right", "refused", "wrong item", "wrong field")


def read_dialogues(which: str) -> list[dict]:
    folders = ["train", "dev", "heldout"] if which == "all" else [which]
    rows = []
    for folder in folders:
        for path in sorted((DIALOGUES / folder).glob("*.jsonl")):
            rows += [dict(json.loads(line), set=folder) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def outcome(answer, row: dict) -> str:
    if answer.status != AnswerStatus.ANSWERED:
        return "refused"
    if _norm(row["answer_span"]) in _norm(answer.answer):
        return "right"
    return "wrong field" if answer.item_key == row["item"] else "wrong item"


class Pressing:
    """The choice a citizen who means one item's service presses when a message is asked back
    about (`Knowledge.state_for(choose=)`): the option of that service (the item itself, or another
    item of its service), else none. `pressed` counts the choices pressed."""

    def __init__(self, index, item_key: str):
        self.index, self.item_key, self.pressed = index, item_key, 0
        item = index.item_id(item_key)
        self.service = index.service_of(item) if item is not None else None

    def __call__(self, answer) -> str:
        for option in answer.options:
            option_id = self.index.item_id(option.key)
            same = self.service is not None and option_id is not None and self.index.service_of(option_id) == self.service
            if option.key == self.item_key or same:
                self.pressed += 1
                return option.key
        return ""


def run_dialogue(kb, row: dict, typed: bool = False) -> dict:
    """The turns as the chat asks them, the service under discussion carried from answer to answer."""
    choose = None if typed else Pressing(kb.index, row["item"])
    context, pending = kb.state_for(row["turns"], choose=choose)  # carried as the chat's action carries them
    situation = situation_of(row["turns"])  # what the citizen said of themselves, as the chat reads it
    last = kb.ask(row["question"], context_key=context, pending=pending, situation=situation, channel="bench")
    return {
        "id": row["id"],
        "set": row["set"],
        "kb": row["kb"],
        "kind": row.get("kind", ""),
        "style": row.get("style", ""),
        "outcome": outcome(last, row),
        "other_words": last.status == AnswerStatus.ANSWERED and states_fact(row["answer_span"], last.answer),
        "context_right": context == row["item"],
        "after_clarify": bool(pending),
        "pressed": choose.pressed if choose else 0,  # choices pressed on earlier turns
        "status": last.status.value,
        "answered_from": last.item_key,
        "question": row["question"],
    }


def summary(results: list[dict]) -> dict:
    def share(rows: list[dict]) -> dict:
        counts = Counter(r["outcome"] for r in rows)
        if not rows:
            return {"n": 0}
        shares = {o: round(counts[o] / len(rows), 3) for o in OUTCOMES}
        return {"n": len(rows), **shares, "other_words": round(sum(r["other_words"] for r in rows) / len(rows), 3)}

    out: dict = {}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in results:
        groups[(r["set"], r["kb"])].append(r)
        groups[(r["set"], "all")].append(r)
    for (which, kb), rows in sorted(groups.items()):
        kinds = defaultdict(list)
        for r in rows:
            kinds[r["kind"]].append(r)
        out[f"{which}/{kb}"] = {**share(rows), "by_kind": {k: share(v) for k, v in sorted(kinds.items())}}
    return out


def run(which: str, kbs: list[str] | None = None, typed: bool = False) -> dict:
    rows = [r for r in read_dialogues(which) if not kbs or r["kb"] in kbs]
    results = []
    for name in sorted({r["kb"] for r in rows}):
        kb = open_kb(home_for(name, None))
        mine = [r for r in rows if r["kb"] == name]
        print(f"{name}: {len(mine)} dialogues …", flush=True)
        results += [run_dialogue(kb, r, typed) for r in mine]
        kb.close()
    return {"summary": summary(results), "dialogues": results}


def markdown(result: dict) -> str:
    rows = []
    for name, s in result["summary"].items():
        rows.append([name, s["n"]] + [fmt(s.get(o)) for o in OUTCOMES] + [fmt(s.get("other_words"))])
    kinds = []
    for name, s in result["summary"].items():
        if name.endswith("/all"):
            for kind, k in s["by_kind"].items():
                kinds.append([name, kind, k["n"]] + [fmt(k.get(o)) for o in OUTCOMES] + [fmt(k.get("other_words"))])
    header = ["set / knowledge base", "follow-ups", "fact stated", "refused", "wrong item", "wrong field", "... or in other words"]
    return md_table(header, rows) + "\n\n" + md_table(["set", "kind"] + header[1:], kinds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="all", choices=["train", "dev", "heldout", "all"])
    parser.add_argument("--kb", action="append", choices=["sample", "guangdong"], help="only these knowledge bases (repeat)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--typed", action="store_true", help="no choice pressed when a turn is asked back about")
    args = parser.parse_args(argv)
    return finish(run(args.set, args.kb, args.typed), markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
