"""Gold questions: each department's promise of what the bot answers, checked before publishing."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from api.schemas import PathId, RowId
from api.auth import audit
from api.admin.common import console_user, workflow
from govbot.accounts import Session
from knowledge.gold import GoldResult, Outcome

router = APIRouter(tags=["policy-owner console"])


class GoldBody(BaseModel):
    question: str = Field(min_length=2, max_length=500)
    item_id: RowId


@router.get("/api/admin/gold", summary="本部门的标准问题，及其当前答案是否正确")
def list_gold(request: Request, session: Session = Depends(console_user), department: str | None = None) -> dict:
    if session.user.role != "admin":
        department = session.user.department
    golds = request.app.state.gold.list(department=department)
    kb = request.app.state.kb
    out = []
    for gold in golds:
        outcome = Outcome.of(kb.probe(gold.question))
        out.append(GoldResult(gold, outcome, outcome).to_dict() | {"passing": outcome.item_id == gold.item_id})
    return {"department": department, "gold": out}


@router.post("/api/admin/gold", status_code=201, summary="添加标准问题（问题 + 必须答出它的条目）")
def add_gold(body: GoldBody, request: Request, session: Session = Depends(console_user)) -> dict:
    item = workflow(request).item(session.user, body.item_id)
    gold = request.app.state.gold.add(item.department, body.question.strip(), item.id, session.user.username)
    audit(request, session, "gold.add", f"gold:{gold.id}", after={"question": gold.question, "item_id": item.id})
    return {"id": gold.id, "department": gold.department, "question": gold.question, "item_id": gold.item_id}


@router.delete("/api/admin/gold/{gold_id}", summary="删除标准问题")
def remove_gold(gold_id: PathId, request: Request, session: Session = Depends(console_user)) -> dict:
    gold = request.app.state.gold.get(gold_id)
    if gold is None:
        raise HTTPException(404, detail="标准问题不存在")
    if session.user.role != "admin" and gold.department != session.user.department:
        raise HTTPException(403, detail="只能删除本部门的标准问题")
    request.app.state.gold.remove(gold_id)
    audit(request, session, "gold.remove", f"gold:{gold_id}", before={"question": gold.question, "item_id": gold.item_id})
    return {"ok": True}
