"""Talk to the Rasa server over HTTP (REST channel for messages, HTTP API for tracker events)."""

from __future__ import annotations

import httpx


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time."""


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float, token: str = ""):
        params = {"token": token} if token else None  # Rasa's --auth-token (its HTTP API checks it)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, params=params)

    async def send(self, sender: str, message: str) -> list[dict]:
        try:
            response = await self.http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(str(exc)) from exc

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
