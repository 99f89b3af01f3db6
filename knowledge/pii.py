"""Mask personal data (身份证号, 手机号, bank cards, e-mail) before anything is stored or logged.

Numbers are found by one left-to-right scan, not by backtracking patterns, so the work is linear in
the text whatever a sender types (a 1 MB message of digits and dashes costs what reading it costs).
The scan sees through the layouts people type: full-width digits (１３８), spaces, dashes, dots and
ideographic spaces between groups ("110101 19900307 7578", "6222-0212-3456-7890", "+86 138 1234
5678"). A number's groups are read as one number when they are joined by the same separator and
every inner group has at least three digits, so a date before a phone number ("2024-05-01
13812345678") stays a date. What is masked keeps only the head and tail digits, with the
separators gone, so nothing stored can rebuild the hidden digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

# one character in, one character out: positions in the folded text are positions in the original
_FOLD = str.maketrans(
    {**{chr(0xFF10 + d): str(d) for d in range(10)}, "Ｘ": "X", "ｘ": "x", "＋": "+", "－": "-", "—": "-", "–": "-",
     "‐": "-", "．": ".", "\u3000": " "}
)  # fmt: skip
_SEPARATORS = frozenset(" -.")
_MAX_SEPARATOR = 3  # "138 - 1234 - 5678"
_LONGEST = 19  # no personal number has more digits (bank cards)
_DIGITS = re.compile(r"[0-9]+[Xx]?")
_ALNUM = re.compile(r"[0-9A-Za-z]").match
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*+(@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)*+)")
_EMAIL_TLD = re.compile(r"\.[A-Za-z]{2,}$")


class _Group(NamedTuple):
    start: int  # in the text
    end: int
    digits: str  # may end in X (an ID's check character)
    separator: str  # the separator before it (" " for the first group of a run)


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    masked: str


def _runs(folded: str):
    """Runs of digit groups joined by short separators, each run a list of groups."""
    run: list[_Group] = []
    for m in _DIGITS.finditer(folded):
        start, end = m.span()
        if (start > 0 and _ALNUM(folded[start - 1])) or (end < len(folded) and _ALNUM(folded[end])):
            continue  # part of a code like "A12345" or "12ab": not a number
        separator = folded[run[-1].end : start] if run else ""
        if run and not (len(separator) <= _MAX_SEPARATOR and set(separator) <= _SEPARATORS):
            yield run
            run, separator = [], ""
        if end - start < 3 and m.group() != "86":  # a short group only ends a number ("… 7890 12"), or stands alone
            if run:
                run.append(_Group(start, end, m.group().upper(), separator.strip() or " "))
                yield run
            run = []
            continue
        run.append(_Group(start, end, m.group().upper(), separator.strip() or " "))
    if run:
        yield run


def _kind(digits: str, several: bool, plus: bool) -> str | None:
    """What digits read as one number are, if personal: 'id', 'mobile', 'card' or None."""
    if "X" in digits[:-1]:
        return None
    if digits.endswith("X"):
        return "id" if len(digits) == 18 else None
    if len(digits) == 18 or (len(digits) == 15 and not several):
        return "id"
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return "mobile"
    if len(digits) == 13 and digits.startswith("86") and digits[3] in "3456789" and digits[2] == "1":
        return "mobile"
    if 16 <= len(digits) <= _LONGEST:
        return "card"
    return None


def _longest(run: list[_Group], i: int, plus: bool) -> tuple[int, str] | None:
    """The longest personal number that starts at group i: (its last group, its kind).

    Groups are read together only with one separator throughout and groups of three or more digits,
    but for the country code 86 first and a short group last (`_runs` ends a run at a short group)."""
    best = None
    digits = ""
    for j in range(i, len(run)):
        group = run[j]
        if j > i:
            if group.digits == "86" or (j > i + 1 and group.separator != run[i + 1].separator):
                break
        elif len(group.digits) < 3 and group.digits != "86":
            break  # a short group does not start a number
        digits += group.digits
        if len(digits) > _LONGEST:
            break
        kind = _kind(digits, j > i, plus)
        if kind:
            best = (j, kind)
    return best


def _masked(kind: str, digits: str, plus: bool) -> str:
    if kind == "id":
        return digits[:6] + "*" * (len(digits) - 10) + digits[-4:] if len(digits) == 18 else digits[:6] + "******" + digits[-3:]
    if kind == "card":
        return f"{digits[:4]} **** **** {digits[-4:]}"
    if len(digits) == 13:
        return f"{'+' if plus else ''}86 {digits[2:5]}****{digits[-4:]}"
    return f"{digits[:3]}****{digits[-4:]}"


def _numbers(text: str) -> list[Found]:
    folded = text.translate(_FOLD)
    found: list[Found] = []
    for run in _runs(folded):
        i = 0
        while i < len(run):
            start = run[i].start
            plus = start > 0 and folded[start - 1] == "+"
            best = _longest(run, i, plus)
            if best is None:
                i += 1
                continue
            j, kind = best
            digits = "".join(g.digits for g in run[i : j + 1])
            found.append(Found(start - (1 if plus else 0), run[j].end, _masked(kind, digits, plus)))
            i = j + 1
    return found


def _emails(text: str) -> list[Found]:
    found = []
    for m in _EMAIL.finditer(text):
        if _EMAIL_TLD.search(m.group(2)):
            found.append(Found(m.start(), m.end(), m.group(1) + "***" + m.group(2)))
    return found


def find(text: str) -> list[Found]:
    """Each piece of personal data in `text`, in order, with what it is masked to."""
    numbers = _numbers(text)
    emails = [e for e in _emails(text) if not any(n.start < e.end and e.start < n.end for n in numbers)]
    return sorted(numbers + emails, key=lambda f: f.start)


def _replace(text: str, found: list[Found], replacement) -> str:
    parts, last = [], 0
    for f in found:
        parts.append(text[last : f.start])
        parts.append(replacement(f))
        last = f.end
    parts.append(text[last:])
    return "".join(parts)


def mask(text: str) -> str:
    return _replace(text, find(text), lambda f: f.masked)


def redact(text: str) -> str:
    """The text with personal data removed entirely (what the answer models read)."""
    return _replace(text, find(text), lambda f: " ")


def find_pii(text: str) -> list[str]:
    """The personal-data substrings of `text`: what mask() replaces."""
    return [text[f.start : f.end] for f in find(text)]


# What `mask` leaves behind: "138****5678", "+86 138****5678", "110101********1234", "6222 **** **** 1234", "z***@mail.com"
_MASKED = re.compile(
    r"\+?(?:86 )?\d{3,6}\*{4,}[\dXx]{3,4}|\d{4} \*{4} \*{4} \d{4}|[A-Za-z0-9._%+-]\*\*\*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
_CLAUSE = re.compile(r"([，。；！？,;!?\n]+)")
_LEAD_IN = 8  # what is left of a clause that only carried the number: "我身份证", "电话是"


def without_masks(masked: str) -> str:
    """A masked question with its personal data gone rather than shown masked (a draft for the
    knowledge base: "我身份证110101********1234，社保卡丢了怎么补" → "社保卡丢了怎么补"). A clause
    that ended with a number after a few words ("我身份证…") goes with it; elsewhere only the number
    goes ("我手机号…一直收不到验证码" → "我手机号一直收不到验证码")."""
    if not _MASKED.search(masked):
        return masked
    parts = _CLAUSE.split(masked)
    kept: list[str] = []
    for clause, separator in zip(parts[::2], [*parts[1::2], ""]):
        if _MASKED.search(clause):
            rest = _MASKED.sub("", clause).strip()
            ends = [m.end() for m in _MASKED.finditer(clause)]
            if ends[-1] == len(clause.rstrip()) and len(rest) <= _LEAD_IN:
                continue  # the clause ended with the number: what is left only led in to it
            clause = rest
        if clause:
            kept.append(clause + separator)
    text = "".join(kept).strip("，,；;、 ")
    return text or _MASKED.sub("", masked).strip()
