"""Shared state in Redis (`GOVBOT_REDIS_URL`): what every API replica sees at once.

Keys are prefixed `govbot:`. The bus is Redis pub/sub, read by one background thread per process
that reconnects by itself. A claim (`add`) is `SET NX PX`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from govbot.shared.base import SharedState

log = logging.getLogger("govbot.shared")
PREFIX = "govbot:"
# compare and set, atomically in Redis: KEYS[1] = ARGV[2] for ARGV[3] ms if it holds ARGV[1]
REPLACE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


class RedisState(SharedState):
    shared = True

    def __init__(self, url: str):
        self.url = url
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
        self._handlers: dict[str, list[Callable[[str], None]]] = {}
        self._mutex = threading.Lock()
        self._listener: threading.Thread | None = None
        self._pubsub = None
        self._replace_if = self.client.register_script(REPLACE_IF)

    @staticmethod
    def _ms(ttl_s: float) -> int:
        return max(1, int(ttl_s * 1000))

    def add(self, key, value, ttl_s):
        return bool(self.client.set(PREFIX + key, value, nx=True, px=self._ms(ttl_s)))

    def get(self, key):
        return self.client.get(PREFIX + key)

    def put(self, key, value, ttl_s):
        self.client.set(PREFIX + key, value, px=self._ms(ttl_s))

    def replace_if(self, key, expected, value, ttl_s):
        return bool(self._replace_if(keys=[PREFIX + key], args=[expected, value, self._ms(ttl_s)]))

    def delete(self, key):
        self.client.delete(PREFIX + key)

    def incr(self, key, by, ttl_s):
        with self.client.pipeline() as pipe:
            pipe.incrby(PREFIX + key, by)
            pipe.pexpire(PREFIX + key, self._ms(ttl_s), nx=True)
            return int(pipe.execute()[0])

    def publish(self, channel, message):
        try:
            self.client.publish(PREFIX + channel, message)
        except redis.RedisError as exc:  # the listeners' fallback is their own polling
            log.warning("publish on %s failed: %s", channel, exc)

    def subscribe(self, channel, handler):
        with self._mutex:
            first = channel not in self._handlers
            self._handlers.setdefault(channel, []).append(handler)
            if self._listener is None:
                self._listener = threading.Thread(target=self._listen, name="shared-state-bus", daemon=True)
                self._listener.start()
            elif first and self._pubsub is not None:
                self._pubsub.subscribe(PREFIX + channel)

    def _listen(self) -> None:
        """Read the bus for good: on a lost connection, wait a moment and subscribe again."""
        while True:
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                with self._mutex:
                    pubsub.subscribe(*(PREFIX + c for c in self._handlers))
                    self._pubsub = pubsub
                for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    channel = message["channel"][len(PREFIX) :]
                    for handler in list(self._handlers.get(channel, ())):
                        try:
                            handler(message["data"])
                        except Exception:  # noqa: BLE001 - one bad handler must not stop the bus
                            log.exception("handler for %s failed", channel)
            except (redis.RedisError, OSError, ValueError) as exc:
                log.warning("shared-state bus lost (%s); subscribing again in 1 s", exc)
                with self._mutex:
                    self._pubsub = None
                time.sleep(1.0)

    def close(self):
        self.client.close()
