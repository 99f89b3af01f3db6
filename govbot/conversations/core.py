"""`Conversations`: the one entry point of every channel and of the operators' console."""

from __future__ import annotations

import asyncio
import contextlib

from govbot.conversations.sessions import ChatSessions
from govbot.conversations import routing, transitions
from govbot.conversations.rasa import RasaClient
from govbot.conversations.replies import BotMessage, ChatResponse
from govbot.conversations.turn import ConversationBusy, turn
from govbot.records import Records
from govbot.settings import Settings


class Conversations:
    def __init__(self, settings: Settings, kb, records: Records, rasa: RasaClient):
        self.settings, self.kb, self.records, self.rasa = settings, kb, records, rasa
        self.web_sessions = ChatSessions(records.engine, settings.chat_session_idle_minutes)
        self.in_flight = 0  # citizen turns this process is working on (see `admitted`)

    # --- citizens (every channel) --------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def admitted(self):
        """Load shedding: at most `max_pending_turns` citizen turns at once in this process; one more
        raises ConversationBusy at once (the channel answers "try again shortly") instead of queueing
        behind the others into Rasa's timeout. A channel enters it before any other work of a turn."""
        if self.in_flight >= self.settings.max_pending_turns:
            raise ConversationBusy(f"{self.in_flight} turns in progress")
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def turn(self, session_id: str, text: str | None = None, payload: str | None = None, channel: str = "web") -> ChatResponse:
        """One citizen turn (`turn.py`); raises `ConversationUnavailable` when Rasa is down."""
        return await turn(self, session_id, text, payload, channel)

    async def hand_off(self, session_id: str, said: list[BotMessage], typed: bool) -> str:
        """The bot hands the conversation to a person: it waits in its department's queue."""
        department = await asyncio.to_thread(routing.for_handoff, self.kb, self.records, session_id, said, typed)  # retrieval
        self.records.set_status(session_id, "waiting", department=department)
        return department

    # --- operators ------------------------------------------------------------------------------
    async def claim(self, conversation: dict, operator: str) -> None:
        await transitions.claim(self, conversation, operator)

    def say(self, conversation: dict, operator: str, text: str) -> int:
        return transitions.say(self, conversation, operator, text)

    async def release(self, conversation: dict, operator: str, seen_seq: int | None = None) -> None:
        await transitions.release(self, conversation, operator, seen_seq)

    def transfer(self, conversation: dict, operator: str, department: str, *, supervisor: bool = False) -> None:
        transitions.transfer(self, conversation, operator, department, supervisor=supervisor)

    def departments(self) -> list[str]:
        """Where an operator may transfer a conversation (the directory's departments, the centre)."""
        return routing.departments(self.kb, self.settings.hotline_number)

    def department_for(self, text: str):
        return routing.for_text(self.kb, text)
