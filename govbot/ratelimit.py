"""Token buckets for the citizen API: so many turns a minute per chat session and per address.

A bucket holds `per_minute` tokens and refills continuously; a request takes one, and a request
that finds none is told how many seconds until the next (`Retry-After`). Buckets live in this
process; idle buckets are forgotten, oldest first, beyond `max_keys`, so the memory is bounded
whatever the callers send.

With replicas (`GOVBOT_REDIS_URL`) the limits are the cluster's, not each replica's: a counter per
key and clock minute in the shared state (`SharedWindowLimiter`), so a client that spreads its
requests over N replicas still gets `per_minute`, not N times it. A window lets a burst of up to
twice the limit through across a minute's boundary, where a bucket would not; the replicas' clocks
need to agree to within a second or so (NTP).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict

log = logging.getLogger("govbot.ratelimit")


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


class SharedWindowLimiter:
    """`per_minute` requests a key and clock minute, counted in the replicas' shared state."""

    def __init__(self, shared, name: str, per_minute: int, clock=time.time) -> None:
        self.shared = shared
        self.name = name
        self.limit = max(1, per_minute)
        self.clock = clock

    def take(self, key: str) -> float:
        """0 if the request may go ahead (it is counted), else the seconds to the next minute."""
        now = self.clock()
        try:
            count = self.shared.incr(f"rl:{self.name}:{int(now // 60)}:{key}", 1, 120)
        except Exception:  # noqa: BLE001 - the shared store is away: serve rather than lock everyone out
            log.warning("rate limit not checked: the shared state is unreachable", exc_info=True)
            return 0.0
        return 0.0 if count <= self.limit else 60.0 - now % 60


class ChatLimits:
    """The citizen API's limits: per session and per client address (across the replicas when
    `shared` is the replicas' shared state)."""

    def __init__(self, per_session: int, per_address: int, shared=None) -> None:
        if shared is not None and shared.shared:
            self.sessions = SharedWindowLimiter(shared, "session", per_session)
            self.addresses = SharedWindowLimiter(shared, "address", per_address)
        else:
            self.sessions = RateLimiter(per_session)
            self.addresses = RateLimiter(per_address)

    def retry_after(self, session_id: str, address: str) -> int:
        """0 to go ahead; otherwise whole seconds for the Retry-After header."""
        wait = max(self.addresses.take(address), self.sessions.take(session_id) if session_id else 0.0)
        return math.ceil(wait) if wait > 0 else 0
