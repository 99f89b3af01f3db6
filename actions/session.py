"""A new conversation starts with the city's name and hotline number in its slots, so that the
canned replies of the domain (`{city_name}`, `{hotline_number}`) name them from settings."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from govbot.settings import get_settings


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        settings = get_settings()  # slots are not carried over (session_config), as Rasa's own does
        return [
            SessionStarted(),
            SlotSet("city_name", settings.city_name),
            SlotSet("hotline_number", settings.hotline_number),
            ActionExecuted("action_listen"),
        ]
