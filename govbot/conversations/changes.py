"""Wake whoever follows a conversation live (the citizen's event stream) the moment it changes.

`Records` calls `notify` after every write to a conversation (a message, a status change); an
event stream reads what is new, then `wait`s until the next change or a timeout. The timeout is
the fallback for writes made by another process, which this process cannot hear about.

A change is a ticket from one counter: a stream passes the ticket it last saw, and `wait`
returns at once when a newer one was drawn meanwhile, so a change between reading and waiting is
never slept through. Tickets of the least recently changed conversations are forgotten beyond
`max_keys`; a forgotten ticket only costs one extra read.

With a shared bus (`govbot.shared`, Redis when `GOVBOT_REDIS_URL` is set) every change is also
published, and each process that has a stream waiting subscribes: a message written on one API
replica (or by the action server) wakes the citizen's stream held by another one at once.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
from collections import OrderedDict

from govbot.shared import SharedState

CHANNEL = "conversation-changes"


class Changes:
    def __init__(self, max_keys: int = 10_000, bus: SharedState | None = None):
        self.max_keys = max_keys
        self._bus, self._listening = bus, False
        self._origin = secrets.token_hex(8)  # our own publications are not heard twice
        self._lock = threading.Lock()  # writes come from the event loop and from worker threads
        self._tickets = itertools.count(1)
        self._last: OrderedDict[str, int] = OrderedDict()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def ticket(self, key: str) -> int:
        """The latest change of `key` (0: none known)."""
        with self._lock:
            return self._last.get(key, 0)

    def notify(self, key: str) -> None:
        self._wake(key)
        if self._bus is not None and self._bus.shared:
            self._bus.publish(CHANNEL, f"{self._origin} {key}")

    def _heard(self, message: str) -> None:
        origin, _, key = message.partition(" ")
        if origin != self._origin and key:
            self._wake(key)

    def _wake(self, key: str) -> None:
        with self._lock:
            self._last[key] = next(self._tickets)
            self._last.move_to_end(key)
            while len(self._last) > self.max_keys:
                self._last.popitem(last=False)
            waiters = list(self._waiters.get(key, ()))
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    async def wait(self, key: str, seen: int, timeout_s: float) -> None:
        """Until `key` changes after ticket `seen`, or `timeout_s` passes."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        if self._bus is not None and self._bus.shared and not self._listening:
            self._listening = True  # only processes that wait listen (not the CLI, not the actions)
            self._bus.subscribe(CHANNEL, self._heard)
        with self._lock:
            if self._last.get(key, 0) != seen:
                return
            self._waiters.setdefault(key, set()).add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout_s)
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                waiting = self._waiters.get(key)
                if waiting is not None:
                    waiting.discard(entry)
                    if not waiting:
                        del self._waiters[key]
