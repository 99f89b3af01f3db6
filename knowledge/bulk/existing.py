"""The store as an import sees it: items by key and by what they are, and what a row would change."""

from __future__ import annotations

from dataclasses import fields as dc_fields
from dataclasses import replace

from knowledge.bulk.table import identity_text, normalized
from knowledge.content import Item, ItemDraft, Kind, Status
from knowledge.store.base import ContentStore

_DRAFT_FIELDS = [f.name for f in dc_fields(ItemDraft)]


def identity(kind: Kind, department: str, text: str) -> tuple[str, str, str]:
    """Two items with the same identity are the same item: same kind, department and question/name."""
    return kind.value, normalized(department), normalized(text)


class StoreView:
    """The stored items of the kinds an import touches, read once per kind (not one query per row)."""

    def __init__(self, store: ContentStore):
        self.store = store
        self._kinds: set[Kind] = set()
        self._by_key: dict[str, Item | None] = {}
        self._by_identity: dict[tuple[str, str, str], Item] = {}

    def _load(self, kind: Kind) -> None:
        if kind in self._kinds:
            return
        self._kinds.add(kind)
        for item in self.store.items(kind=kind):
            self._by_key[item.key] = item
            if item.status != Status.ABOLISHED:
                ident = identity(item.kind, item.department, identity_text(item.kind, item.title, item.fields))
                self._by_identity.setdefault(ident, item)

    def by_key(self, key: str, kind: Kind, *, any_kind: bool = False) -> Item | None:
        """The stored item with `key`. Derived keys start with their kind, so the kind's items hold
        them; `any_kind` also asks the store (a key typed into the file may be another kind's)."""
        self._load(kind)
        if any_kind and key not in self._by_key:
            self._by_key[key] = self.store.get_by_key(key)
        return self._by_key.get(key)

    def same_item(self, ident: tuple[str, str, str], kind: Kind) -> Item | None:
        """A live stored item that is the same question/guide/document (whatever its key)."""
        self._load(kind)
        return self._by_identity.get(ident)

    @staticmethod
    def compare(draft: ItemDraft, existing: Item | None, *, own_source: bool) -> tuple[str, ItemDraft]:
        """(action, draft to save) against the stored item of the same key. Status is not compared:
        commit decides it. A row without its own 来源 keeps the stored item's source, so
        re-importing the same content under another file name is "unchanged"."""
        if existing is None:
            return "new", draft
        stored = ItemDraft(**{name: getattr(existing, name) for name in _DRAFT_FIELDS}).content_hash()
        if not own_source:
            kept = replace(draft, source=existing.source)
            if kept.content_hash() == stored:
                return "unchanged", kept
        elif draft.content_hash() == stored:
            return "unchanged", draft
        return "changed", draft
