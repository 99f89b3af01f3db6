"""The knowledge-gaps inbox: what citizens asked that the knowledge base did not answer well,
grouped by meaning, most frequent first.

Evidence comes from three places: questions the engine could not answer (`question_log`,
status no_answer), answers citizens marked 没用 (`feedback`, helpful false) and operators'
flags (`answer_flags`). Each group gets the department it concerns: the one most of its
evidence names (the answering item's, the flag's, or where the question would be dispatched),
else where `department_for` would dispatch its representative question.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from govbot.insights.flags import flags_since
from govbot.insights.periods import iso, rolling_week, utc
from govbot.insights.questions import normalize_question
from govbot.insights.similar import Similarity
from govbot.insights.tables import ensure_tables, question_log
from govbot.records import feedback
from knowledge.pii import without_masks

ROW_LIMIT = 5000  # most recent rows read from each source
EXAMPLES = 5
DEPARTMENT_LOOKUPS = 100  # `department_for` calls per request, for groups no evidence places
SOURCES = ("no_answer", "unhelpful", "flag")


@dataclass
class Signal:
    source: str  # no_answer | unhelpful | flag
    question: str  # masked
    normalized: str
    time: datetime
    department: str = ""
    item_id: int | None = None
    item_title: str = ""
    kind: str = ""  # flags: wrong | missing
    note: str = ""
    operator: str = ""


def collect(engine: Engine, since: datetime, limit: int = ROW_LIMIT) -> list[Signal]:
    """The evidence from `since` on: the latest `limit` rows of each source."""
    ensure_tables(engine)
    out: list[Signal] = []
    unanswered = (
        select(question_log)
        .where(question_log.c.status == "no_answer", question_log.c.time >= since)
        .order_by(question_log.c.time.desc())
        .limit(limit)
    )
    unhelpful = (
        select(feedback)
        .where(feedback.c.helpful.is_(False), feedback.c.created_at >= since)
        .order_by(feedback.c.created_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        for r in conn.execute(unanswered):
            out.append(
                Signal(
                    "no_answer",
                    r.question,
                    r.normalized or normalize_question(r.question),
                    utc(r.time),
                    r.department or r.routed_department,
                )
            )
        for r in conn.execute(unhelpful):
            first = r.sources[0] if r.sources and isinstance(r.sources[0], dict) else {}
            out.append(
                Signal(
                    "unhelpful",
                    r.question,
                    normalize_question(r.question),
                    utc(r.created_at),
                    str(first.get("department") or ""),
                    first.get("id"),
                    str(first.get("title") or ""),
                )
            )
    for f in flags_since(engine, since, limit):
        out.append(
            Signal(
                "flag",
                f["question"],
                normalize_question(f["question"]),
                utc(f["time"]),
                f["department"],
                f["item_id"],
                kind=f["kind"],
                note=f["note"],
                operator=f["operator"],
            )
        )
    return [s for s in out if s.normalized]


def group_signals(signals: list[Signal], similarity: Similarity | None) -> list[list[list[Signal]]]:
    """Signals by identical normalised wording ("units"), then units by meaning. Each group is a
    list of units, its leader (the most frequent wording) first."""
    units: dict[str, list[Signal]] = {}
    for s in signals:
        units.setdefault(s.normalized, []).append(s)
    ordered = sorted(units.values(), key=lambda u: (-len(u), -max(s.time for s in u).timestamp(), u[0].normalized))
    numbers = similarity.group([u[0].normalized for u in ordered]) if similarity else list(range(len(ordered)))
    groups: dict[int, list[list[Signal]]] = {}
    for number, unit in zip(numbers, ordered):
        groups.setdefault(number, []).append(unit)
    return list(groups.values())


def _department(signals: list[Signal], catch_all: str = "") -> str:
    """The department most of the evidence names (the hotline's `catch_all` only if nothing else)."""
    votes = Counter(s.department for s in signals if s.department and s.department != catch_all)
    if votes:
        latest = {s.department: s.time for s in sorted(signals, key=lambda s: s.time)}
        return max(votes, key=lambda d: (votes[d], latest[d]))
    return catch_all if catch_all and any(s.department == catch_all for s in signals) else ""


def _latest_wording(unit: list[Signal]) -> str:
    return max(unit, key=lambda s: s.time).question


def describe(units: list[list[Signal]], now: datetime, department: str, item_title: Callable[[int], str] | None = None) -> dict:
    signals = [s for u in units for s in u]
    leader = units[0]
    trend = Counter(rolling_week(s.time, now) for s in signals)
    items: dict[int, dict] = {}
    for s in sorted(signals, key=lambda s: s.time, reverse=True):
        if s.item_id is not None:
            entry = items.setdefault(s.item_id, {"id": s.item_id, "title": s.item_title, "count": 0})
            entry["count"] += 1
            entry["title"] = entry["title"] or s.item_title or (item_title(s.item_id) if item_title else "")
    flags = sorted((s for s in signals if s.source == "flag"), key=lambda s: s.time, reverse=True)
    return {
        "id": hashlib.sha1(leader[0].normalized.encode("utf-8")).hexdigest()[:12],
        "question": _latest_wording(leader),
        "draft_question": without_masks(_latest_wording(leader)),  # a draft carries no mask
        "examples": [_latest_wording(u) for u in units[:EXAMPLES]],
        "count": len(signals),
        "sources": {name: sum(1 for s in signals if s.source == name) for name in SOURCES},
        "department": department,
        "first_seen": iso(min(s.time for s in signals)),
        "last_seen": iso(max(s.time for s in signals)),
        "trend": {"this_week": trend["this_week"], "last_week": trend["last_week"]},
        "items": sorted(items.values(), key=lambda i: -i["count"])[:EXAMPLES],
        "flags": [
            {"kind": s.kind, "note": s.note, "operator": s.operator, "item_id": s.item_id, "time": iso(s.time)} for s in flags[:EXAMPLES]
        ],
    }


def find_gaps(
    engine: Engine,
    *,
    now: datetime,
    days: int = 30,
    department: str | None = None,
    similarity: Similarity | None = None,
    department_for: Callable[[str], str] | None = None,
    item_title: Callable[[int], str] | None = None,
    limit: int = 100,
    row_limit: int = ROW_LIMIT,
    catch_all: str = "",
) -> dict:
    """Groups of similar unanswered / unhelpful / flagged questions of the last `days` days,
    most frequent first; only `department`'s when given. `catch_all`: the hotline's own dispatch
    centre (`fallback_department`), named for a group only when no department is."""
    now = utc(now)
    signals = collect(engine, now - timedelta(days=days), row_limit)
    groups = group_signals(signals, similarity)
    groups.sort(key=lambda units: (-sum(len(u) for u in units), -max(s.time for u in units for s in u).timestamp()))
    out = []
    lookups = 0
    for units in groups:
        signals_of = [s for u in units for s in u]
        name = _department(signals_of, catch_all)
        if not name and department_for is not None and lookups < DEPARTMENT_LOOKUPS:
            lookups += 1
            name = department_for(_latest_wording(units[0]))
        if department is not None and name != department:
            continue
        out.append(describe(units, now, name, item_title))
    return {"department": department or "", "days": days, "generated_at": iso(now), "total": len(out), "groups": out[:limit]}
