"""Step 3: hybrid search with the filters the question implies (in force today, region, department)."""

from __future__ import annotations

import re
from datetime import date

from knowledge.settings import KnowledgeSettings
from knowledge.answer.types import Turn
from knowledge.embeddings import E5Embeddings
from knowledge.index.hybrid import Filters, Hit, HybridIndex
from knowledge.text import tokenize

# A district named in the question filters out other districts' content (hard filter) and
# lifts the district's own content above the citywide version. A department named in the
# question only lifts that department's content: citizens name departments loosely
# (工商局 for 市场监督管理局), and a wrong hard filter would hide the right answer.
REGION_BOOST = 1.25
DEPARTMENT_BOOST = 1.15
_BRACKETS = re.compile(r"[（()）、，,]+")
TOPIC_BOOST = 1.5  # a follow-up prefers the items of the service under discussion


def retrieve_step(turn: Turn, index: HybridIndex, embeddings: E5Embeddings, settings: KnowledgeSettings, today: date | None = None) -> None:
    if turn.context_key:
        resolve_follow_up(turn, index)
    query = search_text(turn)
    vector = turn.query_vector = embeddings.encode([query], "query: ")[0]
    turn.filters = Filters(today=today or date.today(), region=turn.region)
    hits = _search(index, query, vector, turn.filters, settings)
    for hit in hits:
        if turn.topic_guide is not None and index.service_of(hit.meta.item_id) == turn.topic_guide:
            hit.score *= TOPIC_BOOST
        if turn.region and turn.region in hit.meta.region:
            hit.score *= REGION_BOOST
        if turn.department and turn.department in hit.meta.department + hit.meta.title:
            hit.score *= DEPARTMENT_BOOST
    hits.sort(key=lambda h: -h.score)
    turn.hits = hits


def resolve_follow_up(turn: Turn, index: HybridIndex) -> None:
    """A follow-up that names no service ("要带什么材料?") is about the service under discussion:
    the question is rewritten with that service's name ("居住证申领 要带什么材料?") and the
    service's own items (its guide and the Q&A about it) are preferred."""
    named = set(tokenize(search_text(turn)))
    if named & index.service_words():
        return  # the question names a service of its own
    item_id = index.item_id(turn.context_key)
    guide_id = index.service_of(item_id) if item_id is not None else None
    if guide_id is not None:
        turn.topic_guide = guide_id
        turn.text = f"{_BRACKETS.sub(' ', index.meta[guide_id].title).strip()} {turn.text}"


def search_text(turn: Turn) -> str:
    return " ".join([turn.text] + turn.expansions)


def _search(index: HybridIndex, query: str, vector, filters: Filters, settings: KnowledgeSettings) -> list[Hit]:
    return index.search(
        query,
        vector,
        filters,
        lexical_k=settings.lexical_candidates,
        dense_k=settings.dense_candidates,
        rrf_k=settings.rrf_k,
        weights=(settings.lexical_weight, settings.dense_weight),
    )
