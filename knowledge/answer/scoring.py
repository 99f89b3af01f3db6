"""How well one found item fits the question: used to rank the candidates and to decide.

The fused rank from BM25 and FAISS finds candidates; this score orders the best of them. It
adds how much of the question's vocabulary the item covers (IDF-weighted words) to how close the two are in meaning (the e5 cosine above
the level unrelated Chinese texts reach). A word the knowledge base never uses weighs the most,
so a question about 专利 is not answered from a guide that only shares 申请 and 材料 with it.
"""
from __future__ import annotations

import math

from knowledge.answer.rules import load
from knowledge.answer.types import Turn
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.text import canonical, tokenize

DENSE_FLOOR = 0.80  # e5-small cosines of unrelated Chinese texts rarely go above this
DENSE_WEIGHT = 0.5
RERANK_DEPTH = 20


def coverage(turn: Turn, hit: Hit, index: HybridIndex) -> float:
    """IDF-weighted share of the question's words found in the item (typos were repaired earlier)."""
    question = canonical(turn.text)
    text = " ".join([hit.meta.title] + [p.index_text for p, _ in hit.passages[:2]])
    words = set(tokenize(question))
    found = set(tokenize(text))
    unseen = math.log(1 + (len(index.lexical) + 0.5) / 0.5)  # a word the knowledge base never uses
    weights = {w: index.lexical.idf(w) or unseen for w in words}
    total = sum(weights[w] for w in sorted(weights))
    return sum(weights[w] for w in sorted(words & found)) / total if total else 0.0  # fixed order: reproducible


def fit(turn: Turn, hit: Hit, index: HybridIndex) -> float:
    """0..~1.1: the evidence that this item answers the question."""
    return coverage(turn, hit, index) + DENSE_WEIGHT * max(0.0, hit.dense - DENSE_FLOOR)


def route_bonus(turn: Turn, hit: Hit) -> float:
    return sum(r["bonus"] for r in load("routes.yml")
               if r["kind"] == hit.meta.kind and any(c in turn.text for c in r["cues"])
               and not any(c in turn.text for c in r.get("unless", [])))


def rerank(turn: Turn, hits: list[Hit], index: HybridIndex) -> list[Hit]:
    """Order the best candidates by fit (plus routing); the rest keep their fused order below."""
    head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
    for hit in head:
        hit.fit = fit(turn, hit, index)
        hit.score = hit.fit + route_bonus(turn, hit)
    head.sort(key=lambda h: -h.score)
    return head + tail
