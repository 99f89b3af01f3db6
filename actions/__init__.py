"""Rasa SDK custom actions. They run in the app venv and call the knowledge engine in-process."""

from actions import answer, feedback, handoff, session, workorder  # noqa: F401  (registers the actions)
from actions.context import warm_up

warm_up()
