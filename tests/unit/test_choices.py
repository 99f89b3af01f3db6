"""What tells the choices of a clarify apart, and how much of it a question holds (`knowledge.reader.choices`)."""

import numpy as np

from knowledge.reader.choices import ASK_FEATURES, ask_features, mark_shares, named
from knowledge.reader.features import ITEM_FEATURES

LOAN, WITHDRAWAL = "住房公积金贷款", "住房公积金提取"


def test_a_question_that_holds_no_mark_of_either_choice_names_none():
    shares = mark_shares("办理住房公积金需要准备哪些材料？", [LOAN, WITHDRAWAL])
    assert shares == [0.0, 0.0]
    assert named("办理住房公积金需要准备哪些材料？", [LOAN, WITHDRAWAL]) is None


def test_a_question_that_holds_one_choices_marks_names_it():
    assert mark_shares("公积金提取要带什么", [LOAN, WITHDRAWAL]) == [0.0, 1.0]
    assert named("公积金提取要带什么", [LOAN, WITHDRAWAL]) == 1


def test_the_marks_are_the_characters_no_other_title_has():
    # 城东区 and 城西区 differ in one character: that character is all the question has to hold
    assert mark_shares("城西那边的教育局在哪", ["城东区教育局", "城西区教育局"]) == [0.0, 1.0]


def test_the_ask_row_carries_the_choices_and_their_marks():
    best = np.arange(len(ITEM_FEATURES), dtype=np.float32)
    row = ask_features([0.9, 0.8, 0.1], ["a", "b", "c"], best, best, [0.0, 0.5])
    assert row.shape == (len(ASK_FEATURES),)
    assert list(row[-3:]) == [2.0, 0.0, 0.5]
    alone = ask_features([0.9], ["a"], best)
    assert alone.shape == (len(ASK_FEATURES),) and list(alone[-3:]) == [0.0, 0.0, 0.0]
