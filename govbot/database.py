"""The application's database: one schema, changed only by migrations (`govbot/migrations`).

The schema is one MetaData (`knowledge.store.schema.metadata`): the knowledge library's tables and
the application's own (accounts, records, insights), which join it from their modules. `migrate`
brings a database to the newest revision under a lock (a file lock beside a SQLite file, an
advisory lock on PostgreSQL), so that two processes that start together do not both create
tables. `serve` migrates before it starts anything; every other opener calls `ensure_schema`,
which costs one query when the database is already there.
"""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, Engine

from knowledge.store.sql import open_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ADVISORY_LOCK = 0x676F76626F74  # "govbot": the PostgreSQL advisory lock migrations hold


def schema() -> MetaData:
    """The whole schema: importing the modules that define tables registers them."""
    import govbot.accounts  # noqa: F401
    import govbot.insights.tables  # noqa: F401
    import govbot.records  # noqa: F401
    from knowledge.store.schema import metadata

    return metadata


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated, empty or made by an older release)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _locked(engine: Engine):
    """Held while migrating: one migration at a time per database, across processes."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
        return
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def migrate(url: str) -> tuple[str | None, str]:
    """Bring the database at `url` to the newest revision; (revision before, revision now).

    Safe to run again and from several processes at once: the second finds nothing to do."""
    engine = open_engine(url)
    try:
        with _locked(engine):
            before = current(engine)
            with engine.begin() as conn:
                command.upgrade(_config(conn), "head")
            return before, current(engine)
    finally:
        engine.dispose()


_ready: set[str] = set()


def ensure_schema(url: str) -> None:
    """Migrate `url` if it is not at the newest revision (checked once per process)."""
    if url in _ready:
        return
    engine = open_engine(url)
    try:
        behind = current(engine) != head()
    finally:
        engine.dispose()
    if behind:
        migrate(url)
    _ready.add(url)
