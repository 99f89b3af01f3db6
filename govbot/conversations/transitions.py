"""The operators' transitions of a conversation: claim, say, release, transfer.

    bot ──handoff──▶ waiting ──claim──▶ human ──release──▶ bot
     └────────────claim (take over)───────▲        │
    waiting ◀──transfer (another queue)── human/waiting
    waiting ──leave a message──▶ bot (a work order with a callback; `turn.py`)

Each refuses what the rules forbid with a `TransitionError` (the HTTP adapter answers 409).
Who may act on which conversation (roles, departments) is the adapter's check, before these.
"""

from __future__ import annotations


class TransitionError(Exception):
    """The conversation is not in a state that allows this; the message says why."""


def held(conversation: dict, operator: str) -> None:
    """Only the operator holding a conversation may write to it or release it."""
    if conversation["status"] != "human" or conversation["operator"] != operator:
        raise TransitionError("您当前没有接手该会话（已释放、已转交或未接手）")


async def claim(core, conversation: dict, operator: str) -> None:
    conversation_id = conversation["id"]
    if not core.records.claim(conversation_id, operator):
        raise TransitionError(f"该会话已由 {conversation['operator']} 接手")
    if conversation["status"] == "bot":  # an operator takes over a conversation the bot was having
        await core.rasa.pause(conversation_id)
    core.records.add_message(conversation_id, "bot", f"人工客服（工号 {operator}）已接入，正在为您服务。", {"event": "claimed"})


def say(core, conversation: dict, operator: str, text: str) -> int:
    held(conversation, operator)
    return core.records.add_message(conversation["id"], "operator", text, {"operator": operator})


async def release(core, conversation: dict, operator: str, seen_seq: int | None = None) -> None:
    held(conversation, operator)
    conversation_id = conversation["id"]
    if seen_seq is not None:  # nothing the citizen wrote goes unread
        unseen = [m for m in core.records.history(conversation_id, seen_seq) if m.role == "citizen"]
        if unseen:
            raise TransitionError(f"市民刚发来新消息：“{unseen[-1].text[:60]}”。请先查看或回复，再结束人工服务。")
    # the conversation first, then the bot: a message in between goes to Rasa and is answered
    # (bench/handoff.py's release race: 0 of 20 unanswered; the other order left 6 of 20 with
    # the operator who was just leaving)
    core.records.set_status(conversation_id, "bot")
    await core.rasa.resume(conversation_id)
    core.records.add_message(conversation_id, "bot", "人工服务已结束，智能助手继续为您服务。", {"event": "released"})


def transfer(core, conversation: dict, operator: str, department: str, *, supervisor: bool = False) -> None:
    """Into another department's queue; a conversation another operator holds only by a supervisor."""
    if conversation["status"] == "human" and conversation["operator"] not in ("", operator) and not supervisor:
        raise TransitionError("该会话由其他工作人员接手中")
    core.records.set_status(conversation["id"], "waiting", department=department)
    text = f"您的咨询已转给{department}，请稍候，工作人员会尽快接待您。"
    core.records.add_message(conversation["id"], "bot", text, {"event": "transferred", "department": department})
