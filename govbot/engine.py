"""The knowledge engine as govbot runs it: the `knowledge` library over govbot's settings, with
every answer given to a citizen written to the question log (`govbot.insights`).

`shared_knowledge` is the one engine of a process for a home: the API and the Rasa actions it
hosts (`actions/endpoint.py`) answer from the same models and index, loaded once."""

from __future__ import annotations

import threading

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


_shared: dict[tuple[str, str], Knowledge] = {}
_shared_lock = threading.Lock()


def shared_knowledge(settings: Settings | None = None) -> Knowledge:
    """The process's engine for this home and database, opened by the first caller."""
    settings = settings or get_settings()
    key = (str(settings.home.resolve()), settings.db_url)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = open_knowledge(settings)
        return _shared[key]


def close_shared(kb: Knowledge) -> None:
    """Close a shared engine (its owner, the API, is stopping)."""
    with _shared_lock:
        for key in [k for k, v in _shared.items() if v is kb]:
            del _shared[key]
    kb.close()
