"""The WeChat channel: one incoming message -> one `Outcome`, through the conversation core's `turn`, and
the delivery of answers that could not be given passively.

Texts, menu clicks and follows become conversation turns of session "wx:" + openid; other message
types get a polite request for text. Numbered hints are answered by number: "1" picks the first
button the bot offered in its last turn (read back from the transcript).

Menu (CLICK) keys: "ASK:<question>" asks the question; "HUMAN" asks for a person; "HOTLINE" and
"HELP" are fixed replies; any other key gets a polite fixed reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time

import httpx

from api.channels.wechat import crypto as wx_crypto
from api.channels.wechat.client import CustomerServiceClient, ServiceWindows, WeChatApiError, WindowClosed
from api.channels.wechat.content import Incoming
from api.channels.wechat.dedupe import Deduper
from api.channels.wechat.render import Outcome, chosen_number, compose, compose_text
from govbot.conversations.replies import ChatResponse
from govbot.conversations.turn import ConversationUnavailable, offered_buttons
from govbot.settings import Settings
from govbot.shared import open_shared_state

MIN_WAIT_S = 0.5  # however late the request was read, the answer gets this long (at most the timeout)
log = logging.getLogger("govbot.wechat")

SESSION_PREFIX = "wx:"
DRAIN_IDLE_S = 1.0  # the outbox is looked at this often when nothing wakes it (another process's rows)
RETRY_S = (0, 2, 5, 15, 60, 300)  # pause before each try of a delivery that failed on the way
FOLLOW_UP_DELAY_S = 0.5  # lets the passive reply reach the citizen before the parts that follow it
DEDUPE_S = 600  # how long a message's owner and decision are kept for retries (WeChat's last comes at ~15 s)
OWNER, DECIDED = "wx:owner:", "wx:decided:"  # shared-state keys: who works on a message, what it answered
# A claim on a message lasts LEASE_S unless its owner renews it (every LEASE_S / 3 while it works):
# when the owner dies, a retry on another replica takes the message over after at most LEASE_S.
LEASE_S = 3.0
WORKING, DONE = "working:", "done:"  # the owner claim's value: its state, then the owning replica

WELCOME = (
    "您好，欢迎关注{hotline}政务服务便民热线！我是智能助手，可以为您解答办事指南、政策文件等问题。\n"
    "请直接发送文字提问，例如“居住证怎么办理”。需要人工服务请发送“转人工”；"
    "遇到紧急情况请拨打110、119或120。"
)
HOTLINE = "{hotline}政务服务便民热线全天24小时受理咨询、求助、投诉、举报和意见建议，欢迎拨打{hotline}。"
TEXT_ONLY = "抱歉，目前只能识别文字消息。请用文字描述您的问题，例如“居住证怎么办理”。"
MENU_UNKNOWN = "该菜单暂未开放，请直接发送文字描述您的问题。"
UNAVAILABLE = "抱歉，智能助手暂时无法服务，请稍后再试，或直接拨打{hotline}热线咨询。"


def session_id(openid: str) -> str:
    return SESSION_PREFIX + openid


def _short(openid: str) -> str:
    return openid[:6] + "…"


class WeChatChannel:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.shared = open_shared_state(settings.redis_url)  # what the replicas agree on (dedupe, windows, token)
        self.replica = secrets.token_hex(8)
        self.token = settings.wechat_token.get_secret_value()
        self.hotline = settings.hotline_number
        self.max_chars = settings.wechat_max_chars
        self.reply_timeout_s = settings.wechat_reply_timeout_s
        self.crypto: wx_crypto.MessageCrypto | None = None
        aes_key = settings.wechat_aes_key.get_secret_value()
        if self.enabled and aes_key:
            try:
                self.crypto = wx_crypto.MessageCrypto(aes_key, settings.wechat_app_id)
            except (wx_crypto.CryptoError, wx_crypto.CryptoUnavailable) as exc:
                log.error("WeChat: compatible/secure mode is off: %s", exc)
        secret = settings.wechat_app_secret.get_secret_value()
        self.client = (
            CustomerServiceClient(settings.wechat_api_base, settings.wechat_app_id, secret, shared=self.shared)
            if self.enabled and settings.wechat_app_id and secret
            else None
        )
        self.windows = ServiceWindows(self.shared)
        self.deduper: Deduper[Outcome] = Deduper()
        self.records = None  # the outbox's store, once `start_outbox` ran
        # the outbox rows of this account at this API (every replica of the account drains them)
        account = f"{settings.wechat_api_base}|{settings.wechat_app_id}".encode()
        self.outbox = "wechat:" + hashlib.sha256(account).hexdigest()[:12]
        self._drainer: asyncio.Task | None = None
        self._wake = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    # --- one incoming message ---------------------------------------------------------------
    async def reply_for(self, state, incoming: Incoming, spent_s: float = 0.0) -> Outcome | None:
        """The answer to give passively now, or None: reply "success". `spent_s`: already used of
        the reply time (checking and decrypting the request).

        With replicas sharing state, the first replica to claim a message does the work; a retry
        that lands on another replica gives the owner's decision (the same passive reply, or
        "success" when the answer goes out through the customer-service API), or takes the
        message over when the owner died before it finished (its claim lapsed)."""
        openid, key = incoming.from_user, incoming.dedupe_key
        wait = max(min(MIN_WAIT_S, self.reply_timeout_s), self.reply_timeout_s - spent_s)
        give_up = time.monotonic() + wait
        if self.shared.shared and not await asyncio.to_thread(self._owns, key):
            taken, outcome = await self._decided_elsewhere(key, give_up)
            if not taken:
                return outcome
            wait = max(MIN_WAIT_S, give_up - time.monotonic())
        outcome = await self.deduper.run(
            key, lambda: self._leased(key, self._work(state, incoming)), wait, lambda outcome: self.deliver(openid, outcome)
        )
        if outcome is None and self.deduper.how(key) == "async" and self.shared.shared:
            await asyncio.to_thread(self.shared.put, DECIDED + key, "async", DEDUPE_S)
        return outcome

    def _owns(self, key: str) -> bool:
        if self.shared.add(OWNER + key, WORKING + self.replica, LEASE_S):
            return True
        owner = self.shared.get(OWNER + key) or ""
        return owner.partition(":")[2] == self.replica

    async def _leased(self, key: str, work) -> Outcome:
        """Do `work` holding the message's claim: renewed while it runs, then kept as done."""
        if not self.shared.shared:
            return await work
        mine = WORKING + self.replica

        async def renew() -> None:
            while True:
                await asyncio.sleep(LEASE_S / 3)
                try:
                    if not await asyncio.to_thread(self.shared.replace_if, OWNER + key, mine, mine, LEASE_S):
                        log.warning("WeChat: the claim on a message of %s lapsed while answering it", _short(key))
                        return
                except Exception:  # noqa: BLE001 - Redis away for a moment: the next renewal tries again
                    log.warning("WeChat: renewing a message's claim failed", exc_info=True)

        renewer = asyncio.create_task(renew())
        try:
            return await work
        finally:
            renewer.cancel()
            await asyncio.to_thread(self.shared.replace_if, OWNER + key, mine, DONE + self.replica, DEDUPE_S)

    async def _decided_elsewhere(self, key: str, give_up: float) -> tuple[bool, Outcome | None]:
        """A retry of a message another replica owns: (False, its passive reply again) when the
        earlier reply did not reach WeChat; (False, None: "success") when the answer goes out
        through the customer-service API or nothing was decided in time; (True, None) when the
        owner died before it finished: its claim lapsed and this replica has claimed the message."""
        while True:
            decided = await asyncio.to_thread(self.shared.get, DECIDED + key)
            if decided is not None and decided.startswith("passive\n"):
                text = decided.partition("\n")[2]
                return False, Outcome(parts=[text], passive=text)
            owner = await asyncio.to_thread(self.shared.get, OWNER + key)
            if owner is None and await asyncio.to_thread(self.shared.add, OWNER + key, WORKING + self.replica, LEASE_S):
                log.warning("WeChat: the replica answering a message of %s is gone: taking it over", _short(key))
                await asyncio.to_thread(self.shared.delete, DECIDED + key)  # this replica decides anew
                return True, None
            if decided is not None and owner is not None and owner.startswith(DONE):
                return False, None  # answered, and sent (or queued) through the customer-service API
            if time.monotonic() >= give_up:
                return False, None
            await asyncio.sleep(0.05)

    async def _work(self, state, incoming: Incoming) -> Outcome:
        try:
            async with state.conversations.admitted():
                return await self._answer(state, incoming)
        except ConversationUnavailable as exc:
            log.warning("WeChat: conversation unavailable: %s", exc)
        except Exception:
            log.exception("WeChat: answering a %s message failed", incoming.msg_type)
        return self._fixed(UNAVAILABLE)

    async def _answer(self, state, incoming: Incoming) -> Outcome:
        openid, sid = incoming.from_user, session_id(incoming.from_user)
        if incoming.is_event:
            event = incoming.event.lower()
            if event == "unsubscribe":
                self.windows.forget(openid)
                return Outcome()
            if event in ("subscribe", "click", "scan", "view"):
                self.windows.note_inbound(openid, "event")
            if event == "subscribe":
                return self._fixed(WELCOME)
            if event == "click":
                return await self._menu(state, sid, incoming.event_key)
            return Outcome()  # VIEW, SCAN, LOCATION, delivery reports…: nothing to say
        self.windows.note_inbound(openid, "message")
        if incoming.is_text:
            text = incoming.content
        elif incoming.msg_type == "voice" and incoming.recognition.strip():
            text = incoming.recognition  # WeChat's speech recognition, when the account has it on
        else:
            return self._fixed(TEXT_ONLY)
        payload = self._chosen_payload(state, sid, text)
        if payload is not None:
            return self._outcome(await state.conversations.turn(sid, payload=payload, channel="wechat"))
        return self._outcome(await state.conversations.turn(sid, text=text, channel="wechat"))

    async def _menu(self, state, sid: str, key: str) -> Outcome:
        key = key.strip()
        if key[:4].upper() == "ASK:" and key[4:].strip():
            return self._outcome(await state.conversations.turn(sid, text=key[4:].strip(), channel="wechat"))
        upper = key.upper()
        if upper == "HUMAN":
            return self._outcome(await state.conversations.turn(sid, payload="/request_human", channel="wechat"))
        if upper == "HOTLINE":
            return self._fixed(HOTLINE)
        if upper == "HELP":
            return self._fixed(WELCOME)
        return self._fixed(MENU_UNKNOWN)

    def _chosen_payload(self, state, sid: str, text: str) -> str | None:
        """A number answering the hints of the bot's last turn -> that button's payload."""
        number = chosen_number(text)
        if number is None:
            return None
        buttons = offered_buttons(state.records, sid)
        if 1 <= number <= len(buttons) and buttons[number - 1].get("payload"):
            return str(buttons[number - 1]["payload"])
        return None

    def _outcome(self, response: ChatResponse) -> Outcome:
        if not response.replies:  # waiting for, or talking with, a person: the operator answers
            return Outcome()
        return compose(response.replies, self.max_chars, self.hotline)

    def _fixed(self, template: str) -> Outcome:
        return compose_text(template.format(hotline=self.hotline), "", self.max_chars, self.hotline)

    # --- delivery ---------------------------------------------------------------------------
    def plan_passive(self, openid: str, outcome: Outcome, key: str = "") -> tuple[str | None, list[str]]:
        """(the passive reply, the parts to send after it through the customer-service API).

        Planned once per message: a retry whose passive reply was lost gets the same text again,
        and the parts after it, already on their way, are not sent twice. `key`: the message's
        dedupe key, under which the replicas' shared state keeps the decision for retries."""
        text, rest = self._plan(openid, outcome)
        if key and self.shared.shared:
            self.shared.add(DECIDED + key, f"passive\n{text}" if text is not None else "async", DEDUPE_S)
        return text, rest

    def _plan(self, openid: str, outcome: Outcome) -> tuple[str | None, list[str]]:
        if outcome.silent:
            return None, []
        if outcome.passive is not None:
            return outcome.passive, []
        rest = outcome.parts[1:]
        if rest and not (self.client is not None and self.windows.reserve(openid, len(rest))):
            outcome.passive = outcome.condensed
            return outcome.passive, []
        outcome.passive = outcome.parts[0]
        return outcome.passive, rest

    # --- the outbox: late answers go through the database, are retried and survive a restart -------
    def start_outbox(self, records) -> None:
        """Send what the outbox holds (also what a previous run left) until `close`."""
        if self.client is None or self._drainer is not None:
            return
        self.records = records
        self._drainer = asyncio.create_task(self._drain())

    async def _queue(self, openid: str, body: dict, delay_s: float = 0.0) -> bool:
        if self.records is None:
            return False
        await asyncio.to_thread(self.records.enqueue, self.outbox, openid, body, delay_s)
        self._wake.set()
        return True

    async def _drain(self) -> None:
        while True:
            try:
                rows = await asyncio.to_thread(self.records.take_due, self.outbox)
            except Exception:  # the database is away for a moment: try again
                log.exception("WeChat: cannot read the outbox")
                rows = []
            for row in rows:
                await self._send_row(row)
            if not rows:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), DRAIN_IDLE_S)
                except asyncio.TimeoutError:
                    pass

    async def _send_row(self, row: dict) -> None:
        openid, body = row["recipient"], row["body"]
        parts = body["parts"]
        if not body.get("reserved") and self.windows.knows(openid):  # unknown (a restart): WeChat says if it may
            parts = self._within_quota(openid, parts, body.get("condensed"))
            if parts is None:
                await asyncio.to_thread(self.records.settle, row["id"], "failed", "window closed or quota used up")
                return
        for i, part in enumerate(parts):
            try:
                await self.client.send_text(openid, part)
            except WindowClosed as exc:
                self._closed(openid, exc, i, len(parts))
                await asyncio.to_thread(self.records.settle, row["id"], "failed", f"errcode {exc.errcode}")
                return
            except (WeChatApiError, httpx.HTTPError) as exc:
                attempts = row["attempts"] + 1
                if attempts >= len(RETRY_S):
                    log.error("WeChat: cannot deliver to %s after %d tries: %s", _short(openid), attempts, exc)
                    await asyncio.to_thread(self.records.settle, row["id"], "failed", str(exc))
                    return
                log.warning("WeChat: delivery to %s failed (%s); trying again in %d s", _short(openid), exc, RETRY_S[attempts])
                left = {**body, "parts": parts[i:], "reserved": True}  # the quota stays taken for what is left
                await asyncio.to_thread(self.records.settle, row["id"], "pending", str(exc), RETRY_S[attempts], left)
                return
        await asyncio.to_thread(self.records.settle, row["id"], "sent")

    async def deliver(self, openid: str, outcome: Outcome) -> None:
        """An answer that missed the passive reply: through the outbox, or at once without one."""
        if outcome.silent:
            return
        if self.client is not None and await self._queue(openid, {"parts": outcome.parts, "condensed": outcome.condensed}):
            return
        if self.client is None:
            log.warning(
                "WeChat: cannot deliver a late answer to %s: the customer-service API is not configured "
                "(wechat_app_id / wechat_app_secret)",
                _short(openid),
            )
            return
        parts = self._within_quota(openid, outcome.parts, outcome.condensed)
        if parts is not None:
            await self.send_parts(openid, parts, reserved=True)

    def _within_quota(self, openid: str, parts: list[str], condensed: str | None) -> list[str] | None:
        """What of a late answer the window's quota allows, reserved: every part, else the condensed
        text alone, else nothing (None, logged)."""
        if self.windows.reserve(openid, len(parts)):
            return parts
        if len(parts) > 1 and condensed and self.windows.reserve(openid, 1):
            return [condensed]
        log.warning("WeChat: cannot deliver a late answer to %s: the 48-hour window is closed or its quota is used up", _short(openid))
        return None

    def _closed(self, openid: str, exc: WindowClosed, sent: int, total: int) -> None:
        """WeChat refused: the window is closed (or the quota used up) until the citizen writes again."""
        self.windows.close(openid)
        log.warning(
            "WeChat: cannot deliver to %s: WeChat refused (errcode %s, %s); %d of %d part(s) sent",
            _short(openid),
            exc.errcode,
            exc.errmsg,
            sent,
            total,
        )

    async def send_parts(self, openid: str, parts: list[str], reserved: bool = True, delay_s: float = 0.0) -> int:
        """Send in order, stopping at the first failure; returns how many were sent."""
        if delay_s:
            await asyncio.sleep(delay_s)
        for i, part in enumerate(parts):
            try:
                await self.client.send_text(openid, part)
            except WindowClosed as exc:
                self._closed(openid, exc, i, len(parts))
                return i
            except (WeChatApiError, httpx.HTTPError) as exc:
                if reserved:
                    self.windows.release(openid, len(parts) - i)
                log.error("WeChat: cannot deliver to %s: %s; %d of %d part(s) sent", _short(openid), exc, i, len(parts))
                return i
        return len(parts)

    async def follow_up(self, openid: str, parts: list[str]) -> None:
        """The rest of a long answer whose first part went passively (quota already reserved)."""
        if not await self._queue(openid, {"parts": parts, "reserved": True}, FOLLOW_UP_DELAY_S):
            await self.send_parts(openid, parts, delay_s=FOLLOW_UP_DELAY_S)

    async def push(self, openid: str, text: str) -> bool:
        """Send one text now (for example an operator's answer), within the window and quota."""
        if self.client is None or not self.windows.reserve(openid, 1):
            log.warning("WeChat: cannot push to %s: no customer-service API, or the window is closed", _short(openid))
            return False
        return await self.send_parts(openid, [text]) == 1

    async def close(self) -> None:
        await self.deduper.drain()
        if self._drainer is not None:
            await asyncio.sleep(0.2)  # a delivery just queued by the drained work goes out now
            self._drainer.cancel()
        if self.client is not None:
            await self.client.close()
