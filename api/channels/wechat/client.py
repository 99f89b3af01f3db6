"""WeChat's customer-service message API: what we send when a passive reply is not possible.

- The access token (`/cgi-bin/token`, 7,200 s) is cached and refreshed 5 minutes before it
  expires, or at once when WeChat says it is invalid; concurrent senders wait for one fetch.
- Sending is allowed for 48 hours after the citizen's last message, at most 5 messages in that
  window (after a menu click, a follow or a QR scan: 3 within a minute). `ServiceWindows` keeps
  that count so we never spend a call we know WeChat will refuse; errcode 45015 (window closed)
  and 45047 (quota used up) from WeChat close the window too. Failures are errors, never success.

The windows live in this process's memory, like the dedupe table: one API worker per account.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

log = logging.getLogger("govbot.wechat")

TOKEN_MARGIN_S = 300
WINDOW_CLOSED = 45015
QUOTA_USED = 45047
TOKEN_INVALID = {40001, 40014, 42001}
MESSAGE_WINDOW = (48 * 3600, 5)  # seconds, messages
EVENT_WINDOW = (60, 3)


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
    used: int = 0

    def open_at(self, now: float) -> bool:
        return now < self.opened + self.length_s


class ServiceWindows:
    """Per citizen: when we may still send, and how many more messages."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self._windows: dict[str, _Window] = {}

    def note_inbound(self, openid: str, kind: str = "message") -> None:
        """A new citizen interaction: "message" (48 h, 5) or "event" (click/follow/scan: 1 min, 3)."""
        now = self.clock()
        length, limit = MESSAGE_WINDOW if kind == "message" else EVENT_WINDOW
        current = self._windows.get(openid)
        if (
            kind != "message"
            and current is not None
            and current.open_at(now)
            and current.opened + current.length_s > now + length
            and current.used < current.limit
        ):
            return  # an event never shortens a longer window that is still open
        self._windows[openid] = _Window(opened=now, length_s=length, limit=limit)
        if len(self._windows) > 100_000:
            self._prune(now)

    def knows(self, openid: str) -> bool:
        """Whether this process has seen the citizen (after a restart it has not: WeChat decides)."""
        return openid in self._windows

    def remaining(self, openid: str) -> int:
        window = self._windows.get(openid)
        if window is None or not window.open_at(self.clock()):
            return 0
        return max(0, window.limit - window.used)

    def reserve(self, openid: str, n: int = 1) -> bool:
        """Take `n` messages of the quota, all or nothing."""
        if n <= 0:
            return True
        if self.remaining(openid) < n:
            return False
        self._windows[openid].used += n
        return True

    def release(self, openid: str, n: int = 1) -> None:
        """Give back reserved messages that were not sent (for a reason other than WeChat refusing)."""
        window = self._windows.get(openid)
        if window is not None:
            window.used = max(0, window.used - n)

    def close(self, openid: str) -> None:
        window = self._windows.get(openid)
        if window is not None:
            window.used = window.limit

    def forget(self, openid: str) -> None:
        self._windows.pop(openid, None)

    def _prune(self, now: float) -> None:
        for openid in [o for o, w in self._windows.items() if not w.open_at(now)]:
            del self._windows[openid]


class CustomerServiceClient:
    def __init__(
        self,
        api_base: str,
        app_id: str,
        app_secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 5.0,
        clock=time.monotonic,
    ):
        self.api_base = api_base.rstrip("/")
        self.app_id, self._secret = app_id, app_secret
        self.http = http or httpx.AsyncClient(timeout=timeout_s)
        self.clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self._secret)

    async def access_token(self, *, force: bool = False) -> str:
        stale = self._token
        async with self._lock:
            if self._token and self._token != (stale if force else None) and self.clock() < self._expires_at:
                return self._token  # fresh, or another sender already refreshed it
            response = await self.http.get(
                f"{self.api_base}/cgi-bin/token", params={"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
            )
            data = _json(response)
            if not data.get("access_token"):
                raise WeChatApiError(int(data.get("errcode") or -1), str(data.get("errmsg") or "no access_token"))
            lifetime = float(data.get("expires_in") or 7200)
            self._token = str(data["access_token"])
            self._expires_at = self.clock() + max(lifetime - TOKEN_MARGIN_S, 0)
            return self._token

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
