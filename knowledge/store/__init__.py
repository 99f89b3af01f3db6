from knowledge.store.base import ContentStore, SaveResult, Version
from knowledge.store.factory import open_store

__all__ = ["ContentStore", "SaveResult", "Version", "open_store"]
