"""The answer pipeline: normalize -> guard -> retrieve -> read -> follow -> decide -> compose (-> llm rewrite).

Each step is a small function that reads and extends the `Turn`; a step that settles the outcome
sets `turn.answer` and the remaining steps are skipped. Every answer ends with one status from
the closed set in `AnswerStatus`.
"""

from __future__ import annotations

from datetime import date

from knowledge.settings import KnowledgeSettings
from knowledge.answer.compose import compose_hit, compose_step
from knowledge.answer.decide import decide_step
from knowledge.answer.follow import follow_step
from knowledge.answer.guard import check_question, guard_step
from knowledge.answer.normalize import normalize_step
from knowledge.answer.read import read_step
from knowledge.answer.retrieve import retrieve_step
from knowledge.answer.types import Answer, AnswerStatus, Turn
from knowledge.embeddings import E5Embeddings
from knowledge.index.hybrid import HybridIndex
from knowledge.reader.model import Reader


def pressed_question(title: str, pending: str, case: str = "") -> str:
    """What a pressed choice asks: the chosen service's title with the question asked back about
    (a clarify's button); with a case of an answer that differs by the citizen's situation, that
    question (or the title) with the case's condition (a case button)."""
    return (f"{pending or title} {case}" if case else f"{title} {pending}").strip()


def fallback_department(hotline: str) -> str:
    """Where a case that no directory entry matches is dispatched: the hotline's own centre."""
    return f"{hotline}热线派单中心"


class AnswerPipeline:
    def __init__(self, index: HybridIndex, embeddings: E5Embeddings, settings: KnowledgeSettings, reader: Reader, composer=None):
        self.index, self.embeddings, self.settings, self.reader = index, embeddings, settings, reader
        self.composer = composer  # optional LLM rewrite (knowledge.answer.llm.LlmComposer)

    @property
    def threshold(self) -> float | None:
        """GOVBOT_ANSWER_THRESHOLD (a probability, for every kind of answer), or None: the model's
        operating points, one per kind of item (`Reader.threshold_for`)."""
        return self.settings.answer_threshold

    def bar(self, threshold: float | None = None):
        """kind -> the probability an answer of that kind needs."""
        value = self.threshold if threshold is None else threshold
        return self.reader.threshold_for if value is None else (lambda _kind: value)

    def steps(self, today: date | None, bar):
        s = self.settings
        return [
            ("normalize", lambda t: normalize_step(t, self.index)),
            ("guard", lambda t: guard_step(t, self.index, s.hotline_number, s.city_name)),
            ("retrieve", lambda t: retrieve_step(t, self.index, self.embeddings, s, today)),
            ("read", lambda t: read_step(t, self.index, self.reader)),
            ("follow", lambda t: follow_step(t, self.index, self.reader)),
            ("decide", lambda t: decide_step(t, self.index, self.reader, bar, s.hotline_number)),
            ("compose", lambda t: compose_step(t, self.index, self.reader, s.verbatim_threshold)),
        ]

    def run(
        self,
        question: str,
        *,
        context_key: str = "",
        situation: str = "",
        today: date | None = None,
        threshold: float | None = None,
    ) -> tuple[Answer, Turn]:
        check_question(question, self.settings.max_question_chars)
        turn = Turn(raw=question.strip(), context_key=context_key, situation=situation)
        for _name, step in self.steps(today, self.bar(threshold)):
            step(turn)
            if turn.answer is not None:
                break
        answer = turn.answer
        answer.ranked_keys = [h.meta.key for h in turn.hits]
        answer.ranked_sources = [h.meta.source for h in turn.hits]
        if self.composer is not None and answer.status.value == "answered":
            answer = self.composer.rewrite(answer, turn)
        return answer, turn

    def read(self, question: str, *, context_key: str = "", situation: str = "", today: date | None = None) -> Turn:
        """The turn as the general reader leaves it (the steps up to `read`; nothing decided): what
        the follow-up model learns from (`knowledge/reader/followup.py`)."""
        check_question(question, self.settings.max_question_chars)
        turn = Turn(raw=question.strip(), context_key=context_key, situation=situation)
        for name, step in self.steps(today, self.bar()):
            step(turn)
            if turn.answer is not None or name == "read":
                break
        return turn

    def answer(
        self,
        question: str,
        *,
        context_key: str = "",
        pending: str = "",
        situation: str = "",
        today: date | None = None,
        threshold: float | None = None,
    ) -> Answer:
        """`pending`: the question we just asked back about (a clarify). A message typed instead of
        a choice pressed ("个人的", "我在南湖区", "要带什么材料？") that is not answered on its own
        completes that question, as a pressed choice does (`actions/answer.py`): the two are read
        together, and that reading stands when it answers or asks again which one. `situation`:
        what the citizen said of themselves before (`knowledge.cases.situation_of`), which picks the
        case of an answer that differs by it."""
        kw = {"context_key": context_key, "situation": situation, "today": today, "threshold": threshold}
        answer = self.run(question, **kw)[0]
        if pending and answer.status != AnswerStatus.ANSWERED:
            joined = f"{pending} {question}"[-self.settings.max_question_chars :]
            joined = self.run(joined, **kw)[0]
            if joined.status in (AnswerStatus.ANSWERED, AnswerStatus.CLARIFY):
                return joined
        return answer

    def suggestions(self, question: str, n: int = 3, today: date | None = None, context_key: str = "", situation: str = "") -> list[Answer]:
        """The best `n` items each composed as an answer (for operators, who judge for themselves),
        read in the context of the service under discussion (`context_key`) and of what the caller
        said of themselves (`situation`) as the chat reads it."""
        _answer, turn = self.run(question, context_key=context_key, situation=situation, today=today, threshold=0.0)
        if not turn.hits or turn.question is None:
            return []
        out = []
        for hit in turn.hits[:n]:
            conf = turn.confidence if turn.followed and hit is turn.hits[0] else self.reader.probability(hit.fit, hit.meta.kind)
            out.append(compose_hit(turn, hit, self.index, self.reader, conf, self.settings.verbatim_threshold))
        return out
