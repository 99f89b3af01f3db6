"""The sentence that leads an answer (issue 18.2, `knowledge/answer/lead.py`): the rule over the
sentence model's chances, and how a unit is split into sentences."""

from knowledge.answer.lead import pick
from knowledge.index.sentences import quotable_sentences


def test_a_sentence_leads_only_when_it_stands_out_and_is_not_already_first():
    assert pick([0.1, 0.8, 0.2]) == 1  # likely, four times the next
    assert pick([0.8, 0.1, 0.2]) is None  # the text already begins with it
    assert pick([0.1, 0.6, 0.5]) is None  # two cases about as likely: the whole text as written
    assert pick([0.1, 0.4, 0.05]) is None  # nothing likely enough
    assert pick([0.9]) is None  # one sentence is its own lead
    assert pick([0.1, 0.6, 0.5], ratio=1.0) == 1  # the parameters are the bench's to sweep


def test_a_unit_is_split_into_its_sentences_and_cases():
    text = "不能重复享受。享受工伤保险生活护理费的不再享受重度残疾人护理补贴；已享受特困人员供养待遇的不享受困难残疾人生活补贴。"
    assert quotable_sentences(text) == [
        "不能重复享受。",
        "享受工伤保险生活护理费的不再享受重度残疾人护理补贴；",
        "已享受特困人员供养待遇的不享受困难残疾人生活补贴。",
    ]
    assert quotable_sentences("1.；2.；本人身份证原件。") == ["本人身份证原件。"]  # list numbers are not sentences
