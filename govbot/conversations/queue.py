"""Waiting for a person: queue position and estimated wait, office hours, leaving a message.

While a conversation waits for an operator the bot is silent; the gate (turn.py) only adds
these notices. Outside office hours, or when nobody has claimed the conversation in
`claim_timeout_s`, the citizen may leave a message instead: it becomes a work order with a
tracking number and a callback request, and the conversation goes back to the bot.
The stage of that exchange is kept in the transcript (the notice's `event`), not in new state.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from govbot.records import Message, Records
from govbot.settings import Settings

LEAVE_WORDS = re.compile(r"^\s*(我要|我想|我)?(留言|留个言|留言吧|给你们留言)\s*[。！!]?\s*$")
OFFER, ASK_PHONE, HINT = "leave_offer", "leave_phone", "leave_hint"
PHONE = re.compile(r"(?<!\d)(?:(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}-?\d{7,8})(?!\d)")


def _hours(settings: Settings) -> tuple[time, time]:
    start, _, end = settings.office_hours.partition("-")
    return _clock(start), _clock(end)


def _clock(value: str) -> time:
    """ "08:30" -> 08:30; "24:00" (the end of the day) -> the last moment of the day."""
    return time.max if value.strip() == "24:00" else time.fromisoformat(value.strip())


def in_office_hours(settings: Settings, now: datetime | None = None) -> bool:
    local = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(settings.office_timezone))
    start, end = _hours(settings)
    return str(local.isoweekday()) in settings.office_days and start <= local.time() < end


def office_hours_text(settings: Settings) -> str:
    days = (
        "每天"
        if len(set(settings.office_days)) >= 7
        else "周" + "、".join("一二三四五六日"[int(d) - 1] for d in sorted(set(settings.office_days)))
    )
    return f"{days} {settings.office_hours.replace('-', '—')}"


def position(records: Records, conversation: dict) -> int:
    """1 + how many conversations of the same queue have waited longer."""
    waiting = [c for c in records.queue(conversation["department"] or None) if c["status"] == "waiting"]
    ids = [c["id"] for c in waiting]
    return ids.index(conversation["id"]) + 1 if conversation["id"] in ids else len(ids) + 1


def estimate(settings: Settings, records: Records, conversation: dict) -> tuple[int, int]:
    """(citizens ahead in the queue, estimated minutes of waiting)."""
    ahead = position(records, conversation) - 1
    return ahead, max(1, math.ceil((ahead + 1) * settings.minutes_per_citizen))


def queued_notice(settings: Settings, records: Records, conversation_id: str) -> tuple[str, str]:
    """(text, event) told to the citizen right after the handoff."""
    if not in_office_hours(settings):
        return (
            f"现在是非工作时间（人工服务时间：{office_hours_text(settings)}）。您可以直接回复留言"
            "（问题、地点和联系电话），我们会登记工单，在工作时间回电。",
            OFFER,
        )
    ahead, minutes = estimate(settings, records, records.conversation(conversation_id))
    where = f"您前面还有 {ahead} 位市民，" if ahead else "您是下一位，"
    return f"{where}预计等待约 {minutes} 分钟。不想等待可回复“留言”，我们会登记工单并回电。", "queued"


def leave_stage(messages: list[Message]) -> str:
    """The pending step of leaving a message (from the transcript): OFFER, ASK_PHONE, or ''."""
    for message in reversed(messages):
        if message.role == "operator":
            return ""
        if message.role == "bot":
            event = message.payload.get("event", "")
            if event in (OFFER, ASK_PHONE):
                return event
            if event in ("claimed", "released", "left_message", "queued", HINT):
                return ""
    return ""


def hinted(messages: list[Message]) -> bool:
    return any(m.role == "bot" and m.payload.get("event") in (HINT, OFFER) for m in messages)


def waited_s(conversation: dict, now: datetime | None = None) -> float:
    since = conversation.get("waiting_since")
    if not since:
        return 0.0
    return ((now or datetime.now(timezone.utc)) - since.replace(tzinfo=since.tzinfo or timezone.utc)).total_seconds()


def phone_in(raw_text: str) -> str:
    """The first phone number in what the citizen wrote (the real one, for the callback)."""
    match = PHONE.search(raw_text)
    return match.group(0) if match else ""


def left_message(messages: list[Message]) -> str:
    """What the citizen wrote since the offer to leave a message (masked, as in the transcript)."""
    parts: list[str] = []
    for message in reversed(messages):
        if message.role == "bot" and message.payload.get("event") == OFFER:
            break
        if message.role == "citizen" and not message.payload.get("button"):  # typed, not a button
            parts.append(message.text)
    return "\n".join(reversed(parts))
