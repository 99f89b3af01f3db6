"""Request and response bodies of the public HTTP API (the stable contract)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from govbot.conversations.replies import Button, ChatResponse, Reply, SourceOut

__all__ = ["Button", "ChatRequest", "ChatResponse", "ChatSession", "History", "HistoryMessage", "Reply", "SourceOut", "SESSION_ID"]

SESSION_ID = r"^[A-Za-z0-9_\-:.@]{1,100}$"

# ids, versions and sequence numbers: a 32-bit INTEGER in every database (a bigger number is a 422,
# not an overflow inside the driver)
MAX_INT = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_INT)]
Seq = Annotated[int, Field(ge=0, le=MAX_INT)]
PathId = Annotated[int, Path(ge=1, le=MAX_INT)]


class ChatSession(BaseModel):
    session_id: str = Field(description="会话标识（服务器签发）")
    token: str = Field(description="会话令牌：之后的请求放在 X-Session-Token 头中；只给持有者，请勿写入网址")


class ChatRequest(BaseModel):
    session_id: str = Field(pattern=SESSION_ID, description="会话标识：POST /api/chat/sessions 签发，并在 X-Session-Token 头中带上其令牌")
    text: str | None = Field(None, max_length=10_000, description="市民输入的文字（超过 1000 字时机器人请市民精简）")
    payload: str | None = Field(None, max_length=300, description="按钮的 payload（点击按钮时代替 text）")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"session_id": "web-3f2a9c", "text": "居住证怎么办理？"},
                {"session_id": "web-3f2a9c", "payload": '/choose_service{"service_key": "guide-juzhuzheng"}'},
            ]
        }
    }


class HistoryMessage(BaseModel):
    seq: int
    role: Literal["citizen", "bot", "operator"]
    text: str
    sources: list[SourceOut] = []
    time: str
    answer_status: str | None = None  # a bot answer's status (answered, clarify, no_answer, handoff, refused)
    event: str | None = None  # a bot message that tells a change of service: claimed, released, transferred


class History(BaseModel):
    messages: list[HistoryMessage]

    @classmethod
    def of(cls, rows) -> History:
        """The transcript rows (`govbot.records.Message`) as the API shows them."""
        return cls(
            messages=[
                HistoryMessage(
                    seq=m.seq,
                    role=m.role,
                    text=m.text,
                    sources=m.payload.get("sources", []),
                    time=m.time,
                    answer_status=m.payload.get("answer_status"),
                    event=m.payload.get("event"),
                )
                for m in rows
            ]
        )
