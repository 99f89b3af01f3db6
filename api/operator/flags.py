"""Operators' flags: an answer marked wrong or a question the knowledge base lacks. They feed the
policy owners' knowledge-gaps inbox (`api.admin.insights`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from api.schemas import RowId
from api.auth import client_ip, current_session, require_role
from govbot.accounts import Session
from govbot.insights.flags import add_flag
from knowledge.pii import mask

router = APIRouter(tags=["insights"])
FLAGGERS = ("operator", "supervisor", "admin")


class FlagIn(BaseModel):
    question: str = Field(max_length=1000, description="市民的问题（个人信息会被脱敏后保存）")
    kind: Literal["wrong", "missing"] = Field(description="wrong：答案错误；missing：知识库缺少该内容")
    item_id: RowId | None = Field(None, description="答错的知识条目编号（可选）")
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
