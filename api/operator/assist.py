"""Agent assist: what a caller says -> the top answers with sources, and where to dispatch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.auth import current_session, require_role
from govbot.accounts import Session

router = APIRouter(tags=["operator"])


class AssistRequest(BaseModel):
    text: str = Field(min_length=1, max_length=1000, examples=["市民说小区门口天天有人摆摊卖菜，堵了消防通道"])


# a plain `def`: retrieval and embedding run in the thread pool, not on the event loop
@router.post("/api/assist", summary="坐席辅助：推荐答案（含来源）和派单部门")
def assist(body: AssistRequest, request: Request, session: Session = Depends(current_session)) -> dict:
    require_role(session, "operator", "supervisor")
    kb = request.app.state.kb
    suggestions = [
        {"answer": a.answer, "confidence": round(a.confidence, 3), "sources": [s.public() for s in a.sources]}
        for a in kb.suggest(body.text, 3)
    ]
    department = kb.department_for(body.text)
    return {"suggestions": suggestions, "department": {"name": department.name, "reason": department.reason}}
