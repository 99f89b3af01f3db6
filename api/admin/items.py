"""Content and its workflow: list, create, edit, submit, send back, publish, abolish, versions.

Edits are checked against the version the editor saw (`version` in the body, or `If-Match`, or
failing both the version this user last opened): a stale edit gets 409, never a lost update.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from api.schemas import MAX_INT, PathId, RowId, Seq
from api.auth import audit
from api.admin.common import console_user, item_json, workflow
from govbot.accounts import Session
from knowledge.content import Kind, Status
from knowledge.registry import Registry
from knowledge.gold import GoldResult, Outcome
from knowledge.store.base import ItemQuery
from knowledge.workflow import Conflict, Invalid, ItemInput

router = APIRouter(tags=["policy-owner console"])


class ItemBody(BaseModel):
    kind: Kind
    fields: dict = Field(default_factory=dict, description="该类型的字段（英文键，如 question / answer / similar）")
    title: str = Field("", max_length=500)
    department: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    effective_date: str | None = None
    expiry_date: str | None = None
    source: str = Field("", max_length=1000)
    doc_number: str = Field("", max_length=100)
    doc_date: str | None = None
    version: Seq | None = Field(None, description="编辑时：所依据的版本号（防止覆盖他人的修改）")

    def input(self) -> ItemInput:
        return ItemInput(**self.model_dump(exclude={"version"}))


class Comment(BaseModel):
    comment: str = Field("", max_length=2000)


class PublishBody(BaseModel):
    confirm: bool = Field(False, description="确认发布（即使有标准问题将失去答案）")


class AbolishBody(BaseModel):
    reason: str = Field("", max_length=2000)
    successor_id: RowId | None = None


class RollbackBody(BaseModel):
    version: RowId
    expect_version: Seq | None = None


def _reads(request: Request) -> dict:
    """(username, item id) -> the version that user last opened (what an edit is based on)."""
    state = request.app.state
    if not hasattr(state, "item_reads"):
        state.item_reads = {}
    return state.item_reads


@router.get("/api/admin/items", summary="检索知识条目（类型、部门、状态、关键词、即将到期）")
def list_items(
    request: Request,
    session: Session = Depends(console_user),
    kind: Kind | None = None,
    status: Status | None = None,
    department: str | None = None,
    q: str = Query("", max_length=100),
    expiring_days: int | None = Query(None, ge=0, le=3650),
    page: int = Query(1, ge=1, le=100_000),
    size: int = Query(50, ge=1, le=200),
) -> dict:
    if session.user.role != "admin":
        department = session.user.department
    expires_before = date.today() + timedelta(days=expiring_days) if expiring_days is not None else None
    found, total = request.app.state.kb.store.find(
        ItemQuery(
            kind=kind,
            status=status,
            department=department or None,
            text=q,
            expires_before=expires_before,
            limit=size,
            offset=(page - 1) * size,
        )
    )
    return {"total": total, "page": page, "size": size, "items": [item_json(i) for i in found]}


@router.post("/api/admin/items", status_code=201, summary="新建条目（草稿），返回 id")
def create_item(body: ItemBody, request: Request, session: Session = Depends(console_user)) -> dict:
    item = workflow(request).create(session.user, body.input())
    audit(request, session, "item.create", f"item:{item.id}", after=item_json(item))
    return {**item_json(item), "department_warning": department_warning(request, item)}


@router.get("/api/admin/items/{item_id}", summary="条目详情（当前版本与线上版本）")
def get_item(item_id: PathId, request: Request, session: Session = Depends(console_user)) -> dict:
    item = workflow(request).item(session.user, item_id)
    _reads(request)[(session.user.username, item_id)] = item.version
    data = item_json(item)
    if item.live_version and item.live_version != item.version:
        live = request.app.state.kb.store.version_item(item_id, item.live_version)
        data["live"] = item_json(live) if live else None
    return data


@router.put("/api/admin/items/{item_id}", summary="编辑条目（产生新版本；已发布条目的修改需重新审核后生效）")
def edit_item(
    item_id: PathId, body: ItemBody, request: Request, session: Session = Depends(console_user), if_match: str | None = Header(None)
) -> dict:
    flow = workflow(request)
    before = flow.item(session.user, item_id)
    expect = body.version
    if expect is None and if_match:
        try:
            expect = int(if_match.strip('"W/ '))
        except ValueError:
            raise Invalid("If-Match 应为版本号") from None
    if expect is None:
        expect = _reads(request).get((session.user.username, item_id), before.version)
    item = flow.edit(session.user, item_id, body.input(), expect)
    _reads(request)[(session.user.username, item_id)] = item.version
    audit(request, session, "item.edit", f"item:{item_id}", before=item_json(before), after=item_json(item))
    return {**item_json(item), "department_warning": department_warning(request, item)}


def department_warning(request: Request, item) -> str:
    """What the department registry says of the item's department ("" when the directory lists it)."""
    unknown = Registry.of(request.app.state.kb.store).unknown([item])
    return unknown[0].message() if unknown else ""


@router.post("/api/admin/items/{item_id}/submit", summary="提交审核")
def submit_item(item_id: PathId, request: Request, session: Session = Depends(console_user)) -> dict:
    item = workflow(request).submit(session.user, item_id)
    audit(request, session, "item.submit", f"item:{item_id}", after={"status": item.status.value, "version": item.version})
    return item_json(item)


@router.post("/api/admin/items/{item_id}/return", summary="退回修改（审核人，需写明意见）")
def return_item(item_id: PathId, body: Comment, request: Request, session: Session = Depends(console_user)) -> dict:
    item = workflow(request).send_back(session.user, item_id, body.comment)
    audit(request, session, "item.return", f"item:{item_id}", after={"status": item.status.value}, note=body.comment)
    return item_json(item)


def _gold_check(request: Request, item) -> list[GoldResult]:
    """Answer the department's gold questions with and without this version live."""
    golds = request.app.state.gold.list(department=item.department, item_id=item.id)
    pairs = request.app.state.kb.what_if(item.id, item, [g.question for g in golds]) if golds else []
    return [GoldResult(g, Outcome.of(before), Outcome.of(after)) for g, (before, after) in zip(golds, pairs)]


@router.get("/api/admin/items/{item_id}/publish-check", summary="发布前检查：标准问题的答案会如何变化")
def publish_check(item_id: PathId, request: Request, session: Session = Depends(console_user)) -> dict:
    item = workflow(request).item(session.user, item_id)
    results = _gold_check(request, item)
    return {"item_id": item_id, "gold": [r.to_dict() for r in results], "lost": sum(r.change == "lost" for r in results)}


@router.post("/api/admin/items/{item_id}/publish", summary="发布（审核人）：先做标准问题检查，失去答案时需确认")
def publish_item(item_id: PathId, request: Request, session: Session = Depends(console_user), body: PublishBody | None = None) -> dict:
    flow = workflow(request)
    item = flow.check_publish(session.user, item_id)
    results = _gold_check(request, item)
    lost = [r.to_dict() for r in results if r.change == "lost"]
    if lost and not (body and body.confirm):
        raise Conflict(
            f"发布后有 {len(lost)} 个标准问题将失去答案；请检查，确认无误后带 confirm 重新发布",
            gold=[r.to_dict() for r in results],
            lost=len(lost),
        )
    published = flow.publish(session.user, item_id)
    request.app.state.kb.refresh()  # this process answers from it at once; others on their next question
    audit(
        request,
        session,
        "item.publish",
        f"item:{item_id}",
        before={"status": item.status.value},
        after={"status": "published", "version": published.version},
        note=f"确认发布，{len(lost)} 个标准问题失去答案" if lost else "",
    )
    return {**item_json(published), "gold": [r.to_dict() for r in results]}


@router.post("/api/admin/items/{item_id}/abolish", summary="废止（写明原因，可指定替代条目），立即停止用于答复")
def abolish_item(item_id: PathId, body: AbolishBody, request: Request, session: Session = Depends(console_user)) -> dict:
    flow = workflow(request)
    before = flow.item(session.user, item_id)
    item = flow.abolish(session.user, item_id, body.reason, body.successor_id)
    request.app.state.kb.refresh()
    audit(
        request,
        session,
        "item.abolish",
        f"item:{item_id}",
        before={"status": before.status.value},
        after={"status": "abolished", "successor_id": body.successor_id},
        note=body.reason,
    )
    return item_json(item)


@router.get("/api/admin/items/{item_id}/versions", summary="版本历史（每次修改和流程操作）")
def item_versions(item_id: PathId, request: Request, session: Session = Depends(console_user)) -> dict:
    item = workflow(request).item(session.user, item_id)
    versions = request.app.state.kb.store.versions(item_id)
    return {
        "item_id": item_id,
        "version": item.version,
        "live_version": item.live_version,
        "versions": [
            {
                "version": v.version,
                "status": v.status.value,
                "actor": v.actor,
                "note": v.note,
                "created_at": v.created_at,
                "title": v.snapshot.get("title", ""),
            }
            for v in versions
        ],
    }


@router.get("/api/admin/items/{item_id}/diff", summary="比较任意两个版本")
def item_diff(
    item_id: PathId,
    request: Request,
    a: int = Query(..., ge=1, le=MAX_INT),
    b: int = Query(..., ge=1, le=MAX_INT),
    session: Session = Depends(console_user),
) -> dict:
    return workflow(request).diff(session.user, item_id, a, b)


@router.post("/api/admin/items/{item_id}/rollback", summary="回退到早前版本（作为新草稿，须重新审核发布）")
def rollback_item(item_id: PathId, body: RollbackBody, request: Request, session: Session = Depends(console_user)) -> dict:
    flow = workflow(request)
    before = flow.item(session.user, item_id)
    expect = body.expect_version or _reads(request).get((session.user.username, item_id), before.version)
    item = flow.rollback(session.user, item_id, body.version, expect)
    audit(
        request,
        session,
        "item.rollback",
        f"item:{item_id}",
        before=item_json(before),
        after=item_json(item),
        note=f"回退到 v{body.version}",
    )
    return item_json(item)
