"""What a bulk-import preview holds: the rows that would be saved and the problems found."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.content import ItemDraft

ERROR = "error"
WARNING = "warning"
ACTIONS = ("new", "changed", "unchanged")


class ImportRejected(ValueError):
    """A preview that cannot be committed; the message is Chinese and meant for the editor."""


@dataclass
class Problem:
    row: int | None  # the row as the user sees it (header is row 1); None for whole-file problems
    column: str  # the header label concerned, "" if none
    message: str  # Chinese: what is wrong and how to fix it
    severity: str = ERROR  # "error" blocks the commit, "warning" is only shown

    def to_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "severity": self.severity}


@dataclass
class PreviewRow:
    row: int | None
    draft: ItemDraft
    action: str  # "new" | "changed" | "unchanged", compared with the stored item of the same key
    existing_id: int | None = None

    def to_dict(self) -> dict:
        d = self.draft
        return {
            "row": self.row,
            "action": self.action,
            "existing_id": self.existing_id,
            "kind": d.kind.value,
            "key": d.key,
            "title": d.title,
            "department": d.department,
            "region": d.region,
            "effective_date": d.effective_date.isoformat() if d.effective_date else None,
            "expiry_date": d.expiry_date.isoformat() if d.expiry_date else None,
            "fields": d.fields,
        }


@dataclass
class ImportPreview:
    filename: str
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def summary(self) -> dict:
        counts = {action: 0 for action in ACTIONS}
        for row in self.rows:
            counts[row.action] += 1
        errors = len(self.errors)
        return {"rows": len(self.rows), **counts, "errors": errors, "warnings": len(self.problems) - errors}

    def to_dict(self, limit: int = 200) -> dict:
        return {
            "filename": self.filename,
            "ok": self.ok,
            "summary": self.summary(),
            "problems": [p.to_dict() for p in self.problems],
            "items": [row.to_dict() for row in self.rows[:limit]],
        }
