"""The content model: four kinds of knowledge items and their lifecycle.

An item is one unit a department owns and answers for: a service guide (办事指南), a policy
Q&A, a policy document, or a hotline directory entry. Kind-specific fields live in `fields`
(English keys); the Chinese labels below are what citizens and spreadsheets use.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum


class Kind(str, Enum):
    GUIDE = "guide"
    QA = "qa"
    DOCUMENT = "document"
    HOTLINE = "hotline"


class Status(str, Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    ABOLISHED = "abolished"


# Service guide fields in the order a guide is read, with their official labels.
GUIDE_FIELDS: dict[str, str] = {
    "name": "事项名称",
    "target": "办理对象",
    "conditions": "受理条件",
    "materials": "所需材料",
    "process": "办理流程",
    "time_limit": "办理时限",
    "fee": "收费标准",
    "location": "办理地点",
    "phone": "咨询电话",
    "complaint_phone": "监督投诉电话",
    "legal_basis": "法律依据",
}
QA_FIELDS: dict[str, str] = {"question": "问题", "similar": "相似问法", "answer": "答案", "source_document": "来源文件"}
DOCUMENT_FIELDS: dict[str, str] = {"text": "正文", "issuing_body": "发文机关"}
HOTLINE_FIELDS: dict[str, str] = {"handles": "职责范围", "keywords": "关键词", "hours": "工作时间", "phone": "联系电话", "address": "地址"}
FIELDS: dict[Kind, dict[str, str]] = {
    Kind.GUIDE: GUIDE_FIELDS,
    Kind.QA: QA_FIELDS,
    Kind.DOCUMENT: DOCUMENT_FIELDS,
    Kind.HOTLINE: HOTLINE_FIELDS,
}
REQUIRED: dict[Kind, tuple[str, ...]] = {
    Kind.GUIDE: ("name",),
    Kind.QA: ("question", "answer"),
    Kind.DOCUMENT: ("text",),
    Kind.HOTLINE: ("handles",),
}
KIND_LABELS = {Kind.GUIDE: "办事指南", Kind.QA: "政策问答", Kind.DOCUMENT: "政策文件", Kind.HOTLINE: "部门目录"}

DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fa5A-Za-z]{1,12}[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\s*\d{1,4}\s*号")


@dataclass
class ItemDraft:
    """What ingestion or an editor hands to the store: an item without identity or version."""

    kind: Kind
    title: str
    fields: dict
    key: str = ""
    department: str = ""
    region: str = ""
    effective_date: date | None = None
    expiry_date: date | None = None
    status: Status = Status.PUBLISHED
    source: str = ""
    doc_number: str = ""
    doc_date: date | None = None

    def content_hash(self) -> str:
        """Hash of everything that makes a new version (not the status)."""
        payload = {k: v for k, v in asdict(self).items() if k not in ("status",)}
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass
class Item(ItemDraft):
    id: int = 0
    version: int = 1
    live_version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    abolish_reason: str = ""
    successor_id: int | None = None

    def in_force(self, today: date) -> bool:
        """Published and inside its effective/expiry window today."""
        return self.status == Status.PUBLISHED and in_window(self.effective_date, self.expiry_date, today)


def in_window(effective: date | None, expiry: date | None, today: date) -> bool:
    """Effective on or before today and expiring after it (open ends count as in)."""
    return not (effective and effective > today) and not (expiry and expiry <= today)


def find_doc_number(text: str) -> str:
    match = DOC_NUMBER_RE.search(text or "")
    return re.sub(r"\s+", "", match.group(0)) if match else ""
