"""POST /api/chat: one citizen turn through the conversation gate and Rasa.

The gate: while a conversation is `waiting` for or talking with a person, the bot says nothing
and the citizen's messages are kept for the operator. Personal data is masked before Rasa, the
transcript or any log sees it (the vault keeps a callback number for the work order).
"""

from __future__ import annotations

import asyncio
import json
import re

from fastapi import APIRouter, HTTPException, Request

from api.rasa_client import RasaUnavailable
from govbot import queueing
from api.schemas import ChatRequest, ChatResponse, History, HistoryMessage, Reply, SESSION_ID

router = APIRouter(tags=["chat"])

# payloads the channels may send: the intents our buttons carry, with optional JSON entities
PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.S)
BUTTON_INTENTS = {
    "choose_service",
    "request_human",
    "feedback_positive",
    "feedback_negative",
    "affirm",
    "deny",
    "cancel",
    "greet",
    "goodbye",
    "thank",
}
POLITE = {
    "empty": "请输入您想咨询的问题，例如“居住证怎么办理”。",
    "too_long": "您的消息太长了，请精简到{limit}字以内，或分几次发送。",
    "bad_payload": "抱歉，这个选项已失效。请直接输入您的问题。",
}


def _payload_ok(payload: str) -> bool:
    match = PAYLOAD.match(payload.strip())
    if not match or match.group("intent") not in BUTTON_INTENTS:
        return False
    if match.group("entities"):
        try:
            return isinstance(json.loads(match.group("entities")), dict)
        except ValueError:
            return False
    return True


def to_reply(message: dict) -> Reply:
    """A Rasa REST message -> our reply (actions send one JSON object: text, buttons, sources)."""
    body = message.get("custom") if isinstance(message.get("custom"), dict) else message
    return Reply(text=str(body.get("text") or ""), buttons=body.get("buttons") or [], sources=body.get("sources") or [])


class ConversationUnavailable(Exception):
    """Rasa or the action server is down: the channel tells the citizen to call the hotline."""


async def converse(state, session_id: str, text: str | None = None, payload: str | None = None, channel: str = "web") -> ChatResponse:
    """One citizen turn, whatever the channel: gate, mask, Rasa, transcript."""
    conversation = state.records.conversation(session_id, channel)
    status = conversation["status"]
    limit = state.settings.max_message_chars
    is_payload = payload is not None and bool(payload.strip())
    if is_payload:
        if not _payload_ok(payload):
            return _polite(session_id, status, POLITE["bad_payload"])
        message = shown = payload.strip()
    else:
        text = (text or "").strip()
        if not text:
            return _polite(session_id, status, POLITE["empty"])
        if len(text) > limit:
            return _polite(session_id, status, POLITE["too_long"].format(limit=limit))
        message = shown = state.records.remember_pii(session_id, text)
        if message.startswith("/"):  # typed text is never taken as a command
            message = message.lstrip("/")
    state.records.add_message(session_id, "citizen", shown)
    if status == "waiting":
        return await _while_waiting(state, conversation, None if is_payload else text)
    if status != "bot":  # a person has the conversation: the bot stays silent
        return ChatResponse(session_id=session_id, status=status, replies=[])
    try:
        raw = await state.rasa.send(session_id, message)
    except RasaUnavailable as exc:
        raise ConversationUnavailable(str(exc)) from exc
    replies = [to_reply(m) for m in raw]
    if any(isinstance(m.get("custom"), dict) and m["custom"].get("handoff") for m in raw):
        status = "waiting"
        ordered = [
            m["custom"]["department"] for m in raw if isinstance(m.get("custom"), dict) and m["custom"].get("department")
        ]  # an urgent work order's
        department = (
            ordered[0]
            if ordered
            else await asyncio.to_thread(  # retrieval: off the event loop
                _suggested_department, state, session_id, not is_payload
            )
        )
        state.records.set_status(session_id, status, department=department)
    for message, reply in zip(raw, replies):
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
        state.records.add_message(
            session_id,
            "bot",
            reply.text,
            {
                "sources": [s.model_dump() for s in reply.sources],
                "buttons": [b.model_dump() for b in reply.buttons],
                **{k: custom[k] for k in ("answer_status", "confidence") if k in custom},
            },
        )
    if status == "waiting":  # where they are in the queue, or how to leave a message out of hours
        replies.append(_notice(state, session_id, *queueing.queued_notice(state.settings, state.records, session_id)))
    return ChatResponse(session_id=session_id, status=status, replies=replies)


def _notice(state, session_id: str, text: str, event: str) -> Reply:
    """A notice of the queue (not the bot talking), kept in the transcript with its event."""
    state.records.add_message(session_id, "bot", text, {"event": event})
    return Reply(text=text)


async def _while_waiting(state, conversation: dict, raw: str | None) -> ChatResponse:
    """The bot is silent while the citizen waits for a person; only the queue speaks: it offers to
    take a message (on request, out of hours, or after `claim_timeout_s`) and turns the message
    into a work order with a callback."""
    records, settings, session_id = state.records, state.settings, conversation["id"]
    silent = ChatResponse(session_id=session_id, status="waiting", replies=[])
    if raw is None:
        return silent
    transcript = records.history(session_id)  # read once: the stage, the hint and the message come from it
    stage = queueing.leave_stage(transcript)
    if not stage:
        if queueing.LEAVE_WORDS.match(raw):
            text = "好的，请直接回复您的留言（问题、地点和联系电话），我们会登记工单并回电。"
            return silent.model_copy(update={"replies": [_notice(state, session_id, text, queueing.OFFER)]})
        waited = queueing.waited_s(conversation)
        if waited > settings.claim_timeout_s and not queueing.hinted(transcript):
            text = f"人工客服繁忙，您已等待约 {max(1, round(waited / 60))} 分钟。您可以继续等待，或回复“留言”登记工单，我们会回电。"
            return silent.model_copy(update={"replies": [_notice(state, session_id, text, queueing.HINT)]})
        return silent
    phone = queueing.phone_in(raw)
    no_callback = "不用回电" in raw or "不需要回电" in raw
    if not phone and not no_callback and stage == queueing.OFFER:
        text = "请补充您的联系电话（手机或座机），以便工作人员回电；不需要回电请回复“不用回电”。"
        return silent.model_copy(update={"replies": [_notice(state, session_id, text, queueing.ASK_PHONE)]})
    if not records.leave_queue(session_id):  # an operator took the conversation meanwhile
        return ChatResponse(session_id=session_id, status="human", replies=[])
    left = queueing.left_message(transcript)
    tracking = records.create_work_order(
        conversation_id=session_id,
        type="request",
        content=left,
        address="",
        phone=phone,
        callback=bool(phone),
        department=conversation["department"],
    )
    await state.rasa.resume(session_id)
    follow = "工作人员会在工作时间回电" if phone else "处理结果可凭工单号查询"
    text = f"已为您登记留言工单，工单号：{tracking}，{follow}。现在由智能助手继续为您服务。"
    return ChatResponse(session_id=session_id, status="bot", replies=[_notice(state, session_id, text, "left_message")])


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    summary="市民发送一条消息，返回机器人回复",
    responses={503: {"description": "对话服务暂不可用（Rasa 或动作服务未就绪）"}},
)
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    try:
        return await converse(request.app.state, body.session_id, body.text, body.payload)
    except ConversationUnavailable:
        hotline = request.app.state.settings.hotline_number
        raise HTTPException(503, detail=f"智能助手暂时无法服务，请稍后再试，或直接拨打{hotline}热线。") from None


def _suggested_department(state, session_id: str, typed: bool) -> str:
    """Where the conversation should go: from what the citizen asked before asking for a person
    (a typed "转人工" is itself the last message; a button press is not text)."""
    asked = [m.text for m in state.records.history(session_id) if m.role == "citizen" and not m.text.startswith("/")]
    before = asked[:-1] if typed else asked
    return state.kb.department_for(before[-1]).name if before else ""


def _polite(session_id: str, status: str, text: str) -> ChatResponse:
    return ChatResponse(session_id=session_id, status=status, replies=[Reply(text=text)])


@router.get("/api/chat/{session_id}/history", response_model=History, summary="会话历史（按顺序）")
async def history(session_id: str, request: Request, after: int = 0) -> History:
    if not re.match(SESSION_ID, session_id):
        raise HTTPException(422, detail="会话标识格式不正确")
    rows = request.app.state.records.history(session_id, after)
    return History(
        messages=[HistoryMessage(seq=m.seq, role=m.role, text=m.text, sources=m.payload.get("sources", []), time=m.time) for m in rows]
    )
