"""Does the item found talk about the thing the question asks about?

Word overlap and e5 similarity both rate "申请游艇驾驶证需要什么条件" close to the guide on
机动车驾驶证: the question names a different kind of the same thing, and every word but one is
shared. Three explicit checks find the common cases; each names what was asked and what the
item has, so the citizen's reply can say so (measured in docs/answering.md, "Different thing"):

- kind: the question qualifies a noun of a service's title differently (游艇|驾驶证 where the
  title says 机动车驾驶证, 捕捞|许可证 where it says 经营许可证);
- place: the question ties a noun of a service to another place (rules/places.yml) that the
  service never ties it to (香港|身份证 in a Q&A that mentions 香港 and 身份证 separately);
- year: the question asks about a year the item neither names nor was in force in ("2024年…"
  answered from a 2019 work plan would be stale; "2024年低保标准" from a standard of 2025 wrong).

Kind and place apply to services (guides, Q&As, directory entries), whose titles name what they
are about; a policy document's title names its issuer, and questions about its content rarely
repeat it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from knowledge.answer.rules import load
from knowledge.answer.types import Turn
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.text import GENERIC_TITLE_WORDS, known_word, tagged

# e5 cosine of two qualifiers at or above which one names a kind of the other: 货车, 摩托车,
# 电动车 vs 机动车 0.944-0.954; 游艇 0.913, 船舶 0.930 vs 机动车, 捕捞 vs 经营 0.924 (docs/answering.md)
SAME_KIND_COSINE = 0.935
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True)
class Mismatch:
    asked: str  # what the question is about: 游艇驾驶证, 2024年
    have: str  # what the item is about: 机动车驾驶证, the item's title


def mismatch(turn: Turn, hit: Hit, index: HybridIndex) -> Mismatch | None:
    years = YEAR.findall(turn.text)
    if not years and hit.meta.kind == "document":
        return None  # (a document's text is long: not read when nothing is to be checked)
    text = index.item_text(hit.meta.item_id)
    found = _other_year(years, hit, text, turn.filters.today if turn.filters else date.today())
    if found or hit.meta.kind == "document":
        return found
    words = tagged(turn.text)
    pairs = _qualified_nouns(words, index)
    return _other_kind(turn.text, words, pairs, hit.meta.title, index) or _other_place(pairs, text)


Tagged = tuple[str, str]  # (word, part of speech)


def _qualified_nouns(words: list[Tagged], index: HybridIndex) -> list[tuple[Tagged, Tagged]]:
    """(qualifier, noun) pairs of the question's words: a noun that names a thing (not what is asked
    about it: 多长时间, 费用) and the dictionary word just before it (a typo such as 阶提 is not
    in the dictionary: jieba only guessed it is a word). A district is no qualifier here:
    districts filter the search (normalize.named_district)."""
    districts = [d for d in index.districts() if d]
    return [(x, y) for x, y in zip(words, words[1:])
            if y[1].startswith("n") and len(y[0]) > 1 and y[0] not in _asked_about()
            and len(x[0]) > 1 and (x[1][0] in "nvj" or x[1] == "eng") and known_word(x[0])
            and not any(x[0] in d or d in x[0] for d in districts)]


def _other_kind(question: str, words: list[Tagged], pairs, title: str, index: HybridIndex) -> Mismatch | None:
    """A qualifier the knowledge base never uses, before a noun the title qualifies otherwise,
    and not a kind of what the title's qualifier names (货车驾驶证 is a 机动车驾驶证)."""
    asked = {w for w, _ in words}
    for (x, _), (y, _) in pairs:
        if y not in title or index.lexical.idf(x):
            continue
        for match in re.finditer(re.escape(y), title):
            before = tagged(title[:match.start()])
            z = before[-1][0] if before else ""
            if len(z) > 1 and z not in asked and z not in question and not _same_kind(x, z, index):
                return Mismatch(x + y, z + y)
    return None


@lru_cache(maxsize=1)
def _asked_about() -> frozenset[str]:
    """Nouns that say what is asked about a service (fields.yml cues, 费用, 条件 …), not which one."""
    return frozenset(cue for cues in load("fields.yml").values() for cue in cues) | GENERIC_TITLE_WORDS


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    return frozenset(name for names in load("places.yml").values() for name in names)


def _same_kind(word: str, other: str, index: HybridIndex) -> bool:
    a, b = index.embeddings.encode([word, other], "passage: ")
    return float(a @ b) >= SAME_KIND_COSINE


def _other_place(pairs, text: str) -> Mismatch | None:
    for (x, _), (y, _) in pairs:
        if x.removesuffix("省").removesuffix("市") in _places() and y in text and x + y not in text:
            return Mismatch(x + y, y)
    return None


def _other_year(years: list[str], hit: Hit, text: str, today: date) -> Mismatch | None:
    """The item names the year, or it is in force in that year (up to this one) and its title
    does not tie it to another year (a work plan for 2019 is not about 2024)."""
    meta = hit.meta
    for year in map(int, years):
        if f"{year}年" in text:  # (not 〔2024〕 in a document number)
            continue
        start = meta.effective_date or meta.doc_date
        in_force = (year <= today.year and (start is None or start.year <= year)
                    and (meta.expiry_date is None or meta.expiry_date.year >= year))
        if not in_force or YEAR.search(meta.title):
            return Mismatch(f"{year}年", meta.title)
    return None
