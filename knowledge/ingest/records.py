"""Structured files (JSON, JSON Lines, CSV, Excel) -> item drafts, with header mapping.

Spreadsheets written by department staff use Chinese headers; JSON may use either the
Chinese labels or the English field names. Every row is checked; a file with a bad row is
rejected whole, each problem named with its row number, so nothing is half-imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from knowledge.content import FIELDS, KIND_LABELS, REQUIRED, GUIDE_FIELDS, ItemDraft, Kind, Status, find_doc_number
from knowledge.ingest.errors import IngestError
from knowledge.ingest.limits import ImportLimits, archive_problem

# header (lower-cased) -> canonical name; item-level columns first, then each kind's fields
ITEM_HEADERS: dict[str, str] = {
    "kind": "kind",
    "类型": "kind",
    "类别": "kind",
    "key": "key",
    "编号": "key",
    "id": "key",
    "唯一编号": "key",
    "title": "title",
    "标题": "title",
    "名称": "title",
    "部门名称": "title",
    "department": "department",
    "部门": "department",
    "责任部门": "department",
    "主管部门": "department",
    "所属部门": "department",
    "实施主体": "department",
    "region": "region",
    "地区": "region",
    "区域": "region",
    "适用地区": "region",
    "行政区划": "region",
    "effective_date": "effective_date",
    "生效日期": "effective_date",
    "施行日期": "effective_date",
    "expiry_date": "expiry_date",
    "失效日期": "expiry_date",
    "有效期至": "expiry_date",
    "截止日期": "expiry_date",
    "status": "status",
    "状态": "status",
    "source": "source",
    "来源": "source",
    "链接": "source",
    "url": "source",
    "doc_number": "doc_number",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "doc_date": "doc_date",
    "发布日期": "doc_date",
    "成文日期": "doc_date",
    "发文日期": "doc_date",
}
FIELD_HEADERS: dict[str, str] = {
    "标准问题": "question",
    "问": "question",
    "相似问题": "similar",
    "相似问": "similar",
    "答": "answer",
    "回答": "answer",
    "标准答案": "answer",
    "政策依据": "source_document",
    "依据文件": "source_document",
    "受理范围": "handles",
    "职责": "handles",
    "电话": "phone",
    "办公地址": "address",
    "关键字": "keywords",
    "正文": "text",
    "内容": "text",
}
for _kind_fields in FIELDS.values():
    for _name, _label in _kind_fields.items():
        FIELD_HEADERS.setdefault(_label, _name)
        FIELD_HEADERS.setdefault(_name, _name)

KIND_NAMES = (
    {k.value: k for k in Kind}
    | {label: k for k, label in KIND_LABELS.items()}
    | {"问答": Kind.QA, "指南": Kind.GUIDE, "文件": Kind.DOCUMENT, "热线": Kind.HOTLINE, "部门": Kind.HOTLINE}
)
STATUS_NAMES = {s.value: s for s in Status} | {
    "草稿": Status.DRAFT,
    "已提交": Status.SUBMITTED,
    "已发布": Status.PUBLISHED,
    "发布": Status.PUBLISHED,
    "废止": Status.ABOLISHED,
    "已废止": Status.ABOLISHED,
}
LIST_SPLIT = re.compile(r"[；;|\n]+")


@dataclass
class RowError:
    row: int
    reason: str

    def __str__(self) -> str:
        return f"第{self.row}行：{self.reason}"


class RecordsError(IngestError):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "；".join(map(str, errors[:10])) + ("……" if len(errors) > 10 else "")
        super().__init__(f"{len(errors)} 行有错误，整个文件未导入：{shown}")


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(row number as the user sees it, raw record) for every non-empty record in the file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            rows = []
            for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
                if line.strip():
                    rows.append((n, json.loads(line)))
            return rows
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            data = data.get("items", data) if isinstance(data, dict) else data
            if not isinstance(data, list):
                raise IngestError("JSON 文件应为对象数组，或含 items 数组的对象")
            return list(enumerate(data, 1))
        if suffix == ".csv":
            text = decode_text(path.read_bytes())
            return [(n, row) for n, row in enumerate(csv.DictReader(io.StringIO(text)), 2)]
        if suffix == ".xlsx":
            return _xlsx_rows(path)
    except IngestError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise IngestError(f"无法解析 {path.name}：{exc}") from exc
    raise IngestError(f"不支持的结构化文件类型：{suffix}")


def decode_text(raw: bytes) -> str:
    """CSV and other record files: UTF-8 (with or without BOM), else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError("无法识别文件编码（请使用 UTF-8 或 GBK）")


def _xlsx_rows(path: Path) -> list[tuple[int, dict]]:
    import zipfile

    from openpyxl import load_workbook

    limits = ImportLimits()
    reason = archive_problem(path.read_bytes(), limits)
    if reason:
        raise IngestError(f"{path.name}：{reason}")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise IngestError(f"Excel 文件已损坏或不是 .xlsx 格式：{path.name}") from exc
    rows: list[tuple[int, dict]] = []
    try:
        filled = 0
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # what is there, not the size the file claims
            header: list[str] | None = None
            for n, values in enumerate(sheet.iter_rows(values_only=True), 1):
                cells = ["" if v is None else v for v in values]
                filled += sum(1 for c in cells if c != "")
                if filled > limits.max_cells or any(len(str(c)) > limits.max_cell_chars for c in cells):
                    raise IngestError(f"{path.name}：单元格过多（上限 {limits.max_cells}）或单元格超过 {limits.max_cell_chars} 字，请拆分")
                if header is None:
                    if any(str(c).strip() for c in cells):
                        header = [str(c).strip() for c in cells]
                    continue
                if not any(str(c).strip() for c in cells):
                    continue  # empty row
                rows.append((n, {h: c for h, c in zip(header, cells) if h}))
    finally:
        workbook.close()
    return rows


def _is_comment(record: dict) -> bool:
    return all(str(k).startswith("_") for k in record)


def _map_headers(record: dict) -> tuple[dict, dict, list[str]]:
    """Split a raw record into item-level values and kind fields; also list unknown headers."""
    item, fields, unknown = {}, {}, []
    nested = record.get("fields") if isinstance(record.get("fields"), dict) else {}
    for raw_key, value in list(record.items()) + list(nested.items()):
        if raw_key == "fields" or str(raw_key).startswith("_"):
            continue
        key = str(raw_key).strip().lower()
        if key in ITEM_HEADERS:
            item[ITEM_HEADERS[key]] = value
        elif key in FIELD_HEADERS:
            fields[FIELD_HEADERS[key]] = value
        else:
            unknown.append(str(raw_key))
    return item, fields, unknown


def parse_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", str(value))
    if not match:
        raise ValueError(f"无法识别的日期“{value}”（请用 2024-01-31 格式）")
    return date(*map(int, match.groups()))


def infer_kind(fields) -> Kind | None:
    """An item's kind from the fields it has (names or a dict of them)."""
    if "answer" in fields:
        return Kind.QA
    if any(name in fields for name in GUIDE_FIELDS if name != "phone"):
        return Kind.GUIDE
    if "handles" in fields:
        return Kind.HOTLINE
    if "text" in fields:
        return Kind.DOCUMENT
    return None


def _clean_field(name: str, value):
    if name in ("similar", "keywords"):
        items = value if isinstance(value, list) else LIST_SPLIT.split(str(value or ""))
        return [str(v).strip() for v in items if str(v).strip()]
    return str(value).strip() if value is not None else ""


def record_to_draft(record: dict, *, source: str, kind: Kind | None = None, defaults: dict | None = None) -> ItemDraft:
    """One record -> one draft. Raises ValueError with a Chinese reason."""
    item, fields, _unknown = _map_headers(record)
    kind_value = item.pop("kind", None)
    if kind is None and kind_value not in (None, ""):
        kind = KIND_NAMES.get(str(kind_value).strip().lower())
        if kind is None:
            raise ValueError(f"未知的类型“{kind_value}”")
    kind = kind or infer_kind(fields)
    if kind is None:
        raise ValueError("无法判断条目类型（缺少“答案”“所需材料”“职责范围”或“正文”等列）")
    fields = {name: _clean_field(name, value) for name, value in fields.items() if name in FIELDS[kind]}
    missing = [FIELDS[kind][name] for name in REQUIRED[kind] if not fields.get(name)]
    if missing:
        raise ValueError(f"缺少必填项：{'、'.join(missing)}")
    title = str(item.get("title") or fields.get("name") or fields.get("question") or "").strip()
    if not title:
        raise ValueError("缺少标题")
    values = {**(defaults or {}), **{k: v for k, v in item.items() if v not in (None, "")}}
    status = values.get("status", Status.PUBLISHED)
    if not isinstance(status, Status):
        status = STATUS_NAMES.get(str(status).strip().lower())
        if status is None:
            raise ValueError(f"未知的状态“{values['status']}”")
    key = str(values.get("key") or "").strip() or _derived_key(kind, source, title)
    doc_number = str(values.get("doc_number") or "") or find_doc_number(str(fields.get("source_document", "")))
    effective, expiry = parse_date(values.get("effective_date")), parse_date(values.get("expiry_date"))
    if effective and expiry and expiry <= effective:
        raise ValueError("失效日期必须晚于生效日期")
    return ItemDraft(
        kind=kind,
        title=title,
        fields=fields,
        key=key,
        department=str(values.get("department", "")),
        region=str(values.get("region", "")),
        effective_date=effective,
        expiry_date=expiry,
        status=status,
        source=str(values.get("source") or source),
        doc_number=doc_number,
        doc_date=parse_date(values.get("doc_date")),
    )


def _derived_key(kind: Kind, source: str, title: str) -> str:
    digest = hashlib.sha1(f"{Path(source).name}\n{title}".encode("utf-8")).hexdigest()[:12]
    return f"{kind.value}-{digest}"


def file_to_drafts(path: Path, *, source: str, kind: Kind | None = None, defaults: dict | None = None) -> list[ItemDraft]:
    drafts, errors, keys = [], [], set()
    for row, record in read_rows(path):
        if not isinstance(record, dict):
            errors.append(RowError(row, "不是一个对象/表格行"))
            continue
        if _is_comment(record):
            continue
        try:
            draft = record_to_draft(record, source=source, kind=kind, defaults=defaults)
        except ValueError as exc:
            errors.append(RowError(row, str(exc)))
            continue
        if draft.key in keys:
            errors.append(RowError(row, f"与前面的行重复（{draft.title}）"))
            continue
        keys.add(draft.key)
        drafts.append(draft)
    if errors:
        raise RecordsError(errors)
    if not drafts:
        raise IngestError(f"{path.name} 中没有可导入的条目")
    return drafts
