"""Quote a policy document: the sentence(s) that answer, sought across the documents that fit.

The reader's sentence model (`knowledge.reader`, `sentences.txt`, learned from the labelled
questions' answer words) scores every sentence of the candidate documents: its cosine to the
question, the question's words and character pairs it shares, what kind of fact it states (a
number, money, a duration, a phone, an address) next to what the question asks for. A model
trained without document questions has no sentence model (its card says so); then the sentences
are ranked by cosine and by shared words, the two ranks fused (reciprocal rank fusion).
The best sentence decides which document is quoted and cited. A short sentence (a heading such
as "(七)推进预决算公开。") brings the next one; a runner-up sentence of the same document that
ranks right behind it is quoted too, in document order, when both fit in `MAX_EXTRACT`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from knowledge.answer.types import Turn
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.index.sentences import Sentence
from knowledge.reader.features import SHORT_SENTENCE, sentence_features
from knowledge.reader.model import Reader
from knowledge.text import canonical, char_bigrams, tokenize

RRF_K = 60
MAX_EXTRACT = 220  # characters: two sentences at most, never a page
QUOTE_CANDIDATES = 5  # documents among the best items whose sentences may answer
QUOTE_FIT_SHARE = 0.5  # ... if they fit at least this share as well as the best one
RUNNER_UP_DEPTH = 3  # a second sentence of the same document is quoted if it ranks this high among all
QUANTITY_CUES = re.compile(r"几|多少|多久|多长|最迟|最晚|期限|时限|多大|比例|标准是")
QUANTITY = re.compile(r"\d|[一二三四五六七八九十百千万两半]+(个|日|天|年|月|周|小时|工作日|次|元|%|倍|岁)")


@dataclass
class Quote:
    hit: Hit
    text: str


def word_scorer(turn: Turn, index: HybridIndex):
    """`score(words, pairs, text)`: how much of the question's wording a sentence shares."""
    question = " ".join([canonical(turn.text)] + turn.expansions)
    weights = {w: index.lexical.idf(w) for w in set(tokenize(question))}
    pairs = set(char_bigrams(question))
    wants_quantity = bool(QUANTITY_CUES.search(turn.text))

    def score(words: frozenset[str], sentence_pairs: frozenset[str], text: str) -> float:
        # summed in a fixed order: equal scores stay equal whatever the process's hash seed
        value = sum(weights[w] for w in sorted(weights.keys() & words)) + 0.5 * len(pairs & sentence_pairs)
        return value * 1.3 if wants_quantity and QUANTITY.search(text) else value

    return score


def candidate_documents(turn: Turn) -> list[Hit]:
    """The documents that fit about as well as the best item: where the answering sentence is sought."""
    top = turn.hits[0].fit
    return [h for h in turn.hits[:QUOTE_CANDIDATES] if h.meta.kind == "document" and h.fit >= QUOTE_FIT_SHARE * top]


def document_sentences(hits: list[Hit], index: HybridIndex, query_vector) -> tuple[list[Sentence], dict[str, Hit]]:
    """Every sentence of the documents in `hits` (their title lines left out) and the hit of each passage."""
    owner: dict[str, Hit] = {}
    for hit in hits:
        for pid in index.item_pids.get(hit.meta.item_id, []):
            owner[pid] = hit
    found = [s for s in index.sentences.of(list(owner), query_vector) if not repeats_title(s.text, owner[s.pid].meta.title)]
    return found, owner


def quote_chance(turn: Turn, hit: Hit, index: HybridIndex, reader: Reader) -> float:
    """The sentence model's chance that the document's best sentence states the answer: a document
    answers only if one of its sentences does (1 without a sentence model or sentences)."""
    found, owner = document_sentences([hit], index, turn.query_vector)
    if reader.sentences is None or not found:
        return 1.0
    return float(np.max(_sentence_chances(turn, found, owner, reader)))


def _sentence_chances(turn: Turn, found: list[Sentence], owner: dict[str, Hit], reader: Reader) -> np.ndarray:
    """The sentence model's chance that each sentence states the answer (its document's title known)."""
    titles = [owner[s.pid].meta.title for s in found]
    return reader.predict_sentences(sentence_features(turn.question, found, turn.asked, titles))


def quote_documents(turn: Turn, hits: list[Hit], index: HybridIndex, reader: Reader) -> Quote | None:
    """The best sentence(s) among all sentences of the documents in `hits`; None if they have none."""
    found, owner = document_sentences(hits, index, turn.query_vector)
    if not found:
        return None
    if reader.sentences is not None:
        scores = list(_sentence_chances(turn, found, owner, reader))
    else:
        scores = _fused(turn, index, found)
    order = sorted(range(len(found)), key=lambda i: (-scores[i], i))
    best = found[order[0]]
    runner_up = next(
        (found[i] for i in order[1:RUNNER_UP_DEPTH] if owner[found[i].pid] is owner[best.pid] and found[i].text != best.text), None
    )
    return Quote(owner[best.pid], _extract(best, runner_up, owner, index))


def _fused(turn: Turn, index: HybridIndex, found: list[Sentence]) -> list[float]:
    score = word_scorer(turn, index)
    words = [score(s.words, s.pairs, s.text) for s in found]
    fused = [0.0] * len(found)
    for values in ([s.cosine for s in found], words):
        for rank, i in enumerate(sorted(range(len(found)), key=lambda i: -values[i]), 1):
            fused[i] += 1.0 / (RRF_K + rank)
    return fused


def repeats_title(sentence: str, title: str) -> bool:
    """The document's title line (or a line of it) is not an answer."""
    core = sentence.strip("。；; ")
    return core in title or (title in core and len(core) <= len(title) + 4)


def _extract(best: Sentence, runner_up: Sentence | None, owner: dict[str, Hit], index: HybridIndex) -> str:
    texts = index.sentences.texts[best.pid]
    if len(best.text) < SHORT_SENTENCE and best.n + 1 < len(texts):
        return best.text + texts[best.n + 1]
    if runner_up is None or len(best.text) + len(runner_up.text) > MAX_EXTRACT:
        return best.text
    pids = index.item_pids[owner[best.pid].meta.item_id]
    first, second = sorted((best, runner_up), key=lambda s: (pids.index(s.pid), s.n))
    return first.text + second.text
