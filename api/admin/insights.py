"""The policy owners' insights API: the knowledge-gaps inbox and analytics.

Editors and reviewers see their own department's figures only (a `department` parameter is
ignored for them); admins and supervisors see all, or one department's. The operators' flags that
feed the inbox are posted through `api.operator.flags`.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_session, require_role
from govbot.accounts import Session
from govbot.insights.analytics import analytics, department_weeks, to_csv
from govbot.insights.gaps import find_gaps
from knowledge.answer.pipeline import fallback_department
from govbot.insights.periods import utcnow
from govbot.insights.similar import Similarity

router = APIRouter(tags=["insights"])
VIEWERS = ("editor", "reviewer", "admin", "supervisor")
OWN_DEPARTMENT_ONLY = ("editor", "reviewer")


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
