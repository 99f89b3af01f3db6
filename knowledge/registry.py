"""One department registry: the hotline directory's published entries are the list of departments.

A guide or Q&A that names a department the directory does not list cannot be dispatched to, and a
typo ("南湖区综合行政执法局" for "示例市南湖区综合行政执法局") splits one department in two in the
queues and the analytics. Ingestion, the bulk import and the editor check the names against the
directory and suggest the closest entry. Documents are not checked: their department is the
issuing body as printed on the document (often another city's or a higher level's).

A knowledge base without a directory (a city that imports only its guides) has nothing to check
against; `unknown` then says nothing and `has_directory` is False.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from knowledge.content import ItemDraft, Kind, Status
from knowledge.store.base import ContentStore

CHECKED_KINDS = (Kind.GUIDE, Kind.QA)
SUGGEST_AT = 0.6  # character similarity above which the closest entry is offered as "did you mean"


@dataclass(frozen=True)
class UnknownDepartment:
    name: str
    count: int  # how many items name it
    suggestion: str  # the closest directory entry, "" when none is close

    def message(self) -> str:
        hint = f"，是否应为“{self.suggestion}”？" if self.suggestion else "，请先在部门目录中添加该部门，或改用目录中的部门名称。"
        return f"部门“{self.name}”不在部门目录中（{self.count} 条）{hint}"


class Registry:
    def __init__(self, departments: Iterable[str]):
        self.departments = sorted({d.strip() for d in departments if d and d.strip()})

    @classmethod
    def of(cls, store: ContentStore, drafts: Iterable[ItemDraft] = ()) -> Registry:
        """The published directory of `store`, plus the directory entries among `drafts` (a file
        that brings its own directory is checked against it)."""
        names = [item.title for item in store.items(status=Status.PUBLISHED, kind=Kind.HOTLINE)]
        names += [d.title for d in drafts if d.kind == Kind.HOTLINE and d.status != Status.ABOLISHED]
        return cls(names)

    @property
    def has_directory(self) -> bool:
        return bool(self.departments)

    def knows(self, name: str) -> bool:
        return not self.has_directory or not name.strip() or name.strip() in self.departments

    def closest(self, name: str) -> str:
        """The directory entry most like `name`: one that contains it or is contained in it first
        ("南湖区综合行政执法局" in "示例市南湖区综合行政执法局"), else the most similar characters."""
        name = name.strip()
        containing = [d for d in self.departments if name in d or d in name]
        if containing:
            return min(containing, key=lambda d: (abs(len(d) - len(name)), d))
        scored = [(SequenceMatcher(None, name, d).ratio(), d) for d in self.departments]
        best = max(scored, default=(0.0, ""))
        return best[1] if best[0] >= SUGGEST_AT else ""

    def unknown(self, drafts: Iterable[ItemDraft]) -> list[UnknownDepartment]:
        """The departments named by guides and Q&As that the directory does not list, most named first."""
        counts = Counter(d.department.strip() for d in drafts if d.kind in CHECKED_KINDS and not self.knows(d.department))
        return [UnknownDepartment(name, n, self.closest(name)) for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
