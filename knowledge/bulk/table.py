"""A table read from an uploaded file, before any checks: header labels and raw row values.

Excel sheets, CSV files and the Q&A pairs of a Word/PDF document all become `Table`s, so one
set of row checks (rows.py) serves every format. Also here: mapping header labels onto the
content model's names, and the normalised text that duplicate checks and stable keys use.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from knowledge.content import Kind
from knowledge.ingest.records import FIELD_HEADERS, ITEM_HEADERS

# what users add to a header to mark it required: "问题*", "答案（必填）"
_REQUIRED_MARK = re.compile(r"\s*(?:[*＊]|[(（]\s*(?:必填|选填|可选)\s*[)）])\s*$")
_NOT_WORD = re.compile(r"[\s\W_]+")


@dataclass
class Table:
    name: str  # the sheet name; "" for CSV and documents
    header_row: int  # where the header is, as the user counts rows
    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number, values); inner empty rows kept
    labelled: bool = True  # False for documents: problems then name no column


def canonical_header(label: str) -> str | None:
    """The content-model name a header label stands for (key, department, question …), or None."""
    text = _REQUIRED_MARK.sub("", unicodedata.normalize("NFKC", str(label or ""))).strip().lower()
    return ITEM_HEADERS.get(text) or FIELD_HEADERS.get(text)


def cell_value(value):
    """A cell as the row checks want it: text stripped, whole floats as ints, dates kept."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (date, datetime, int, float)):
        return value
    return str(value).strip()


def is_blank(values: list) -> bool:
    return all(str(cell_value(v)) == "" for v in values)


def normalized(text) -> str:
    """Text compared for duplicates: full-width -> half-width, lower case, no spaces or punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", str(text or ""))).lower()


def identity_text(kind: Kind, title: str, fields: dict) -> str:
    """What makes two items of a department the same item: the question, the guide's name, else the title."""
    if kind == Kind.QA:
        return str(fields.get("question") or title)
    if kind == Kind.GUIDE:
        return str(fields.get("name") or title)
    return title


def derived_key(kind: Kind, department: str, text: str) -> str:
    """A key that depends only on what the item is, never on the file it came in: re-imports update it."""
    raw = "\n".join(("bulk", kind.value, normalized(department), normalized(text)))
    return f"{kind.value}-{hashlib.sha1(raw.encode('utf-8')).hexdigest()[:16]}"
