"""Pick the store backend from settings."""
from __future__ import annotations

from govbot.settings import Settings
from knowledge.store.base import ContentStore


def open_store(settings: Settings) -> ContentStore:
    url = settings.db_url
    if url.startswith(("sqlite", "postgresql")):
        from knowledge.store.sql import SqlStore
        settings.ensure_dirs()
        return SqlStore(url)
    raise ValueError(f"unsupported database URL: {url!r} (use sqlite:/// or postgresql://)")
