"""The follow-up model's operating point (knowledge/reader/followup.py): the same wrong-answer
bound as the reader's, counted over every follow-up."""

from knowledge.reader.followup import MAX_WRONG, operating_point


def test_the_operating_point_is_the_lowest_within_the_wrong_answer_bound():
    chances = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    right = [True, True, True, False, True, False, False]
    total = 20  # one wrong answer is 5% of twenty follow-ups: allowed; two are not
    t = operating_point(chances, right, total)
    assert t == 0.51  # 0.6 and above: one wrong (0.7); at 0.5 the second wrong would be answered
    wrong = sum(1 for c, r in zip(chances, right) if c >= t and not r)
    assert wrong <= MAX_WRONG * total


def test_nothing_is_answered_when_every_part_is_wrong():
    assert operating_point([0.9, 0.8], [False, False], 2) == 0.91
    assert operating_point([], [], 0) == 0.0
