"""SQL backend (SQLAlchemy Core): SQLite by default, PostgreSQL by URL."""
from __future__ import annotations

import json
from dataclasses import asdict, fields as dc_fields
from datetime import datetime, timezone

from sqlalchemy import (JSON, Column, Date, DateTime, Integer, MetaData, String, Table, Text, create_engine, event,
                        func, insert, select, update)
from sqlalchemy.engine import Connection, Engine

from knowledge.content import Item, ItemDraft, Kind, Status
from knowledge.store.base import ContentStore, SaveResult, Version

metadata = MetaData()

items_table = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("department", String(100), nullable=False, default="", index=True),
    Column("region", String(100), nullable=False, default=""),
    Column("effective_date", Date),
    Column("expiry_date", Date),
    Column("status", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=1),
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
    "item_versions", metadata,
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
    "ingested_files", metadata,
    Column("path", String(500), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

changes_table = Table(
    "changes", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

_DRAFT_COLUMNS = [f.name for f in dc_fields(ItemDraft)]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _row_to_item(row) -> Item:
    data = dict(row._mapping)
    data.pop("content_hash", None)
    data["kind"] = Kind(data["kind"])
    data["status"] = Status(data["status"])
    return Item(**data)


def _snapshot(draft: ItemDraft) -> dict:
    return json.loads(json.dumps(asdict(draft), ensure_ascii=False, default=str))


def _draft_values(draft: ItemDraft) -> dict:
    values = {name: getattr(draft, name) for name in _DRAFT_COLUMNS}
    values["kind"] = draft.kind.value
    values["status"] = draft.status.value
    values["content_hash"] = draft.content_hash()
    return values


class SqlStore(ContentStore):
    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", sqlite_pragmas)
        metadata.create_all(self.engine)

    # --- writing ---------------------------------------------------------------------------
    def save_items(self, drafts, *, actor="system", source_file=None) -> SaveResult:
        result = SaveResult()
        with self.engine.begin() as conn:
            for draft in drafts:
                self._save_one(conn, draft, actor, result)
            if source_file:
                path, sha = source_file
                conn.execute(files_table.delete().where(files_table.c.path == path))
                conn.execute(insert(files_table).values(path=path, sha256=sha, ingested_at=_now()))
        return result

    def _save_one(self, conn: Connection, draft: ItemDraft, actor: str, result: SaveResult) -> None:
        existing = conn.execute(select(items_table).where(items_table.c.key == draft.key)).first()
        values = _draft_values(draft)
        now = _now()
        if existing is None:
            item_id = conn.execute(insert(items_table).values(**values, version=1, created_at=now,
                                                              updated_at=now)).inserted_primary_key[0]
            version = 1
            result.added.append(item_id)
        elif existing.content_hash == values["content_hash"] and existing.status == values["status"]:
            result.unchanged.append(existing.id)
            return
        else:
            item_id, version = existing.id, existing.version + 1
            conn.execute(update(items_table).where(items_table.c.id == item_id)
                         .values(**values, version=version, updated_at=now))
            result.updated.append(item_id)
        self._log(conn, item_id, version, draft.status, _snapshot(draft), actor, "")

    def _log(self, conn: Connection, item_id: int, version: int, status: Status, snapshot: dict, actor: str,
             note: str) -> None:
        now = _now()
        conn.execute(insert(versions_table).values(item_id=item_id, version=version, status=status.value,
                                                   snapshot=snapshot, actor=actor, note=note, created_at=now))
        conn.execute(insert(changes_table).values(item_id=item_id, at=now))

    def set_status(self, item_id, status, *, actor="system", reason="", successor_id=None) -> Item:
        with self.engine.begin() as conn:
            row = conn.execute(select(items_table).where(items_table.c.id == item_id)).first()
            if row is None:
                raise KeyError(item_id)
            conn.execute(update(items_table).where(items_table.c.id == item_id).values(
                status=status.value, abolish_reason=reason, successor_id=successor_id, updated_at=_now()))
            item = _row_to_item(conn.execute(select(items_table).where(items_table.c.id == item_id)).first())
            self._log(conn, item_id, item.version, status, _snapshot(item), actor, reason)
        return item

    # --- reading ---------------------------------------------------------------------------
    def file_sha256(self, path):
        with self.engine.connect() as conn:
            return conn.execute(select(files_table.c.sha256).where(files_table.c.path == path)).scalar()

    def get(self, item_id):
        with self.engine.connect() as conn:
            row = conn.execute(select(items_table).where(items_table.c.id == item_id)).first()
        return _row_to_item(row) if row else None

    def get_by_key(self, key):
        with self.engine.connect() as conn:
            row = conn.execute(select(items_table).where(items_table.c.key == key)).first()
        return _row_to_item(row) if row else None

    def items(self, *, status=None, kind=None, ids=None):
        query = select(items_table).order_by(items_table.c.id)
        if status is not None:
            query = query.where(items_table.c.status == status.value)
        if kind is not None:
            query = query.where(items_table.c.kind == kind.value)
        if ids is not None:
            query = query.where(items_table.c.id.in_(ids))
        with self.engine.connect() as conn:
            return [_row_to_item(row) for row in conn.execute(query)]

    def versions(self, item_id):
        query = select(versions_table).where(versions_table.c.item_id == item_id).order_by(versions_table.c.id)
        with self.engine.connect() as conn:
            return [Version(item_id=r.item_id, version=r.version, status=Status(r.status), snapshot=r.snapshot,
                            actor=r.actor, note=r.note, created_at=r.created_at.isoformat())
                    for r in conn.execute(query)]

    def last_change(self):
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(changes_table.c.seq))).scalar() or 0

    def changed_since(self, seq):
        query = select(changes_table.c.item_id).where(changes_table.c.seq > seq).distinct()
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]

    def close(self):
        self.engine.dispose()


def sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers in other processes never block the writer
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
