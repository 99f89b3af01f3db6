"""Record whether the last answer helped, with the question and the sources shown."""

from __future__ import annotations

from rasa_sdk import Action, Tracker

from actions.context import records


class ActionFeedback(Action):
    def name(self) -> str:
        return "action_feedback"

    def run(self, dispatcher, tracker: Tracker, domain) -> list:
        helpful = tracker.latest_message.get("intent", {}).get("name") == "feedback_positive"
        last = tracker.get_slot("last_answer") or {}
        records().add_feedback(
            conversation_id=tracker.sender_id,
            helpful=helpful,
            question=tracker.get_slot("last_question") or "",
            answer=last.get("answer", ""),
            sources=last.get("sources", []),
        )
        dispatcher.utter_message(response="utter_feedback_positive" if helpful else "utter_feedback_negative")
        return []
