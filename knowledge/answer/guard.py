"""Step 2: reject unusable questions; route what must not be answered from the knowledge base."""
from __future__ import annotations

import re

from knowledge.answer.normalize import named_district
from knowledge.answer.rules import load, reply
from knowledge.answer.types import Answer, AnswerStatus, QuestionError, Turn
from knowledge.index.hybrid import HybridIndex

_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# words jieba's dictionary tags as place names that are not places in a citizen's question
NOT_PLACES = frozenset("东西 东南 西北 南北 中外 内外 城乡 全国 国家 中国 本市 外地 老家 当地 本地 外省 异地 各地 中风".split())
# a place the citizen moves from or to ("户口从河南迁到示例市", "我爸去海南长住了，医保异地备案")
# is not where the question is about, when the question is about this city or about moving
MOVES = ("从", "去", "到", "回", "往", "来自")
ABOUT_HERE = ("示例市", "本市", "我市", "这边", "这里", "异地", "迁", "转移", "跨省", "跨市", "老家")


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

    words = list(jieba.posseg.cut(text))
    here = any(cue in text for cue in ABOUT_HERE) or named_district(text, index) is not None
    return [w.word for i, w in enumerate(words)
            if w.flag == "ns" and len(w.word) > 1 and w.word not in NOT_PLACES
            and w.word not in index.lexical.postings and not any(w.word in d for d in index.districts())
            and not (here and i > 0 and words[i - 1].word.endswith(MOVES))]
