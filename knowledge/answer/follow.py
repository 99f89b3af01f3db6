"""Step 4b: a follow-up is read in the service under discussion (issue 18).

When the conversation is about a service (`turn.context_key`) and the reader has a follow-up model
(`knowledge/reader/followup.py`), every part of that service (its guide's fields, its Q&As) is
scored for the question. The best part's calibrated probability is compared with the general
reading's: the more probable of the two is the candidate the decision weighs, so a follow-up
("那要带什么材料？") is answered from the service discussed, and a question that changes the topic
("那社保卡补办要多久？") keeps the general reading, which found another service. When the general
reading's best candidate is of the service discussed but another part of it than the follow-up
model's best, its confidence is at most that part's chance: the follow-up model read the whole
service in context.
"""

from __future__ import annotations

import numpy as np

from knowledge.answer.read import pick_field
from knowledge.answer.types import Turn
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.followup import Part, context_service, part_features, service_parts
from knowledge.reader.model import FOLLOW_KIND, Reader


def follow_step(turn: Turn, index: HybridIndex, reader: Reader, bar) -> None:
    """`bar(kind)`: the probability an answer of that kind needs ("follow": one from a part)."""
    if reader.follow is None or not turn.context_key or turn.question is None or not turn.hits:
        return
    guide = context_service(index, turn.context_key)
    parts = service_parts(index, guide) if guide is not None else []
    if not parts:
        return
    scores = reader.follow.scores(part_features(turn, index, reader, guide, parts))
    best = int(np.argmax(scores))
    part, chance = parts[best], reader.follow.probability(float(scores[best]))
    top = turn.hits[0]
    general_passes = turn.confidence >= bar(top.meta.kind)
    if chance < bar(FOLLOW_KIND) or (general_passes and turn.confidence >= chance):
        if index.service_of(top.meta.item_id) == guide and general_part(turn, top, index, reader) != (part.item_id, part.field):
            # the general reading chose another part of the same service than the follow-up
            # model, which read all of them in context: it is no surer than that model's best
            turn.confidence = min(turn.confidence, chance)
        return  # the general reading stands
    hit = next((h for h in turn.hits if h.meta.item_id == part.item_id), None) or part_hit(index, part)
    turn.hits = [hit] + [h for h in turn.hits if h is not hit]
    turn.confidence, turn.followed = chance, True
    turn.field = (part.field, part.text) if part.field != "answer" else None


def general_part(turn: Turn, top: Hit, index: HybridIndex, reader: Reader) -> tuple[int, str]:
    """The part the general reading would answer with: a Q&A, or the guide's field it picks (kept
    on the turn, as the decision would pick it)."""
    if top.meta.kind != "guide":
        return top.meta.item_id, "answer"
    turn.field = pick_field(turn, top, index, reader)[:2]
    return top.meta.item_id, turn.field[0]


def part_hit(index: HybridIndex, part: Part) -> Hit:
    """A candidate for a part's item that the search did not find (its passages, unscored)."""
    pids = index.item_pids.get(part.item_id, [])
    return Hit(meta=index.meta[part.item_id], score=0.0, passages=[(index.passages[p], 0.0) for p in pids])
