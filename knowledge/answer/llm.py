"""Optional: an LLM rewrites the extractive answer in plain words, and is checked.

Off by default (`GOVBOT_LLM_ENABLED`). Any OpenAI-compatible server works (e.g. a local Qwen via
vLLM or Ollama) through LangChain's ChatOpenAI. The model only sees the question and the
passages already chosen; every sentence it writes must be supported by them (most of its
character pairs and all of its numbers found in the passages), or its text is discarded and the
extractive answer stands. A failing or slow model never costs the citizen the answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from knowledge.answer.types import Answer, Turn
from knowledge.text import char_bigrams, sentences

log = logging.getLogger("govbot.llm")

SYSTEM = (
    "你是城市政务服务便民热线的智能助手。请只依据【材料】回答【问题】，用简洁、礼貌的简体中文，"
    "不超过三句话。不得添加材料中没有的信息、数字、电话或网址；材料不足以回答时，原样输出材料中最相关的句子。"
)
MIN_SUPPORT = 0.6
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def supported(text: str, evidence: str, min_support: float = MIN_SUPPORT) -> bool:
    """Every sentence of `text` is backed by `evidence` (character pairs and numbers)."""
    evidence_pairs = set(char_bigrams(evidence))
    evidence_numbers = set(_NUMBER.findall(evidence))
    parts = sentences(text)
    if not parts:
        return False
    for sentence in parts:
        pairs = char_bigrams(sentence)
        if pairs and sum(p in evidence_pairs for p in pairs) / len(pairs) < min_support:
            return False
        if any(n not in evidence_numbers for n in _NUMBER.findall(sentence)):
            return False
    return True


class LlmComposer:
    def __init__(self, model: BaseChatModel):
        self.model = model

    @classmethod
    def from_settings(cls, settings) -> "LlmComposer":
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            temperature=0,
        )
        return cls(model)

    def rewrite(self, answer: Answer, turn: Turn) -> Answer:
        evidence = answer.answer
        prompt = f"【问题】{turn.raw}\n【材料】{evidence}"
        try:
            reply = self.model.invoke([SystemMessage(SYSTEM), HumanMessage(prompt)])
            text = str(reply.content).strip()
        except Exception as exc:  # the model is optional: any failure keeps the extractive answer
            log.warning("LLM rewrite skipped: %s", exc)
            return answer
        if not supported(text, evidence + "".join(s.title for s in answer.sources)):
            log.info("LLM rewrite rejected as unsupported: %r", text[:80])
            return answer
        return replace(answer, answer=text)
