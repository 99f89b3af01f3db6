"""The database's tables: one MetaData for the whole application.

The knowledge library's tables are defined here; the application's own (accounts, conversations,
insights) join the same MetaData from their modules. The application creates and changes the
schema with its migrations (`govbot migrate`); a program that uses the library alone, without
them, calls `create_tables`.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Integer, LargeBinary, MetaData, String, Table, Text, inspect
from sqlalchemy.engine import Engine

metadata = MetaData()

items_table = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("department", String(100), nullable=False, default="", index=True),
    Column("region", String(100), nullable=False, default=""),
    Column("effective_date", Date),
    Column("expiry_date", Date),
    Column("status", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=1),  # the head (newest) version
    Column("live_version", Integer),  # the version citizens are answered from; NULL: none
    Column("source", Text, nullable=False, default=""),
    Column("doc_number", String(100), nullable=False, default=""),
    Column("doc_date", Date),
    Column("fields", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("abolish_reason", Text, nullable=False, default=""),
    Column("successor_id", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

versions_table = Table(
    "item_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("actor", String(100), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

files_table = Table(
    "ingested_files",
    metadata,
    Column("path", String(500), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

changes_table = Table(
    "changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

vectors_table = Table(
    "passage_vectors",
    metadata,
    Column("model", String(64), primary_key=True),
    Column("digest", String(40), primary_key=True),
    Column("vector", LargeBinary, nullable=False),  # float32, unit length
)

gold_table = Table(
    "gold_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False, index=True),
    Column("question", Text, nullable=False),
    Column("item_id", Integer, nullable=False, index=True),
    Column("created_by", String(64), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

KNOWLEDGE_TABLES = [items_table, versions_table, files_table, changes_table, vectors_table, gold_table]


def create_tables(engine: Engine) -> None:
    """The library's tables, for a database that no migrations manage (one without `alembic_version`).

    Where the application's migrations manage the schema, they alone create and change tables."""
    if not inspect(engine).has_table("alembic_version"):
        metadata.create_all(engine, tables=KNOWLEDGE_TABLES)
