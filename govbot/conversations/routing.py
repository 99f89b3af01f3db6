"""Which department a conversation or a caller's text goes to: decided here, for every caller
(the handoff of a chat, the operator's packet and work orders, the actions' work orders)."""

from __future__ import annotations

from govbot.conversations.replies import BotMessage
from govbot.records import Records
from knowledge.answer.pipeline import fallback_department
from knowledge.content import Kind, Status


CONTEXT = 3  # the citizen's messages the dispatch model reads for a handoff


def for_text(kb, text: str):
    """The department for what a citizen or a caller says (`Department`: name, phone, reason)."""
    return kb.department_for(text)


def for_work_order(kb, text: str, hotline_number: str):
    """The department a work order about `text` goes to: as `for_text`, and the hotline centre when
    the text states nothing to dispatch (a work order always has an owner)."""
    department = for_text(kb, text)
    if not department.name:
        department.name = fallback_department(hotline_number)
    return department


def departments(kb, hotline_number: str) -> list[str]:
    """The departments a conversation may be sent to: the directory's published entries, and the
    hotline centre itself."""
    names = {item.title for item in kb.store.items(status=Status.PUBLISHED, kind=Kind.HOTLINE) if hotline_number not in item.title}
    return sorted(names) + [fallback_department(hotline_number)]


def citizen_questions(records: Records, conversation_id: str) -> list[str]:
    """What the citizen typed, in order (button payloads are not text)."""
    return [m.text for m in records.history(conversation_id) if m.role == "citizen" and not m.pressed]


def for_handoff(kb, records: Records, conversation_id: str, said: list[BotMessage], typed: bool) -> str:
    """The queue a conversation waits in when it is handed to a person: the department an action
    decided (an urgent work order's), else the one the dispatch model reads in what the citizen
    wrote before asking for a person (their last `CONTEXT` messages: "路灯坏了" then "你好" is
    still the streetlight; a typed "转人工" is itself the last message; a button press is not
    text); "" (the hotline centre's own queue) when nothing was asked or it states nothing to
    dispatch, such as a greeting."""
    decided = [m.department for m in said if m.department]
    if decided:
        return decided[0]
    asked = citizen_questions(records, conversation_id)
    before = asked[:-1] if typed else asked
    return for_text(kb, "。".join(before[-CONTEXT:])).name if before else ""
