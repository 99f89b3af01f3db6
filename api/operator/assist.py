"""Agent assist: what a caller says -> the top answers with sources, and where to dispatch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.auth import current_session, require_role
from govbot.accounts import Session
from knowledge.answer.types import AnswerStatus

router = APIRouter(tags=["operator"])


class AssistRequest(BaseModel):
    text: str = Field(min_length=1, max_length=1000, examples=["市民说小区门口天天有人摆摊卖菜，堵了消防通道"])
    # what the caller said before in this call, oldest first: the service under discussion that
    # `text` is read in ("问居住证怎么办" then "要带啥"), as the chat reads a follow-up
    earlier: list[Annotated[str, StringConstraints(max_length=1000)]] = Field(default_factory=list, max_length=10)


# a plain `def`: retrieval and embedding run in the thread pool, not on the event loop
@router.post("/api/assist", summary="坐席辅助：推荐答案（含来源）和派单部门")
def assist(body: AssistRequest, request: Request, session: Session = Depends(current_session)) -> dict:
    require_role(session, "operator", "supervisor")
    kb = request.app.state.kb
    context, pending = kb.state_for(body.earlier)
    # as the chat reads it: in the service under discussion, and completing a question the caller
    # was asked back about ("城东区的" after a note that fitted two districts)
    read = kb.probe(body.text, context_key=context, pending=pending)
    suggestions = [suggestion_out(a) for a in kb.suggest(read.question, 3, context_key=context)]
    department = kb.department_for("\n".join([*body.earlier, body.text]))
    return {"suggestions": suggestions, "department": dispatch_out(department), "follow_up": follow_up(read)}


def follow_up(asked_back) -> dict | None:
    """The question to ask the caller when what they said fits several services and the answer
    differs (the reader's ask-back decision, as the chat would ask it: never within a known
    service), else None."""
    if asked_back.status != AnswerStatus.CLARIFY or not asked_back.options:
        return None
    titles = [o.title for o in asked_back.options]
    return {"question": "请问您咨询的是" + "，还是".join(titles) + "？", "options": titles}


def suggestion_out(answer) -> dict:
    """One suggested answer as the console shows it: the text (the field or sentence that states the
    fact), the reader's probability and the sources."""
    return {"answer": answer.answer, "confidence": round(answer.confidence, 3), "sources": [s.public() for s in answer.sources]}


def dispatch_out(department) -> dict:
    """Where to dispatch, as the console shows it: the department ("" for nothing to dispatch, the
    hotline centre when unsure), why, its phone, the model's probability and, when unsure, the
    likeliest departments."""
    return {
        "name": department.name,
        "reason": department.reason,
        "phone": department.phone,
        "probability": None if department.probability is None else round(department.probability, 3),
        "candidates": [{"name": name, "probability": p} for name, p in department.candidates],
    }
