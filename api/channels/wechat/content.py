"""Incoming WeChat XML -> `Incoming`, parsed safely.

defusedxml refuses any DTD (so no entity expansion, no external entities: billion laughs and XXE
fail before anything is expanded), bodies over 64 KB are refused before parsing, and only the
direct children of <xml> are read. Everything that fails here is a 400 for the router.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_BODY_BYTES = 64 * 1024
OPENID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")  # fits the chat session id ("wx:" + openid)
MAX_FIELD_CHARS = 8192


class BadMessage(ValueError):
    """Malformed, oversized or hostile XML, or a message missing what every message has."""


def parse_fields(body: bytes | str) -> dict[str, str]:
    """The text of each direct child of the <xml> root, by tag."""
    if len(body) > MAX_BODY_BYTES:
        raise BadMessage("body over 64 KB")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError) as exc:
        raise BadMessage(f"not acceptable XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise BadMessage("the root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str) and child.tag not in fields:
            fields[child.tag] = (child.text or "").strip()[:MAX_FIELD_CHARS]
    return fields


@dataclass(frozen=True)
class Incoming:
    to_user: str  # the official account's id (gh_...)
    from_user: str  # the citizen's openid
    create_time: int
    msg_type: str  # text | event | image | voice | video | shortvideo | location | link | ...
    msg_id: str = ""
    content: str = ""  # text messages
    event: str = ""  # events: subscribe | unsubscribe | CLICK | VIEW | SCAN | LOCATION | ...
    event_key: str = ""
    recognition: str = ""  # voice messages when speech recognition is on

    @property
    def is_text(self) -> bool:
        return self.msg_type == "text"

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; events have none: FromUserName + CreateTime (+ the event)."""
        if self.msg_id:
            return f"{self.from_user}:{self.msg_id}"
        return f"{self.from_user}:{self.create_time}:{self.msg_type}:{self.event}"


def to_incoming(fields: dict[str, str]) -> Incoming:
    openid = fields.get("FromUserName", "")
    if not OPENID.match(openid):
        raise BadMessage("FromUserName missing or not an openid")
    to_user = fields.get("ToUserName", "")
    if not to_user or len(to_user) > 64:
        raise BadMessage("ToUserName missing")
    msg_type = fields.get("MsgType", "").lower()
    if not msg_type or len(msg_type) > 32:
        raise BadMessage("MsgType missing")
    try:
        create_time = int(fields.get("CreateTime", ""))
    except ValueError as exc:
        raise BadMessage("CreateTime missing or not a number") from exc
    msg_id = fields.get("MsgId", "")
    if msg_id and not msg_id.isdigit():
        raise BadMessage("MsgId is not a number")
    if msg_type != "event" and not msg_id:
        raise BadMessage("a message without MsgId")
    return Incoming(
        to_user=to_user,
        from_user=openid,
        create_time=create_time,
        msg_type=msg_type,
        msg_id=msg_id,
        content=fields.get("Content", ""),
        event=fields.get("Event", ""),
        event_key=fields.get("EventKey", ""),
        recognition=fields.get("Recognition", ""),
    )


def parse_message(body: bytes | str) -> Incoming:
    return to_incoming(parse_fields(body))
