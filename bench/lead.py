"""The sentence that applies (issue 18.2, `knowledge/answer/lead.py`): when the labelled Q&A answer
has several sentences, does the sentence the answer would lead with state the fact?

    .venv/bin/python -m bench.lead [--sets train,dev] [--kb sample] [--all-kinds] [--sweep]
                                   [--out bench/results/lead.json]

Rows: every `answer` row whose labelled unit (the Q&A's answer; with `--all-kinds` the guide's field
too, which the pipeline does not lead) has at least two sentences, from the follow-up
dialogues (`data/dialogues/<set>`, asked in the context the chat carries; `situation` marks the ones
whose answer depends on what the citizen said of themselves) and the reader's questions
(`data/reader/written` for train, `dev` for dev). Each question goes through the engine
(`AnswerPipeline.run`, threshold 0) and the sentence model scores the labelled unit's sentences, so
that this measures the choice of sentence alone, whatever item the engine answered with. A lead is
**right** when it and the labelled `answer_span` overlap (one holds the other); **led** is the share
of rows given a lead. `--sweep` prints the table over the lead's two parameters. The held-out sets
are not read here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import RESULTS, finish, fmt, md_table, open_kb
from bench.followups import read_dialogues
from bench.reader import home_for
from knowledge.answer.lead import LEAD_CHANCE, LEAD_RATIO, pick, sentence_chances
from knowledge.text import folded as _norm

REPO = Path(__file__).resolve().parent.parent
READER = REPO / "data" / "reader"
KB_FILES = {"sample": sorted((REPO / "data" / "kb").glob("*.jsonl")), "guangdong": [READER / "kb" / "guangdong.jsonl"]}
DEFAULT_OUT = RESULTS / "lead.json"


def unit_texts(kb: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(item key, field) -> (the unit's text, the item's title)."""
    out = {}
    for path in KB_FILES[kb]:
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("kind") == "qa":
                out[(item["key"], "answer")] = (item["answer"], item["question"])
            elif item.get("kind") == "guide":
                for name, text in item["fields"].items():
                    out[(item["key"], name)] = (text or "", item["title"])
    return out


def reader_rows(which: str) -> list[dict]:
    folder = {"train": "written", "dev": "dev"}[which]
    rows = []
    for path in sorted((READER / folder).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("label") == "answer" and row.get("kb") in KB_FILES:
                rows.append(dict(row, set=which, source="reader", turns=[]))
    return rows


def dialogue_rows(which: str) -> list[dict]:
    return [dict(r, source="dialogue") for r in read_dialogues(which)]


def overlaps(lead: str, span: str) -> bool:
    a, b = _norm(lead), _norm(span)
    return bool(a and b) and (b in a or a in b)


def score_rows(rows: list[dict], all_kinds: bool = False) -> list[dict]:
    out = []
    kbs = {}
    units = {}
    for row in rows:
        name = row["kb"]
        if name not in kbs:
            kbs[name], units[name] = open_kb(home_for(name, None)), unit_texts(name)
        text, title = units[name].get((row["item"], row.get("field") or ""), ("", ""))
        if row.get("field") != "answer" and not all_kinds:
            continue  # a guide's field: the pipeline leads Q&A answers only
        kb = kbs[name]
        context = kb.context_for(row["turns"]) if row["turns"] else ""
        _answer, turn = kb.pipeline.run(row["question"], context_key=context, threshold=0.0)
        parts, chances = sentence_chances(turn, text, title, kb.index, kb.pipeline.reader)
        if not chances:
            continue
        out.append(
            {
                "set": row["set"],
                "kb": row["kb"],
                "source": row["source"],
                "situation": bool(row.get("situation")) or row.get("kind") == "situation",
                "chances": chances,
                "right": [overlaps(p, row["answer_span"]) for p in parts],
            }
        )
    return out


def summarise(scored: list[dict], chance: float, ratio: float) -> dict:
    led = right = 0
    for s in scored:
        chosen = pick(s["chances"], chance, ratio)
        if chosen is not None:
            led += 1
            right += s["right"][chosen]
    n = len(scored)
    return {"rows": n, "led": led / n if n else 0.0, "right_of_led": right / led if led else 0.0, "right_of_all": right / n if n else 0.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="train,dev")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--kb", choices=sorted(KB_FILES), help="one knowledge base only")
    parser.add_argument("--all-kinds", action="store_true", help="guide fields too (the pipeline leads Q&A answers only)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    if "heldout" in sets:
        parser.error("the held-out sets are not read here")
    rows = [r for which in sets for r in dialogue_rows(which) + reader_rows(which)]
    scored = score_rows([r for r in rows if args.kb in (None, r["kb"])], args.all_kinds)
    groups = {}
    for s in scored:
        for key in (s["set"], f"{s['set']} {s['kb']}", f"{s['set']} {s['source']}", f"{s['set']} situation" if s["situation"] else None):
            if key:
                groups.setdefault(key, []).append(s)
    result = {
        "chance": LEAD_CHANCE,
        "ratio": LEAD_RATIO,
        "groups": {k: summarise(v, LEAD_CHANCE, LEAD_RATIO) for k, v in sorted(groups.items())},
    }
    if args.sweep:
        result["sweep"] = {
            f"{c:.2f}/{r:.1f}": {k: summarise(v, c, r) for k, v in sorted(groups.items()) if " " not in k}
            for c in (0.3, 0.4, 0.5, 0.6, 0.7)
            for r in (1.0, 1.5, 2.0, 3.0)
        }

    def markdown(res: dict) -> str:
        rows = [[k, v["rows"], fmt(v["led"]), fmt(v["right_of_led"]), fmt(v["right_of_all"])] for k, v in res["groups"].items()]
        text = md_table(["rows", "units with 2+ sentences", "led", "lead right (of led)", "lead right (of all)"], rows)
        for key, groups_ in res.get("sweep", {}).items():
            text += f"\n{key}: " + "; ".join(f"{k} led {fmt(v['led'])} right {fmt(v['right_of_led'])}" for k, v in groups_.items())
        return text

    return finish(result, markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
