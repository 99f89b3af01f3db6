"""The sentence that applies: when a quoted Q&A answer states several cases
("累计缴费满1年不满5年的，最长领取12个月；满5年不满10年的，最长领取18个月…") or several facts, and
one sentence of it states what the question asks (the case the citizen described: "我交了3年",
"我是第一次申请"; or the one fact asked: "多久到账"), the answer leads with that sentence and
keeps the whole text after it: the lead is a pointer, never a cut, so a wrong lead still leaves
every case in front of the citizen. A text that already begins with that sentence gets no lead.

Which sentence: the reader's sentence model (`knowledge.reader`, `sentences.txt`), learned from the
labelled questions' answer words in documents, reads each sentence of the unit against the question
(its e5 cosine, the question's words and character pairs it shares beyond the item's title, the kind
of fact it states next to what the question asks for). A sentence leads when its chance is at least
`LEAD_CHANCE` and `LEAD_RATIO` times the next best's: where the cases differ only in what the
citizen did not say, no sentence stands out and the whole text is given as it is (measured in
`bench.lead`, docs/answering.md "The sentence that applies").

Only curated Q&A answers are led (`compose.compose_hit` asks for a lead there only). A guide's
field is an official enumeration (every material, every condition applies), and a lead of one of
its items reads as "only this": on the Guangdong guides the lead held the asked fact for 0.56 of
the development questions it was given to, against 0.89 on the sample KB's Q&As.
"""

from __future__ import annotations

from knowledge.answer.types import Turn
from knowledge.index.hybrid import HybridIndex
from knowledge.index.sentences import Sentence, quotable_sentences, sentence_words
from knowledge.reader.features import sentence_features
from knowledge.reader.model import Reader

LEAD_CHANCE = 0.5
LEAD_RATIO = 2.0
MIN_SENTENCES = 2  # a unit of one sentence is its own lead


def sentence_chances(turn: Turn, text: str, title: str, index: HybridIndex, reader: Reader) -> tuple[list[str], list[float]]:
    """Each sentence of `text` and the sentence model's chance that it states what `turn` asks."""
    parts = quotable_sentences(text)
    if len(parts) < MIN_SENTENCES or reader.sentences is None or turn.question is None or turn.query_vector is None:
        return parts, []
    vectors = index.passage_vectors(parts)
    cosines = vectors @ turn.query_vector
    found = [Sentence("", i, p, float(c), *sentence_words(p)) for i, (p, c) in enumerate(zip(parts, cosines))]
    chances = reader.predict_sentences(sentence_features(turn.question, found, turn.asked, [title] * len(found)))
    return parts, [float(c) for c in chances]


def pick(chances: list[float], chance: float = LEAD_CHANCE, ratio: float = LEAD_RATIO) -> int | None:
    """The sentence that leads, by its chances: the best, if it is likely enough, well ahead of the
    next, and not already the first sentence; else None."""
    if len(chances) < MIN_SENTENCES:
        return None
    order = sorted(range(len(chances)), key=lambda i: (-chances[i], i))
    best, second = chances[order[0]], chances[order[1]]
    if order[0] > 0 and best >= chance and best >= ratio * second:
        return order[0]
    return None  # none stands out, or the text already begins with it


def lead_sentence(turn: Turn, text: str, title: str, index: HybridIndex, reader: Reader) -> str:
    """The sentence of `text` that states what the question asks, when one clearly does; else ""."""
    parts, chances = sentence_chances(turn, text, title, index, reader)
    chosen = pick(chances)
    return "" if chosen is None else parts[chosen]
