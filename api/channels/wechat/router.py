"""GET /wechat (URL verification) and POST /wechat (messages) for a WeChat official account.

Order of checks on a POST: channel configured (else 404) -> `signature` and a fresh timestamp
(else 403, before the body is even read) -> body at most 64 KB (else 400) -> in compatible and
secure modes (`encrypt_type=aes`) `msg_signature` over the Encrypt field (else 403), then
decryption with the AppId check (else 400) -> safe XML parse (else 400). Then the message is
answered once (see dedupe.py); the reply is a text message XML (encrypted in those modes) or
"success". Error bodies are short plain text: this endpoint never answers JSON.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.background import BackgroundTask

from api.channels.wechat.channel import WeChatChannel
from api.channels.wechat.content import MAX_BODY_BYTES, BadMessage, parse_fields, parse_message, to_incoming
from api.channels.wechat.crypto import CryptoError
from api.channels.wechat.responses import encrypted_envelope, success_response, text_reply
from api.channels.wechat.verification import check_msg_signature, check_signature, fresh, handshake

log = logging.getLogger("govbot.wechat")


@asynccontextmanager
async def lifespan(app: FastAPI):
    channel = WeChatChannel(app.state.settings)
    app.state.wechat = channel
    records = getattr(app.state, "records", None)  # the app's lifespan runs first and opens them
    if channel.enabled and records is not None:
        channel.start_outbox(records)
    if channel.enabled:
        log.info(
            "WeChat channel on (encrypted modes: %s, customer-service API: %s)",
            "yes" if channel.crypto else "no",
            "yes" if channel.client else "no",
        )
    try:
        yield
    finally:
        await channel.close()


router = APIRouter(tags=["wechat"], lifespan=lifespan)


def _plain(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status)


def _channel(request: Request) -> WeChatChannel | None:
    channel = getattr(request.app.state, "wechat", None)
    return channel if channel is not None and channel.enabled else None


async def _read_body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/wechat", summary="微信公众号服务器地址验证（回显 echostr）", response_class=PlainTextResponse)
async def verify(request: Request) -> Response:
    channel = _channel(request)
    if channel is None:
        return _plain(404, "not found")
    q = request.query_params
    echo = handshake(channel.token, q.get("signature"), q.get("timestamp"), q.get("nonce"), q.get("echostr"))
    if echo is None:
        log.warning("WeChat: URL verification with a bad signature from %s", request.client.host if request.client else "?")
        return _plain(403, "forbidden")
    return PlainTextResponse(echo)


@router.post("/wechat", summary="接收微信公众号消息，返回被动回复 XML 或 success", response_class=Response)
async def receive(request: Request) -> Response:
    arrived = time.monotonic()  # WeChat's 5 s run from here (and the network before it)
    channel = _channel(request)
    if channel is None:
        return _plain(404, "not found")
    q = request.query_params
    timestamp, nonce = q.get("timestamp"), q.get("nonce")
    if not check_signature(channel.token, q.get("signature"), timestamp, nonce):
        log.warning("WeChat: message with a bad signature refused")
        return _plain(403, "forbidden")
    if not fresh(timestamp):
        log.warning("WeChat: message with a stale timestamp refused (check this server's clock)")
        return _plain(403, "forbidden")
    body = await _read_body(request)
    if body is None:
        return _plain(400, "body too large")
    encrypt_type = (q.get("encrypt_type") or "raw").lower()
    try:
        if encrypt_type == "aes":
            if channel.crypto is None:
                log.error("WeChat: an encrypted message arrived but wechat_aes_key / wechat_app_id or the cryptography package is missing")
                return _plain(503, "encryption not configured")
            encrypt = parse_fields(body).get("Encrypt", "")
            if not check_msg_signature(channel.token, q.get("msg_signature"), timestamp, nonce, encrypt):
                log.warning("WeChat: message with a bad msg_signature refused")
                return _plain(403, "forbidden")
            incoming = to_incoming(parse_fields(channel.crypto.decrypt(encrypt).encode("utf-8")))
        elif encrypt_type == "raw":
            incoming = parse_message(body)
        else:
            return _plain(400, "unknown encrypt_type")
    except (BadMessage, CryptoError) as exc:
        log.warning("WeChat: message refused: %s", exc)
        return _plain(400, "bad request")

    outcome = await channel.reply_for(request.app.state, incoming, spent_s=time.monotonic() - arrived)
    if outcome is None:
        return success_response()
    text, rest = channel.plan_passive(incoming.from_user, outcome, incoming.dedupe_key)
    if text is None:
        return success_response()
    reply = text_reply(incoming, text)
    if encrypt_type == "aes":
        reply = encrypted_envelope(channel.crypto, channel.token, reply)
    background = BackgroundTask(channel.follow_up, incoming.from_user, rest) if rest else None
    return Response(reply, media_type="application/xml", background=background)
