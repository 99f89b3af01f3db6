"""Request and response bodies of the public HTTP API (the stable contract)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SESSION_ID = r"^[A-Za-z0-9_\-:.@]{1,100}$"


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


class ChatResponse(BaseModel):
    session_id: str
    status: Literal["bot", "waiting", "human"]
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
                        }
                    ],
                }
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
