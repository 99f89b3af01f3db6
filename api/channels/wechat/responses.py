"""What we answer WeChat: a passive text reply (XML, To/From swapped), the encrypted envelope in
compatible and secure modes, or "success" (no reply now; never JSON, which WeChat shows as
"该公众号暂时无法提供服务")."""

from __future__ import annotations

import re
import secrets
import time

from fastapi.responses import Response

from api.channels.wechat.content import Incoming
from api.channels.wechat.crypto import MessageCrypto
from api.channels.wechat.verification import sha1_signature

SUCCESS = "success"
# characters XML 1.0 cannot carry at all
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    text = _INVALID_XML.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(incoming: Incoming, content: str, now: int | None = None) -> str:
    return (
        "<xml>"
        f"<ToUserName>{cdata(incoming.from_user)}</ToUserName>"
        f"<FromUserName>{cdata(incoming.to_user)}</FromUserName>"
        f"<CreateTime>{int(time.time()) if now is None else now}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def encrypted_envelope(crypto: MessageCrypto, token: str, reply_xml: str, timestamp: str | None = None, nonce: str | None = None) -> str:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    encrypt = crypto.encrypt(reply_xml)
    signature = sha1_signature(token, timestamp, nonce, encrypt)
    return (
        "<xml>"
        f"<Encrypt>{cdata(encrypt)}</Encrypt>"
        f"<MsgSignature>{cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp>"
        f"<Nonce>{cdata(nonce)}</Nonce>"
        "</xml>"
    )


def success_response() -> Response:
    return Response(SUCCESS, media_type="text/plain")
