"""Homophone typo repair: 居注证 -> 居住证, 公基金 -> 公积金.

Pinyin input makes the commonest Chinese typo a character with the same sound. A window of
the question that the knowledge base never uses, but which sounds exactly like a term it
does use (a word of an item title), is taken to mean that term. The citizen's own words are
kept for display; search and answer selection use the repaired text.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin

from knowledge.text import tokenize

MIN_LEN, MAX_LEN = 2, 4


@lru_cache(maxsize=20000)
def sound(word: str) -> str:
    return " ".join(lazy_pinyin(word))


class Speller:
    def __init__(self, titles: list[str], known_words: set[str]):
        self.known = known_words
        self.by_sound: dict[str, str] = {}
        for title in titles:
            for word in tokenize(title):
                if MIN_LEN <= len(word) <= MAX_LEN and _all_cjk(word):
                    self.by_sound.setdefault(sound(word), word)

    def correct(self, text: str) -> str:
        """`text` with each unknown window replaced by the known term that sounds the same."""
        taken = [False] * len(text)
        fixes: list[tuple[int, int, str]] = []
        for size in range(MAX_LEN, MIN_LEN - 1, -1):
            for start in range(len(text) - size + 1):
                window = text[start : start + size]
                if any(taken[start : start + size]) or not _all_cjk(window) or window in self.known:
                    continue
                word = self.by_sound.get(sound(window))
                # a typo changes a character or two of a word, not all of it (签一 is not 迁移)
                if word and word != window and 2 * sum(a == b for a, b in zip(word, window)) >= size:
                    fixes.append((start, start + size, word))
                    taken[start : start + size] = [True] * size
        for start, end, word in sorted(fixes, reverse=True):
            text = text[:start] + word + text[end:]
        return text


def _all_cjk(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)
