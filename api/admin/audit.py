"""The audit log: who did what, when, from where, with before/after. Read-only here."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.admin.common import reader
from api.auth import require_role
from govbot.accounts import Session
from govbot.export import excel_csv

router = APIRouter(tags=["policy-owner console"])
COLUMNS = ("id", "time", "actor", "action", "target", "ip", "note", "before", "after")


@router.get("/api/admin/audit", summary="审计日志检索（format=csv 导出）")
def audit_log(
    request: Request,
    session: Session = Depends(reader),
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    q: str = Query("", max_length=100),
    since: date | None = None,
    until: date | None = None,
    limit: int = Query(200, ge=1, le=10000),
    offset: int = Query(0, ge=0, le=1_000_000),
    format: str = Query("json", pattern="^(json|csv)$"),
):
    require_role(session, "admin", "reviewer", "supervisor")
    if session.user.role == "reviewer":
        actors = request.app.state.accounts.usernames(department=session.user.department)
    else:
        actors = None
    rows, total = request.app.state.accounts.search_audit(
        actor=actor, action=action, target=target, text=q, since=since, until=until, actors=actors, limit=limit, offset=offset
    )
    if format == "csv":
        cells = (
            [json.dumps(row[c], ensure_ascii=False) if c in ("before", "after") and row[c] is not None else row[c] for c in COLUMNS]
            for row in rows
        )
        return Response(
            excel_csv(list(COLUMNS), cells),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
    return {"total": total, "entries": rows}
