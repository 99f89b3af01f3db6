"""Talk to the Rasa server over HTTP (REST channel for messages, HTTP API for tracker events)."""

from __future__ import annotations

import httpx


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time."""


class Overloaded(RasaUnavailable):
    """More turns are waiting for Rasa than it can answer in time: refused at once, not after a timeout."""


class RasaClient:
    """`max_pending`: turns of this process waiting for Rasa at once; one more is refused at once
    (the caller answers 503 with Retry-After) instead of queueing behind the others into a timeout."""

    def __init__(self, base_url: str, timeout_s: float, token: str = "", max_pending: int = 0):
        params = {"token": token} if token else None  # Rasa's --auth-token (its HTTP API checks it)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, params=params)
        self.max_pending, self.pending = max_pending, 0

    async def send(self, sender: str, message: str) -> list[dict]:
        if self.max_pending and self.pending >= self.max_pending:
            raise Overloaded(f"{self.pending} turns already wait for Rasa")
        self.pending += 1
        try:
            response = await self.http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(str(exc)) from exc
        finally:
            self.pending -= 1

    async def resume(self, sender: str) -> None:
        """Un-pause a conversation after a person handled it: the bot listens again."""
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        try:
            response = await self.http.post(f"/conversations/{sender}/tracker/events", json=events)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc)) from exc

    async def pause(self, sender: str) -> None:
        """Stop the bot answering: a person has taken the conversation."""
        try:
            response = await self.http.post(f"/conversations/{sender}/tracker/events", json=[{"event": "pause"}])
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc)) from exc

    async def slots(self, sender: str) -> dict:
        try:
            response = await self.http.get(f"/conversations/{sender}/tracker", params={"include_events": "NONE"})
            response.raise_for_status()
            return response.json().get("slots") or {}
        except (httpx.HTTPError, ValueError):
            return {}

    async def ready(self) -> bool:
        try:
            response = await self.http.get("/status", timeout=3)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    async def close(self) -> None:
        await self.http.aclose()
