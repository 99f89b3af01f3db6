"""Shared state in this process's memory: right for one API replica, and the default."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from govbot.shared.base import SharedState


class MemoryState(SharedState):
    shared = False

    def __init__(self, max_keys: int = 200_000):
        self.max_keys = max_keys
        self._values: dict[str, tuple[str, float]] = {}  # key -> (value, expires at)
        self._handlers: dict[str, list[Callable[[str], None]]] = {}
        self._mutex = threading.Lock()

    def _live(self, key: str) -> str | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del self._values[key]
            return None
        return entry[0]

    def _set(self, key: str, value: str, ttl_s: float) -> None:
        if len(self._values) >= self.max_keys:  # drop what has expired, then the oldest
            now = time.monotonic()
            for old in [k for k, (_, until) in self._values.items() if until <= now] or list(self._values)[: self.max_keys // 10]:
                self._values.pop(old, None)
        self._values[key] = (value, time.monotonic() + ttl_s)

    def add(self, key, value, ttl_s):
        with self._mutex:
            if self._live(key) is not None:
                return False
            self._set(key, value, ttl_s)
            return True

    def get(self, key):
        with self._mutex:
            return self._live(key)

    def put(self, key, value, ttl_s):
        with self._mutex:
            self._set(key, value, ttl_s)

    def replace_if(self, key, expected, value, ttl_s):
        with self._mutex:
            if self._live(key) != expected:
                return False
            self._set(key, value, ttl_s)
            return True

    def delete(self, key):
        with self._mutex:
            self._values.pop(key, None)

    def incr(self, key, by, ttl_s):
        with self._mutex:
            current = self._live(key)
            value = int(current or 0) + by
            if current is None:
                self._set(key, str(value), ttl_s)
            else:
                self._values[key] = (str(value), self._values[key][1])
            return value

    def publish(self, channel, message):
        for handler in list(self._handlers.get(channel, ())):
            handler(message)

    def subscribe(self, channel, handler):
        with self._mutex:
            self._handlers.setdefault(channel, []).append(handler)
