"""Values the answer pipeline passes between its steps and hands back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from knowledge.index.hybrid import Filters, Hit


class AnswerStatus(str, Enum):
    ANSWERED = "answered"  # grounded in published, in-force content, with sources
    CLARIFY = "clarify"  # several different services match: ask which
    NO_ANSWER = "no_answer"  # say so plainly, give the hotline number, offer a person
    HANDOFF = "handoff"  # a person must take over (e.g. an emergency)
    REFUSED = "refused"  # not something the assistant may answer


class QuestionError(ValueError):
    """The question itself is unusable (empty, too long): a 4xx / exit code 2, not an answer."""


@dataclass
class Source:
    id: int
    kind: str
    title: str
    doc_number: str
    department: str
    region: str
    date: str
    source: str
    snippet: str
    key: str = ""

    def public(self) -> dict:
        """The fields of the stable CLI/HTTP contract."""
        data = asdict(self)
        data.pop("key")
        return data


@dataclass
class Department:
    """Where a case should be dispatched (派单), and why. `name` "" means nothing to dispatch (a
    greeting); the hotline centre's own name means the centre dispatches it after reading it."""

    name: str
    reason: str
    key: str = ""  # the directory entry's key ("none": nothing to dispatch; "": the centre)
    phone: str = ""
    probability: float | None = None  # the dispatch model's calibrated probability for `key`
    candidates: list[tuple[str, float]] = field(default_factory=list)  # the likeliest departments, when unsure


@dataclass
class Option:
    """A choice offered when the question is ambiguous."""

    title: str
    key: str


@dataclass
class Answer:
    question: str
    status: AnswerStatus
    answer: str
    confidence: float = 0.0
    sources: list[Source] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    ranked_keys: list[str] = field(default_factory=list)  # every item found, best first (for eval)
    ranked_sources: list[str] = field(default_factory=list)
    item_key: str = ""  # the item that answered (the "service under discussion" for follow-ups)
    guide_field: str = ""  # the guide field that answered, if any
    lead: str = ""  # the sentence of the quoted text that applies to the question, when one clearly does
    # the answer differs by the citizen's situation and the question did not say which: the
    # conditions of its cases ("累计缴费满1年不满5年", "满5年不满10年", "10年以上"), to ask about
    situations: list[str] = field(default_factory=list)
    # not answered, but the question named a service of the KB: the service under discussion for
    # the next question ("嗯 就是那个居住证" → "在哪里办")
    topic_key: str = ""

    @property
    def waits_for_choice(self) -> bool:
        """A clarify's question, or an answer that asks which case applies: the next message may be
        the choice, typed or pressed, that completes it (`AnswerPipeline.answer(pending=)`)."""
        return self.status == AnswerStatus.CLARIFY or bool(self.situations)

    def public(self) -> dict:
        return {
            "question": self.question,
            "status": self.status.value,
            "answer": self.answer,
            "confidence": round(self.confidence, 3),
            "sources": [s.public() for s in self.sources],
        }


@dataclass
class Turn:
    """The state one question accumulates as it goes through the steps."""

    raw: str
    context_key: str = ""
    situation: str = ""  # what the citizen said of themselves before ("交了3年"): `knowledge.cases`
    topic_guide: int | None = None  # the guide of the service under discussion, when the question names none
    text: str = ""  # normalised question
    expansions: list[str] = field(default_factory=list)  # official terms for colloquial words
    region: str | None = None
    department: str | None = None
    filters: Filters | None = None
    query_vector: object = None  # the e5 query embedding (numpy array)
    hits: list[Hit] = field(default_factory=list)
    question: object = None  # knowledge.reader.features.Question: what the reader knows of the question
    asked: object = None  # probability per guide field that the question asks for it (numpy array)
    rows: dict = field(default_factory=dict)  # item id -> the reader's feature row of that candidate
    field: tuple[str, str] | None = None  # (guide field, its text) the reader picked for the best item
    confidence: float = 0.0
    followed: bool = False  # read in the service under discussion (follow.py): held to the follow-up bar
    answer: Answer | None = None  # set by the step that decides the outcome
