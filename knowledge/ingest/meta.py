"""Title, 文号 (document number), issuing body and date of a cleaned government document.

Where each comes from, in order of preference:
    title:        a line near the top ending in a document type (通知, 方案, 要点, 任务 …), joined
                  with the line above when the title is split over two lines; else the first
                  meaningful line; else the file name.
    doc_number:   a 文号 standing alone on its own line near the top (筑高新办函〔2019〕23号).
                  A 文号 cited inside a sentence is another document's number and is ignored.
    issuing_body: the signature line above the signature date; else "X关于…" / "X印发…" in the
                  title; else "X2019年…" in the title, when X looks like an authority.
    date:         the signature date (a line that is only a date); else 发布时间/时间/日期 lines.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import PurePath

from .chunk import heading_of

HEAD_LINES = 20  # how far from the top title and 文号 are looked for

DOC_TYPE_END = re.compile(
    r"(?:通知|通报|通告|公告|意见|办法|规定|细则|方案|要点|任务|计划|规划|决定|报告|批复|函"
    r"|纲要|条例|指南|制度|规则|标准|目录|清单|说明|公报|总结|命令|令|决议|纪要)$"
)
ORG_END = re.compile(
    r"(?:局|委|委员会|办|办公室|办公厅|政府|厅|部|中心|院|署|会|所|站|队|处|室|组|公司|集团"
    r"|街道|镇|乡)$"
)
_BRACKET_NUMBER = (
    r"[\u4e00-\u9fa5A-Za-z]{1,15}\s*[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]"
    r"\s*第?\s*\d{1,5}\s*号"
)
_ORDINAL_NUMBER = r"[\u4e00-\u9fa5A-Za-z]{0,15}第\s*\d{1,5}\s*号"
DOC_NUMBER_LINE = re.compile(rf"(?:文号\s*[:：]\s*)?(?P<number>{_BRACKET_NUMBER}|{_ORDINAL_NUMBER})(?:\s+签发人\s*[:：].*)?")

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "O": 0}
DATE = r"(?P<y>(?:19|20)\d{2})\s*[年./-]\s*(?P<m>\d{1,2})\s*[月./-]\s*(?P<d>\d{1,2})\s*日?"
CN_DATE = (
    r"(?P<y>[〇○零O一二三四五六七八九]{4})\s*年\s*(?P<m>[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<d>[一二三四五六七八九十]{1,3})\s*日"
)
LABELLED_DATE = re.compile(rf"(?:发布时间|发布日期|成文日期|印发日期|发文日期|日期|时间)\s*[:：]\s*{DATE}")
SENTENCE_MARK = re.compile(r"[。；;！？!?]")


@dataclass
class DocMeta:
    title: str
    doc_number: str | None
    issuing_body: str | None
    date: datetime.date | None


def extract_metadata(text: str, filename: str) -> DocMeta:
    """Metadata of a cleaned document; every field falls back sensibly, title never empty."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    head = _head(lines)
    title = _title(head) or _first_meaningful(lines) or PurePath(filename).stem
    signature, signed = _signature(lines)
    return DocMeta(
        title=title,
        doc_number=_doc_number(head),
        issuing_body=signature or _body_from_title(title),
        date=signed or _labelled_date(lines),
    )


def parse_date(text: str) -> datetime.date | None:
    """A date written as 2019年7月10日, 2019-07-17, 2019.7.1 or 二〇一九年七月十日."""
    match = re.search(DATE, text)
    if match:
        parts = (int(match["y"]), int(match["m"]), int(match["d"]))
    else:
        match = re.search(CN_DATE, text)
        if not match:
            return None
        parts = (_cn_number(match["y"], digits=True), _cn_number(match["m"]), _cn_number(match["d"]))
    try:
        return datetime.date(*parts)
    except ValueError:
        return None


def _head(lines: list[str]) -> list[str]:
    """The lines before the first numbered heading, at most HEAD_LINES of them."""
    head = []
    for line in lines[:HEAD_LINES]:
        if heading_of(line):
            break
        head.append(line)
    return head


def _is_date_line(line: str) -> bool:
    return bool(re.fullmatch(DATE, line) or re.fullmatch(CN_DATE, line))


def _is_plain_line(line: str) -> bool:
    """Short line with no sentence punctuation, label, date or 文号: could be (part of) a title."""
    return (
        2 <= len(line) <= 80
        and not SENTENCE_MARK.search(line)
        and not re.search(r"[:：]", line)
        and not _is_date_line(line)
        and not DOC_NUMBER_LINE.fullmatch(line)
        and not heading_of(line)
    )


def _title(head: list[str]) -> str | None:
    for i, line in enumerate(head):
        if _is_plain_line(line) and DOC_TYPE_END.search(line):
            before = head[i - 1] if i > 0 else ""
            if before and _is_plain_line(before) and len(before) <= 40 and not DOC_TYPE_END.search(before):
                return before + line
            return line
    return None


def _first_meaningful(lines: list[str]) -> str | None:
    for line in lines[:HEAD_LINES]:
        if (
            re.search(r"[\u4e00-\u9fa5]{2}", line)
            and not _is_date_line(line)
            and not DOC_NUMBER_LINE.fullmatch(line)
            and not LABELLED_DATE.search(line)
        ):
            return SENTENCE_MARK.split(line, maxsplit=1)[0][:60].strip() or None
    return None


def _doc_number(head: list[str]) -> str | None:
    for line in head:
        match = DOC_NUMBER_LINE.fullmatch(line)
        if match:
            return re.sub(r"\s+", "", match["number"])
    return None


def _looks_like_org(text: str) -> bool:
    return 2 <= len(text) <= 40 and not re.search(r"[\d:：，,。；;]", text) and bool(ORG_END.search(text))


def _signature(lines: list[str]) -> tuple[str | None, datetime.date | None]:
    """(signing body, signature date): a date-only line, preferably below an authority's name."""
    first_date = None
    for i, line in enumerate(lines):
        if not _is_date_line(line):
            continue
        signed = parse_date(line)
        if signed and i > 0 and _looks_like_org(lines[i - 1]):
            return lines[i - 1], signed
        first_date = first_date or signed
    return None, first_date


def _body_from_title(title: str) -> str | None:
    match = re.match(r"(.+?)(?:关于|印发)", title) or re.match(r"(.+?)(?:19|20)\d{2}\s*年", title)
    if match and _looks_like_org(match.group(1)):
        return match.group(1)
    return None


def _labelled_date(lines: list[str]) -> datetime.date | None:
    for line in lines:
        match = LABELLED_DATE.search(line)
        if match:
            return parse_date(match.group(0))
    return None


def _cn_number(text: str, digits: bool = False) -> int:
    """二〇一九 -> 2019 (digits=True); 十二 -> 12, 二十七 -> 27, 三十一 -> 31."""
    if digits:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
