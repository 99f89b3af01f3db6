"""Our replies as WeChat text: answer, then one line per source, then buttons as numbered hints.

WeChat shows plain text (one message at most `wechat_max_chars` characters and 2,048 UTF-8
bytes). Long answers are split: the first part is the passive reply and the rest goes out at once
through the customer-service API, each part marked (1/3), (2/3)…; sources and hints stay
together at the end. When the API can't carry the rest (not configured, window closed, quota
used up), the citizen gets one `condensed` message instead: the beginning of the answer, a note
that it was shortened with the hotline number, and the sources and hints in full.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from govbot.conversations.replies import Button, Reply, SourceOut

MAX_BYTES = 2048
HINTS_HEADER = "请回复数字选择："
HINTS_LISTED = "请回复上面的数字选择。"
BREAKS = ("。！？；;!?\n", "，,、：:", " ")


@dataclass
class Outcome:
    """What one incoming message is answered with (empty parts: nothing, reply "success")."""

    parts: list[str] = field(default_factory=list)
    condensed: str = ""
    passive: str | None = None  # what went out passively, once planned (a retry gets it again)

    @property
    def silent(self) -> bool:
        return not self.parts


def source_line(source: SourceOut) -> str:
    details = " ".join(p for p in (source.doc_number, source.department, source.date) if p)
    return f"来源：《{source.title}》{details}"


def numbered_buttons(replies: list[Reply]) -> list[Button]:
    return [b for r in replies for b in r.buttons]


def _tail(replies: list[Reply], body: str = "") -> str:
    seen, lines = set(), []
    for source in (s for r in replies for s in r.sources):
        line = source_line(source)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    buttons = numbered_buttons(replies)
    if buttons and all(f"{i}. {b.title}" in body for i, b in enumerate(buttons, 1)):
        lines.append(HINTS_LISTED)  # the answer already lists the options with these numbers
    elif buttons:
        lines.append(HINTS_HEADER)
        lines += [f"{i}. {b.title}" for i, b in enumerate(buttons, 1)]
    return "\n".join(lines)


def _fits(text: str, max_chars: int, max_bytes: int = MAX_BYTES) -> bool:
    return len(text) <= max_chars and len(text.encode("utf-8")) <= max_bytes


def _cut(text: str, max_chars: int, max_bytes: int = MAX_BYTES) -> tuple[str, str]:
    """The longest head of `text` that fits, preferably ending at a sentence or clause break."""
    lo, hi = 0, min(len(text), max_chars)
    while lo < hi:  # longest prefix within the byte limit too
        mid = (lo + hi + 1) // 2
        if _fits(text[:mid], max_chars, max_bytes):
            lo = mid
        else:
            hi = mid - 1
    head = text[:lo]
    for breaks in BREAKS:  # the last sentence end in the second half, else a clause end, else a space
        for i in range(len(head) - 1, len(head) // 2, -1):
            if head[i] in breaks:
                return text[: i + 1], text[i + 1 :]
    return head, text[lo:]


def split(text: str, max_chars: int, max_bytes: int = MAX_BYTES) -> list[str]:
    """Pieces that each fit, cut at line breaks where possible, then at sentence breaks."""
    blocks = [b for b in text.split("\n\n")]
    pieces: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if _fits(candidate, max_chars, max_bytes):
            current = candidate
            continue
        if current:
            pieces.append(current)
            current = ""
        for line in block.split("\n"):
            candidate = f"{current}\n{line}" if current else line
            if _fits(candidate, max_chars, max_bytes):
                current = candidate
                continue
            if current:
                pieces.append(current)
            current = line
            while not _fits(current, max_chars, max_bytes):
                head, current = _cut(current, max_chars, max_bytes)
                pieces.append(head)
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def _label(parts: list[str]) -> list[str]:
    n = len(parts)
    return parts if n == 1 else [f"{p}\n（{i}/{n}）" for i, p in enumerate(parts, 1)]


def compose_text(body: str, tail: str, max_chars: int, hotline: str) -> Outcome:
    body, tail = _clean(body), _clean(tail)
    max_chars = max(max_chars, 80)  # room for the shortening note and a little answer
    whole = f"{body}\n\n{tail}" if body and tail else body or tail
    if not whole:
        return Outcome()
    if _fits(whole, max_chars):
        return Outcome(parts=[whole], condensed=whole)
    room = (max_chars - 9, MAX_BYTES - 16)  # each part gets "\n（12/12）"
    # the tail (sources, hints) stays in one piece when it can
    body_parts = split(body, *room) if body else []
    if tail and _fits(tail, *room):
        if body_parts and _fits(f"{body_parts[-1]}\n\n{tail}", *room):
            body_parts[-1] = f"{body_parts[-1]}\n\n{tail}"
        else:
            body_parts.append(tail)
    elif tail:
        body_parts += split(tail, *room)
    return Outcome(parts=_label(body_parts), condensed=condense(body, tail, max_chars, hotline))


def condense(body: str, tail: str, max_chars: int, hotline: str) -> str:
    note = f"……（内容较长，此处仅为节选，完整内容请拨打{hotline}热线咨询。）"
    if not _fits(tail, max_chars // 2):
        tail = _cut(tail, max_chars // 2)[0]
    room = max_chars - len(note) - len(tail) - 2
    head = _cut(body, max(room, 0))[0] if room > 0 else ""
    text = f"{head}{note}\n\n{tail}".strip() if tail else f"{head}{note}"
    while not _fits(text, max_chars) and head:  # bytes, not characters, were the limit
        head = head[:-10]
        text = f"{head}{note}\n\n{tail}".strip() if tail else f"{head}{note}"
    return text


def compose(replies: list[Reply], max_chars: int, hotline: str) -> Outcome:
    body = "\n\n".join(r.text.strip() for r in replies if r.text.strip())
    return compose_text(body, _tail(replies, body), max_chars, hotline)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = re.compile(r"^\s*(?:第)?(\d{1,2})\s*[.。、)）个项]?\s*$")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text).strip()


def chosen_number(text: str) -> int | None:
    """ "1", "１", "1.", "第2个" -> the number of a hint; anything else -> None."""
    match = _DIGITS.match(unicodedata.normalize("NFKC", text))
    return int(match.group(1)) if match else None
