"""State that the API replicas must agree on (issue 17): a key-value store with expiry, set-if-absent
and locks, and a publish/subscribe bus. One interface (`base.SharedState`), one file per backend:
`memory` (this process only: one replica, the default) and `redis` (`GOVBOT_REDIS_URL`)."""

from __future__ import annotations

from functools import lru_cache

from govbot.shared.base import SharedState


@lru_cache(maxsize=4)
def open_shared_state(redis_url: str = "") -> SharedState:
    """The process's shared state for `redis_url` (empty: in this process's memory)."""
    if redis_url:
        from govbot.shared.redis_store import RedisState

        return RedisState(redis_url)
    from govbot.shared.memory import MemoryState

    return MemoryState()


__all__ = ["SharedState", "open_shared_state"]
