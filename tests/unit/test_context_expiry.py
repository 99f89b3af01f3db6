"""Issue 18.1: the service under discussion expires with time (`GOVBOT_CONTEXT_MINUTES`): a
citizen who comes back to the chat an hour later is read afresh (actions/answer.py)."""

from rasa_sdk import Tracker

from actions.answer import slot_in_context
from govbot.settings import Settings

T0 = 1_780_000_000.0  # seconds, as Rasa's event timestamps


def tracker(service: str | None, events: list[dict]) -> Tracker:
    return Tracker("web-1", {"service": service}, {"text": "多少钱"}, events, False, None, {}, "action_listen")


def turn(at: float, service: str = "guide-juzhuzheng") -> list[dict]:
    """A question at `at` and the answer that set the service a second later."""
    return [
        {"event": "user", "timestamp": at, "text": "居住证怎么办理"},
        {"event": "slot", "timestamp": at + 1, "name": "service", "value": service},
    ]


def test_a_recent_service_is_the_context_and_an_old_one_is_not():
    minutes = Settings().context_minutes
    soon = tracker("guide-juzhuzheng", turn(T0) + [{"event": "user", "timestamp": T0 + 60, "text": "多少钱"}])
    assert slot_in_context(soon, minutes) == "guide-juzhuzheng"
    later = tracker("guide-juzhuzheng", turn(T0) + [{"event": "user", "timestamp": T0 + minutes * 60 + 2, "text": "多少钱"}])
    assert slot_in_context(later, minutes) == ""


def test_the_latest_setting_counts_and_no_service_is_none():
    events = turn(T0) + turn(T0 + 3600, "guide-shebaoka") + [{"event": "user", "timestamp": T0 + 3700, "text": "多少钱"}]
    assert slot_in_context(tracker("guide-shebaoka", events), 30) == "guide-shebaoka"
    assert slot_in_context(tracker(None, [{"event": "user", "timestamp": T0, "text": "多少钱"}]), 30) == ""
