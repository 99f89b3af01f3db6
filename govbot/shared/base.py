"""The shared-state interface: what several API replicas agree on through one store."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable


class SharedState(ABC):
    shared: bool  # whether other processes see this state (False: this process only)

    @abstractmethod
    def add(self, key: str, value: str, ttl_s: float) -> bool:
        """Set `key` only if it is absent; True if this call set it (the first of racing replicas:
        also the claim that lets one replica at a time do a piece of work, e.g. fetch a token)."""

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def put(self, key: str, value: str, ttl_s: float) -> None: ...

    @abstractmethod
    def replace_if(self, key: str, expected: str, value: str, ttl_s: float) -> bool:
        """Set `key` to `value` for `ttl_s` only if it holds `expected` now (renewing a claim
        without overwriting another replica's, which took it over after ours lapsed)."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def incr(self, key: str, by: int, ttl_s: float) -> int:
        """Add `by` to an integer (0 when absent), keeping it `ttl_s` from its creation; the new value."""

    @abstractmethod
    def publish(self, channel: str, message: str) -> None:
        """Tell every subscriber of `channel`, in every process (best effort: never raises)."""

    @abstractmethod
    def subscribe(self, channel: str, handler: Callable[[str], None]) -> None:
        """Call `handler(message)` (from a background thread) for every message on `channel`."""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to close
        pass
