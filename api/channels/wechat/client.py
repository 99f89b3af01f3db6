"""WeChat's customer-service message API: what we send when a passive reply is not possible.

- The access token (`/cgi-bin/token`, 7,200 s) is cached and refreshed 5 minutes before it
  expires, or at once when WeChat says it is invalid; concurrent senders wait for one fetch.
- Sending is allowed for 48 hours after the citizen's last message, at most 5 messages in that
  window (after a menu click, a follow or a QR scan: 3 within a minute). `ServiceWindows` keeps
  that count so we never spend a call we know WeChat will refuse; errcode 45015 (window closed)
  and 45047 (quota used up) from WeChat close the window too. Failures are errors, never success.

The windows and the token live in the replicas' shared state (`govbot.shared`): with
`GOVBOT_REDIS_URL`, every replica counts one quota and one replica at a time fetches the token.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass

import httpx

from govbot.shared import SharedState
from govbot.shared.memory import MemoryState

log = logging.getLogger("govbot.wechat")

TOKEN_MARGIN_S = 300
WINDOW_CLOSED = 45015
QUOTA_USED = 45047
TOKEN_INVALID = {40001, 40014, 42001}
MESSAGE_WINDOW = (48 * 3600, 5)  # seconds, messages
EVENT_WINDOW = (60, 3)
REFRESH_WAIT_S = 10.0  # how long a replica waits for another one's token fetch
KEEP_S = MESSAGE_WINDOW[0] + 3600  # a window's record outlives the longest window


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str = ""):
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class WindowClosed(WeChatApiError):
    """45015: the citizen has not written within 48 hours (or 45047: the quota is used up)."""


@dataclass
class _Window:
    opened: float
    length_s: float
    limit: int
    id: str = ""  # a new window, even in the same second, starts a new count

    def open_at(self, now: float) -> bool:
        return now < self.opened + self.length_s


class ServiceWindows:
    """Per citizen: when we may still send, and how many more messages. Kept in the replicas'
    shared state (`govbot.shared`: Redis with `GOVBOT_REDIS_URL`), so that every replica counts
    the same quota; a reservation is one atomic increment, given back when it overshoots."""

    def __init__(self, shared: SharedState | None = None, clock=time.time):
        self.shared = shared or MemoryState()
        self.clock = clock

    @staticmethod
    def _key(openid: str) -> str:
        return f"wx:window:{openid}"

    def _window(self, openid: str) -> _Window | None:
        raw = self.shared.get(self._key(openid))
        return _Window(**json.loads(raw)) if raw else None

    def _used_key(self, openid: str, window: _Window) -> str:
        return f"wx:window-used:{openid}:{window.id}"

    def note_inbound(self, openid: str, kind: str = "message") -> None:
        """A new citizen interaction: "message" (48 h, 5) or "event" (click/follow/scan: 1 min, 3)."""
        now = self.clock()
        length, limit = MESSAGE_WINDOW if kind == "message" else EVENT_WINDOW
        current = self._window(openid)
        if (
            kind != "message"
            and current is not None
            and current.open_at(now)
            and current.opened + current.length_s > now + length
            and self._used(openid, current) < current.limit
        ):
            return  # an event never shortens a longer window that is still open
        window = {"opened": now, "length_s": length, "limit": limit, "id": secrets.token_hex(6)}
        self.shared.put(self._key(openid), json.dumps(window), KEEP_S)

    def _used(self, openid: str, window: _Window) -> int:
        return int(self.shared.get(self._used_key(openid, window)) or 0)

    def knows(self, openid: str) -> bool:
        """Whether the replicas have seen the citizen (after losing the state: WeChat decides)."""
        return self._window(openid) is not None

    def remaining(self, openid: str) -> int:
        window = self._window(openid)
        if window is None or not window.open_at(self.clock()):
            return 0
        return max(0, window.limit - self._used(openid, window))

    def reserve(self, openid: str, n: int = 1) -> bool:
        """Take `n` messages of the quota, all or nothing."""
        if n <= 0:
            return True
        window = self._window(openid)
        if window is None or not window.open_at(self.clock()):
            return False
        key = self._used_key(openid, window)
        if self.shared.incr(key, n, KEEP_S) <= window.limit:
            return True
        self.shared.incr(key, -n, KEEP_S)  # over the quota: give back what this call took
        return False

    def release(self, openid: str, n: int = 1) -> None:
        """Give back reserved messages that were not sent (for a reason other than WeChat refusing)."""
        window = self._window(openid)
        if window is not None:
            key = self._used_key(openid, window)
            if self.shared.incr(key, -n, KEEP_S) < 0:
                self.shared.put(key, "0", KEEP_S)

    def close(self, openid: str) -> None:
        window = self._window(openid)
        if window is not None:
            self.shared.put(self._used_key(openid, window), str(window.limit), KEEP_S)

    def forget(self, openid: str) -> None:
        self.shared.delete(self._key(openid))


class CustomerServiceClient:
    def __init__(
        self,
        api_base: str,
        app_id: str,
        app_secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 5.0,
        clock=time.time,
        shared: SharedState | None = None,
    ):
        self.api_base = api_base.rstrip("/")
        self.app_id, self._secret = app_id, app_secret
        self.http = http or httpx.AsyncClient(timeout=timeout_s)
        self.clock = clock  # wall-clock: replicas compare one expiry
        self.shared = shared or MemoryState()
        self._shared_key = f"wx:token:{hashlib.sha256(f'{self.api_base}|{app_id}'.encode()).hexdigest()[:12]}"
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self._secret)

    async def access_token(self, *, force: bool = False) -> str:
        """A token that is fresh: this process's, else the one another replica fetched, else one
        fetched here while the other replicas wait (`force`: the current one was refused)."""
        stale = self._token
        avoid = stale if force else None
        async with self._lock:
            if self._token and self._token != avoid and self.clock() < self._expires_at:
                return self._token  # fresh, or another sender already refreshed it
            if await self._adopt(avoid):
                return self._token
            claim = self._shared_key + ":refreshing"
            give_up = time.monotonic() + REFRESH_WAIT_S
            while not await asyncio.to_thread(self.shared.add, claim, "1", REFRESH_WAIT_S):
                await asyncio.sleep(0.1)  # another replica is fetching: take its token when it lands
                if await self._adopt(avoid):
                    return self._token
                if time.monotonic() > give_up:
                    break  # its holder died mid-fetch: fetch here
            try:
                if await self._adopt(avoid):
                    return self._token
                params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
                response = await self.http.get(f"{self.api_base}/cgi-bin/token", params=params)
                data = _json(response)
                if not data.get("access_token"):
                    raise WeChatApiError(int(data.get("errcode") or -1), str(data.get("errmsg") or "no access_token"))
                lifetime = max(float(data.get("expires_in") or 7200) - TOKEN_MARGIN_S, 0)
                self._token = str(data["access_token"])
                self._expires_at = self.clock() + lifetime
                record = json.dumps({"token": self._token, "expires_at": self._expires_at})
                await asyncio.to_thread(self.shared.put, self._shared_key, record, max(lifetime, 1))
                return self._token
            finally:
                await asyncio.to_thread(self.shared.delete, claim)

    async def _adopt(self, avoid: str | None) -> bool:
        """Take the token another replica stored, if it is fresh and not the refused one."""
        raw = await asyncio.to_thread(self.shared.get, self._shared_key)
        if not raw:
            return False
        record = json.loads(raw)
        if record["token"] == avoid or self.clock() >= record["expires_at"]:
            return False
        self._token, self._expires_at = record["token"], record["expires_at"]
        return True

    async def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message; raises WindowClosed or WeChatApiError."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        for attempt in (1, 2):
            token = await self.access_token(force=attempt == 2)
            response = await self.http.post(f"{self.api_base}/cgi-bin/message/custom/send", params={"access_token": token}, json=body)
            data = _json(response)
            code = int(data.get("errcode") or 0)
            if code == 0:
                return
            if code in TOKEN_INVALID and attempt == 1:
                continue  # revoked or expired early: fetch a new token once
            if code in (WINDOW_CLOSED, QUOTA_USED):
                raise WindowClosed(code, str(data.get("errmsg") or ""))
            raise WeChatApiError(code, str(data.get("errmsg") or ""))

    async def close(self) -> None:
        await self.http.aclose()


def _json(response: httpx.Response) -> dict:
    if response.status_code != 200:
        raise WeChatApiError(-response.status_code, f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise WeChatApiError(-1, "the answer is not JSON") from exc
    if not isinstance(data, dict):
        raise WeChatApiError(-1, "the answer is not a JSON object")
    return data
