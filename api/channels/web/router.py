"""The web channel: POST /api/chat (one citizen turn), the transcript, a live event stream
(server-sent events) that pushes what arrives later — an operator's reply, a status change —,
the page at `/` and the embeddable `widget.js`. Everything a turn does is the conversation
core's (`govbot.conversations`); this module only speaks HTTP."""

from __future__ import annotations

import asyncio
import json
import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from api.pages import STATIC, TYPES, page
from api.schemas import SESSION_ID, ChatRequest, ChatResponse, History, HistoryMessage
from govbot.conversations.turn import ConversationUnavailable

# a change written by this process wakes the stream at once (govbot/conversations/changes.py); this is how often it
# looks anyway, for changes written by another process
POLL_S = 2.0
KEEPALIVE_S = 15.0

router = APIRouter(tags=["web chat"])


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    summary="市民发送一条消息，返回机器人回复",
    responses={503: {"description": "对话服务暂不可用（Rasa 或动作服务未就绪）"}},
)
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    try:
        return await request.app.state.conversations.turn(body.session_id, body.text, body.payload)
    except ConversationUnavailable:
        hotline = request.app.state.settings.hotline_number
        raise HTTPException(503, detail=f"智能助手暂时无法服务，请稍后再试，或直接拨打{hotline}热线。") from None


@router.get("/api/chat/{session_id}/history", response_model=History, summary="会话历史（按顺序）")
async def history(session_id: str, request: Request, after: int = 0) -> History:
    if not re.match(SESSION_ID, session_id):
        raise HTTPException(422, detail="会话标识格式不正确")
    rows = request.app.state.records.history(session_id, after)
    return History(
        messages=[HistoryMessage(seq=m.seq, role=m.role, text=m.text, sources=m.payload.get("sources", []), time=m.time) for m in rows]
    )


@router.get("/", include_in_schema=False)
async def chat_page(request: Request) -> Response:
    return page(request, "index.html")


@router.get("/widget.js", include_in_schema=False)
async def widget(request: Request) -> Response:
    return page(request, "widget.js")


@router.get("/widget.css", include_in_schema=False)
async def widget_css() -> FileResponse:
    return FileResponse(STATIC / "widget.css", media_type=TYPES[".css"])


@router.get("/api/chat/{session_id}/events", summary="实时消息流（SSE）：人工客服的回复和会话状态变化")
async def events(session_id: str, request: Request, after: int = 0) -> StreamingResponse:
    if not re.match(SESSION_ID, session_id):
        raise HTTPException(422, detail="会话标识格式不正确")
    records = request.app.state.records

    async def stream():
        last_seq, last_status = after, None
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
            for message in records.history(session_id, last_seq):
                last_seq = message.seq
                if message.role == "operator":
                    data = {"seq": message.seq, "role": message.role, "text": message.text, "time": message.time}
                    quiet_since = loop.time()
                    yield f"event: message\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            await records.changes.wait(session_id, ticket, POLL_S)
            if loop.time() - quiet_since >= KEEPALIVE_S:
                quiet_since = loop.time()
                yield ": keepalive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
