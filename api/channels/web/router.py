"""The web channel: POST /api/chat (one citizen turn), the transcript, a live event stream
(server-sent events) that pushes what arrives later — an operator's reply, a status change —,
the page at `/` and the embeddable `widget.js`. Everything a turn does is the conversation
core's (`govbot.conversations`); this module only speaks HTTP."""

from __future__ import annotations

import asyncio
import json
import re

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from api.auth import client_ip
from api.pages import STATIC, TYPES, page
from api.schemas import MAX_INT, SESSION_ID, ChatRequest, ChatResponse, ChatSession, History
from govbot.conversations import queue
from govbot.conversations.turn import ConversationBusy, ConversationUnavailable

# a change written by this process wakes the stream at once (govbot/conversations/changes.py); this is how often it
# looks anyway, for changes written by another process
POLL_S = 2.0
KEEPALIVE_S = 15.0
BUSY_RETRY_S = 5  # Retry-After when too many turns wait for Rasa
DOWN_RETRY_S = 30  # … and when Rasa or the actions are down (serve starts them again)

router = APIRouter(tags=["web chat"])


GONE = "会话不存在或已过期，请刷新页面开始新的对话"
TOKEN_HEADER = "X-Session-Token"


@router.post(
    "/api/chat/sessions",
    status_code=201,
    response_model=ChatSession,
    summary="开始一次网页对话：返回会话标识和令牌（之后的请求在 X-Session-Token 头中带上令牌）",
    responses={429: {"description": "同一来源地址开始对话过于频繁，见 Retry-After"}},
)
async def open_session(request: Request) -> ChatSession:
    limited(request, "")
    session_id, token = await asyncio.to_thread(request.app.state.conversations.web_sessions.open)
    return ChatSession(session_id=session_id, token=token)


def holder(request: Request, session_id: str, touch: bool = False) -> None:
    """404, the same for an id never issued, an expired session and a wrong token."""
    token = request.headers.get(TOKEN_HEADER)
    if not re.match(SESSION_ID, session_id) or not request.app.state.conversations.web_sessions.holder(session_id, token, touch):
        raise HTTPException(404, detail=GONE)


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    summary="市民发送一条消息，返回机器人回复",
    responses={
        404: {"description": "会话不存在、已过期或令牌不符（X-Session-Token）"},
        429: {"description": "发送过快（按会话和来源地址限流），见 Retry-After"},
        503: {"description": "对话服务暂不可用（Rasa 或动作服务未就绪）"},
    },
)
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    conversations = request.app.state.conversations
    try:
        async with conversations.admitted():  # first: an overloaded process refuses before any work
            await asyncio.to_thread(holder, request, body.session_id, True)
            limited(request, body.session_id)
            return await conversations.turn(body.session_id, body.text, body.payload)
    except ConversationBusy:
        hotline = request.app.state.settings.hotline_number
        detail = f"咨询的市民较多，请 {BUSY_RETRY_S} 秒后再试，或拨打{hotline}热线。"
        raise HTTPException(503, detail=detail, headers={"Retry-After": str(BUSY_RETRY_S)}) from None
    except ConversationUnavailable:
        hotline = request.app.state.settings.hotline_number
        detail = f"智能助手暂时无法服务，请稍后再试，或直接拨打{hotline}热线。"
        raise HTTPException(503, detail=detail, headers={"Retry-After": str(DOWN_RETRY_S)}) from None


def limited(request: Request, session_id: str) -> None:
    """429 with Retry-After when this session or this address sends faster than the settings allow."""
    wait = request.app.state.chat_limits.retry_after(session_id, client_ip(request))
    if wait:
        raise HTTPException(429, detail=f"您发送得太快了，请 {wait} 秒后再试。", headers={"Retry-After": str(wait)})


@router.get("/api/chat/{session_id}/history", response_model=History, summary="会话历史（按顺序）")
async def history(session_id: str, request: Request, after: int = Query(0, ge=0, le=MAX_INT)) -> History:
    await asyncio.to_thread(holder, request, session_id)
    return History.of(request.app.state.records.history(session_id, after))


@router.get("/", include_in_schema=False)
async def chat_page(request: Request) -> Response:
    return page(request, "chat/index.html")


@router.get("/widget.js", include_in_schema=False)
async def widget(request: Request) -> Response:
    return page(request, "chat/widget.js")


@router.get("/widget.css", include_in_schema=False)
async def widget_css() -> FileResponse:
    return FileResponse(STATIC / "chat" / "widget.css", media_type=TYPES[".css"])


TOLD = ("claimed", "released", "transferred")  # the bot's messages about the service, pushed as they happen


@router.get("/api/chat/{session_id}/events", summary="实时消息流（SSE）：人工客服的回复和会话状态变化")
async def events(session_id: str, request: Request, after: int = Query(0, ge=0, le=MAX_INT)) -> StreamingResponse:
    await asyncio.to_thread(holder, request, session_id)
    records = request.app.state.records

    async def stream():
        last_seq, last_status, last_place = after, None, None
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while not await request.is_disconnected():
            ticket = records.changes.ticket(session_id)  # before reading: no change is slept through
            conversation = records.conversation_or_none(session_id)  # listening creates nothing
            status = conversation["status"] if conversation else "bot"
            if status != last_status:
                last_status = status
                quiet_since = loop.time()
                yield f"event: status\ndata: {json.dumps({'status': status})}\n\n"
            if status == "waiting":  # the place in the queue, pushed whenever it changes
                place = queue.estimate(request.app.state.settings, records, conversation)
                if place != last_place:
                    last_place, quiet_since = place, loop.time()
                    yield f"event: queue\ndata: {json.dumps({'ahead': place[0], 'minutes': place[1]})}\n\n"
            for message in records.history(session_id, last_seq):
                last_seq = message.seq
                if message.role == "operator" or message.payload.get("event") in TOLD:  # told as it happens
                    data = {"seq": message.seq, "role": message.role, "text": message.text, "time": message.time}
                    data["event"] = message.payload.get("event")
                    quiet_since = loop.time()
                    yield f"event: message\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            await records.changes.wait(session_id, ticket, POLL_S)
            if loop.time() - quiet_since >= KEEPALIVE_S:
                quiet_since = loop.time()
                yield ": keepalive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
