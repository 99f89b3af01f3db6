"""When to ask which one: the question fits several services and does not say which.

A small learned model (`ask.txt`, boosted trees over `ASK_FEATURES`) gives the chance that a
question is of that kind, from two things a reader can see on any knowledge base: the shape of the
reader's scores over the best candidates (how many different services are about as likely as the
best one, and how close) and how specific the question is (how long, how much of it the best
item's title and text cover, what it says that the best item does not). It is trained on the
written ambiguous questions ("出入境证件的工本费是多少？": passports and 港澳通行证) against the
answerable ones, out of fold; the cut above which we ask is chosen with the answer threshold, so
that together they answer the most questions right within the wrong-answer bound (model card,
"clarify"). The choices offered are the best candidate of each service among the first
`CLARIFY_DEPTH` that is at least `OPTION_SHARE` as likely as the best one, and only when the best
one is likely enough (`floor`, chosen with the cut); a question that already
names one of them by what tells it apart (`named`) is not asked back. Used by the answer pipeline
and by training, so both decide alike.
"""

from __future__ import annotations

import numpy as np

from knowledge.reader.features import ITEM_FEATURES

CLARIFY_DEPTH = 4  # candidates looked at for choices
SHAPE_DEPTH = 10  # candidates whose scores describe the shape
OPTION_SHARE = 0.25  # a choice offered is at least this share as likely as the best candidate
ROW_FEATURES = (
    "question_chars",
    "question_words",
    "title_recall",
    "coverage",
    "uncovered_share",
    "uncovered_nouns",
    "bm25_share",
    "dense_margin",
)  # of the best candidate's item row
# of the best candidate of the next service too, and how far the best one leads it: a question whose
# words the titles and texts of two services cover alike ("那个津贴咋申请": 高龄津贴 and 生育津贴)
# does not say which one it means, however the scores fall
RUNNER_FEATURES = ("title_recall", "coverage", "uncovered_share")
ASK_FEATURES = (
    "best",
    "second_service",
    "third_service",
    "fourth_service",
    "second_share",
    "third_share",
    "gap",
    "services_within_half",
    "services_within_80",
    "same_service_below",
    "score_2",
    "score_3",
    *(f"best_{name}" for name in ROW_FEATURES),
    *(f"runner_{name}" for name in RUNNER_FEATURES),
    *(f"lead_{name}" for name in RUNNER_FEATURES),
)
_ROW_AT = [ITEM_FEATURES.index(name) for name in ROW_FEATURES]
_RUNNER_AT = [ITEM_FEATURES.index(name) for name in RUNNER_FEATURES]


def options(scores: list[float], services: list, depth: int = CLARIFY_DEPTH) -> list[int]:
    """Positions (best first) of the best candidate of each service among the first `depth` that
    is at least `OPTION_SHARE` as likely as the best one. `scores` are in descending order."""
    chosen, seen = [], set()
    for i in range(min(depth, len(scores))):
        if services[i] in seen or scores[i] < OPTION_SHARE * scores[0]:
            continue
        chosen.append(i)
        seen.add(services[i])
    return chosen


def runner_up(services: list) -> int | None:
    """The position of the first candidate of another service than the best one's, or None."""
    return next((i for i, service in enumerate(services[:SHAPE_DEPTH]) if i and service != services[0]), None)


def ask_features(scores: list[float], services: list, best_row: np.ndarray, runner_row: np.ndarray | None = None) -> np.ndarray:
    """One row of `ASK_FEATURES`: `scores` in descending order, the service of each, the best
    candidate's row of `ITEM_FEATURES`, and that of the best candidate of the next service
    (`runner_up`; None: there is none)."""
    best_at = np.asarray(best_row, dtype=np.float32)[_RUNNER_AT]
    runner_at = np.asarray(runner_row, dtype=np.float32)[_RUNNER_AT] if runner_row is not None else np.zeros(len(_RUNNER_AT))
    s = [float(x) for x in scores[:SHAPE_DEPTH]] + [0.0] * SHAPE_DEPTH
    best = s[0]
    firsts, seen = [], {services[0]} if services else set()
    for x, service in zip(s[1:SHAPE_DEPTH], services[1:SHAPE_DEPTH]):
        if service not in seen:
            seen.add(service)
            firsts.append(x)
    firsts += [0.0] * 3
    spread = [best] + firsts
    share = lambda x: x / max(best, 1e-6)  # noqa: E731
    return np.asarray(
        [
            best,
            firsts[0],
            firsts[1],
            firsts[2],
            share(firsts[0]),
            share(firsts[1]),
            best - firsts[0],
            sum(x >= 0.5 * best for x in spread if x > 0),
            sum(x >= 0.8 * best for x in spread if x > 0),
            sum(service == services[0] for service in services[1:CLARIFY_DEPTH]),
            s[1],
            s[2],
            *np.asarray(best_row, dtype=np.float32)[_ROW_AT],
            *runner_at,
            *(best_at - runner_at),
        ],
        dtype=np.float32,
    )


def service_title(index, item_id: int, service: int | None) -> str:
    """What names a choice: for a Q&A, the title of its service's guide (a Q&A's title is a whole
    question, whose words "需要准备哪些材料" tell nothing apart); for any other item its own title
    (a document's or a directory entry's "service" is only the guide that shares most words)."""
    own = index.meta[item_id]
    guide = index.meta.get(service) if service is not None and own.kind == "qa" else None
    return (guide or own).title


def named(question: str, titles: list[str]) -> int | None:
    """The one choice the question already names by what tells it apart from the others ("第1类…"
    among 第1类 … 第4类, "城东区…" next to 城西区), or None. `titles` name the choices' services
    (`service_title`). A choice's marks are the characters of its title that no other choice's
    title has; it is named when the question holds at least half of its marks and at least twice
    the share of any other's."""
    clean = [{c for c in t if c.isalnum()} for t in titles]
    asked = set(question)
    shares = []
    for i, chars in enumerate(clean):
        marks = chars - set().union(*(other for j, other in enumerate(clean) if j != i))
        shares.append(len(marks & asked) / len(marks) if marks else 0.0)
    order = sorted(range(len(shares)), key=lambda i: (-shares[i], i))
    best, runner_up = shares[order[0]], (shares[order[1]] if len(order) > 1 else 0.0)
    return order[0] if best >= 0.5 and best >= 2 * runner_up else None


def asks(probability: float, choices: int, cut: float, confidence: float = 1.0, floor: float = 0.0) -> bool:
    """Ask back when the model says the question fits several services, there are two to offer, and
    the best of them is likely enough (`confidence`, its calibrated probability, at least `floor`):
    choices that are all unlikely are no help, that question gets "no answer"."""
    return choices >= 2 and probability >= cut and confidence >= floor
