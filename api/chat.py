"""POST /api/chat: one citizen turn through the conversation gate and Rasa.

The gate: while a conversation is `waiting` for or talking with a person, the bot says nothing
and the citizen's messages are kept for the operator. Personal data is masked before Rasa, the
transcript or any log sees it (the vault keeps a callback number for the work order).
"""
from __future__ import annotations

import json
import re

from fastapi import APIRouter, HTTPException, Request

from api.rasa_client import RasaUnavailable
from api.schemas import ChatRequest, ChatResponse, History, HistoryMessage, Reply, SESSION_ID

router = APIRouter(tags=["chat"])

# payloads the channels may send: the intents our buttons carry, with optional JSON entities
PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.S)
BUTTON_INTENTS = {"choose_service", "request_human", "feedback_positive", "feedback_negative", "affirm", "deny",
                  "greet", "goodbye", "thank"}
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


async def converse(state, session_id: str, text: str | None = None, payload: str | None = None,
                   channel: str = "web") -> ChatResponse:
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
    if status != "bot":  # a person has (or is about to have) the conversation: the bot stays silent
        return ChatResponse(session_id=session_id, status=status, replies=[])
    try:
        raw = await state.rasa.send(session_id, message)
    except RasaUnavailable as exc:
        raise ConversationUnavailable(str(exc)) from exc
    replies = [to_reply(m) for m in raw]
    if any(isinstance(m.get("custom"), dict) and m["custom"].get("handoff") for m in raw):
        status = "waiting"
        state.records.set_status(session_id, status,
                                 department=_suggested_department(state, session_id, typed=not is_payload))
    for message, reply in zip(raw, replies):
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
        state.records.add_message(session_id, "bot", reply.text,
                                  {"sources": [s.model_dump() for s in reply.sources],
                                   "buttons": [b.model_dump() for b in reply.buttons],
                                   **{k: custom[k] for k in ("answer_status", "confidence") if k in custom}})
    return ChatResponse(session_id=session_id, status=status, replies=replies)


@router.post("/api/chat", response_model=ChatResponse, summary="市民发送一条消息，返回机器人回复",
             responses={503: {"description": "对话服务暂不可用（Rasa 或动作服务未就绪）"}})
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
    return History(messages=[HistoryMessage(seq=m.seq, role=m.role, text=m.text, sources=m.payload.get("sources", []),
                                            time=m.time) for m in rows])
