"""Sentence vectors of policy documents: what the answer to a question about a document quotes.

A document passage is a chunk of up to 400 characters; the answer is one or two of its
sentences. The chunk's vector finds the document, but among documents on one subject (the five
seed work plans all speak of 政务公开) the sentence that answers is found far more often by
the sentence's own vector and words (docs/answering.md, "Quoting documents"). Each document
sentence is embedded once, through the same shared vector cache as the passages, and kept here
by passage id with its words, so that answering embeds nothing but the question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.passages import Passage
from knowledge.text import char_bigrams, has_cjk, sentences, tokenize

MIN_CHARS = 6  # shorter lines are signatures, dates and headings without content


def quotable_sentences(text: str) -> list[str]:
    """The sentences (and ；-separated cases) of `text` that could be quoted, in order."""
    return [s for s in sentences(text) if len(s) >= MIN_CHARS and has_cjk(s)]


def answer_sentences(passage: Passage) -> list[str]:
    """The sentences of a document passage that could be quoted as an answer, in order (other
    kinds of passage are quoted whole: none)."""
    if passage.role != "section":
        return []
    return quotable_sentences(passage.text)


def sentence_words(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A sentence's words and character pairs (`Sentence.words`, `Sentence.pairs`)."""
    return frozenset(tokenize(text)), frozenset(char_bigrams(text))


@dataclass
class Sentence:
    pid: str
    n: int  # position among the passage's answer sentences
    text: str
    cosine: float  # to the question
    words: frozenset[str]
    pairs: frozenset[str]


class SentenceVectors:
    def __init__(self):
        self.texts: dict[str, list[str]] = {}
        self.vectors: dict[str, np.ndarray] = {}
        self.words: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {}

    def __len__(self) -> int:
        return sum(len(t) for t in self.texts.values())

    def add(self, passages: list[Passage], encode) -> None:
        """`encode(texts)` -> unit vectors ("passage: ")."""
        split = [(p.pid, answer_sentences(p)) for p in passages]
        flat = [s for _, parts in split for s in parts]
        if not flat:
            return
        matrix = encode(flat)
        start = 0
        for pid, parts in split:
            if parts:
                self.texts[pid] = parts
                self.vectors[pid] = np.asarray(matrix[start : start + len(parts)], dtype=np.float32)
                self.words[pid] = [sentence_words(s) for s in parts]
                start += len(parts)

    def remove(self, pids: list[str]) -> None:
        for pid in pids:
            self.texts.pop(pid, None)
            self.vectors.pop(pid, None)
            self.words.pop(pid, None)

    def of(self, pids: list[str], query_vector: np.ndarray) -> list[Sentence]:
        """Every sentence of the given passages, in order, with its cosine to the question."""
        out: list[Sentence] = []
        for pid in pids:
            if pid in self.vectors:
                cosines = (self.vectors[pid] @ query_vector).tolist()
                out += [Sentence(pid, n, text, c, *self.words[pid][n]) for n, (text, c) in enumerate(zip(self.texts[pid], cosines))]
        return out
