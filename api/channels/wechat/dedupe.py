"""WeChat retries a message it got no reply to within 5 s (3 tries, ~15 s). Each message (MsgId;
events: FromUserName + CreateTime) is processed once, and its answer given once:

- the first request starts the work as a task of its own and waits up to the reply timeout;
- a retry while the work is still running takes over the wait (WeChat has dropped the earlier
  connection, so that one answers "success" at once) — the work is not started again;
- when the work finishes in time, the connection waiting then gets the answer, passively;
- when the waiting connection's time runs out, the answer goes out later, once, through `later`
  (the customer-service API), and every retry from then on gets "success";
- a retry after the answer was given passively gets the same passive reply again: WeChat only
  retries when no reply reached it (lost on the way, or too late), so without it the citizen
  would see nothing; with it they see the answer once. Nothing is processed again.

The table lives in this process's memory (entries are kept 10 minutes). Across replicas the
channel (`channel.py`) first claims each message in the shared state: a retry that lands on a
replica that does not own the message replays the owner's decision instead of working again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Generic, TypeVar

log = logging.getLogger("govbot.wechat")
T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    task: asyncio.Task
    created: float = field(default_factory=time.monotonic)
    given: str | None = None  # "passive" | "async": how the answer went out
    waiter: asyncio.Future | None = None  # the connection that would carry a passive reply


class Deduper(Generic[T]):
    def __init__(self, ttl_s: float = 600.0, max_entries: int = 20_000):
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._entries: OrderedDict[str, _Entry[T]] = OrderedDict()
        self._later: set[asyncio.Task] = set()
        self.started = 0  # how many times work was started (for tests and metrics)

    async def run(self, key: str, work: Callable[[], Awaitable[T]], timeout_s: float, later: Callable[[T], Awaitable[None]]) -> T | None:
        """The answer to give passively now, or None for "success"."""
        self._prune()
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(task=asyncio.create_task(work()))
            self._entries[key] = entry
            self.started += 1
        if entry.given == "passive":
            return entry.task.result()  # the earlier passive reply did not reach WeChat
        if entry.given is not None:
            return None
        if entry.waiter is not None and not entry.waiter.done():
            entry.waiter.set_result(None)  # superseded by this retry
        me = asyncio.get_running_loop().create_future()
        entry.waiter = me
        try:
            await asyncio.wait({entry.task, me}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            if entry.waiter is me and entry.given is None:
                self._go_async(entry, later)  # our connection is gone: don't lose the answer
            raise
        if me.done():
            return None
        entry.waiter = None
        me.cancel()
        if entry.task.done():
            entry.given = "passive"
            return entry.task.result()
        self._go_async(entry, later)
        return None

    def how(self, key: str) -> str | None:
        """How the answer to `key` went out: "passive", "async", or None (not yet, or unknown)."""
        entry = self._entries.get(key)
        return entry.given if entry else None

    def _go_async(self, entry: _Entry[T], later: Callable[[T], Awaitable[None]]) -> None:
        entry.given = "async"

        def finished(task: asyncio.Task) -> None:
            if task.cancelled():
                return
            if task.exception() is not None:
                log.error("WeChat message processing failed", exc_info=task.exception())
                return
            job = asyncio.create_task(later(task.result()))
            self._later.add(job)
            job.add_done_callback(self._later.discard)

        entry.task.add_done_callback(finished)

    def keep(self, job: asyncio.Task) -> None:
        """Hold a reference to other fire-and-forget work, so it is waited for at shutdown."""
        self._later.add(job)
        job.add_done_callback(self._later.discard)

    def _prune(self) -> None:
        now = time.monotonic()
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if not entry.task.done() or (now - entry.created < self.ttl_s and len(self._entries) <= self.max_entries):
                break
            del self._entries[key]

    async def drain(self, timeout_s: float = 5.0) -> None:
        """At shutdown: let pending work and deliveries finish for a moment, then cancel them."""
        pending = [e.task for e in self._entries.values() if not e.task.done()] + list(self._later)
        if not pending:
            return
        done, still = await asyncio.wait(pending, timeout=timeout_s)
        for task in still:
            task.cancel()
        if still:
            log.warning("WeChat: %d message(s) not answered before shutdown", len(still))
        await asyncio.sleep(0)  # deliveries started by work that just finished
        if self._later:
            await asyncio.wait(list(self._later), timeout=timeout_s)
