"""Agent assist: what a caller says -> the top answers with sources, and where to dispatch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.auth import current_session, require_role
from govbot.accounts import Session
from knowledge.answer.types import AnswerStatus
from knowledge.cases import situation_of

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
    situation = situation_of(body.earlier)
    # as the chat reads it: in the service under discussion, completing a question the caller was
    # asked back about ("城东区的" after a note that fitted two districts), in the case of what
    # they said of themselves ("交了7年")
    read = kb.probe(body.text, context_key=context, pending=pending, situation=situation)
    suggested = kb.suggest(read.question, 3, context_key=context, situation=situation)
    department = kb.department_for("\n".join([*body.earlier, body.text]))
    out = {"suggestions": [suggestion_out(a) for a in suggested], "department": dispatch_out(department)}
    return out | {"follow_up": follow_up(read, suggested[0] if suggested else None)}


def follow_up(asked_back, top) -> dict | None:
    """The question to ask the caller: which service, when what they said fits several and the
    answer differs (the reader's ask-back decision, as the chat would ask it: never within a known
    service); else which case is theirs, when the top suggestion's answer differs by a situation
    they have not stated ("累计缴费满1年不满5年" / "满5年不满10年" / "10年以上"); else None."""
    if asked_back.status == AnswerStatus.CLARIFY and asked_back.options:
        titles = [o.title for o in asked_back.options]
        return {"question": "请问您咨询的是" + "，还是".join(titles) + "？", "options": titles}
    if top is not None and top.situations:
        return {"question": "请问您的情况是" + "，还是".join(top.situations) + "？", "options": list(top.situations)}
    return None


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
