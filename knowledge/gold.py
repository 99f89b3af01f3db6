"""Gold questions: what each department promises the bot answers, checked before publishing.

A gold question is a citizen question and the item that must answer it. Before a change goes
live, the department's gold questions (and those that point at the item) are answered twice,
with the index as it is and with the change applied, and every answer that changes is shown.
A gold question that loses its answer blocks the publish unless the reviewer confirms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from sqlalchemy import insert, or_, select
from sqlalchemy.engine import Engine

from knowledge.answer.types import Answer, AnswerStatus
from knowledge.store.schema import gold_table


@dataclass
class Gold:
    id: int
    department: str
    question: str
    item_id: int
    created_by: str = ""


@dataclass
class Outcome:
    """Which item answered a question, and how."""

    status: str
    item_id: int | None
    title: str

    @classmethod
    def of(cls, answer: Answer) -> "Outcome":
        answered = answer.status == AnswerStatus.ANSWERED and answer.sources
        return cls(answer.status.value, answer.sources[0].id if answered else None, answer.sources[0].title if answered else "")


@dataclass
class GoldResult:
    gold: Gold
    before: Outcome
    after: Outcome

    @property
    def change(self) -> str:
        """same | lost (was answered by its item, is not now) | gained | changed."""
        was = self.before.item_id == self.gold.item_id
        now = self.after.item_id == self.gold.item_id
        if was and not now:
            return "lost"
        if now and not was:
            return "gained"
        return "same" if (self.before.item_id, self.before.status) == (self.after.item_id, self.after.status) else "changed"

    def to_dict(self) -> dict:
        return {**asdict(self.gold), "before": asdict(self.before), "after": asdict(self.after), "change": self.change}


class GoldQuestions:
    def __init__(self, engine: Engine):
        """Over the content store's database (its engine)."""
        self.engine = engine

    def add(self, department: str, question: str, item_id: int, actor: str) -> Gold:
        with self.engine.begin() as conn:
            gold_id = conn.execute(
                insert(gold_table).values(
                    department=department, question=question, item_id=item_id, created_by=actor, created_at=datetime.now(timezone.utc)
                )
            ).inserted_primary_key[0]
        return Gold(gold_id, department, question, item_id, actor)

    def get(self, gold_id: int) -> Gold | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(gold_table).where(gold_table.c.id == gold_id)).first()
        return _gold(row) if row else None

    def remove(self, gold_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(gold_table.delete().where(gold_table.c.id == gold_id))

    def list(self, department: str | None = None, item_id: int | None = None) -> list[Gold]:
        """Gold questions of a department, and those pointing at `item_id` (either when both given)."""
        query = select(gold_table).order_by(gold_table.c.id)
        conditions = []
        if department is not None:
            conditions.append(gold_table.c.department == department)
        if item_id is not None:
            conditions.append(gold_table.c.item_id == item_id)
        if conditions:
            query = query.where(or_(*conditions))
        with self.engine.connect() as conn:
            return [_gold(row) for row in conn.execute(query)]


def _gold(row) -> Gold:
    return Gold(row.id, row.department, row.question, row.item_id, row.created_by)
