"""Step 4b: a follow-up is read in the service under discussion (issue 18).

When the conversation is about a service (`turn.context_key`) and the reader has a follow-up model
(`knowledge/reader/followup.py`), every part of that service (its guide's fields, its Q&As) is
scored for the question, and a learned choice weighs the best part against the general reading
(the question read on its own): a follow-up ("那要带什么材料？") is answered from the service
discussed, and a question that changes the topic ("那社保卡补办要多久？") keeps the general
reading, which found another service. The chosen answer's calibrated chance is the turn's
confidence, and the decision holds it to the follow-up operating point (`turn.followed`).
"""

from __future__ import annotations

import numpy as np

from knowledge.answer.types import Turn
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.followup import Part, choice_row, context_service, general_reading, part_features, service_parts
from knowledge.reader.model import Reader


def follow_step(turn: Turn, index: HybridIndex, reader: Reader) -> None:
    if reader.follow is None or not turn.context_key or turn.question is None or not turn.hits:
        return
    guide = context_service(index, turn.context_key)
    parts = service_parts(index, guide) if guide is not None else []
    if not parts:
        return
    x = part_features(turn, index, reader, guide, parts)
    scores = reader.follow.scores(x)
    general = general_reading(turn, index, reader, guide)
    use_part, chance = reader.follow.choose(choice_row(x, scores, parts, general))
    turn.confidence, turn.followed = chance, True
    part = parts[int(np.argmax(scores))]
    if not use_part or general.part == (part.item_id, part.field):
        return  # the general reading's answer (its field kept on the turn)
    hit = next((h for h in turn.hits if h.meta.item_id == part.item_id), None) or part_hit(index, part)
    turn.hits = [hit] + [h for h in turn.hits if h is not hit]
    turn.field = (part.field, part.text) if part.field != "answer" else None


def part_hit(index: HybridIndex, part: Part) -> Hit:
    """A candidate for a part's item that the search did not find (its passages, unscored)."""
    pids = index.item_pids.get(part.item_id, [])
    return Hit(meta=index.meta[part.item_id], score=0.0, passages=[(index.passages[p], 0.0) for p in pids])
