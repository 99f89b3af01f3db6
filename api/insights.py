"""The policy owners' insights API: operators' flags, the knowledge-gaps inbox and analytics.

Editors and reviewers see their own department's figures only (a `department` parameter is
ignored for them); admins and supervisors see all, or one department's. Operators, supervisors
and admins may flag an answer as wrong or a question as missing from the knowledge base.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from api.auth import client_ip, current_session, require_role
from govbot.accounts import Session
from govbot.insights.analytics import analytics, department_weeks, to_csv
from govbot.insights.flags import add_flag
from govbot.insights.gaps import find_gaps
from knowledge.answer.pipeline import fallback_department
from govbot.insights.periods import utcnow
from govbot.insights.similar import Similarity
from knowledge.pii import mask

router = APIRouter(tags=["insights"])
FLAGGERS = ("operator", "supervisor", "admin")
VIEWERS = ("editor", "reviewer", "admin", "supervisor")
OWN_DEPARTMENT_ONLY = ("editor", "reviewer")


class FlagIn(BaseModel):
    question: str = Field(max_length=1000, description="市民的问题（个人信息会被脱敏后保存）")
    kind: Literal["wrong", "missing"] = Field(description="wrong：答案错误；missing：知识库缺少该内容")
    item_id: int | None = Field(None, description="答错的知识条目编号（可选）")
    note: str = Field("", max_length=2000, description="坐席备注")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "question": "新能源车充电桩进小区物业不让装怎么办",
                    "kind": "missing",
                    "item_id": None,
                    "note": "市民多次来电询问，知识库没有相关内容",
                }
            ]
        }
    }

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("问题不能为空")
        return value.strip()


@router.post("/api/operator/flags", summary="坐席标记：答案错误或知识缺失（进入知识缺口收件箱）")
async def flag(body: FlagIn, request: Request, session: Session = Depends(current_session)) -> dict:
    require_role(session, *FLAGGERS)
    state = request.app.state
    if body.item_id is not None:
        item = state.kb.store.get(body.item_id)
        if item is None:
            raise HTTPException(422, detail="知识条目不存在")
        department = item.department
    else:
        department = (await run_in_threadpool(state.kb.department_for, body.question)).name
    flag_id = add_flag(
        state.records.engine,
        operator=session.user.username,
        question=body.question,
        kind=body.kind,
        item_id=body.item_id,
        note=body.note,
        department=department,
    )
    state.accounts.record(
        session.user.username,
        "flag.add",
        f"flag:{flag_id}",
        ip=client_ip(request),
        after={"kind": body.kind, "item_id": body.item_id, "department": department},
        note=body.note[:200],
    )
    return {"id": flag_id, "kind": body.kind, "item_id": body.item_id, "department": department, "question": mask(body.question)}


def _scope(session: Session, requested: str) -> str | None:
    """The department whose figures the caller may see: their own, or the one asked for (None: all)."""
    require_role(session, *VIEWERS)
    if session.user.role in OWN_DEPARTMENT_ONLY:
        if not session.user.department:
            raise HTTPException(403, detail="当前账号未设置所属部门，无法查看部门数据")
        return session.user.department
    return requested.strip() or None


def _similarity(request: Request) -> Similarity:
    state = request.app.state
    return Similarity.for_knowledge(state.records.engine, state.kb)


def _item_title(request: Request):
    meta = request.app.state.kb.index.meta

    def title(item_id: int) -> str:
        m = meta.get(item_id)
        return m.title if m else ""

    return title


@router.get("/api/admin/gaps", summary="知识缺口收件箱：未能回答、评价“没用”和坐席标记的问题，按语义分组")
async def gaps(
    request: Request,
    department: str = "",
    days: int = Query(30, ge=1, le=365),
    limit: int = Query(100, ge=1, le=500),
    session: Session = Depends(current_session),
) -> dict:
    scope = _scope(session, department)
    kb = request.app.state.kb
    return await run_in_threadpool(
        find_gaps,
        request.app.state.records.engine,
        now=utcnow(),
        days=days,
        department=scope,
        similarity=_similarity(request),
        department_for=lambda text: kb.department_for(text).name,
        item_title=_item_title(request),
        limit=limit,
        catch_all=fallback_department(request.app.state.settings.hotline_number),
    )


@router.get("/api/admin/analytics", summary="运行分析：提问量、回答率、转人工率、满意度、热门与上升话题")
async def get_analytics(
    request: Request, department: str = "", weeks: int = Query(8, ge=1, le=52), session: Session = Depends(current_session)
) -> dict:
    scope = _scope(session, department)
    return await run_in_threadpool(
        analytics, request.app.state.records.engine, now=utcnow(), weeks=weeks, department=scope, similarity=_similarity(request)
    )


@router.get("/api/admin/analytics.csv", summary="导出各部门每周运行数据（CSV，Excel 可直接打开）")
async def analytics_csv(
    request: Request, department: str = "", weeks: int = Query(8, ge=1, le=52), session: Session = Depends(current_session)
) -> Response:
    scope = _scope(session, department)
    rows = await run_in_threadpool(department_weeks, request.app.state.records.engine, now=utcnow(), weeks=weeks, department=scope)
    filename = f"govbot-analytics-{date.today().isoformat()}.csv"
    return Response(
        to_csv(rows), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
