"""The policy owners' editorial workflow: who may do what to an item, and in which order.

    draft ──submit──▶ submitted ──publish──▶ published ──abolish──▶ abolished
      ▲                  │ send back (with a comment)        │ edit / roll back
      └──────────────────┘◀──────────────────────────────────┘ (a new draft version;
                                                               the published one stays live)

Editors draft, edit, submit and abolish; reviewers also publish and send back; admins do all
of it in every department. Editors and reviewers act only on their own department's items.
Every change is a new version in the store; steps are checked atomically against the state
the actor saw, so two people acting at once never overwrite each other.
"""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass
from typing import Protocol

from knowledge.content import FIELDS, KIND_LABELS, REQUIRED, Item, ItemDraft, Kind, Status
from knowledge.store.base import ContentStore, StaleItem

EDITORS = ("editor", "reviewer", "admin")
REVIEWERS = ("reviewer", "admin")
LIST_FIELDS = ("similar", "keywords")
STATUS_LABELS = {Status.DRAFT: "草稿", Status.SUBMITTED: "待审核", Status.PUBLISHED: "已发布", Status.ABOLISHED: "已废止"}
ITEM_LABELS = {
    "title": "标题",
    "department": "部门",
    "region": "地区",
    "effective_date": "生效日期",
    "expiry_date": "失效日期",
    "source": "来源",
    "doc_number": "文号",
    "doc_date": "发文日期",
}


class Actor(Protocol):
    username: str
    role: str
    department: str


class WorkflowError(Exception):
    """A refused step; `code` is the HTTP status the API answers with."""

    code = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class Forbidden(WorkflowError):
    code = 403


class NotFound(WorkflowError):
    code = 404


class Conflict(WorkflowError):
    code = 409


class Invalid(WorkflowError):
    code = 422


@dataclass
class ItemInput:
    """What an editor sends: the item-level values and the kind's fields (English keys)."""

    kind: Kind
    fields: dict
    title: str = ""
    department: str = ""
    region: str = ""
    effective_date: str | None = None
    expiry_date: str | None = None
    source: str = ""
    doc_number: str = ""
    doc_date: str | None = None


class Workflow:
    """`four_eyes`: whoever last wrote an item's content (created, edited, rolled back, imported)
    cannot publish it; another reviewer must (off for a one-person office)."""

    def __init__(self, store: ContentStore, four_eyes: bool = True):
        self.store = store
        self.four_eyes = four_eyes

    # --- checks -------------------------------------------------------------------------------
    def item(self, actor: Actor, item_id: int) -> Item:
        """The item, if it exists and the actor may see it."""
        item = self.store.get(item_id)
        if item is None:
            raise NotFound(f"条目 #{item_id} 不存在")
        self._scope(actor, item.department)
        return item

    @staticmethod
    def _scope(actor: Actor, department: str) -> None:
        if actor.role == "admin":
            return
        if actor.role not in EDITORS:
            raise Forbidden("当前账号无权管理知识内容")
        if department != actor.department:
            raise Forbidden(f"该条目属于“{department or '未指定部门'}”，您只能管理本部门（{actor.department}）的内容")

    @staticmethod
    def _role(actor: Actor, roles: tuple[str, ...], what: str) -> None:
        if actor.role not in roles:
            raise Forbidden(f"当前账号（{actor.role}）无权{what}")

    # --- writing -------------------------------------------------------------------------------
    def create(self, actor: Actor, data: ItemInput) -> Item:
        self._role(actor, EDITORS, "新建条目")
        department = data.department or (actor.department if actor.role != "admin" else "")
        if not department:
            raise Invalid("请填写所属部门")
        self._scope(actor, department)
        draft = build_draft(data, department, key=f"{data.kind.value}-{uuid.uuid4().hex[:12]}")
        result = self.store.save_items([draft], actor=actor.username)
        return self.store.get(result.item_ids[0])

    def edit(self, actor: Actor, item_id: int, data: ItemInput, expect_version: int) -> Item:
        item = self.item(actor, item_id)
        self._role(actor, EDITORS, "编辑条目")
        if item.status == Status.ABOLISHED:
            raise Conflict("已废止的条目不能编辑", status=item.status.value)
        if data.kind != item.kind:
            raise Invalid("不能修改条目类型")
        department = data.department or item.department
        self._scope(actor, department)
        draft = build_draft(data, department, key=item.key)
        return self._update(item, draft, expect_version, actor, "编辑")

    def rollback(self, actor: Actor, item_id: int, version: int, expect_version: int) -> Item:
        """Bring back an earlier version's content as a new draft version (it goes through review)."""
        item = self.item(actor, item_id)
        self._role(actor, EDITORS, "回退版本")
        if item.status == Status.ABOLISHED:
            raise Conflict("已废止的条目不能回退", status=item.status.value)
        old = self.store.version_item(item_id, version)
        if old is None or version >= item.version:
            raise Invalid(f"没有可回退的版本 v{version}（当前为 v{item.version}）")
        draft = ItemDraft(**{name: getattr(old, name) for name in ItemDraft.__dataclass_fields__})
        draft.status = Status.DRAFT
        return self._update(item, draft, expect_version, actor, f"回退到 v{version}")

    def _update(self, item: Item, draft: ItemDraft, expect_version: int, actor: Actor, note: str) -> Item:
        draft.status = Status.DRAFT
        try:  # the store checks the version in the same UPDATE: no separate (racy) check here
            return self.store.update_item(item.id, draft, expect_version=expect_version, actor=actor.username, note=note)
        except StaleItem as exc:
            raise self._stale(exc.current) from None

    @staticmethod
    def _stale(current: Item) -> Conflict:
        return Conflict(
            f"该条目已被他人修改（当前为 v{current.version}，{STATUS_LABELS[current.status]}），请刷新后在最新版本上修改",
            version=current.version,
            status=current.status.value,
        )

    def submit(self, actor: Actor, item_id: int) -> Item:
        item = self.item(actor, item_id)
        self._role(actor, EDITORS, "提交审核")
        if item.status != Status.DRAFT:
            raise Conflict(f"只有草稿可以提交审核（当前：{STATUS_LABELS[item.status]}）", status=item.status.value)
        missing = [FIELDS[item.kind][name] for name in REQUIRED[item.kind] if not item.fields.get(name)]
        if missing:
            raise Invalid(f"提交前请填写：{'、'.join(missing)}", missing=missing)
        return self._step(item, Status.SUBMITTED, actor, {Status.DRAFT})

    def send_back(self, actor: Actor, item_id: int, comment: str) -> Item:
        item = self.item(actor, item_id)
        self._role(actor, REVIEWERS, "退回条目")
        if not comment.strip():
            raise Invalid("退回时请写明修改意见")
        if item.status != Status.SUBMITTED:
            raise Conflict(f"只有待审核的条目可以退回（当前：{STATUS_LABELS[item.status]}）", status=item.status.value)
        return self._step(item, Status.DRAFT, actor, {Status.SUBMITTED}, reason=comment.strip())

    def check_publish(self, actor: Actor, item_id: int) -> Item:
        """Raise unless `actor` may publish the item now; returns it."""
        item = self.item(actor, item_id)
        self._role(actor, REVIEWERS, "发布条目（请提交给本部门审核人）")
        if item.status == Status.DRAFT:
            raise Conflict("该条目尚未提交审核，不能发布", status=item.status.value)
        if item.status != Status.SUBMITTED:
            raise Conflict(f"只有待审核的条目可以发布（当前：{STATUS_LABELS[item.status]}）", status=item.status.value)
        if self.four_eyes and self.author(item) == actor.username:
            raise Forbidden("您是该版本内容的最后编辑人，按“四眼原则”须由本部门另一位审核人发布")
        return item

    def author(self, item: Item) -> str:
        """Who wrote the content of the item's head version (the first log entry of that version)."""
        return next((v.actor for v in self.store.versions(item.id) if v.version == item.version), "")

    def publish(self, actor: Actor, item_id: int) -> Item:
        item = self.check_publish(actor, item_id)
        return self._step(item, Status.PUBLISHED, actor, {Status.SUBMITTED}, expect_version=item.version)

    def abolish(self, actor: Actor, item_id: int, reason: str, successor_id: int | None) -> Item:
        item = self.item(actor, item_id)
        self._role(actor, EDITORS, "废止条目")
        if not reason.strip():
            raise Invalid("废止时请写明原因")
        if item.status == Status.ABOLISHED:
            raise Conflict("该条目已废止", status=item.status.value)
        if successor_id is not None:
            successor = self.store.get(successor_id)
            if successor is None or successor_id == item_id:
                raise Invalid(f"替代条目 #{successor_id} 不存在或就是本条目")
            if successor.status == Status.ABOLISHED:
                raise Invalid(f"替代条目 #{successor_id} 已废止")
        return self._step(item, Status.ABOLISHED, actor, {item.status}, reason=reason.strip(), successor_id=successor_id)

    def _step(
        self,
        item: Item,
        status: Status,
        actor: Actor,
        expect: set[Status],
        reason: str = "",
        successor_id: int | None = None,
        expect_version: int | None = None,
    ) -> Item:
        try:
            return self.store.set_status(
                item.id,
                status,
                actor=actor.username,
                reason=reason,
                successor_id=successor_id,
                expect=expect,
                expect_version=expect_version,
            )
        except StaleItem as exc:
            raise self._stale(exc.current) from None

    # --- reading ------------------------------------------------------------------------------
    def diff(self, actor: Actor, item_id: int, a: int, b: int) -> dict:
        item = self.item(actor, item_id)
        old, new = self.store.version_item(item_id, a), self.store.version_item(item_id, b)
        if old is None or new is None:
            raise NotFound(f"版本不存在（该条目共有 v1–v{item.version}）")
        return {"item_id": item_id, "a": a, "b": b, "changes": diff_items(old, new)}


def build_draft(data: ItemInput, department: str, key: str) -> ItemDraft:
    """Check an editor's input and turn it into a draft (required fields are checked at submit)."""
    from knowledge.ingest.records import parse_date

    allowed = FIELDS[data.kind]
    unknown = sorted(set(data.fields) - set(allowed))
    if unknown:
        raise Invalid(f"{KIND_LABELS[data.kind]}没有这些字段：{'、'.join(unknown)}（可用：{'、'.join(allowed)}）")
    fields = {}
    for name, value in data.fields.items():
        if name in LIST_FIELDS:
            values = value if isinstance(value, list) else [value] if value else []
            fields[name] = [str(v).strip() for v in values if str(v).strip()]
        else:
            fields[name] = "" if value is None else str(value).strip()
    title = (data.title or fields.get("name") or fields.get("question") or "").strip()
    if not title:
        raise Invalid("请填写标题（或问题 / 事项名称）")
    try:
        effective, expiry = parse_date(data.effective_date), parse_date(data.expiry_date)
        doc_date = parse_date(data.doc_date)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if effective and expiry and expiry <= effective:
        raise Invalid("失效日期必须晚于生效日期")
    return ItemDraft(
        kind=data.kind,
        title=title,
        fields=fields,
        key=key,
        department=department,
        region=data.region.strip(),
        effective_date=effective,
        expiry_date=expiry,
        status=Status.DRAFT,
        source=data.source.strip() or "控制台",
        doc_number=data.doc_number.strip(),
        doc_date=doc_date,
    )


def diff_items(old: Item, new: Item) -> list[dict]:
    """Field-by-field differences between two versions, with a line diff for long texts."""
    changes = []
    pairs = [(name, label, getattr(old, name), getattr(new, name)) for name, label in ITEM_LABELS.items()]
    labels = FIELDS[new.kind]
    pairs += [
        (name, labels.get(name, name), old.fields.get(name), new.fields.get(name))
        for name in list(labels) + sorted(set(old.fields) | set(new.fields) - set(labels))
    ]
    seen = set()
    for name, label, before, after in pairs:
        if name in seen:
            continue
        seen.add(name)
        before, after = _shown(before), _shown(after)
        if before == after:
            continue
        lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1))[2:]
        changes.append({"field": name, "label": label, "before": before, "after": after, "lines": lines})
    return changes


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(map(str, value))
    return str(value)
