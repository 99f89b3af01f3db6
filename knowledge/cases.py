"""Conditional answers: the cases a text states by a quantity, and the quantity a citizen states.

An answer often differs by a number the citizen knows about themselves: "累计缴费满1年不满5年的最长领
12个月，满5年不满10年的最长18个月，10年以上的最长24个月", "80-89周岁每人每月100元；90-99周岁…",
"未满16周岁的为5年，16周岁以上的为10年". A question that states that number ("我交了3年", "我爸今年
八十四岁") is answered by the clause whose range holds it; a question that does not is answered with
every case and asked which one applies (`knowledge/answer/compose.py`, issue 18.2).

This is arithmetic over the text's own ranges, not a table of services or facts: the units are the
quantities of a person's situation (years paid or worked, age, months), and a range is read from
the ways Chinese official text writes one (满/不满/未满/不足/以上/以下/及以上/超过/低于/A-B). Calendar
years ("2030年起") and grades ("三年级") are not quantities of a situation.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

UNITS = {"周岁": "岁", "岁": "岁", "年": "年", "个月": "个月"}
_UNIT = r"(周岁|岁|个月|年)"
_NUM = r"(\d+(?:\.\d+)?)"
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NOT_DURATION = re.compile(r"^(?:级|代|底|初|度|前|后|内|中|末|起|期)")  # 三年级, 2030年起, 3年前
CLAUSE_END = re.compile(r"(?<=[；;。！？!?，,\n])")
_BELOW = r"(?:不满|未满|不足|低于|少于)"
# (pattern, kind): "span" 满1年不满5年 [1, 5), "between" 80-89周岁 [80, 89], "below" 不满12个月 [0, 12),
# "from" 满15年 / 10年以上 [15, ∞), "upto" 50周岁以下 [0, 50]
_RANGES = (
    (re.compile(rf"(?:年满|已满|满|超过)?{_NUM}\s*{_UNIT}?\s*(?:以上)?\s*[、，,]?\s*{_BELOW}\s*{_NUM}\s*{_UNIT}"), "span"),
    (re.compile(rf"{_NUM}\s*{_UNIT}?\s*[-—–～~至到]\s*{_NUM}\s*{_UNIT}"), "between"),
    (re.compile(rf"(?:{_BELOW}|不到){_NUM}\s*{_UNIT}"), "below"),
    (re.compile(rf"(?:年满|已满|满|超过|达到|不少于|不低于|大于){_NUM}\s*{_UNIT}"), "from"),
    (re.compile(rf"{_NUM}\s*{_UNIT}\s*(?:及以上|以上|或以上)"), "from"),
    (re.compile(rf"{_NUM}\s*{_UNIT}\s*(?:及以下|以下|以内)"), "upto"),
)


@dataclass(frozen=True)
class Range:
    low: float
    high: float  # exclusive, except for "between" ranges (80-89周岁 holds 89)
    unit: str
    closed: bool = False

    def holds(self, value: float) -> bool:
        return self.low <= value and (value <= self.high if self.closed else value < self.high)


@dataclass(frozen=True)
class Case:
    clause: str  # the clause that states the case and what follows from it
    range: Range
    condition: str  # the words that state the range ("累计缴费满1年不满5年")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _calendar(number: str, unit: str) -> bool:
    return unit == "年" and "." not in number and float(number) >= 1900


def ranges(text: str) -> list[tuple[int, int, Range]]:
    """Every range `text` states, in order, as (start, end, range); of overlapping matches the
    earliest, and at one position the longest, is kept ("不满15年" is one range, not also "满15年";
    "满1年不满5年" one, not "满1年" and "不满5年")."""
    text = _fold(text)
    found: list[tuple[int, int, Range]] = []
    for pattern, kind in _RANGES:
        for m in pattern.finditer(text):
            groups = m.groups()
            if kind in ("span", "between"):
                low, unit_a, high, unit = groups
                unit = UNITS[unit]
                if unit_a and UNITS[unit_a] != unit or _calendar(low, unit) or _calendar(high, unit):
                    continue
                rng = Range(float(low), float(high), unit, closed=kind == "between")
            else:
                number, unit = groups
                unit = UNITS[unit]
                if _calendar(number, unit) or _NOT_DURATION.match(text[m.end() :]):
                    continue
                value = float(number)
                low, high = (value, math.inf) if kind == "from" else (0.0, value)
                rng = Range(low, high, unit, closed=kind == "upto")
            found.append((m.start(), m.end(), rng))
    found.sort(key=lambda f: (f[0], -f[1]))
    kept: list[tuple[int, int, Range]] = []
    for start, end, rng in found:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, rng))
    return kept


def clauses(text: str) -> list[str]:
    """The clauses of `text`; a condition clause ending in 的 ("满5年不满10年的，") is joined to the
    clause that says what follows from it."""
    parts = [p for p in CLAUSE_END.split(text) if p.strip()]
    out: list[str] = []
    pending = ""
    for part in parts:
        if part.rstrip("，,").endswith("的") and part.endswith(("，", ",")):
            pending += part
            continue
        out.append(pending + part)
        pending = ""
    if pending:
        out.append(pending)
    return [c.strip() for c in out if c.strip()]


def cases(text: str) -> list[Case]:
    """The cases `text` states by one quantity: its clauses that each begin a different range of the
    same unit (at least two of them), else []. A clause's case is its first range."""
    by_unit: dict[str, list[Case]] = {}
    for clause in clauses(text):
        found = ranges(clause)
        if not found:
            continue
        start, end, rng = found[0]
        head = _fold(clause)[:end]
        condition = re.split(r"[：:，,；;。]", head)[-1].strip()
        by_unit.setdefault(rng.unit, []).append(Case(clause.strip("，,；;。 "), rng, condition))
    best: list[Case] = []
    for found in by_unit.values():
        if len(found) >= 2 and _disjoint([c.range for c in found]) and len(found) > len(best):
            best = found
    return best


def _disjoint(found: list[Range]) -> bool:
    """The ranges split the quantity into separate cases ("不满12个月" / "满12个月"), not nested
    conditions of different things ("大专35周岁以下" / "职称50周岁以下": age and something else)."""
    order = sorted(found, key=lambda r: (r.low, r.high))
    return all(a.high <= b.low if not a.closed else a.high < b.low for a, b in zip(order, order[1:]))


def _cn_number(text: str) -> float | None:
    """A Chinese numeral up to the hundreds ("三", "十二", "八十四", "一百零二"), else None."""
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


_STATED = re.compile(rf"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)\s*(?:多|来)?\s*{_UNIT}(?:多|半)?")


# an age said without 岁, as people say it of themselves and their family: a person, then the number
# and 了 ("我妈今年九十二了", "我爸84了", "老人家都八十多啦"). The persons are the closed set of words
# Chinese names a person by in a family or as "I/he/she", not a list of questions.
_PERSON = (
    r"(?:我|本人|他|她|老人家|老人|老伴|老爷子|老太太|[爸妈爹娘]|父亲|母亲|爷爷|奶奶|外公|外婆|姥姥|姥爷"
    r"|公公|婆婆|岳父|岳母|叔叔|婶婶|阿姨|舅舅|舅妈|姑姑|姑妈|伯伯|大爷|大妈)"
)
_BARE_AGE = re.compile(rf"{_PERSON}(?:今年|现在|已经|都|也)*(\d{{2,3}}|[一二三四五六七八九十百]{{2,4}})(?:多|来)?(?:了|啦)")


def _bare_ages(text: str) -> list[float]:
    """The ages `text` states without 岁 (at most 120)."""
    values = [_value(m.group(1)) for m in _BARE_AGE.finditer(text)]
    return [v for v in values if v is not None and v <= 120]


def _value(number: str) -> float | None:
    return float(number) if number[0].isdigit() else _cn_number(number)


def stated(question: str) -> list[tuple[float, str]]:
    """The quantities of their situation a question states: (value, unit) for "交了3年" (3, 年),
    "八十四岁" (84, 岁), "8个多月", an age said without 岁 ("我妈今年九十二了": 92, 岁)… Calendar
    years, grades and "N年前" are not among them."""
    text = _fold(question)
    out = []
    for m in _STATED.finditer(text):
        if not _kept(text, m):
            continue
        value = _value(m.group(1))
        if value is not None:
            out.append((value, UNITS[m.group(2)]))
    return out + [(age, "岁") for age in _bare_ages(text)]


def situation_of(texts: list[str]) -> str:
    """What earlier messages stated of the citizen's situation, as their own words ("交了3年 84岁"),
    latest last: the case an answer's cases are read against when the question itself says nothing
    in their unit ("我交了3年失业保险" … "最长能领多久")."""
    words = []
    for text in texts:
        folded = _fold(text)
        words += [m.group(0) for m in _STATED.finditer(folded) if _kept(folded, m)]
        words += [f"{age:g}岁" for age in _bare_ages(folded)]
    return " ".join(words)


def _kept(text: str, m: re.Match) -> bool:
    number, unit = m.group(1), UNITS[m.group(2)]
    if _NOT_DURATION.match(text[m.end() :]) or _rate(text, m.start(), number, unit):
        return False
    return not number[0].isdigit() or not _calendar(number, unit)


def _rate(text: str, start: int, number: str, unit: str) -> bool:
    """ "每个月", "一个月能领多少", "一年交多少": a rate, not how long or how old."""
    return text[max(0, start - 1) : start] == "每" or (number == "一" and unit in ("年", "个月"))


def stated_ranges(question: str) -> list[Range]:
    """Ranges the question itself names ("满5年不满10年": a case chosen from the options offered)."""
    return [rng for _s, _e, rng in ranges(question)]


def applying(question: str, found: list[Case], situation: str = "") -> Case | None:
    """The one case of `found` that the question's stated situation falls in (or, when the question
    states nothing in their unit, what the citizen said before: `situation`), else None (nothing
    stated in their unit, or the value falls in none or in several)."""
    if not found:
        return None
    unit = found[0].range.unit
    if situation and not states_unit(question, unit):
        question = situation
    named = [r for r in stated_ranges(question) if r.unit == unit]
    fits = [c for c in found if c.range in named]
    if len(fits) != 1:
        values = [v for v, u in stated(question) if u == unit]
        fits = [c for c in found if any(c.range.holds(v) for v in values)] if values else []
    return fits[0] if len(fits) == 1 else None


def states_unit(question: str, unit: str) -> bool:
    """The question states a quantity, or names a range, in `unit`."""
    return any(u == unit for _v, u in stated(question)) or any(r.unit == unit for r in stated_ranges(question))


@dataclass(frozen=True)
class CaseReading:
    """A text's cases read against what the citizen said (the question, and before it)."""

    cases: list[Case]  # [] when the text does not differ by a quantity
    applies: Case | None  # the case their stated number falls in
    stated: bool  # they stated a quantity (or named a range) in the cases' unit


def read_cases(text: str, question: str, situation: str = "") -> CaseReading:
    """The cases of `text`, the one that applies to the citizen (the question's own number, else
    what they said before: `situation`), and whether they said anything in the cases' unit: the
    answer's lead and what it asks (`knowledge/answer/compose.py`) and the follow-up model's
    features (`knowledge/reader/followup.py`) read it alike."""
    found = cases(text)
    if not found:
        return CaseReading([], None, False)
    return CaseReading(found, applying(question, found, situation), states_unit(f"{question} {situation}", found[0].range.unit))
