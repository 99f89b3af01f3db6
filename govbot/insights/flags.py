"""Operators' flags: “this answer was wrong” or “the knowledge base lacks this”."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from govbot.insights.tables import answer_flags, ensure_tables
from knowledge.pii import mask

KINDS = ("wrong", "missing")


def add_flag(
    engine: Engine,
    *,
    operator: str,
    question: str,
    kind: str,
    item_id: int | None = None,
    note: str = "",
    department: str = "",
    time: datetime | None = None,
) -> int:
    if kind not in KINDS:
        raise ValueError(f"unknown flag kind: {kind!r}")
    ensure_tables(engine)
    with engine.begin() as conn:
        return conn.execute(
            insert(answer_flags).values(
                time=time or datetime.now(timezone.utc),
                operator=operator,
                question=mask(question.strip()),
                kind=kind,
                item_id=item_id,
                note=mask(note.strip()),
                department=department,
            )
        ).inserted_primary_key[0]


def flags_since(engine: Engine, since: datetime, limit: int = 5000) -> list[dict]:
    """The most recent flags from `since` on (newest first)."""
    ensure_tables(engine)
    query = select(answer_flags).where(answer_flags.c.time >= since).order_by(answer_flags.c.time.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
