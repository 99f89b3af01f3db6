"""Word (.docx) and PDF uploads: a list of Q&A pairs becomes Q&A rows, anything else one policy document.

Q&A lists are recognised in two shapes:
    marked    "问：…" / "答：…" (also 问题/答复/回答, "Q:"/"A:"), answers may run over several paragraphs;
    numbered  "1. 居住证怎么办理？" (or "1、" "（1）" "一、"), a question line ending in ？, followed
              by its answer paragraphs; at least two such questions near the top.
A document is read, cleaned and described exactly as `govbot ingest` does it (document_draft).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from knowledge.bulk.problems import Problem
from knowledge.bulk.table import Table
from knowledge.content import ItemDraft, Kind
from knowledge.ingest.clean import clean_document
from knowledge.ingest.errors import IngestError
from knowledge.ingest.readers import read_document
from knowledge.ingest.service import IngestOptions, document_draft

_NUMBER = r"(?:\d{1,3}\s*[.、．)）]|[（(]\s*\d{1,3}\s*[)）]|[一二三四五六七八九十]{1,3}\s*[、.．])"
QUESTION_MARK = re.compile(rf"^(?:{_NUMBER}\s*)?(?:问题?|[Qq])\s*\d{{0,3}}\s*[:：]\s*(?P<text>.*)$")
ANSWER_MARK = re.compile(r"^(?:答复?|回答|[Aa])\s*\d{0,3}\s*[:：]\s*(?P<text>.*)$")
NUMBERED_QUESTION = re.compile(rf"^{_NUMBER}\s*(?P<text>.+[？?])$")
MAX_PREAMBLE = 5  # lines (title, a short introduction) allowed before the first numbered question


def qa_pairs(text: str) -> list[tuple[str, str]]:
    """The (question, answer) pairs of a Q&A list; [] when the text is not one."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _marked_pairs(lines) or _numbered_pairs(lines)


def _marked_pairs(lines: list[str]) -> list[tuple[str, str]]:
    if not any(QUESTION_MARK.match(line) for line in lines):
        return []
    marked_answers = any(ANSWER_MARK.match(line) for line in lines)
    pairs: list[list] = []  # [question, answer lines, answer started]
    for line in lines:
        question, answer = QUESTION_MARK.match(line), ANSWER_MARK.match(line)
        if question:
            pairs.append([question["text"], [], not marked_answers])
        elif not pairs:
            continue  # title and introduction
        elif answer:
            pairs[-1][2] = True
            if answer["text"]:
                pairs[-1][1].append(answer["text"])
        elif pairs[-1][2]:
            pairs[-1][1].append(line)
        else:
            pairs[-1][0] += line  # a question running over two lines
    return [(q.strip(), "\n".join(a).strip()) for q, a, _started in pairs]


def _numbered_pairs(lines: list[str]) -> list[tuple[str, str]]:
    starts = [i for i, line in enumerate(lines) if NUMBERED_QUESTION.match(line)]
    if len(starts) < 2 or starts[0] > MAX_PREAMBLE:
        return []
    pairs = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        pairs.append((NUMBERED_QUESTION.match(lines[start])["text"].strip(), "\n".join(lines[start + 1 : end])))
    return pairs


def read_text_document(
    filename: str, data: bytes, *, department: str | None, region: str, kind: Kind | None = None
) -> tuple[Table | None, ItemDraft | None, list[Problem]]:
    """(a table of Q&A pairs, or one document draft, and whole-file problems).

    `kind` QA insists on Q&A pairs, DOCUMENT keeps the file whole, None decides from the text."""
    name = Path(filename).name or "upload"
    with tempfile.TemporaryDirectory(prefix="govbot-import-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            text = clean_document(read_document(path))
        except IngestError as exc:
            return None, None, [Problem(None, "", exc.reason)]
        pairs = qa_pairs(text) if kind != Kind.DOCUMENT else []
        if pairs:
            rows = [(n, [question, answer]) for n, (question, answer) in enumerate(pairs, 1)]
            return Table(name="", header_row=0, headers=["问题", "答案"], rows=rows, labelled=False), None, []
        if kind == Kind.QA:
            return None, None, [Problem(None, "", "文件中没有找到问答：请按“问：……”“答：……”的格式，或“1. 问题？”后接答案段落的格式编写")]
        try:
            draft = document_draft(path, filename, IngestOptions(department=department, region=region or None))
        except IngestError as exc:
            return None, None, [Problem(None, "", exc.reason)]
    if not draft.department:
        return None, None, [Problem(None, "", "缺少部门：未能从文件中识别发文机关，请选择要导入到哪个部门")]
    return None, draft, []
