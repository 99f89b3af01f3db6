"""Token buckets for the citizen API: so many turns a minute per chat session and per address.

A bucket holds `per_minute` tokens and refills continuously; a request takes one, and a request
that finds none is told how many seconds until the next (`Retry-After`). Buckets live in this
process (each replica limits its own share; a shared store is issue 17's). Idle buckets are
forgotten, oldest first, beyond `max_keys`, so the memory is bounded whatever the callers send.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, per_minute: int, max_keys: int = 100_000, clock=time.monotonic) -> None:
        self.capacity = float(max(1, per_minute))
        self.rate = self.capacity / 60.0  # tokens a second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if the request may go ahead (a token is taken), else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


class ChatLimits:
    """The citizen API's limits: per session and per client address."""

    def __init__(self, per_session: int, per_address: int) -> None:
        self.sessions = RateLimiter(per_session)
        self.addresses = RateLimiter(per_address)

    def retry_after(self, session_id: str, address: str) -> int:
        """0 to go ahead; otherwise whole seconds for the Retry-After header."""
        wait = max(self.addresses.take(address), self.sessions.take(session_id) if session_id else 0.0)
        return math.ceil(wait) if wait > 0 else 0
