"""Typed replies, shared by the actions (what they send through Rasa) and the channels (what a
citizen gets): `BotMessage` is one message of an action, `Reply` what a channel renders,
`ChatResponse` the outcome of one citizen turn."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Status = Literal["bot", "waiting", "human"]  # the conversation's state (`govbot.conversations`)


class SourceOut(BaseModel):
    id: int
    kind: str
    title: str
    doc_number: str = ""
    department: str = ""
    region: str = ""
    date: str = ""
    source: str = ""
    snippet: str = ""


class Button(BaseModel):
    title: str
    payload: str


class Reply(BaseModel):
    text: str
    buttons: list[Button] = []
    sources: list[SourceOut] = []
    answer_status: str | None = None  # a bot answer's status: answered, clarify, no_answer, handoff, refused


class ChatResponse(BaseModel):
    session_id: str
    status: Status
    replies: list[Reply]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "session_id": "web-3f2a9c",
                    "status": "bot",
                    "replies": [
                        {
                            "text": "【居住证申领】所需材料：1. 居民身份证……",
                            "buttons": [],
                            "sources": [
                                {
                                    "id": 12,
                                    "kind": "guide",
                                    "title": "居住证申领",
                                    "doc_number": "",
                                    "department": "示例市公安局",
                                    "region": "示例市",
                                    "date": "2024-01-01",
                                    "source": "data/kb/guides_people.jsonl",
                                    "snippet": "1. 居民身份证……",
                                }
                            ],
                            "answer_status": "answered",
                        }
                    ],
                }
            ]
        }
    }


class BotMessage(BaseModel):
    """One message an action sends (Rasa's `custom` JSON), or one of Rasa's own responses."""

    text: str = ""
    buttons: list[Button] = []
    sources: list[SourceOut] = []
    answer_status: str | None = None  # the answer pipeline's status, for the transcript and the operators
    confidence: float | None = None
    handoff: bool = False  # a person should take over: the conversation starts waiting
    department: str = ""  # with `handoff` or a work order: the department decided for it
    work_order: str = ""  # the tracking number of a work order just created

    @classmethod
    def from_rasa(cls, message: dict) -> BotMessage:
        """A message of Rasa's REST channel: an action's `custom` object, or a domain response."""
        body = message.get("custom") if isinstance(message.get("custom"), dict) else message
        return cls(
            text=str(body.get("text") or ""),
            buttons=body.get("buttons") or [],
            sources=body.get("sources") or [],
            **{k: body[k] for k in ("answer_status", "confidence", "handoff", "department", "work_order") if body.get(k) is not None},
        )

    def reply(self) -> Reply:
        return Reply(text=self.text, buttons=self.buttons, sources=self.sources, answer_status=self.answer_status)

    def transcript_payload(self) -> dict:
        """What the transcript keeps of it besides the text."""
        payload = {"sources": [s.model_dump() for s in self.sources], "buttons": [b.model_dump() for b in self.buttons]}
        payload.update({k: v for k, v in (("answer_status", self.answer_status), ("confidence", self.confidence)) if v is not None})
        return payload
