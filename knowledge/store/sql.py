"""SQL backend (SQLAlchemy Core): SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import json
from dataclasses import asdict, fields as dc_fields
from datetime import date, datetime, timezone

from sqlalchemy import Text, cast, create_engine, event, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from knowledge.content import Item, ItemDraft, Kind, Status
from knowledge.store.base import ContentStore, ItemQuery, SaveResult, StaleItem, Version
from knowledge.store.schema import changes_table, create_tables, files_table, items_table, versions_table

_DRAFT_COLUMNS = [f.name for f in dc_fields(ItemDraft)]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _row_to_item(row) -> Item:
    data = dict(row._mapping)
    data.pop("content_hash", None)
    data["kind"] = Kind(data["kind"])
    data["status"] = Status(data["status"])
    return Item(**data)


def _snapshot_to_item(row, snapshot: dict, version: int, status: Status) -> Item:
    """An item as it was at `version` (from its snapshot), keeping the row's identity."""
    values = {name: snapshot.get(name) for name in _DRAFT_COLUMNS if name in snapshot}
    for name in ("effective_date", "expiry_date", "doc_date"):
        values[name] = date.fromisoformat(values[name]) if values.get(name) else None
    values["kind"] = Kind(values["kind"])
    values["status"] = status
    return Item(
        **values,
        id=row.id,
        version=version,
        live_version=row.live_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        abolish_reason=row.abolish_reason,
        successor_id=row.successor_id,
    )


def _next_live(status: Status, version: int, live: int | None) -> int | None:
    """Publishing makes a version live; abolishing takes the item off; drafting leaves the live one alone."""
    if status == Status.PUBLISHED:
        return version
    if status == Status.ABOLISHED:
        return None
    return live


def _snapshot(draft: ItemDraft) -> dict:
    return json.loads(json.dumps(asdict(draft), ensure_ascii=False, default=str))


def _draft_values(draft: ItemDraft) -> dict:
    values = {name: getattr(draft, name) for name in _DRAFT_COLUMNS}
    values["kind"] = draft.kind.value
    values["status"] = draft.status.value
    values["content_hash"] = draft.content_hash()
    return values


def open_engine(url: str) -> Engine:
    """An engine for `url` with our SQLite settings. It creates no tables (`knowledge.store.schema`).

    JSON is stored as readable UTF-8, so that a console search finds Chinese words inside fields."""
    if url.startswith(("postgresql://", "postgres://")):  # the driver in the lock file is psycopg 3
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url, future=True, json_serializer=lambda o: json.dumps(o, ensure_ascii=False))
    if url.startswith("sqlite"):
        event.listen(engine, "connect", sqlite_pragmas)
    return engine


class SqlStore(ContentStore):
    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = open_engine(url)
        create_tables(self.engine)

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

    def _save_one(self, conn: Connection, draft: ItemDraft, actor: str, result: SaveResult, note: str = "") -> None:
        existing = conn.execute(select(items_table).where(items_table.c.key == draft.key)).first()
        values = _draft_values(draft)
        now = _now()
        if existing is None:
            item_id = conn.execute(
                insert(items_table).values(
                    **values, version=1, live_version=_next_live(draft.status, 1, None), created_at=now, updated_at=now
                )
            ).inserted_primary_key[0]
            version = 1
            result.added.append(item_id)
        elif existing.content_hash == values["content_hash"] and existing.status == values["status"]:
            result.unchanged.append(existing.id)
            return
        else:
            item_id, version = existing.id, existing.version + 1
            conn.execute(
                update(items_table)
                .where(items_table.c.id == item_id)
                .values(**values, version=version, live_version=_next_live(draft.status, version, existing.live_version), updated_at=now)
            )
            result.updated.append(item_id)
        self._log(conn, item_id, version, draft.status, _snapshot(draft), actor, note)

    def _log(self, conn: Connection, item_id: int, version: int, status: Status, snapshot: dict, actor: str, note: str) -> None:
        now = _now()
        conn.execute(
            insert(versions_table).values(
                item_id=item_id, version=version, status=status.value, snapshot=snapshot, actor=actor, note=note, created_at=now
            )
        )
        conn.execute(insert(changes_table).values(item_id=item_id, at=now))

    def set_status(self, item_id, status, *, actor="system", reason="", successor_id=None, expect=None, expect_version=None) -> Item:
        with self.engine.begin() as conn:
            row = conn.execute(select(items_table).where(items_table.c.id == item_id)).first()
            if row is None:
                raise KeyError(item_id)
            guard = items_table.c.id == item_id
            if expect is not None:
                guard &= items_table.c.status.in_([s.value for s in expect])
            if expect_version is not None:
                guard &= items_table.c.version == expect_version
            values = {"status": status.value, "updated_at": _now(), "live_version": _next_live(status, row.version, row.live_version)}
            if status == Status.ABOLISHED:
                values |= {"abolish_reason": reason, "successor_id": successor_id}
            if conn.execute(update(items_table).where(guard).values(**values)).rowcount != 1:
                raise StaleItem(_row_to_item(row))  # someone else moved it first: nothing written
            item = _row_to_item(conn.execute(select(items_table).where(items_table.c.id == item_id)).first())
            self._log(conn, item_id, item.version, status, _snapshot(item), actor, reason)
        return item

    def update_item(self, item_id, draft, *, expect_version, actor="system", note="") -> Item:
        with self.engine.begin() as conn:
            row = conn.execute(select(items_table).where(items_table.c.id == item_id)).first()
            if row is None:
                raise KeyError(item_id)
            if row.version != expect_version:
                raise StaleItem(_row_to_item(row))
            draft.key = row.key
            values = _draft_values(draft)
            version = row.version + 1
            changed = conn.execute(
                update(items_table)
                .where(items_table.c.id == item_id, items_table.c.version == expect_version)
                .values(**values, version=version, live_version=_next_live(draft.status, version, row.live_version), updated_at=_now())
            ).rowcount
            if changed != 1:  # a concurrent writer got in between the read and the write
                raise StaleItem(_row_to_item(row))
            self._log(conn, item_id, version, draft.status, _snapshot(draft), actor, note)
            return _row_to_item(conn.execute(select(items_table).where(items_table.c.id == item_id)).first())

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

    def find(self, query: ItemQuery):
        conditions = []
        if query.kind is not None:
            conditions.append(items_table.c.kind == query.kind.value)
        if query.status is not None:
            conditions.append(items_table.c.status == query.status.value)
        if query.department is not None:
            conditions.append(items_table.c.department == query.department)
        if query.expires_before is not None:
            conditions.append(items_table.c.expiry_date < query.expires_before)
        for word in query.text.split():
            pattern = f"%{word}%"
            conditions.append(
                items_table.c.title.like(pattern) | cast(items_table.c.fields, Text).like(pattern) | items_table.c.doc_number.like(pattern)
            )
        page = (
            select(items_table)
            .where(*conditions)
            .order_by(items_table.c.updated_at.desc(), items_table.c.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(items_table).where(*conditions)).scalar()
            return [_row_to_item(row) for row in conn.execute(page)], total

    def live_items(self, ids=None):
        query = select(items_table).where(items_table.c.live_version.is_not(None)).order_by(items_table.c.id)
        if ids is not None:
            query = query.where(items_table.c.id.in_(ids))
        out = []
        with self.engine.connect() as conn:
            for row in conn.execute(query).all():
                if row.live_version == row.version:
                    item = _row_to_item(row)
                    item.status = Status.PUBLISHED
                else:
                    item = self._version_item(conn, row, row.live_version, Status.PUBLISHED)
                if item is not None:
                    out.append(item)
        return out

    def version_item(self, item_id, version):
        with self.engine.connect() as conn:
            row = conn.execute(select(items_table).where(items_table.c.id == item_id)).first()
            if row is None:
                return None
            return self._version_item(conn, row, version, None)

    def _version_item(self, conn: Connection, row, version: int, status: Status | None) -> Item | None:
        found = conn.execute(
            select(versions_table.c.snapshot, versions_table.c.status)
            .where(versions_table.c.item_id == row.id, versions_table.c.version == version)
            .order_by(versions_table.c.id.desc())
            .limit(1)
        ).first()
        if found is None:
            return None
        return _snapshot_to_item(row, found.snapshot, version, status or Status(found.status))

    def versions(self, item_id):
        query = select(versions_table).where(versions_table.c.item_id == item_id).order_by(versions_table.c.id)
        with self.engine.connect() as conn:
            return [
                Version(
                    item_id=r.item_id,
                    version=r.version,
                    status=Status(r.status),
                    snapshot=r.snapshot,
                    actor=r.actor,
                    note=r.note,
                    created_at=r.created_at.isoformat(),
                )
                for r in conn.execute(query)
            ]

    def last_change(self):
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(changes_table.c.seq))).scalar() or 0

    def changes_after(self, seq):
        query = select(changes_table.c.seq, changes_table.c.item_id).where(changes_table.c.seq > seq).order_by(changes_table.c.seq)
        with self.engine.connect() as conn:
            return [(row[0], row[1]) for row in conn.execute(query)]

    def close(self):
        self.engine.dispose()


def insert_new(conn: Connection, table, rows: dict | list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: rows whose key another writer inserted first are left as
    they are, in one statement, with no error and no aborted transaction (a SELECT-then-INSERT
    fails when two replicas race)."""
    rows = [rows] if isinstance(rows, dict) else rows
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        raise NotImplementedError(f"insert_new on {conn.dialect.name}")
    conn.execute(dialect_insert(table).on_conflict_do_nothing(), rows)


def sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers in other processes never block the writer
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
