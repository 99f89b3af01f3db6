"""Pick the store backend from settings."""

from __future__ import annotations

from knowledge.settings import KnowledgeSettings
from knowledge.store.base import ContentStore


def open_store(settings: KnowledgeSettings) -> ContentStore:
    url = settings.db_url
    if url.startswith(("sqlite", "postgresql")):
        from knowledge.store.sql import SqlStore

        settings.ensure_dirs()
        return SqlStore(url)
    raise ValueError(f"unsupported database URL: {url!r} (use sqlite:/// or postgresql://)")
