"""Step 4: is there an answer, is the question ambiguous, or is there none?

Confidence is the best item's fit (knowledge.answer.scoring): below the threshold we say we
have no answer rather than guess.
"""
from __future__ import annotations

from knowledge.answer.mismatch import mismatch
from knowledge.answer.retrieve import title_overlap
from knowledge.answer.rules import reply
from knowledge.answer.types import Answer, AnswerStatus, Option, Turn
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.answer.scoring import fit, route_bonus

CLARIFY_CANDIDATES = 8
DOCUMENT_FALLBACK_DEPTH = 3  # how far behind the best item a document may answer instead


def confidence(turn: Turn, hit: Hit, index: HybridIndex) -> float:
    return min(1.0, hit.fit or fit(turn, hit, index))


def decide_step(turn: Turn, index: HybridIndex, thresholds: dict[str, float], clarify_margin: float,
                hotline: str) -> None:
    if not turn.hits:
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("no_answer", hotline))
        return
    turn.confidence = confidence(turn, turn.hits[0], index)
    fits = _fits(turn, turn.hits[0], index, thresholds, hotline)
    turn.mismatch = mismatch(turn, turn.hits[0], index) if fits else None
    if not fits or turn.mismatch:
        if not _document_instead(turn, index, thresholds):
            turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, _no_answer_reply(turn, hotline),
                                 confidence=turn.confidence)
            return
        turn.confidence, turn.mismatch = confidence(turn, turn.hits[0], index), None
    options = ambiguous_services(turn, index, clarify_margin)
    if options:
        text = reply("clarify", hotline) + "".join(f"\n{i}. {o.title}" for i, o in enumerate(options, 1))
        turn.answer = Answer(turn.raw, AnswerStatus.CLARIFY, text, confidence=turn.confidence, options=options)


def _fits(turn: Turn, hit: Hit, index: HybridIndex, thresholds: dict[str, float], hotline: str = "") -> bool:
    """The item's fit clears its bar. A department asked for by name is a referral: a lower bar,
    but not for the hotline's own entry (its title has the number), where the citizen already is."""
    if hit.meta.kind == "hotline" and route_bonus(turn, hit) > 0 and not (hotline and hotline in hit.meta.title):
        return confidence(turn, hit, index) >= thresholds["department"]
    return confidence(turn, hit, index) >= thresholds.get(hit.meta.kind, thresholds["default"])


def _no_answer_reply(turn: Turn, hotline: str) -> str:
    if turn.mismatch is not None:
        return reply("not_covered", hotline, asked=turn.mismatch.asked, have=turn.mismatch.have)
    return reply("no_answer", hotline)


def _document_instead(turn: Turn, index: HybridIndex, thresholds: dict[str, float]) -> bool:
    """When the best item does not fit well enough (or is about something else), a policy
    document close behind it that clears its own bar answers instead ("投诉情况后面会公开吗": the
    complaint Q&As say how to complain, a work plan says what is published). It moves to the
    front: the item that answers leads."""
    for i, hit in enumerate(turn.hits[1:DOCUMENT_FALLBACK_DEPTH], 1):
        if hit.meta.kind == "document" and _fits(turn, hit, index, thresholds) and not mismatch(turn, hit, index):
            turn.hits.insert(0, turn.hits.pop(i))
            return True
    return False


def ambiguous_services(turn: Turn, index: HybridIndex, margin: float) -> list[Option]:
    """Several different service guides fit about as well as the best answer, and nothing in the
    question tells them apart (补贴怎么申请: which 补贴?). Follow-ups about a known service never ask."""
    if turn.context_key:
        return []
    top = turn.hits[0]
    close = [h for h in turn.hits[:CLARIFY_CANDIDATES]
             if h.meta.kind == "guide" and h.fit >= confidence(turn, top, index) - margin]
    if not turn.region:  # a district's own version is not a different service
        close = [h for h in close if not index.names_a_district(h.meta.region)]
    if len(close) < 2:
        return []
    overlaps = [title_overlap(turn, h) for h in close]
    if any(overlaps[0] - other for other in overlaps[1:]) or overlaps[0] and all(o == overlaps[0] for o in overlaps):
        return []  # the question names something only the best one has, or names them all alike
    return [Option(h.meta.title, h.meta.key) for h in close]
