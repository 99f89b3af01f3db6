"""The reader's labelled questions: written by people (helpers) about three knowledge bases.

One JSON object a line (`data/reader/written/*.jsonl` for training, `data/reader/heldout/*.jsonl`
for the held-out test that nobody tunes on, `data/reader/dev/*.jsonl` for the earlier held-out test,
now a development set):

    {"question", "kb": "sample"|"seeds"|"guangdong", "label": "answer"|"field_missing"|"near_miss",
     "item": item key or document file name, "field": guide field (Chinese label) or "answer" /
     "handles" / "phone" …, "answer_span": the words of the item that state the fact,
     "near_kind": sibling|place|year|kind|detail|uncovered, "style", "writer"}

`answer`: the item answers with that field; `field_missing`: the item is the one asked about but
the asked field is empty (the reply must say so, not quote another field); `near_miss`: nothing in
the knowledge base answers (the item is the one it imitates); `ambiguous`: several items of
different services fit (`"items": [...]`) and the question does not say which: ask. The split of a question is the
split of its item (`splits.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from knowledge.content import GUIDE_FIELDS
from knowledge.reader.splits import split_of

ROOT = Path(__file__).resolve().parents[2] / "data" / "reader"
WRITTEN = ROOT / "written"
HELDOUT = ROOT / "heldout"
DEV = ROOT / "dev"  # the first held-out set, looked at too often to stay one: checked, never trained on
FIELDS = ROOT / "fields"  # questions written to teach which field of a guide is asked: the asked-field classifier's only
DIALOGUES = ROOT.parent / "dialogues" / "train"  # follow-ups with their context (data/dialogues/README.md)
# other writers' follow-ups, never trained on: the follow-up operating point is bounded on them too
DIALOGUES_DEV = ROOT.parent / "dialogues" / "dev"
# the writers of training dialogues whose follow-ups that ask for a guide's field also teach the
# asked-field classifier (the rest teach the follow-up model only): F5 and F6, written for
# situations, pronouns and topic changes, made the reader worse on its development set when they
# did (answered right 0.379 -> 0.336; docs/reader.md, "What the ninth part did")
ASKED_FROM_DIALOGUES = ("F1", "F2", "F3", "F4")
LABELS = ("answer", "field_missing", "near_miss", "ambiguous")
FIELD_KEYS = {label: name for name, label in GUIDE_FIELDS.items()} | {name: name for name in GUIDE_FIELDS}
KBS = ("sample", "seeds", "guangdong")


@dataclass(frozen=True)
class Labelled:
    id: str
    question: str
    kb: str
    label: str
    item: str
    field: str  # English guide field key, or "" (Q&A, documents, directory entries)
    span: str
    style: str
    writer: str
    near_kind: str
    split: str
    items: tuple[str, ...] = ()  # every item that fits an ambiguous question
    turns: tuple[str, ...] = ()  # a follow-up: the citizen's earlier turns (the context is found from them)

    @property
    def in_scope(self) -> bool:
        return self.label != "near_miss"

    def eval_row(self) -> dict:
        """The `govbot eval` format: docs, expect_any, oos (a missing field counts as a refusal,
        an ambiguous question is right when it is asked back: `"expect": "clarify"`)."""
        return {
            "id": self.id,
            "question": self.question,
            "docs": list(self.items or [self.item]) if self.in_scope else [],
            "expect_any": [self.span] if self.span else [],
            "style": self.style,
            "oos": self.label != "answer",
            "kb": self.kb,
            "label": self.label,
            "split": self.split,
            **({"expect": "clarify"} if self.label == "ambiguous" else {}),
        }


def _labelled(row: dict, row_id: str, writer: str, turns: tuple[str, ...] = ()) -> Labelled:
    return Labelled(
        id=row_id,
        question=str(row["question"]).strip(),
        kb=row["kb"],
        label=row["label"],
        item=str(row["item"]),
        field=FIELD_KEYS.get(str(row.get("field") or ""), ""),
        span=str(row.get("answer_span") or ""),
        style=str(row.get("style") or ""),
        writer=str(row.get("writer") or writer),
        near_kind=str(row.get("near_kind") or ""),
        split=split_of(row["kb"], str(row["item"])),
        items=tuple(str(k) for k in row.get("items") or ()),
        turns=turns,
    )


def read_file(path: Path) -> list[Labelled]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc
        label, kb = row.get("label"), row.get("kb")
        if label not in LABELS or kb not in KBS or not row.get("question") or not row.get("item"):
            raise ValueError(f"{path}:{n}: needs question, item, kb in {KBS} and label in {LABELS}")
        out.append(_labelled(row, f"{Path(path).stem}-{n:04d}", Path(path).stem))
    return out


def read_dialogues(folder: Path) -> list[Labelled]:
    """Follow-ups (`data/dialogues`) as labelled questions with their earlier turns: whoever reads
    them finds the service under discussion from those turns, as the chat would (the training:
    `knowledge.reader.train.context_from`), so that a follow-up that changes the topic is read
    with the old service's context, which it must leave."""
    out = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            turns = tuple(str(t) for t in row.get("turns") or ())
            out.append(_labelled({**row, "label": "answer"}, f"{path.stem}-{n:04d}", path.stem, turns=turns))
    return out


def read_folder(folder: Path) -> list[Labelled]:
    rows: list[Labelled] = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        rows.extend(read_file(path))
    return rows
