"""Bot messages as one JSON object each, so a channel gets text, buttons and sources together:
a `govbot.conversations.replies.BotMessage` (text, buttons, sources, answer_status, confidence,
handoff, department, work_order), checked here and read back by the conversation core."""

from __future__ import annotations

import json

from rasa_sdk.executor import CollectingDispatcher

from govbot.conversations.replies import BotMessage
from knowledge.answer.types import Answer

OFFER_HUMAN = {"title": "转人工", "payload": "/request_human"}
ASK_SITUATION = "上面的规定分几种情况。您属于哪一种？点选或直接告诉我（比如“我交了3年”），我帮您找出适用的那一条。"


def send(
    dispatcher: CollectingDispatcher, text: str, *, buttons: list[dict] | None = None, sources: list[dict] | None = None, **extra
) -> None:
    message = BotMessage(text=text, buttons=buttons or [], sources=sources or [], **extra)
    dispatcher.utter_message(json_message=message.model_dump(include={"text", "buttons", "sources", *extra}))


def choose_payload(key: str) -> str:
    return "/choose_service" + json.dumps({"service_key": key}, ensure_ascii=False)


def case_payload(key: str, condition: str) -> str:
    """A case of the answer from `key` that differs by the citizen's situation (`Answer.situations`)."""
    return "/choose_service" + json.dumps({"service_key": key, "situation": condition}, ensure_ascii=False)


def send_answer(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    buttons = [{"title": o.title, "payload": choose_payload(o.key)} for o in answer.options]
    send(
        dispatcher,
        answer.answer,
        buttons=buttons,
        sources=[s.public() for s in answer.sources],
        answer_status=answer.status.value,
        confidence=round(answer.confidence, 3),
    )
    if answer.situations:  # the answer differs by the citizen's situation: ask which case is theirs
        send(dispatcher, ASK_SITUATION, buttons=[{"title": c, "payload": case_payload(answer.item_key, c)} for c in answer.situations])
