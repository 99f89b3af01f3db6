"""Step 2: reject unusable questions; route what must not be answered from the knowledge base."""
from __future__ import annotations

import re

from knowledge.answer.rules import load, reply
from knowledge.answer.types import Answer, AnswerStatus, QuestionError, Turn
from knowledge.index.hybrid import HybridIndex

_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# words jieba's dictionary tags as place names that are not places in a citizen's question
NOT_PLACES = frozenset("东西 东南 西北 南北 中外 内外 城乡 全国 国家 中国 本市 外地 老家 当地 本地 外省 异地 各地".split())


def check_question(raw: str, max_chars: int) -> None:
    if raw is None or not raw.strip():
        raise QuestionError("问题不能为空")
    if len(raw) > max_chars:
        raise QuestionError(f"问题过长（{len(raw)} 字），请控制在 {max_chars} 字以内")


def guard_step(turn: Turn, index: HybridIndex, hotline: str) -> None:
    if not _MEANINGFUL.search(turn.text):
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("not_understood", hotline))
        return
    for rule in load("guard.yml"):
        if any(p in turn.text for p in rule["patterns"]):
            turn.answer = Answer(turn.raw, AnswerStatus(rule["status"]), reply(rule["reply"], hotline),
                                 confidence=1.0)
            return
    if mostly_foreign(turn.text):
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("language", hotline))
    elif unknown_places(turn.text, index):
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("other_region", hotline))


def mostly_foreign(text: str) -> bool:
    """More Latin letters than Chinese characters: the knowledge base is Chinese only."""
    return len(_LATIN.findall(text)) > len(_CJK.findall(text))


def unknown_places(text: str, index: HybridIndex) -> list[str]:
    """Place names in the question that no indexed content mentions: another city's question."""
    import jieba.posseg

    return [w.word for w in jieba.posseg.cut(text)
            if w.flag == "ns" and len(w.word) > 1 and w.word not in NOT_PLACES
            and w.word not in index.lexical.postings and not any(w.word in d for d in index.districts())]
