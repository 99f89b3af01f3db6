"""When to ask which one: two or more candidates about different services that the reader finds
about as likely, each likely enough (`floor`, `margin`: chosen on held-out folds in training and
kept in the model card). Used by the answer pipeline and by training, so both decide alike."""
from __future__ import annotations

CLARIFY_DEPTH = 4  # candidates looked at


def close_choices(scores: list[float], services: list, floor: float, margin: float,
                  depth: int = CLARIFY_DEPTH) -> list[int]:
    """Positions (best first) of the candidates to offer, or [] when the best one stands out.
    `scores` are in descending order; `services` says which service each candidate is about."""
    if not scores or scores[0] < floor:
        return []
    chosen, seen = [0], {services[0]}
    for i in range(1, min(depth, len(scores))):
        if services[i] in seen or scores[i] < floor or scores[0] - scores[i] > margin:
            continue
        chosen.append(i)
        seen.add(services[i])
    return chosen if len(chosen) > 1 else []
