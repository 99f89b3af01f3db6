"""The knowledge engine as govbot runs it: the `knowledge` library over govbot's settings, with
every answer given to a citizen written to the question log (`govbot.insights`)."""

from __future__ import annotations

from govbot.database import ensure_schema
from govbot.insights.questions import QuestionLog
from govbot.settings import Settings, get_settings
from knowledge.engine import Knowledge


def open_knowledge(settings: Settings | None = None) -> Knowledge:
    settings = settings or get_settings()
    ensure_schema(settings.ensure_dirs().db_url)
    kb = Knowledge(settings)
    kb.on_answer = QuestionLog(kb.store.engine).record
    return kb
