"""One citizen turn, whatever the channel: the gate, masking, Rasa, the transcript.

The gate: while a conversation is `waiting` for or talking with a person, the bot says nothing
and the citizen's messages are kept for the operator; while it waits, only the queue speaks
(`queue.py`: where they are, office hours, leaving a message). Personal data is masked before
Rasa, the transcript or any log sees it (the vault keeps a callback number for the work order).
"""

from __future__ import annotations

import asyncio
import json
import re

from govbot.conversations import queue
from govbot.conversations.rasa import RasaUnavailable
from govbot.conversations.replies import BotMessage, Button, ChatResponse, Reply
from knowledge.pii import mask

# payloads the channels may send: the intents our buttons carry, with optional JSON entities
PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.S)
BUTTON_INTENTS = {
    "choose_service",
    "request_human",
    "feedback_positive",
    "feedback_negative",
    "affirm",
    "deny",
    "cancel",
    "greet",
    "goodbye",
    "thank",
    "leave_message",  # the waiting room's 留言 button (never sent to Rasa)
}
# what a button says, for the transcript (a reload, the operator's view): never the raw payload
BUTTON_TITLES = {
    "choose_service": "选择事项",
    "request_human": "转人工",
    "feedback_positive": "有用",
    "feedback_negative": "没用",
    "affirm": "是",
    "deny": "否",
    "cancel": "取消",
    "greet": "你好",
    "goodbye": "再见",
    "thank": "谢谢",
    "leave_message": "留言",
}
LEAVE = Button(title="留言", payload="/leave_message")  # offered with every queue notice
POLITE = {
    "empty": "请输入您想咨询的问题，例如“居住证怎么办理”。",
    "too_long": "您的消息太长了，请精简到{limit}字以内，或分几次发送。",
    "bad_payload": "抱歉，这个选项已失效。请直接输入您的问题。",
    "not_waiting": "您现在不在人工客服的排队中，可以直接输入您的问题；需要人工服务请点“转人工”。",
}


class ConversationUnavailable(Exception):
    """Rasa or the action server is down: the channel tells the citizen to call the hotline."""


class ConversationBusy(ConversationUnavailable):
    """Too many turns wait for Rasa: refused at once; the channel says to try again shortly."""


def offered_buttons(records, session_id: str) -> list[dict]:
    """The buttons of the bot's last turn (its messages since the citizen last spoke), in order."""
    turn = []
    for message in reversed(records.history(session_id)):
        if message.role != "bot":
            break
        turn.append(message)
    return [b for m in reversed(turn) for b in (m.payload.get("buttons") or [])]


def button_title(records, session_id: str, payload: str) -> str:
    """The title of the button the citizen pressed: the one the bot offered with this payload in
    its last turn, else the intent's own word (typed commands never reach here)."""
    for button in offered_buttons(records, session_id):
        if button.get("payload") == payload and button.get("title"):
            return str(button["title"])
    match = PAYLOAD.match(payload)
    return BUTTON_TITLES.get(match.group("intent"), "选择") if match else "选择"


def _payload_ok(payload: str) -> bool:
    match = PAYLOAD.match(payload.strip())
    if not match or match.group("intent") not in BUTTON_INTENTS:
        return False
    if match.group("entities"):
        try:
            return isinstance(json.loads(match.group("entities")), dict)
        except ValueError:
            return False
    return True


async def turn(core, session_id: str, text: str | None = None, payload: str | None = None, channel: str = "web") -> ChatResponse:
    """One citizen turn: a typed `text` or a button's `payload`."""
    records = core.records
    conversation = records.conversation(session_id, channel)
    status = conversation["status"]
    limit = core.settings.max_message_chars
    is_payload = payload is not None and bool(payload.strip())
    if is_payload:
        if not _payload_ok(payload):
            return _polite(session_id, status, POLITE["bad_payload"])
        message = await asyncio.to_thread(mask, payload.strip())  # entities may carry a number too
        shown = button_title(records, session_id, message)
    else:
        text = (text or "").strip()
        if not text:
            return _polite(session_id, status, POLITE["empty"])
        if len(text) > limit:
            return _polite(session_id, status, POLITE["too_long"].format(limit=limit))
        message = shown = await asyncio.to_thread(records.remember_pii, session_id, text)
        if message.startswith("/"):  # typed text is never taken as a command
            message = message.lstrip("/")
    seq = records.add_message(session_id, "citizen", shown, {"button": message} if is_payload else None)
    leave = is_payload and message == LEAVE.payload
    if status == "waiting":  # the 留言 button says what typing 留言 says
        return await _while_waiting(core, conversation, "留言" if leave else None if is_payload else text)
    if status != "bot":  # a person has the conversation: the bot stays silent
        return ChatResponse(session_id=session_id, status=status, replies=[])
    if leave:  # a 留言 button from a wait that is over
        return _polite(session_id, status, POLITE["not_waiting"])
    try:
        raw = await core.rasa.send(session_id, message)
    except RasaUnavailable as exc:
        raise ConversationUnavailable(str(exc)) from exc
    if not raw:  # Rasa answers every turn; nothing back means its actions failed (their server is down)
        raise ConversationUnavailable("Rasa 没有回复")
    said = [BotMessage.from_rasa(m) for m in raw]
    if any(m.handoff for m in said):
        status = "waiting"
        if not is_payload:  # these words asked for a person: not the question to show an operator
            records.note_on(seq, asked_for_person=True)
        await core.hand_off(session_id, said, typed=not is_payload)
    for message in said:
        records.add_message(session_id, "bot", message.text, message.transcript_payload())
    replies = [m.reply() for m in said]
    if status == "waiting":  # where they are in the queue, or how to leave a message out of hours
        replies.append(_notice(core, session_id, *queue.queued_notice(core.settings, records, session_id), [LEAVE]))
    return ChatResponse(session_id=session_id, status=status, replies=replies)


def _notice(core, session_id: str, text: str, event: str, buttons: list[Button] | None = None) -> Reply:
    """A notice of the queue (not the bot talking), kept in the transcript with its event."""
    buttons = buttons or []
    core.records.add_message(session_id, "bot", text, {"event": event, "buttons": [b.model_dump() for b in buttons]})
    return Reply(text=text, buttons=buttons)


async def _while_waiting(core, conversation: dict, raw: str | None) -> ChatResponse:
    """The bot is silent while the citizen waits for a person; only the queue speaks: it offers to
    take a message (on request, out of hours, or after `claim_timeout_s`) and turns the message
    into a work order with a callback."""
    records, settings, session_id = core.records, core.settings, conversation["id"]
    silent = ChatResponse(session_id=session_id, status="waiting", replies=[])
    if raw is None:
        return silent
    transcript = records.history(session_id)  # read once: the stage, the hint and the message come from it
    stage = queue.leave_stage(transcript)
    if not stage:
        if queue.LEAVE_WORDS.match(raw):
            text = "好的，请直接回复您的留言（问题、地点和联系电话），我们会登记工单并回电。"
            return silent.model_copy(update={"replies": [_notice(core, session_id, text, queue.OFFER)]})
        waited = queue.waited_s(conversation)
        if waited > settings.claim_timeout_s and not queue.hinted(transcript):
            text = f"人工客服繁忙，您已等待约 {max(1, round(waited / 60))} 分钟。您可以继续等待，或回复“留言”登记工单，我们会回电。"
            return silent.model_copy(update={"replies": [_notice(core, session_id, text, queue.HINT, [LEAVE])]})
        return silent
    phone = queue.phone_in(raw)
    no_callback = "不用回电" in raw or "不需要回电" in raw
    if not phone and not no_callback and stage == queue.OFFER:
        text = "请补充您的联系电话（手机或座机），以便工作人员回电；不需要回电请回复“不用回电”。"
        return silent.model_copy(update={"replies": [_notice(core, session_id, text, queue.ASK_PHONE)]})
    if not records.leave_queue(session_id):  # an operator took the conversation meanwhile
        return ChatResponse(session_id=session_id, status="human", replies=[])
    left = queue.left_message(transcript)
    tracking = records.create_work_order(
        conversation_id=session_id,
        type="request",
        content=left,
        address="",
        phone=phone,
        callback=bool(phone),
        department=conversation["department"],
    )
    await core.rasa.resume(session_id)
    follow = "工作人员会在工作时间回电" if phone else "处理结果可凭工单号查询"
    text = f"已为您登记留言工单，工单号：{tracking}，{follow}。现在由智能助手继续为您服务。"
    return ChatResponse(session_id=session_id, status="bot", replies=[_notice(core, session_id, text, "left_message")])


def _polite(session_id: str, status: str, text: str) -> ChatResponse:
    return ChatResponse(session_id=session_id, status=status, replies=[Reply(text=text)])
