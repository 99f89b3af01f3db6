"""bench.reader_losses counts the answers by kind of wrong answer: checked on rows of known outcome."""

from bench.reader_losses import count, summarise


def _row(label, confidence, right=False, kind="guide", services=2, near_kind="", answered=True):
    return {
        "label": label,
        "near_kind": near_kind,
        "answered": answered,
        "confidence": confidence,
        "kind": kind,
        "right": right,
        "services": services,
    }


ROWS = [
    _row("answer", 0.9, right=True),
    _row("answer", 0.8, right=True, kind="qa"),
    _row("answer", 0.7, right=False),  # answered without the fact
    _row("answer", 0.95, right=True, answered=False),  # asked back: never counted as answered
    _row("ambiguous", 0.85, services=1),
    _row("ambiguous", 0.6, services=2),
    _row("near_miss", 0.75, near_kind="sibling"),
    _row("near_miss", 0.4, near_kind="detail"),
    _row("field_missing", 0.65),
    _row("answer", 0.3, right=True),
]


def test_counts_by_class_at_one_threshold():
    c = count(ROWS, lambda kind: 0.7)
    assert (c["right"], c["ambiguous"], c["near_miss"], c["in_scope_without_fact"], c["field_missing"]) == (2, 1, 1, 1, 0)
    assert c["near_miss_by_kind"] == {"sibling": 1} and c["ambiguous_one_service"] == 1
    assert c["right_share"] == round(2 / 5, 4)  # five in-scope questions
    assert c["wrong_rate"] == 0.3 and c["wrong_rate_without_ambiguous"] == 0.2  # 3 and 2 wrong of 10


def test_per_kind_bar_and_the_best_single_threshold():
    c = count(ROWS, lambda kind: 0.85 if kind == "guide" else 0.5)  # the Q&A answered at 0.8, the guides from 0.85
    assert c["right"] == 2 and c["ambiguous"] == 1 and c["in_scope_without_fact"] == 0
    s = summarise(ROWS, {"": 0.7, "qa": 0.5})
    assert s["questions"] == 10 and s["table"]["operating point"]["right"] == 2
    # within 5% wrong only where nothing wrong is answered: 0.90 (one right) is the only such point
    assert s["best_single_threshold"] == "0.90" and s["table"]["0.90"]["right"] == 1
