"""The one content-store interface. Backends live one per file beside this one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date

from knowledge.content import Item, ItemDraft, Kind, Status


@dataclass
class SaveResult:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)

    @property
    def item_ids(self) -> list[int]:
        return self.added + self.updated + self.unchanged


@dataclass
class Version:
    item_id: int
    version: int
    status: Status
    snapshot: dict
    actor: str
    note: str
    created_at: str


@dataclass
class ItemQuery:
    """A console search: every given condition must hold."""

    kind: Kind | None = None
    status: Status | None = None
    department: str | None = None
    text: str = ""  # in the title or the fields
    expires_before: date | None = None  # has an expiry date before this day
    limit: int = 50
    offset: int = 0


class StaleItem(Exception):
    """The item was changed by someone else since it was read: nothing was written."""

    def __init__(self, current: Item):
        self.current = current
        super().__init__(f"item {current.id} is at version {current.version} ({current.status.value})")


class ContentStore(ABC):
    """Items with versions and a change log that every answering process follows."""

    @abstractmethod
    def save_items(self, drafts: list[ItemDraft], *, actor: str = "system", source_file: tuple[str, str] | None = None) -> SaveResult:
        """Add new items or new versions (matched by key), all in one transaction.

        `source_file` = (path, sha256) records the file so that the same bytes are skipped later.
        """

    @abstractmethod
    def file_sha256(self, path: str) -> str | None:
        """The hash recorded when `path` was last ingested, if ever."""

    @abstractmethod
    def set_status(
        self,
        item_id: int,
        status: Status,
        *,
        actor: str = "system",
        reason: str = "",
        successor_id: int | None = None,
        expect: set[Status] | None = None,
        expect_version: int | None = None,
    ) -> Item:
        """Move an item through its lifecycle (a version row records the step).

        Publishing makes the head version live; abolishing takes the item out of the answers.
        With `expect` / `expect_version` the step happens only if the item is still in one of those
        statuses / at that version (checked atomically), else `StaleItem` is raised.
        """

    @abstractmethod
    def update_item(self, item_id: int, draft: ItemDraft, *, expect_version: int, actor: str = "system", note: str = "") -> Item:
        """Write a new head version if the item is still at `expect_version` (else `StaleItem`).

        A draft version of a published item leaves the published version live until it is published.
        """

    @abstractmethod
    def get(self, item_id: int) -> Item | None: ...

    @abstractmethod
    def get_by_key(self, key: str) -> Item | None: ...

    @abstractmethod
    def items(self, *, status: Status | None = None, kind: Kind | None = None, ids: list[int] | None = None) -> list[Item]: ...

    @abstractmethod
    def find(self, query: ItemQuery) -> tuple[list[Item], int]:
        """One page of items matching `query` (newest change first) and how many match in all."""

    @abstractmethod
    def live_items(self, ids: list[int] | None = None) -> list[Item]:
        """What citizens are answered from: each item's live version (status published)."""

    @abstractmethod
    def version_item(self, item_id: int, version: int) -> Item | None:
        """The item as it was at `version` (from its snapshot)."""

    @abstractmethod
    def versions(self, item_id: int) -> list[Version]: ...

    @abstractmethod
    def last_change(self) -> int:
        """The newest change-log sequence number (0 when empty): cheap, checked before answering."""

    @abstractmethod
    def changes_after(self, seq: int) -> list[tuple[int, int]]:
        """(change number, item id) of every change numbered above `seq`, in number order."""

    @abstractmethod
    def close(self) -> None: ...
