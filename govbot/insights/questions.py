"""The question log: every question the engine answers, masked, one row each (one INSERT)."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict
from datetime import datetime, timezone

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from govbot.insights.tables import ensure_tables, question_log
from knowledge.engine import AnswerRecord
from knowledge.pii import mask
from knowledge.text import normalize

log = logging.getLogger("govbot.insights")

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_TRAILING_PARTICLES = re.compile(r"[啊呀呢吗吧哦啦]+$")  # not 么 (什么) or 嘛 (干嘛)


def normalize_question(text: str) -> str:
    """The wording kept for grouping: half-width, simplified, lower case, without punctuation,
    spaces or trailing modal particles (“怎么领养老金啊？” → “怎么领养老金”)."""
    text = _NOISE.sub("", normalize(text).lower())
    return _TRAILING_PARTICLES.sub("", text)[:500] or text[:500]


class QuestionLog:
    """Writes question rows; a failure is logged, never raised (it must not cost an answer)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        try:
            ensure_tables(engine)
        except Exception as exc:  # noqa: BLE001 - a broken log must not stop the engine
            log.warning("question log table not created: %s", exc)

    def record(self, answer: AnswerRecord) -> None:
        """`Knowledge.on_answer`: one row for an answer given to a citizen."""
        self.write(**asdict(answer))

    def write(
        self,
        *,
        question: str,
        status: str,
        confidence: float = 0.0,
        item_id: int | None = None,
        item_key: str = "",
        item_title: str = "",
        department: str = "",
        routed_department: str = "",
        channel: str = "",
        conversation_id: str = "",
        time: datetime | None = None,
    ) -> bool:
        masked = mask(question)
        row = {
            "time": time or datetime.now(timezone.utc),
            "question": masked,
            "normalized": normalize_question(masked),
            "status": status,
            "confidence": round(float(confidence), 3),
            "item_id": item_id,
            "item_key": item_key,
            "item_title": item_title,
            "department": department,
            "routed_department": routed_department,
            "channel": channel[:20],
            "conversation_id": conversation_id[:100],
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(question_log).values(**row))
            return True
        except Exception as exc:  # noqa: BLE001 - logging must never cost a citizen an answer
            log.warning("question log not written: %s", exc)
            return False
