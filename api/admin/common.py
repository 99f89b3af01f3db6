"""What every admin route shares: who may use the console, auditing, item JSON, error replies."""

from __future__ import annotations

from datetime import date

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from api.auth import current_session, require_role
from govbot.accounts import Session
from knowledge.content import KIND_LABELS, Item, in_window
from knowledge.workflow import STATUS_LABELS, Workflow, WorkflowError

CONSOLE_ROLES = ("editor", "reviewer", "admin")
READ_ROLES = CONSOLE_ROLES + ("supervisor",)  # supervisors read analytics and the audit log


def console_user(session: Session = Depends(current_session)) -> Session:
    require_role(session, *CONSOLE_ROLES)
    return session


def reader(session: Session = Depends(current_session)) -> Session:
    require_role(session, *READ_ROLES)
    return session


def workflow(request: Request) -> Workflow:
    return Workflow(request.app.state.kb.store, four_eyes=request.app.state.settings.four_eyes_publishing)


def item_json(item: Item) -> dict:
    today = date.today()
    return {
        "id": item.id,
        "key": item.key,
        "kind": item.kind.value,
        "kind_label": KIND_LABELS[item.kind],
        "title": item.title,
        "fields": item.fields,
        "department": item.department,
        "region": item.region,
        "effective_date": _iso(item.effective_date),
        "expiry_date": _iso(item.expiry_date),
        "status": item.status.value,
        "status_label": STATUS_LABELS[item.status],
        "version": item.version,
        "live_version": item.live_version,
        "answering": item.live_version is not None and in_window(item.effective_date, item.expiry_date, today),
        "source": item.source,
        "doc_number": item.doc_number,
        "doc_date": _iso(item.doc_date),
        "abolish_reason": item.abolish_reason,
        "successor_id": item.successor_id,
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


async def workflow_error(_request: Request, exc: WorkflowError) -> JSONResponse:
    """403 / 404 / 409 / 422 with the reason in Chinese, plus machine-readable details."""
    return JSONResponse({"detail": exc.message, **exc.details}, status_code=exc.code)
