"""Step 5: answer, ask which one, or say we have no answer.

The confidence is the reader's calibrated probability that answering with the best candidate is
right (`read.py`). Below the threshold we say we have no answer rather than guess. When the
question fits several services and does not say which (个人/企业, 新办/补办, two districts'
versions: a learned model, `knowledge/reader/choices.py`), we ask which one. A guide whose field
the question asks for is empty ("无") is not answered from another field: we say what is not stated and give the
guide's phone.
"""

from __future__ import annotations

from knowledge.answer.read import confidence, pick_field
from knowledge.answer.retrieve import search_text
from knowledge.answer.rules import reply
from knowledge.answer.types import Answer, AnswerStatus, Option, Turn
from knowledge.content import GUIDE_FIELDS
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.features import guide_fields, is_empty
from knowledge.reader.choices import SHAPE_DEPTH, ask_features, asks, named, options, runner_up, service_title
from knowledge.reader.model import FOLLOW_KIND, Reader
from knowledge.text import title_words, tokenize


def decide_step(turn: Turn, index: HybridIndex, reader: Reader, bar, hotline: str) -> None:
    """`bar(kind)`: the probability an answer of that kind of item needs."""
    if not turn.hits:
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("no_answer", hotline))
        return
    options = close_alternatives(turn, index, reader)
    if options:
        text = reply("clarify", hotline) + "".join(f"\n{i}. {o.title}" for i, o in enumerate(options, 1))
        turn.answer = Answer(turn.raw, AnswerStatus.CLARIFY, text, confidence=turn.confidence, options=options)
        return
    if turn.confidence < bar(FOLLOW_KIND if turn.followed else turn.hits[0].meta.kind):
        topic = named_service(turn, index)
        text = reply("no_answer_topic", hotline, title=topic.title) if topic else reply("no_answer", hotline)
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, text, confidence=turn.confidence, topic_key=topic.key if topic else "")
        return
    top = turn.hits[0]
    if top.meta.kind == "guide":
        turn.field = turn.field or pick_field(turn, top, index, reader)[:2]  # the follow-up step may have chosen it
        if is_empty(turn.field[1]):
            turn.answer = Answer(
                turn.raw,
                AnswerStatus.NO_ANSWER,
                field_missing_reply(top, turn.field[0], index, hotline),
                confidence=turn.confidence,
                item_key=top.meta.key,
                guide_field=turn.field[0],
                topic_key=top.meta.key,
            )


def named_service(turn: Turn, index: HybridIndex):
    """The service a question we cannot answer is about, when it names one: the best candidate's
    service, if the question uses a word of that service's name (the KB's own names, not a list).
    A follow-up in a known service stays in it."""
    if turn.topic_guide is not None:
        return index.meta.get(turn.topic_guide)
    guide = index.service_of(turn.hits[0].meta.item_id)
    if guide is None:
        return None
    meta = index.meta[guide]
    asked = set(tokenize(search_text(turn)))
    return meta if title_words(meta.title) & asked else None


def close_alternatives(turn: Turn, index: HybridIndex, reader: Reader) -> list[Option]:
    """When the question fits several services and does not say which (the ask-back model,
    `knowledge/reader/choices.py`): the best candidate of each. A follow-up about a known service
    never asks: the conversation says which one. A question that names one of the choices by what
    tells it apart puts that one first instead."""
    if turn.context_key or turn.hits[0].meta.item_id not in turn.rows:
        return []
    hits = turn.hits[:SHAPE_DEPTH]
    scores = [h.fit for h in hits]
    services = [index.service_of(h.meta.item_id) or h.meta.item_id for h in hits]
    chosen = options(scores, services)
    if len(chosen) < 2:
        return []
    picked = named(turn.question.text, [service_title(index, hits[i].meta.item_id, services[i]) for i in chosen])
    if picked is not None:  # the question names one of them: that one is the answer to weigh
        if chosen[picked]:
            turn.hits.insert(0, turn.hits.pop(chosen[picked]))
            turn.confidence = confidence(turn, index, reader)
        return []
    runner = runner_up(services)
    runner_row = turn.rows.get(hits[runner].meta.item_id) if runner is not None else None
    chance = reader.ask_probability(ask_features(scores, services, turn.rows[hits[0].meta.item_id], runner_row))
    if not asks(chance, len(chosen), reader.clarify_cut, turn.confidence, reader.clarify_floor):
        return []
    return labelled_options([hits[i].meta for i in chosen])


def labelled_options(metas: list) -> list[Option]:
    """The choices offered, each named by its title; choices that share a title (a province's and a
    city's version of one service) are told apart by their department, else their region."""
    titles = [m.title for m in metas]
    out = []
    for m in metas:
        label = m.title
        if titles.count(m.title) > 1:
            told = [x.department for x in metas if x.title == m.title]
            by = m.department if len(set(told)) == len(told) and m.department else m.region
            label = f"{m.title}（{by}）" if by else m.title
        out.append(Option(label, m.key))
    return out


def field_missing_reply(hit: Hit, field: str, index: HybridIndex, hotline: str) -> str:
    phone = next((text for name, text, _ in guide_fields(hit, index) if name == "phone" and not is_empty(text)), "")
    phone = f"请拨打咨询电话{phone}了解。" if phone else ""
    return reply("field_missing", hotline, title=hit.meta.title, field=GUIDE_FIELDS.get(field, field), phone=phone)
