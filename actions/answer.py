"""Answer questions from the knowledge engine, keeping the service under discussion in a slot."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import knowledge
from govbot.settings import get_settings
from actions.replies import OFFER_HUMAN, send, send_answer
from knowledge.answer.pipeline import pressed_question
from knowledge.answer.types import Answer, AnswerStatus, QuestionError
from knowledge.cases import situation_of

FAILURES_BEFORE_OFFER = 2  # no_answer or clarify in a row, then a person is offered


def asked_from(tracker: Tracker) -> dict:
    """Where a question came from, for the question log (WeChat conversations are `wx:<openid>`)."""
    sender = tracker.sender_id or ""
    return {"channel": "wechat" if sender.startswith("wx:") else "web", "conversation_id": sender}


def slot_in_context(tracker: Tracker, minutes: float, slot: str = "service") -> str:
    """The service under discussion (or another slot of the conversation's context: the question
    asked back about), unless it was last set more than `minutes` before the citizen's latest
    message (a conversation picked up again later starts afresh: "多少钱" an hour after a question
    about 居住证 is not read as being about 居住证)."""
    value = tracker.get_slot(slot) or ""
    events = tracker.events or []
    set_at = next((e.get("timestamp") for e in reversed(events) if e.get("event") == "slot" and e.get("name") == slot), None)
    said_at = next((e.get("timestamp") for e in reversed(events) if e.get("event") == "user"), None)
    if value and set_at is not None and said_at is not None and said_at - set_at > minutes * 60:
        return ""
    return value


def earlier_messages(tracker: Tracker, minutes: float) -> list[str]:
    """The citizen's messages before the latest one, within `minutes` of it (what they said of
    themselves then, "我交了3年", still holds; a conversation picked up later starts afresh), oldest
    first; pressed buttons (payloads) left out."""
    said = [e for e in tracker.events or [] if e.get("event") == "user"]
    if not said:
        return []
    latest = said[-1].get("timestamp") or 0
    return [
        e.get("text") or ""
        for e in said[:-1]
        if not (e.get("text") or "").startswith("/") and latest - (e.get("timestamp") or 0) <= minutes * 60
    ]


def said_so_far(tracker: Tracker) -> tuple[str, str, str]:
    """(the service under discussion, the question asked back about, what the citizen said of
    themselves before), each within the context time (`GOVBOT_CONTEXT_MINUTES`)."""
    minutes = get_settings().context_minutes
    context, pending = slot_in_context(tracker, minutes), slot_in_context(tracker, minutes, "pending_question")
    return context, pending, situation_of(earlier_messages(tracker, minutes))


def answer_events(dispatcher: CollectingDispatcher, tracker: Tracker, question: str, answer: Answer) -> list:
    send_answer(dispatcher, answer)
    events = [
        SlotSet("last_question", question),
        SlotSet("last_answer", {"answer": answer.answer, "status": answer.status.value, "sources": [s.public() for s in answer.sources]}),
    ]
    # a clarify's question (or an answer that asked which case applies) waits for a choice, pressed
    # or typed; any other answer ends the wait
    events.append(SlotSet("pending_question", answer.question if answer.waits_for_choice else None))
    if answer.status == AnswerStatus.ANSWERED:
        return events + [SlotSet("service", answer.item_key), SlotSet("failures", 0.0)]
    failures = (tracker.get_slot("failures") or 0.0) + 1
    if answer.topic_key:  # not answered, but the question named a service: the next one is read in it
        events.append(SlotSet("service", answer.topic_key))
    if answer.status in (AnswerStatus.NO_ANSWER, AnswerStatus.CLARIFY) and failures >= FAILURES_BEFORE_OFFER:
        send(dispatcher, "看来我没能帮您找到答案，需要为您转接人工客服吗？", buttons=[OFFER_HUMAN])
    return events + [SlotSet("failures", failures)]


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        question = (tracker.latest_message.get("text") or "").strip()
        try:
            context, pending, situation = said_so_far(tracker)
            answer = knowledge().ask(question, context_key=context, pending=pending, situation=situation, **asked_from(tracker))
        except QuestionError as exc:
            send(dispatcher, f"{exc}。请用一句话描述您的问题。")
            return []
        return answer_events(dispatcher, tracker, question, answer)


class ActionOutOfScope(Action):
    """The intent classifier thinks the message is outside what we do ("帮我订外卖"); the knowledge
    engine judges it too, in the conversation's context, and answers when it has a sure answer
    ("买卖双方都要到场吗？" after a question about 不动产登记): the published content decides what
    is in scope, not a classifier trained on a few examples. Else the polite out-of-scope reply
    (and nothing in the log of unanswered questions)."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        question = (tracker.latest_message.get("text") or "").strip()
        context, _pending, situation = said_so_far(tracker)
        kb = knowledge()
        try:
            answer = kb.probe(question, context_key=context, situation=situation)  # not logged unless given
        except QuestionError:
            answer = None
        if answer is None or answer.status != AnswerStatus.ANSWERED:
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        kb.report(answer, **asked_from(tracker))
        return answer_events(dispatcher, tracker, question, answer)


class ActionChooseService(Action):
    """A clarification button was pressed: answer the pending question for that service; or a case
    button (the answer from that service differs by the citizen's situation, `situation` names the
    case pressed): answer it again in that case."""

    def name(self) -> str:
        return "action_choose_service"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        kb = knowledge()
        key = tracker.get_slot("service") or ""
        item_id = kb.index.item_id(key)
        if item_id is None:
            send(dispatcher, "抱歉，这个选项已失效，请重新描述您的问题。")
            return [SlotSet("service", None)]
        title = kb.index.meta[item_id].title
        pending = tracker.get_slot("pending_question") or ""
        case = next((e.get("value") or "" for e in tracker.latest_message.get("entities") or [] if e.get("entity") == "situation"), "")
        situation = said_so_far(tracker)[2]
        answer = kb.ask(pressed_question(title, pending, case), context_key=key, situation=situation, **asked_from(tracker))
        return answer_events(dispatcher, tracker, pending or title, answer)
