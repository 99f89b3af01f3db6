"""The hotline operators' conversations: queue, live metrics, the hand-off packet, claim, chat,
release, transfer, work orders.

Rules: claiming a conversation someone else holds → 409; acting outside one's role or
department → 403; unauthenticated → 401; a conversation the operator does not hold (released,
transferred, never claimed) cannot be written to → 409. Every action is audited.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from api.operator.assist import dispatch_out, suggestion_out
from api.schemas import MAX_INT, History, Seq
from api.auth import audit, current_session, require_role
from govbot.accounts import Session
from govbot.conversations import routing
from govbot.conversations.transitions import TransitionError

router = APIRouter(tags=["operator"])
STAFF = ("operator", "supervisor")


class OperatorMessage(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class Release(BaseModel):
    seen_seq: Seq | None = Field(None, description="本坐席已看到的最后一条消息序号：其后若有市民新消息，则不结束并返回 409")


class Transfer(BaseModel):
    department: str = Field(min_length=1, max_length=100)


class WorkOrderIn(BaseModel):
    type: str = Field("request", pattern="^(complain|report|request)$")
    content: str = Field(min_length=2, max_length=4000)
    address: str = ""
    phone: str = ""
    callback: bool = False
    department: str = ""


def _staff(session: Session = Depends(current_session)) -> Session:
    require_role(session, *STAFF)
    return session


def _conversation(request: Request, session: Session, conversation_id: str) -> dict:
    records = request.app.state.records
    conversation = records.conversation_or_none(conversation_id)
    if conversation is None:
        raise HTTPException(404, detail="会话不存在")
    if not sees_all(session) and conversation["department"] not in ("", session.user.department):
        raise HTTPException(403, detail="该会话属于其他部门")
    return conversation


def sees_all(session: Session) -> bool:
    """Supervisors, and operators of the hotline centre (an account without a department), work
    every department's queue; a department's operators work their own."""
    return session.user.role == "supervisor" or not session.user.department


@contextmanager
def _refused():
    """A transition the conversation's state does not allow: 409 with the core's reason."""
    try:
        yield
    except TransitionError as exc:
        raise HTTPException(409, detail=str(exc)) from None


@router.get("/api/operator/queue", summary="排队和人工服务中的会话")
async def queue(
    request: Request,
    session: Session = Depends(_staff),
    department: str | None = Query(None, max_length=100, description="只看某个部门（班长和热线中心坐席可选）"),
) -> list[dict]:
    department = (department or None) if sees_all(session) else session.user.department
    now = datetime.now(timezone.utc)
    out = []
    for c in request.app.state.records.queue(department):
        since = c["waiting_since"]
        waited = (now - since.replace(tzinfo=since.tzinfo or timezone.utc)).total_seconds() if since else 0.0
        out.append(
            {
                "id": c["id"],
                "status": c["status"],
                "department": c["department"],
                "channel": c["channel"],
                "operator": c["operator"],
                "waiting_seconds": round(waited, 1),
                "last_question": request.app.state.records.last_typed(c["id"])[:80],
            }
        )
    return out


@router.get("/api/operator/metrics", summary="主管实时看板：排队人数、最长等待、人工服务中、今日已接待（按部门）")
async def metrics(request: Request, session: Session = Depends(_staff)) -> dict:
    require_role(session, "supervisor")
    now = datetime.now(timezone.utc)
    local_today = now.astimezone(ZoneInfo(request.app.state.settings.office_timezone)).date()
    since = datetime.combine(local_today, datetime.min.time(), ZoneInfo(request.app.state.settings.office_timezone))
    claims, _ = request.app.state.accounts.search_audit(action="conversation.claim", limit=10000, since=since.astimezone(timezone.utc))
    departments: dict[str, dict] = {}

    def row(name: str) -> dict:
        return departments.setdefault(
            name or "未分配", {"department": name or "未分配", "waiting": 0, "human": 0, "longest_wait_seconds": 0.0, "handled_today": 0}
        )

    for c in request.app.state.records.queue(None):
        entry = row(c["department"])
        entry[c["status"]] += 1
        if c["status"] == "waiting" and c["waiting_since"]:
            since_c = c["waiting_since"].replace(tzinfo=c["waiting_since"].tzinfo or timezone.utc)
            entry["longest_wait_seconds"] = max(entry["longest_wait_seconds"], round((now - since_c).total_seconds(), 1))
    for conversation_id in {claim["target"] for claim in claims}:
        conversation = request.app.state.records.conversation_or_none(conversation_id)
        row(conversation["department"] if conversation else "")["handled_today"] += 1
    rows = sorted(departments.values(), key=lambda d: (-d["waiting"], d["department"]))
    return {
        "waiting": sum(d["waiting"] for d in rows),
        "human": sum(d["human"] for d in rows),
        "longest_wait_seconds": max((d["longest_wait_seconds"] for d in rows), default=0.0),
        "handled_today": sum(d["handled_today"] for d in rows),
        "departments": rows,
    }


@router.get("/api/operator/conversations/{conversation_id}", summary="转人工资料包：对话记录、摘要、槽位、机器人答案与来源、建议部门")
async def packet(conversation_id: str, request: Request, session: Session = Depends(_staff)) -> dict:
    conversation = _conversation(request, session, conversation_id)
    state = request.app.state
    history = state.records.history(conversation_id)
    transcript = [
        {
            "seq": m.seq,
            "role": m.role,
            "text": m.text,
            "time": m.time,
            "sources": m.payload.get("sources", []),
            "button": m.pressed,
            "answer_status": m.payload.get("answer_status"),
            "confidence": m.payload.get("confidence"),
        }
        for m in history
    ]
    asked = [m["text"] for m in transcript if m["role"] == "citizen" and not m["button"]]
    questions = [m.text for m in history if m.role == "citizen" and not m.pressed and not m.payload.get("asked_for_person")]
    slots = await state.rasa.slots(conversation_id)
    service_key = slots.get("service") or ""
    item_id = state.kb.index.item_id(service_key) if service_key else None
    # what the citizen said so far, read as the handoff reads it; the assist for their latest question
    said = "。".join(questions[-routing.CONTEXT :])
    department = await asyncio.to_thread(state.conversations.department_for, said) if questions else None
    suggestions = await asyncio.to_thread(state.kb.suggest, questions[-1], 3) if questions else []
    return {
        "id": conversation_id,
        "status": conversation["status"],
        "channel": conversation["channel"],
        "department": conversation["department"],
        "operator": conversation["operator"],
        "summary": f"市民先问“{asked[0][:40]}”，共发言{len(asked)}次" if asked else "市民尚未提问",
        "slots": {
            "service": state.kb.index.meta[item_id].title if item_id else "",
            "phone": slots.get("wo_phone") or "",
            "work_order_type": slots.get("wo_type") or "",
        },
        "answers": [m for m in transcript if m["role"] == "bot" and m["sources"]],
        "transcript": transcript,
        "suggested_department": dispatch_out(department) if department else None,
        "suggestions": [suggestion_out(a) for a in suggestions],
        "latest_question": questions[-1] if questions else "",
    }


@router.get("/api/operator/conversations/{conversation_id}/history", response_model=History, summary="会话记录（坐席用；after 之后的消息）")
async def history(
    conversation_id: str, request: Request, after: int = Query(0, ge=0, le=MAX_INT), session: Session = Depends(_staff)
) -> History:
    _conversation(request, session, conversation_id)  # 404 / another department's: 403
    return History.of(request.app.state.records.history(conversation_id, after))


@router.post("/api/operator/conversations/{conversation_id}/claim", summary="接手会话")
async def claim(conversation_id: str, request: Request, session: Session = Depends(_staff)) -> dict:
    conversation = _conversation(request, session, conversation_id)
    with _refused():
        await request.app.state.conversations.claim(conversation, session.user.username)
    audit(request, session, "conversation.claim", conversation_id, before={"status": conversation["status"]})
    return {"id": conversation_id, "status": "human", "operator": session.user.username}


@router.post("/api/operator/conversations/{conversation_id}/messages", summary="向市民发送消息")
async def send_message(conversation_id: str, body: OperatorMessage, request: Request, session: Session = Depends(_staff)) -> dict:
    conversation = _conversation(request, session, conversation_id)
    with _refused():
        seq = request.app.state.conversations.say(conversation, session.user.username, body.text)
    audit(request, session, "conversation.message", conversation_id, note=body.text[:200])
    result = {"seq": seq, "delivered": True, "notice": ""}
    if conversation["channel"] == "wechat":  # web chats read it from the transcript; WeChat needs a push
        wechat = getattr(request.app.state, "wechat", None)
        if wechat is None or not await wechat.push(conversation_id.removeprefix("wx:"), body.text):
            result.update(delivered=False, notice="微信48小时客服消息窗口已关闭或额度已用完，消息未送达市民，请改为电话回访或创建工单。")
    return result


@router.post("/api/operator/conversations/{conversation_id}/release", summary="结束人工服务，交还机器人")
async def release(conversation_id: str, request: Request, body: Release | None = None, session: Session = Depends(_staff)) -> dict:
    conversation = _conversation(request, session, conversation_id)
    with _refused():
        await request.app.state.conversations.release(conversation, session.user.username, body.seen_seq if body else None)
    audit(request, session, "conversation.release", conversation_id)
    return {"id": conversation_id, "status": "bot"}


@router.get("/api/operator/departments", summary="可转交的部门（部门目录中已发布的部门和热线中心）")
async def departments(request: Request, session: Session = Depends(_staff)) -> dict:
    return {"departments": await asyncio.to_thread(request.app.state.conversations.departments)}


@router.post("/api/operator/conversations/{conversation_id}/transfer", summary="转交其他部门（须为部门目录中的部门）")
async def transfer(conversation_id: str, body: Transfer, request: Request, session: Session = Depends(_staff)) -> dict:
    conversation = _conversation(request, session, conversation_id)
    if body.department not in await asyncio.to_thread(request.app.state.conversations.departments):
        raise HTTPException(422, detail=f"部门目录中没有“{body.department}”，请从列表中选择要转交的部门")
    with _refused():
        request.app.state.conversations.transfer(
            conversation, session.user.username, body.department, supervisor=session.user.role == "supervisor"
        )
    audit(
        request,
        session,
        "conversation.transfer",
        conversation_id,
        before={"department": conversation["department"]},
        after={"department": body.department},
    )
    return {"id": conversation_id, "status": "waiting", "department": body.department}


@router.post("/api/operator/workorders", summary="创建工单")
async def create_work_order(body: WorkOrderIn, request: Request, session: Session = Depends(_staff), conversation_id: str = "") -> dict:
    conversations = request.app.state.conversations
    department = body.department or routing.for_work_order(conversations.kb, body.content, conversations.settings.hotline_number).name
    tracking = request.app.state.records.create_work_order(
        conversation_id=conversation_id,
        type=body.type,
        content=body.content,
        address=body.address,
        phone=body.phone,
        callback=body.callback,
        department=department,
    )
    audit(request, session, "workorder.create", tracking, after={"department": department, "type": body.type})
    return {"tracking_number": tracking, "department": department}
