from knowledge.store.base import ContentStore, SaveResult, StaleItem, Version
from knowledge.store.factory import open_store

__all__ = ["ContentStore", "SaveResult", "StaleItem", "Version", "open_store"]
