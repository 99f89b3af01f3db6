"""Hand the conversation to a person: the bot pauses until an operator releases it."""

from __future__ import annotations

from rasa_sdk import Action
from rasa_sdk.events import ConversationPaused

from actions.replies import send


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher, tracker, domain) -> list:
        send(dispatcher, "正在为您转接人工客服，请稍候。人工服务期间，您的消息会直接发送给工作人员。", handoff=True)
        return [ConversationPaused()]
