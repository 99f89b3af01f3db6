"""Step 1: normalise the wording and read what the question names (district, department)."""

from __future__ import annotations

from knowledge.answer.rules import load
from knowledge.pii import redact
from knowledge.answer.types import Turn
from knowledge.index.hybrid import HybridIndex
from knowledge.text import normalize, official_terms


def normalize_step(turn: Turn, index: HybridIndex) -> None:
    # an ID, card or phone number is no part of the question: the models never see it
    turn.text = index.speller().correct(normalize(redact(turn.raw)))
    turn.expansions = official_terms(turn.text)
    turn.region = named_district(turn.text, index)
    turn.department = named_department(turn.text, index)


def named_district(text: str, index: HybridIndex) -> str | None:
    """The longest district name in the text; of two as long, the one named first (the districts
    are a set: without the tie-break the choice changed with the process's hash seed)."""
    named = [d for d in index.districts() if d and d in text]
    return min(named, key=lambda d: (-len(d), text.index(d), d)) if named else None


def named_department(text: str, index: HybridIndex) -> str | None:
    """A department named in full (without the city prefix) or by a common short name."""
    for short, official in sorted(load("departments.yml").items(), key=lambda kv: -len(kv[0])):
        if short in text:
            return official
    names = {m.department for m in index.meta.values() if m.department}
    for name in sorted(names, key=len, reverse=True):
        core = _without_region_prefix(name)
        if len(core) >= 3 and core in text:
            return core
    return None


def _without_region_prefix(name: str) -> str:
    for marker in ("市", "区", "县"):
        head, sep, tail = name.partition(marker)
        if sep and len(head) <= 4 and tail:
            return tail
    return name
