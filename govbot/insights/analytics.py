"""The figures behind the policy-owner console: questions, answered and no-answer rates, the
handoff rate, satisfaction, top questions and rising topics, by calendar week (Monday, China
Standard Time) and by department, plus the per-department weekly table as CSV.

A question belongs to the department of the item that answered it, else to the department it
would be dispatched to (`routed_department`). A conversation belongs to the department it was
handed to, else to the one most of its questions belong to. Feedback belongs to the department of
the first source shown, else to its conversation's. Rates are None when nothing was counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from govbot.export import excel_csv
from govbot.insights.periods import iso, local_midnight, rolling_week, utc, week_of, week_starts
from govbot.insights.similar import Similarity
from govbot.insights.tables import ensure_tables, question_log
from govbot.records import conversations, feedback

MAX_ROWS = 200_000  # most recent question rows read
TOP = 10
RISING_MIN = 3  # a topic must have been asked at least this often in the last 7 days to be rising
UNASSIGNED = "（未归属部门）"  # CSV label for figures no department could be given
COUNTS = ("questions", "answered", "no_answer", "conversations", "handed_off", "feedback", "helpful")
CSV_HEADER = [
    "周起始日（周一）",
    "部门",
    "提问数",
    "已回答",
    "未能回答",
    "回答率",
    "未回答率",
    "会话数",
    "转人工会话数",
    "转人工率",
    "评价数",
    "有用评价数",
    "满意度",
]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(counts: Counter) -> dict:
    out = {name: counts[name] for name in COUNTS}
    out.update(
        answered_rate=_rate(counts["answered"], counts["questions"]),
        no_answer_rate=_rate(counts["no_answer"], counts["questions"]),
        handoff_rate=_rate(counts["handed_off"], counts["conversations"]),
        satisfaction=_rate(counts["helpful"], counts["feedback"]),
    )
    return out


class _Data:
    """The rows of the period, each with its week and department."""

    def __init__(self, engine: Engine, now: datetime, weeks: int):
        ensure_tables(engine)
        self.now = utc(now)
        self.weeks = week_starts(self.now, weeks)
        self.start = local_midnight(self.weeks[0])
        since = min(self.start, self.now - timedelta(days=14))  # rising topics compare two rolling weeks
        q = question_log.c
        with engine.connect() as conn:
            self.questions = [
                r
                for r in conn.execute(
                    select(
                        q.time,
                        q.question,
                        q.normalized,
                        q.status,
                        q.item_id,
                        q.item_title,
                        q.department,
                        q.routed_department,
                        q.conversation_id,
                    )
                    .where(q.time >= since, q.time <= self.now)
                    .order_by(q.time.desc())
                    .limit(MAX_ROWS)
                )
            ]
            self.conversations = list(
                conn.execute(
                    select(
                        conversations.c.id,
                        conversations.c.status,
                        conversations.c.department,
                        conversations.c.waiting_since,
                        conversations.c.created_at,
                    ).where(conversations.c.created_at >= self.start, conversations.c.created_at <= self.now)
                )
            )
            self.feedback = list(
                conn.execute(
                    select(feedback.c.helpful, feedback.c.sources, feedback.c.conversation_id, feedback.c.created_at).where(
                        feedback.c.created_at >= self.start, feedback.c.created_at <= self.now
                    )
                )
            )
        votes: dict[str, Counter] = defaultdict(Counter)
        for r in self.questions:
            if r.conversation_id and self.department_of(r):
                votes[r.conversation_id][self.department_of(r)] += 1
        self.conversation_department = {cid: c.most_common(1)[0][0] for cid, c in votes.items()}
        for c in self.conversations:
            if c.department:
                self.conversation_department[c.id] = c.department

    @staticmethod
    def department_of(question_row) -> str:
        return question_row.department or question_row.routed_department or ""

    def in_period(self, moment: datetime) -> bool:
        return utc(moment) >= self.start

    def counts(self) -> dict[tuple[date, str], Counter]:
        """(week, department) -> counts."""
        out: dict[tuple[date, str], Counter] = defaultdict(Counter)
        for r in self.questions:
            if self.in_period(r.time):
                c = out[(week_of(r.time), self.department_of(r))]
                c["questions"] += 1
                c["answered"] += r.status == "answered"
                c["no_answer"] += r.status == "no_answer"
        for r in self.conversations:
            c = out[(week_of(r.created_at), self.conversation_department.get(r.id, ""))]
            c["conversations"] += 1
            c["handed_off"] += r.waiting_since is not None or r.status in ("waiting", "human")
        for r in self.feedback:
            first = r.sources[0] if r.sources and isinstance(r.sources[0], dict) else {}
            name = str(first.get("department") or "") or self.conversation_department.get(r.conversation_id, "")
            c = out[(week_of(r.created_at), name)]
            c["feedback"] += 1
            c["helpful"] += bool(r.helpful)
        return out


def _scoped(counts: dict[tuple[date, str], Counter], department: str | None) -> dict[tuple[date, str], Counter]:
    return {k: v for k, v in counts.items() if department is None or k[1] == department}


def top_questions(rows, n: int = TOP) -> list[dict]:
    by_text: dict[str, list] = defaultdict(list)
    for r in rows:
        if r.normalized:
            by_text[r.normalized].append(r)
    ranked = sorted(by_text.items(), key=lambda kv: (-len(kv[1]), -max(utc(r.time) for r in kv[1]).timestamp()))
    return [
        {
            "question": max(rs, key=lambda r: utc(r.time)).question,
            "normalized": text,
            "count": len(rs),
            "answered": sum(r.status == "answered" for r in rs),
        }
        for text, rs in ranked[:n]
    ]


def rising_topics(rows, now: datetime, similarity: Similarity | None, n: int = TOP, minimum: int = RISING_MIN) -> list[dict]:
    """Topics asked more in the last 7 days than in the 7 before: the answering item's title, or
    for unanswered questions (no_answer, clarify) the group of similar questions."""
    recent = [(r, rolling_week(r.time, now)) for r in rows]
    recent = [(r, w) for r, w in recent if w]
    topics: dict[tuple, dict] = {}

    def bump(key: tuple, label: str, kind: str, item_id: int | None, week: str) -> None:
        topic = topics.setdefault(key, {"topic": label, "kind": kind, "item_id": item_id, "this_week": 0, "last_week": 0})
        topic[week] += 1

    unanswered = []
    for r, week in recent:
        if r.status == "answered" and (r.item_id is not None or r.item_title):
            bump(("item", r.item_id, r.item_title), r.item_title, "item", r.item_id, week)
        elif r.status in ("no_answer", "clarify") and r.normalized:
            unanswered.append((r, week))
    if unanswered:
        frequency = Counter(r.normalized for r, _ in unanswered)
        texts = sorted(frequency, key=lambda t: (-frequency[t], t))
        numbers = similarity.group(texts) if similarity else list(range(len(texts)))
        group_of = dict(zip(texts, numbers))
        leader = {}
        for text in texts:  # the most frequent wording names the group
            leader.setdefault(group_of[text], text)
        wording = {}
        for r, _ in sorted(unanswered, key=lambda rw: utc(rw[0].time)):
            wording[r.normalized] = r.question
        for r, week in unanswered:
            number = group_of[r.normalized]
            bump(("question", number), wording[leader[number]], "question", None, week)
    out = []
    for topic in topics.values():
        this, last = topic["this_week"], topic["last_week"]
        if this >= minimum and this > last:
            out.append({**topic, "growth": round((this - last) / last, 4) if last else None})
    out.sort(key=lambda t: (-(t["this_week"] - t["last_week"]) / max(t["last_week"], 1), -t["this_week"], t["topic"]))
    return out[:n]


def analytics(
    engine: Engine, *, now: datetime, weeks: int = 8, department: str | None = None, similarity: Similarity | None = None
) -> dict:
    data = _Data(engine, now, weeks)
    counts = _scoped(data.counts(), department)
    by_week: dict[date, Counter] = defaultdict(Counter)
    by_department: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for (week, name), c in counts.items():
        by_week[week].update(c)
        by_department[name].update(c)
        total.update(c)
    scoped = [r for r in data.questions if department is None or data.department_of(r) == department]
    in_period = [r for r in scoped if data.in_period(r.time)]
    return {
        "department": department or "",
        "weeks": weeks,
        "from": iso(data.start),
        "to": iso(data.now),
        "totals": figures(total),
        "series": [{"week_start": week.isoformat(), **figures(by_week[week])} for week in data.weeks],
        "top_questions": top_questions(in_period),
        "rising": rising_topics(scoped, data.now, similarity),
        "departments": sorted(
            ({"department": name, **figures(c)} for name, c in by_department.items()),
            key=lambda d: (-d["questions"], -d["conversations"], d["department"]),
        ),
    }


def department_weeks(engine: Engine, *, now: datetime, weeks: int = 8, department: str | None = None) -> list[dict]:
    """One row per week and department with anything counted, oldest week first."""
    data = _Data(engine, now, weeks)
    counts = _scoped(data.counts(), department)
    return [
        {"week_start": week.isoformat(), "department": name, **figures(counts[(week, name)])}
        for week in data.weeks
        for name in sorted(n for w, n in counts if w == week)
    ]


def to_csv(rows: list[dict]) -> str:
    """The per-department weekly table as CSV text, with a BOM so that Excel reads it as UTF-8."""
    keys = [
        "questions",
        "answered",
        "no_answer",
        "answered_rate",
        "no_answer_rate",
        "conversations",
        "handed_off",
        "handoff_rate",
        "feedback",
        "helpful",
        "satisfaction",
    ]
    return excel_csv(
        CSV_HEADER,
        ([row["week_start"], row["department"] or UNASSIGNED, *("" if row[k] is None else row[k] for k in keys)] for row in rows),
    )
