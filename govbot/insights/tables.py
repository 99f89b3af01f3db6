"""The insights tables, in the same database as the content and the records."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Integer, LargeBinary, String, Table, Text
from sqlalchemy.engine import Engine

from govbot.database import ensure_schema
from knowledge.store.schema import metadata

question_log = Table(
    "question_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", DateTime(timezone=True), nullable=False, index=True),  # UTC
    Column("question", Text, nullable=False),  # masked
    Column("normalized", String(500), nullable=False, default="", index=True),  # for grouping
    Column("status", String(16), nullable=False),  # answered | clarify | no_answer | handoff | refused
    Column("confidence", Float, nullable=False, default=0.0),
    Column("item_id", Integer),  # the item that answered
    Column("item_key", String(200), nullable=False, default=""),
    Column("item_title", Text, nullable=False, default=""),
    Column("department", String(100), nullable=False, default=""),  # the answering item's department
    # no item answered: where the question would be dispatched (the `department_for` rule on the same hits)
    Column("routed_department", String(100), nullable=False, default=""),
    Column("channel", String(20), nullable=False, default=""),  # web | wechat | cli | ...
    Column("conversation_id", String(100), nullable=False, default="", index=True),
)

answer_flags = Table(
    "answer_flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
    Column("operator", String(64), nullable=False),
    Column("question", Text, nullable=False),  # masked
    Column("kind", String(10), nullable=False),  # wrong | missing
    Column("item_id", Integer),
    Column("note", Text, nullable=False, default=""),  # masked
    Column("department", String(100), nullable=False, default=""),
)

# e5 vectors of normalised questions, computed once per model and text (grouping similar questions)
question_vectors = Table(
    "question_vectors",
    metadata,
    Column("key", String(40), primary_key=True),  # sha1 of model id + normalised text
    Column("vector", LargeBinary, nullable=False),  # float32, unit length
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def ensure_tables(engine: Engine) -> None:
    """The insights tables exist: the database is migrated (`govbot.database`), once per process."""
    ensure_schema(engine.url.render_as_string(hide_password=False))
