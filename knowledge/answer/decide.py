"""Step 5: answer, ask which one, or say we have no answer.

The confidence is the reader's calibrated probability that answering with the best candidate is
right (`read.py`). Below the threshold we say we have no answer rather than guess. When another
candidate, about a different service, is about as likely (个人/企业, 新办/补办, two districts'
versions; `knowledge/reader/choices.py`), we ask which one. A guide whose field the question asks
for is empty ("无") is not answered from another field: we say what is not stated and give the
guide's phone.
"""
from __future__ import annotations

from knowledge.answer.read import pick_field
from knowledge.answer.rules import reply
from knowledge.answer.types import Answer, AnswerStatus, Option, Turn
from knowledge.content import GUIDE_FIELDS
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.features import guide_fields, is_empty
from knowledge.reader.choices import CLARIFY_DEPTH, close_choices
from knowledge.reader.model import Reader



def decide_step(turn: Turn, index: HybridIndex, reader: Reader, threshold: float, hotline: str) -> None:
    if not turn.hits:
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("no_answer", hotline))
        return
    options = close_alternatives(turn, index, reader)
    if options:
        text = reply("clarify", hotline) + "".join(f"\n{i}. {o.title}" for i, o in enumerate(options, 1))
        turn.answer = Answer(turn.raw, AnswerStatus.CLARIFY, text, confidence=turn.confidence, options=options)
        return
    if turn.confidence < threshold:
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("no_answer", hotline), confidence=turn.confidence)
        return
    top = turn.hits[0]
    if top.meta.kind == "guide":
        turn.field = pick_field(turn, top, index, reader)[:2]
        if is_empty(turn.field[1]):
            turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, field_missing_reply(top, turn.field[0], index, hotline),
                                 confidence=turn.confidence, item_key=top.meta.key, guide_field=turn.field[0])


def close_alternatives(turn: Turn, index: HybridIndex, reader: Reader) -> list[Option]:
    """Candidates about other services that the reader finds about as likely as the best one.
    A follow-up about a known service never asks: the conversation says which one."""
    if turn.context_key:
        return []
    hits = turn.hits[:CLARIFY_DEPTH]
    services = [index.service_of(h.meta.item_id) or h.meta.item_id for h in hits]
    chosen = close_choices([h.fit for h in hits], services, reader.clarify_floor, reader.clarify_margin)
    return [Option(hits[i].meta.title, hits[i].meta.key) for i in chosen]


def field_missing_reply(hit: Hit, field: str, index: HybridIndex, hotline: str) -> str:
    phone = next((text for name, text, _ in guide_fields(hit, index) if name == "phone" and not is_empty(text)), "")
    phone = f"请拨打咨询电话{phone}了解。" if phone else ""
    return reply("field_missing", hotline, title=hit.meta.title, field=GUIDE_FIELDS.get(field, field), phone=phone)
