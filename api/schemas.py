"""Request and response bodies of the public HTTP API (the stable contract)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from govbot.conversations.replies import Button, ChatResponse, Reply, SourceOut

__all__ = ["Button", "ChatRequest", "ChatResponse", "History", "HistoryMessage", "Reply", "SourceOut", "SESSION_ID"]

SESSION_ID = r"^[A-Za-z0-9_\-:.@]{1,100}$"


class ChatRequest(BaseModel):
    session_id: str = Field(pattern=SESSION_ID, description="会话标识，由渠道生成并在整个会话中保持不变")
    text: str | None = Field(None, description="市民输入的文字")
    payload: str | None = Field(None, description="按钮的 payload（点击按钮时代替 text）")

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


class History(BaseModel):
    messages: list[HistoryMessage]
