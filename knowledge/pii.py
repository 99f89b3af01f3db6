"""Mask personal data (身份证号, 手机号, bank cards, e-mail) before anything is stored or logged."""

from __future__ import annotations

import re

_RULES = [
    # 18-digit resident ID (last char may be X) and the old 15-digit form
    (re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)"), r"\1********\2"),
    (re.compile(r"(?<!\d)(\d{6})\d{6}(\d{3})(?!\d)"), r"\1******\2"),
    # bank cards: 16-19 digits, run together or in groups of four
    (re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)"), r"\1 **** **** \2"),
    (re.compile(r"(?<![\d-])(\d{4})([ -])\d{4}\2\d{4}\2(\d{4}(?:\2?\d{1,3})?)(?![\d-])"), r"\1 **** **** \3"),
    # mainland mobile numbers, optionally +86 and separators
    (re.compile(r"(?<!\d)((?:\+?86[ -]?)?1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)"), r"\1****\2"),
    (re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"), r"\1***\2"),
]


def mask(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str) -> str:
    """The text with personal data removed entirely (what the answer models read)."""
    for pattern, _replacement in _RULES:
        text = pattern.sub(" ", text)
    return text


def find_pii(text: str) -> list[str]:
    """The personal-data substrings of `text`: what mask() replaces."""
    found: list[str] = []
    for pattern, replacement in _RULES:
        found.extend(m.group(0) for m in pattern.finditer(text))
        text = pattern.sub(replacement, text)
    return found
