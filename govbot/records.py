"""Operational records shared by the API and the action server: conversations and their
messages (the transcript), work orders, feedback, and the vault of masked personal data.

They live in the same database as the content (SQLite by default). Transcripts only ever hold
masked text; a phone number a citizen gives for a callback is kept once, in the vault, and read
back only to put it on the work order.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table, Text, delete, func, insert, select, update

from govbot.database import ensure_schema
from govbot.conversations.changes import Changes
from govbot.sealing import Sealer, SealError, key_for
from govbot.settings import Settings
from govbot.shared import SharedState, open_shared_state
from knowledge.pii import find_pii, mask
from knowledge.store.schema import metadata
from knowledge.store.sql import insert_new, open_engine

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(100), primary_key=True),  # the chat's session_id
    Column("channel", String(20), nullable=False, default="web"),
    Column("status", String(10), nullable=False, default="bot"),  # bot | waiting | human
    Column("department", String(100), nullable=False, default=""),
    Column("operator", String(64), nullable=False, default=""),  # who has claimed it
    Column("waiting_since", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(100), nullable=False, index=True),
    Column("role", String(10), nullable=False),  # citizen | bot | operator
    Column("text", Text, nullable=False),
    Column("payload", JSON, nullable=False),  # buttons, sources, status of a bot reply
    Column("time", DateTime(timezone=True), nullable=False),
)

work_orders = Table(
    "work_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tracking_number", String(32), nullable=False, unique=True),
    Column("conversation_id", String(100), nullable=False, default=""),
    Column("type", String(20), nullable=False),  # complain | report | request
    Column("content", Text, nullable=False),
    Column("address", Text, nullable=False, default=""),
    Column("phone", String(40), nullable=False, default=""),  # the real number: needed to call back
    Column("callback", Boolean, nullable=False, default=False),
    Column("department", String(100), nullable=False, default=""),
    Column("status", String(20), nullable=False, default="new"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(100), nullable=False, default=""),
    Column("helpful", Boolean, nullable=False),
    Column("question", Text, nullable=False, default=""),
    Column("answer", Text, nullable=False, default=""),
    Column("sources", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

chat_sessions = Table(  # web chat sessions issued by the server (govbot/conversations/sessions.py)
    "chat_sessions",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("token_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)
outbox = Table(  # messages a channel pushes later (an answer that missed WeChat's passive reply)
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(20), nullable=False),
    Column("recipient", String(100), nullable=False),
    Column("body", JSON, nullable=False),  # what the channel needs to send it (parts, fallbacks)
    Column("state", String(10), nullable=False),  # pending | sending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Index("ix_outbox_due", "channel", "state", "next_at"),
)
import_progress = Table(  # a console import's progress, read by whichever replica the page polls
    "import_progress",
    metadata,
    Column("key", String(64), primary_key=True),  # the id the page chose
    Column("phase", String(20), nullable=False),
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
)
pii_vault = Table(
    "pii_vault",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(100), nullable=False, index=True),
    Column("masked", String(60), nullable=False),
    Column("raw", Text, nullable=False),  # sealed (govbot/sealing.py)
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Message:
    seq: int
    role: str
    text: str
    payload: dict
    time: str

    @property
    def pressed(self) -> bool:
        """A citizen's message that was a button: its payload is kept beside the title shown (in
        transcripts of earlier releases, the text was the raw payload itself)."""
        return bool(self.payload.get("button")) or self.text.startswith("/")


class Records:
    def __init__(self, url: str, sealer: Sealer | None = None, vault_days: int = 7, shared: SharedState | None = None):
        """`sealer`: the vault's key (without it, no original of a masked value is kept);
        `vault_days`: how long an original is kept (the work order keeps its own callback number);
        `shared`: the replicas' shared state, through which a change wakes streams held elsewhere."""
        ensure_schema(url)
        self.engine = open_engine(url)
        self.sealer, self.vault_days = sealer, vault_days
        self.changes = Changes(bus=shared)  # wakes the live streams of a conversation (all replicas with a shared bus)

    # --- conversations ----------------------------------------------------------------------
    def conversation(self, conversation_id: str, channel: str = "web") -> dict:
        """The conversation, made at its first use (one INSERT that yields to a concurrent one)."""
        query = select(conversations).where(conversations.c.id == conversation_id)
        with self.engine.begin() as conn:
            row = conn.execute(query).first()
            if row is None:
                values = dict(id=conversation_id, channel=channel, status="bot", department="", operator="")
                insert_new(conn, conversations, {**values, "waiting_since": None, "created_at": now(), "updated_at": now()})
                row = conn.execute(query).first()
            return dict(row._mapping)

    def conversation_or_none(self, conversation_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(conversations).where(conversations.c.id == conversation_id)).first()
        return dict(row._mapping) if row else None

    def set_status(self, conversation_id: str, status: str, department: str | None = None, operator: str = "") -> None:
        values = {"status": status, "updated_at": now(), "operator": operator}
        if status == "waiting":
            values["waiting_since"] = now()
        if department is not None:
            values["department"] = department
        self.conversation(conversation_id)
        with self.engine.begin() as conn:
            conn.execute(update(conversations).where(conversations.c.id == conversation_id).values(**values))
        self.changes.notify(conversation_id)

    def leave_queue(self, conversation_id: str) -> bool:
        """Back to the bot from `waiting` (a message was left); False if an operator claimed it first."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(conversations)
                .where(
                    conversations.c.id == conversation_id,
                    conversations.c.status == "waiting",
                )
                .values(status="bot", operator="", updated_at=now())
            )
        self.changes.notify(conversation_id)
        return result.rowcount == 1

    def claim(self, conversation_id: str, operator: str) -> bool:
        """Take a conversation; False if someone else holds it (one UPDATE: no double claim)."""
        self.conversation(conversation_id)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(conversations)
                .where(
                    conversations.c.id == conversation_id,
                    (conversations.c.operator == "") | (conversations.c.operator == operator),
                )
                .values(status="human", operator=operator, updated_at=now())
            )
        self.changes.notify(conversation_id)
        return result.rowcount == 1

    def queue(self, department: str | None = None) -> list[dict]:
        """Conversations waiting for or talking with a person (a department's, or all), oldest first."""
        query = select(conversations).where(conversations.c.status.in_(("waiting", "human")))
        if department is not None:
            query = query.where(conversations.c.department.in_((department, "")))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query.order_by(conversations.c.waiting_since))]
        return rows

    # --- transcript -------------------------------------------------------------------------
    def add_message(self, conversation_id: str, role: str, text: str, payload: dict | None = None) -> int:
        with self.engine.begin() as conn:
            seq = conn.execute(
                insert(messages).values(conversation_id=conversation_id, role=role, text=mask(text), payload=payload or {}, time=now())
            ).inserted_primary_key[0]
        self.changes.notify(conversation_id)
        return seq

    def history(self, conversation_id: str, after: int = 0) -> list[Message]:
        query = select(messages).where(messages.c.conversation_id == conversation_id, messages.c.seq > after).order_by(messages.c.seq)
        with self.engine.connect() as conn:
            return [Message(r.seq, r.role, r.text, r.payload, r.time.isoformat()) for r in conn.execute(query)]

    def note_on(self, seq: int, **payload) -> None:
        """Add to a stored message's payload (e.g. that a citizen's words were a request for a person)."""
        with self.engine.begin() as conn:
            current = conn.execute(select(messages.c.payload).where(messages.c.seq == seq)).scalar() or {}
            conn.execute(update(messages).where(messages.c.seq == seq).values(payload={**current, **payload}))

    def last_typed(self, conversation_id: str) -> str:
        """What the citizen last asked in words: not a button, not the request for a person."""
        query = (
            select(messages)
            .where(messages.c.conversation_id == conversation_id, messages.c.role == "citizen")
            .order_by(messages.c.seq.desc())
            .limit(20)
        )
        with self.engine.connect() as conn:
            for r in conn.execute(query):
                message = Message(r.seq, r.role, r.text, r.payload or {}, r.time.isoformat())
                if not message.pressed and not message.payload.get("asked_for_person"):
                    return message.text
        return ""

    # --- personal data vault ----------------------------------------------------------------
    def remember_pii(self, conversation_id: str, raw_text: str) -> str:
        """Mask `raw_text`, keeping each masked value's original, sealed, for this conversation."""
        originals = find_pii(raw_text)
        if originals and self.sealer:
            with self.engine.begin() as conn:
                conn.execute(delete(pii_vault).where(pii_vault.c.created_at < now() - timedelta(days=self.vault_days)))
                for original in originals:
                    sealed = self.sealer.seal(original, conversation_id)
                    conn.execute(
                        insert(pii_vault).values(conversation_id=conversation_id, masked=mask(original), raw=sealed, created_at=now())
                    )
        return mask(raw_text)

    def reveal(self, conversation_id: str, masked_value: str) -> str:
        """The original of a masked value given in this conversation ('' if unknown)."""
        query = (
            select(pii_vault.c.raw)
            .where(pii_vault.c.conversation_id == conversation_id, pii_vault.c.masked == masked_value)
            .order_by(pii_vault.c.id.desc())
        )
        with self.engine.connect() as conn:
            sealed = conn.execute(query.where(pii_vault.c.created_at >= now() - timedelta(days=self.vault_days))).scalar()
        if not sealed or not self.sealer:
            return ""
        try:
            return self.sealer.open(sealed, conversation_id)
        except SealError:  # another key, or a value of the releases before sealing
            return ""

    # --- the outbox: pushes that survive a restart and are retried --------------------------
    CLAIM_S = 300  # a row taken for sending and not settled within this is taken again (a crash)

    def enqueue(self, channel: str, recipient: str, body: dict, delay_s: float = 0.0) -> int:
        at = now() + timedelta(seconds=delay_s)
        with self.engine.begin() as conn:
            values = dict(
                channel=channel, recipient=recipient, body=body, state="pending", attempts=0, next_at=at, created_at=now(), note=""
            )
            return conn.execute(insert(outbox).values(**values)).inserted_primary_key[0]

    def take_due(self, channel: str, limit: int = 20) -> list[dict]:
        """Rows due now, each taken for sending by this process alone (a conditional update)."""
        moment = now()
        query = (
            select(outbox)
            .where(outbox.c.channel == channel, outbox.c.state.in_(("pending", "sending")), outbox.c.next_at <= moment)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        taken = []
        with self.engine.begin() as conn:
            for row in conn.execute(query).all():
                claim = (
                    update(outbox)
                    .where(outbox.c.id == row.id, outbox.c.state == row.state, outbox.c.next_at == row.next_at)
                    .values(state="sending", next_at=moment + timedelta(seconds=self.CLAIM_S))
                )
                if conn.execute(claim).rowcount == 1:
                    taken.append(dict(row._mapping))
        return taken

    def settle(self, row_id: int, state: str, note: str = "", retry_in_s: float | None = None, body: dict | None = None) -> None:
        """sent | failed; or, with `retry_in_s`, pending again (what is left of it in `body`)."""
        values: dict = {"note": note[:500]}
        if retry_in_s is not None:
            values.update(state="pending", next_at=now() + timedelta(seconds=retry_in_s), attempts=outbox.c.attempts + 1)
        else:
            values["state"] = state
        if body is not None:
            values["body"] = body
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))

    # --- import progress: written by the replica that imports, read by any --------------------
    PROGRESS_KEEP = timedelta(hours=1)

    def set_progress(self, key: str, phase: str, done: int = 0, total: int = 0) -> None:
        values = {"phase": phase, "done": done, "total": total, "updated_at": now()}
        with self.engine.begin() as conn:
            if conn.execute(update(import_progress).where(import_progress.c.key == key).values(**values)).rowcount == 0:
                insert_new(conn, import_progress, {"key": key, **values})
            conn.execute(delete(import_progress).where(import_progress.c.updated_at < now() - self.PROGRESS_KEEP))

    def progress(self, key: str) -> dict | None:
        query = select(import_progress).where(import_progress.c.key == key, import_progress.c.updated_at >= now() - self.PROGRESS_KEEP)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return {"phase": row.phase, "done": row.done, "total": row.total} if row else None

    # --- work orders and feedback -----------------------------------------------------------
    def create_work_order(
        self, *, conversation_id: str, type: str, content: str, address: str, phone: str, callback: bool, department: str
    ) -> str:
        tracking = f"GD{now():%Y%m%d}{secrets.randbelow(10**6):06d}"
        with self.engine.begin() as conn:
            conn.execute(
                insert(work_orders).values(
                    tracking_number=tracking,
                    conversation_id=conversation_id,
                    type=type,
                    content=mask(content),
                    address=address,
                    phone=phone,
                    callback=callback,
                    department=department,
                    created_at=now(),
                )
            )
        return tracking

    def work_order(self, tracking_number: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(work_orders).where(work_orders.c.tracking_number == tracking_number)).first()
        return dict(row._mapping) if row else None

    def add_feedback(self, *, conversation_id: str, helpful: bool, question: str, answer: str, sources: list) -> int:
        with self.engine.begin() as conn:
            return conn.execute(
                insert(feedback).values(
                    conversation_id=conversation_id,
                    helpful=helpful,
                    question=mask(question),
                    answer=answer,
                    sources=sources,
                    created_at=now(),
                )
            ).inserted_primary_key[0]

    def feedback_for(self, conversation_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(select(feedback).where(feedback.c.conversation_id == conversation_id).order_by(feedback.c.id))
            ]

    def count(self, table: Table) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar()


@lru_cache(maxsize=4)
def open_records(url: str, key: bytes, vault_days: int, redis_url: str = "") -> Records:
    return Records(url, Sealer(key), vault_days, open_shared_state(redis_url))


def records_for(settings: Settings) -> Records:
    settings.ensure_dirs()
    return open_records(settings.db_url, key_for(settings), settings.vault_retention_days, settings.redis_url)
