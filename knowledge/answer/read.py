"""Step 4: the reader scores every candidate the search found and orders them by that score.

The best candidate's calibrated probability is the answer's confidence: the chance, measured on
questions the model never saw, that answering with it is right. For a service guide the reader
also picks the field that answers (`turn.field`), and whether that field is empty.
"""

from __future__ import annotations

import numpy as np

from knowledge.answer.quote import quote_chance, quote_documents
from knowledge.answer.retrieve import search_text
from knowledge.answer.types import Turn
from knowledge.content import GUIDE_FIELDS
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.features import best_field, field_features, guide_fields, is_empty, item_features, read_question
from knowledge.reader.model import Reader
from knowledge.reader.stack import STACK_DEPTH, decider_rows

READ_DEPTH = 20  # candidates the reader looks at (their recall: `candidate_recall` in the model card)


def question_of(turn: Turn, index: HybridIndex):
    return read_question(turn.text, search_text(turn), turn.query_vector, index, turn.region, turn.department)


def read_step(turn: Turn, index: HybridIndex, reader: Reader) -> None:
    hits = turn.hits[:READ_DEPTH]
    if not hits:
        return
    turn.question = question_of(turn, index)
    turn.asked = reader.asked(turn.text, turn.query_vector)
    x = item_features(turn.question, hits, index, reader.qdf, turn.asked)
    turn.rows = {hit.meta.item_id: row for hit, row in zip(hits, x)}
    raw = reader.predict_items(x)
    for hit, value in zip(hits, raw):
        hit.fit = float(value)
    order = sorted(range(len(hits)), key=lambda i: (-raw[i], i))
    turn.hits = [hits[i] for i in order]
    if reader.decider is not None:
        second_look(turn, index, reader)
    turn.confidence = confidence(turn, index, reader)


def confidence(turn: Turn, index: HybridIndex, reader: Reader) -> float:
    """The calibrated chance that answering with the best candidate is right."""
    top = turn.hits[0]
    raw = top.fit
    if top.meta.kind == "document":  # a document answers only if one of its sentences states it
        raw *= quote_chance(turn, top, index, reader)
    return reader.probability(raw, top.meta.kind)


def second_look(turn: Turn, index: HybridIndex, reader: Reader) -> None:
    """The cross-encoder reads what the best candidates would quote; the decider combines its
    reading with the trees' score. Candidates below them were not read: they keep no score."""
    top, rest = turn.hits[:STACK_DEPTH], turn.hits[STACK_DEPTH:]
    cross = reader.cross.predict([(turn.question.text, unit_text(turn, h, index, reader)) for h in top])
    final = reader.decider(decider_rows(np.asarray([h.fit for h in top]), cross))
    for hit, value in zip(top, final):
        hit.fit = float(value)
    for hit in rest:
        hit.fit = 0.0
    turn.hits = sorted(top, key=lambda h: -h.fit) + rest


def unit_text(turn: Turn, hit: Hit, index: HybridIndex, reader: Reader) -> str:
    """What an answer from this candidate would quote, with its title: what the cross-encoder reads."""
    kind, title = hit.meta.kind, hit.meta.title
    if kind == "guide":
        name, text, _ = pick_field(turn, hit, index, reader)
        return f"{title} {GUIDE_FIELDS.get(name, name)}：{text or '无'}"
    if kind == "document":
        quote = quote_documents(turn, [hit], index, reader)
        return f"{title} {quote.text if quote else hit.best.text}"
    if kind == "qa":
        return f"{title} {hit.best.text}"  # every passage of a Q&A quotes its answer
    return hit.best.text


def pick_field(turn: Turn, hit: Hit, index: HybridIndex, reader: Reader) -> tuple[str, str, float]:
    """(field, its text, score) of the guide field that answers; the text may be empty ("无")."""
    rows = field_features(turn.question, hit, index, turn.asked)
    scores = reader.predict_fields(rows)
    fields = guide_fields(hit, index)
    best = best_field(scores, rows)
    name, text, _ = fields[best]
    if name == "name":  # "how do I ..." matched the service's name: the procedure answers it
        process = next((f for f in fields if f[0] == "process" and not is_empty(f[1])), None)
        if process is not None:
            return process[0], process[1], float(scores[best])
    return name, text, float(scores[best])
