"""The work-order form: complaints and reports a person must handle."""

from __future__ import annotations

import re

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet

from actions.answer import asked_from
from actions.context import knowledge, records
from actions.replies import send, send_answer
from govbot.conversations import routing
from govbot.settings import get_settings
from knowledge.answer.rules import load
from knowledge.answer.types import QuestionError

# the API masks mobile numbers before Rasa sees them (138****5678); landlines pass as they are
PHONE = re.compile(r"(?:\+?86[ -]?)?1[3-9]\d(?:\*{4}|\d{4})\d{4}|0\d{2,3}-?\d{7,8}")
FORM_SLOTS = ["wo_type", "wo_content", "wo_address", "wo_phone", "wo_callback"]
TYPE_NAMES = {"complain": "投诉", "report": "举报"}
# a new question asked where the form wants an address or a phone number: answered, then the
# form asks again (the description itself may well be worded as a question, so it is never
# taken for one)
QUESTION = re.compile(r"[?？]|怎么|如何|哪里|哪儿|哪个|多少|什么|吗|能不能|可不可以|是否")
QUESTION_CONFIDENCE = 0.8
STILL_IN_FORM = "（您的登记还在进行中，可以接着填写；回复“取消”可退出登记。）"


class ActionStartWorkorder(Action):
    """Remember whether this is a complaint or a report before the form asks its questions."""

    def name(self) -> str:
        return "action_start_workorder"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        intent = tracker.latest_message.get("intent", {}).get("name")
        return [SlotSet("wo_type", "report" if intent == "report" else "complain")]


class ValidateWorkorderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_workorder_form"

    def validate_wo_content(self, value, dispatcher, tracker, domain) -> dict:
        if not value or len(value.strip()) < 4:
            dispatcher.utter_message(text="请再具体描述一下问题（至少几个字）。")
            return {"wo_content": None}
        return {"wo_content": value.strip()}

    def validate_wo_address(self, value, dispatcher, tracker, domain) -> dict:
        if answered_a_new_question(dispatcher, tracker):
            return {"wo_address": None}
        if not value or len(value.strip()) < 2:
            dispatcher.utter_message(text="请提供具体地点，例如“城东区人民路18号附近”。")
            return {"wo_address": None}
        return {"wo_address": value.strip()}

    def validate_wo_phone(self, value, dispatcher, tracker, domain) -> dict:
        if answered_a_new_question(dispatcher, tracker):
            return {"wo_phone": None}
        match = PHONE.search(value or "")
        if not match:
            dispatcher.utter_message(response="utter_invalid_phone")
            return {"wo_phone": None}
        return {"wo_phone": match.group(0)}


def answered_a_new_question(dispatcher, tracker: Tracker) -> bool:
    """The citizen asked something new instead of answering the form: answer it (the form then
    asks its question again), rather than filing the question as an address or a phone number."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    text = (message.get("text") or "").strip()
    if intent.get("name") != "ask" or intent.get("confidence", 0.0) < QUESTION_CONFIDENCE or not QUESTION.search(text):
        return False
    try:
        answer = knowledge().ask(text, **asked_from(tracker))
    except QuestionError:
        return False
    send_answer(dispatcher, answer)
    send(dispatcher, STILL_IN_FORM)
    return True


class ActionCancelWorkorder(Action):
    """The citizen left the form: nothing is filed and what they had typed is forgotten."""

    def name(self) -> str:
        return "action_cancel_workorder"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        dispatcher.utter_message(response="utter_workorder_cancelled")
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


class ActionSubmitWorkorder(Action):
    def name(self) -> str:
        return "action_submit_workorder"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        kind = tracker.get_slot("wo_type") or "complain"
        content = tracker.get_slot("wo_content") or ""
        address = tracker.get_slot("wo_address") or ""
        shown_phone = tracker.get_slot("wo_phone") or ""
        callback = bool(tracker.get_slot("wo_callback"))
        store = records()
        phone = store.reveal(tracker.sender_id, shown_phone) or shown_phone
        department = routing.for_work_order(knowledge(), content, get_settings().hotline_number)  # the address names places, not duties
        tracking = store.create_work_order(
            conversation_id=tracker.sender_id,
            type=kind,
            content=content,
            address=address,
            phone=phone,
            callback=callback,
            department=department.name,
        )
        follow = "处理完成后工作人员会电话回访您" if callback else "处理结果可凭工单号查询"
        send(
            dispatcher,
            f"已为您登记{TYPE_NAMES.get(kind, '')}工单，工单号：{tracking}。建议由{department.name}处理（{department.reason}），{follow}。",
            work_order=tracking,
            department=department.name,
        )
        cleared = [SlotSet(slot, None) for slot in FORM_SLOTS]
        if is_urgent(content):  # a person takes it at once (the gate queues it for the department)
            send(dispatcher, "您反映的情况比较紧急，正在为您转接人工客服，请稍候。", handoff=True)
            return cleared + [ConversationPaused()]
        return cleared


def is_urgent(content: str) -> bool:
    return any(word in content for word in load("urgent.yml")["patterns"])
