"""The risk-coverage figures of `knowledge.evaluation` on rows whose outcome is known."""

from knowledge.evaluation import EvalResult, operating_point, risk_coverage, wrong_rate


def _row(oos: bool, status: str, fact: bool, fact_words: bool, confidence: float) -> dict:
    return {"oos": oos, "status": status, "fact": fact, "fact_words": fact_words, "confidence": confidence}


ROWS = [
    _row(False, "answered", True, True, 0.9),  # right
    _row(False, "answered", False, True, 0.8),  # right only in other words
    _row(False, "answered", False, False, 0.4),  # wrong
    _row(False, "no_answer", False, False, 0.2),
    _row(True, "answered", False, False, 0.7),  # a near miss answered: wrong
    _row(True, "no_answer", False, False, 0.1),
]


def test_the_wrong_answer_rate_counts_answers_out_of_scope_or_without_the_fact_over_all_questions():
    answered = [r for r in ROWS if r["status"] == "answered"]
    assert wrong_rate(ROWS, answered) == round(3 / 6, 4)
    assert wrong_rate(ROWS, answered, "fact_words") == round(2 / 6, 4)
    assert wrong_rate([], []) == 0.0


def test_the_operating_point_is_the_row_of_what_was_answered():
    assert operating_point(EvalResult(ROWS)) == {
        "threshold": None,
        "answered": round(4 / 6, 4),
        "answered_in_scope": 0.75,
        "fact_in_scope": 0.25,
        "wrong_rate": 0.5,
    }


def test_a_higher_threshold_answers_less_and_wrongly_less_often():
    table = {row["threshold"]: row for row in risk_coverage(EvalResult(ROWS), [0.0, 0.5, 0.75], chosen=0.85)}
    assert sorted(table) == [0.0, 0.5, 0.75, 0.85]
    assert table[0.0] == {**operating_point(EvalResult(ROWS)), "threshold": 0.0}
    assert (table[0.5]["answered"], table[0.5]["wrong_rate"]) == (round(3 / 6, 4), round(2 / 6, 4))
    assert (table[0.75]["answered_in_scope"], table[0.75]["fact_in_scope"], table[0.75]["wrong_rate"]) == (0.5, 0.25, round(1 / 6, 4))
    assert table[0.85]["wrong_rate"] == 0.0
