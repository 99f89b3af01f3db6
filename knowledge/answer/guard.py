"""Step 2: reject unusable questions; route what must not be answered from the knowledge base."""

from __future__ import annotations

import re

from knowledge.answer.rules import load, reply
from knowledge.answer.types import Answer, AnswerStatus, QuestionError, Turn
from knowledge.index.hybrid import HybridIndex

_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def check_question(raw: str, max_chars: int) -> None:
    if raw is None or not raw.strip():
        raise QuestionError("问题不能为空")
    if len(raw) > max_chars:
        raise QuestionError(f"问题过长（{len(raw)} 字），请控制在 {max_chars} 字以内")


def guard_step(turn: Turn, index: HybridIndex, hotline: str, city: str = "") -> None:
    if not _MEANINGFUL.search(turn.text):
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("not_understood", hotline))
        return
    for rule in load("guard.yml"):
        if any(p in turn.text for p in rule["patterns"]):
            turn.answer = Answer(turn.raw, AnswerStatus(rule["status"]), reply(rule["reply"], hotline, city), confidence=1.0)
            return
    if mostly_foreign(turn.text):
        turn.answer = Answer(turn.raw, AnswerStatus.NO_ANSWER, reply("language", hotline))


def mostly_foreign(text: str) -> bool:
    """More Latin letters than Chinese characters: the knowledge base is Chinese only."""
    return len(_LATIN.findall(text)) > len(_CJK.findall(text))
