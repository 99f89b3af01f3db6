"""Split a cleaned document into chunks that follow its own numbered structure.

Headings (at the start of a line):
    level 1: 一、  二、  (also "一、 " with a space)
    level 2: (一)  （一）
    level 3: 1.  1、  1)  1）  (1)  （1）

A heading line that carries its body ("(一)着力推进重要决策公开。要以……") contributes its short
heading, the text up to the first sentence end, to the path; the whole line stays in the text.
Lines before the first heading form a preamble chunk with an empty path. The document title is
not part of any path (the caller adds it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_NUM = "一二三四五六七八九十百零〇"
HEADING_PATTERNS: list[tuple[int, re.Pattern]] = [
    (1, re.compile(rf"[{_CN_NUM}]+、\s*")),
    (2, re.compile(rf"[(（][{_CN_NUM}]+[)）]\s*")),
    (3, re.compile(r"(?:\d{1,3}(?:[.．、](?!\d)|[)）])|[(（]\d{1,3}[)）])\s*")),
]
HEADING_MAX_CHARS = 30  # a longer short heading is cut at its first comma
SENTENCE_END = "。！？；!?;"
_HEADING_STOP = re.compile(rf"[{SENTENCE_END}]")
_COMMA = re.compile(r"[，,：:、]")
# One unit: a sentence with its closing quotes, or the rest of a line.
_UNIT = re.compile(rf"[^\n{SENTENCE_END}]*(?:[{SENTENCE_END}]+[”’」』]*|\n|$)")


@dataclass
class Chunk:
    heading_path: tuple[str, ...]
    text: str


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, short heading) when the line starts with a heading marker, else None."""
    line = line.strip()
    for level, pattern in HEADING_PATTERNS:
        match = pattern.match(line)
        if not match:
            continue
        rest = line[match.end() :]
        short = _HEADING_STOP.split(rest, maxsplit=1)[0].strip()
        if not short:
            return None
        if len(short) > HEADING_MAX_CHARS:
            first = _COMMA.split(short, maxsplit=1)[0].strip()
            short = first if 2 <= len(first) <= HEADING_MAX_CHARS else short[:HEADING_MAX_CHARS] + "…"
        return level, match.group(0).strip() + short
    return None


def chunk_document(text: str, max_chars: int = 400) -> list[Chunk]:
    """Structure-aware chunks; every chunk <= max_chars unless it is one unsplittable sentence."""
    min_chars = max(20, max_chars // 10)
    chunks: list[Chunk] = []
    for path, body in _merge_heading_only(_sections(text), min_chars):
        chunks.extend(Chunk(path, piece) for piece in _split(body, max_chars, min_chars))
    return chunks


def _sections(text: str) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, text) for the preamble and each heading with its body lines."""
    sections: list[tuple[tuple[str, ...], list[str]]] = [((), [])]
    stack: list[tuple[int, str]] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        heading = heading_of(line)
        if heading:
            while stack and stack[-1][0] >= heading[0]:
                stack.pop()
            stack.append(heading)
            sections.append((tuple(s for _, s in stack), [line]))
        else:
            sections[-1][1].append(line)
    return [(path, "\n".join(lines)) for path, lines in sections if lines]


def _merge_heading_only(sections, min_chars: int):
    """A heading with (almost) no body of its own joins its first subsection (not the preamble)."""
    merged: list[tuple[tuple[str, ...], str]] = []
    for path, body in reversed(sections):
        if merged:
            next_path, next_body = merged[-1]
            is_parent = path and len(next_path) > len(path) and next_path[: len(path)] == path
            heading_only = "\n" not in body and len(body) <= 2 * HEADING_MAX_CHARS
            if is_parent and (heading_only or len(body) < min_chars):
                merged[-1] = (next_path, body + "\n" + next_body)
                continue
        merged.append((path, body))
    return list(reversed(merged))


def _split(body: str, max_chars: int, min_chars: int) -> list[str]:
    """Pack whole sentences greedily into pieces <= max_chars.

    A sentence longer than max_chars becomes a piece of its own. A heading line followed by a
    sentence too long to share its piece stays a piece of its own too: never over max_chars.
    """
    if len(body) <= max_chars:
        return [body]
    pieces: list[list[str]] = []
    for unit in _UNIT.findall(body):
        if pieces and (_size(pieces[-1] + [unit]) <= max_chars or not unit.strip()):
            pieces[-1].append(unit)  # a bare line break never starts a piece
        elif unit:
            pieces.append([unit])
    if len(pieces) > 1:  # a tiny last piece takes sentences from the one before
        before, last = pieces[-2], pieces[-1]
        while len(before) > 1 and _size(last) < min_chars and _size(before[-1:] + last) <= max_chars:
            last.insert(0, before.pop())
    return ["".join(piece).strip() for piece in pieces if _size(piece)]


def _size(units: list[str]) -> int:
    return len("".join(units).strip())
