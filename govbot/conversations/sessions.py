"""Web chat sessions issued by the server: an unguessable id and a token that proves the holder.

`open()` makes a session (128-bit id, 256-bit token; only the token's SHA-256 is stored); every
later call names the id and shows the token. `holder()` answers the same way, in the same work, for
an id never issued, an expired one and a wrong token: the caller cannot tell which. A session
lapses after `idle_minutes` without a turn; the page then opens a new one. Only web sessions live
here, so a WeChat conversation (`wx:…`) can never be reached through the web API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import insert, select, update

from govbot.records import chat_sessions, now

PREFIX = "web-"
_NOBODY = hashlib.sha256(b"no such session").hexdigest()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class ChatSessions:
    def __init__(self, engine, idle_minutes: int) -> None:
        self.engine = engine
        self.idle = timedelta(minutes=idle_minutes)

    def open(self) -> tuple[str, str]:
        session_id, token = PREFIX + secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(insert(chat_sessions).values(id=session_id, token_sha256=_digest(token), created_at=now(), last_seen=now()))
        return session_id, token

    def holder(self, session_id: str, token: str | None, touch: bool = False) -> bool:
        """Whether `token` opens `session_id` now; `touch`: a turn, the session's idle clock restarts."""
        query = select(chat_sessions.c.token_sha256, chat_sessions.c.last_seen).where(chat_sessions.c.id == session_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        stored = row.token_sha256 if row else _NOBODY
        matches = hmac.compare_digest(stored, _digest(token or ""))  # compared even for no session: the same work
        if not (row and matches):
            return False
        last_seen = row.last_seen if row.last_seen.tzinfo else row.last_seen.replace(tzinfo=now().tzinfo)
        if now() - last_seen > self.idle:
            return False
        if touch:
            with self.engine.begin() as conn:
                conn.execute(update(chat_sessions).where(chat_sessions.c.id == session_id).values(last_seen=now()))
        return True
