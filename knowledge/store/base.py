"""The one content-store interface. Backends live one per file beside this one."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

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


class ContentStore(ABC):
    """Items with versions and a change log that every answering process follows."""

    @abstractmethod
    def save_items(self, drafts: list[ItemDraft], *, actor: str = "system",
                   source_file: tuple[str, str] | None = None) -> SaveResult:
        """Add new items or new versions (matched by key), all in one transaction.

        `source_file` = (path, sha256) records the file so that the same bytes are skipped later.
        """

    @abstractmethod
    def file_sha256(self, path: str) -> str | None:
        """The hash recorded when `path` was last ingested, if ever."""

    @abstractmethod
    def set_status(self, item_id: int, status: Status, *, actor: str = "system", reason: str = "",
                   successor_id: int | None = None) -> Item:
        """Move an item through its lifecycle (a new version row records the step)."""

    @abstractmethod
    def get(self, item_id: int) -> Item | None: ...

    @abstractmethod
    def get_by_key(self, key: str) -> Item | None: ...

    @abstractmethod
    def items(self, *, status: Status | None = None, kind: Kind | None = None,
              ids: list[int] | None = None) -> list[Item]: ...

    @abstractmethod
    def versions(self, item_id: int) -> list[Version]: ...

    @abstractmethod
    def last_change(self) -> int:
        """The newest change-log sequence number (0 when empty): cheap, checked before answering."""

    @abstractmethod
    def changed_since(self, seq: int) -> list[int]:
        """Ids of items changed after `seq`."""

    @abstractmethod
    def close(self) -> None: ...
