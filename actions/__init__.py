"""Rasa SDK custom actions, in the app venv, calling the knowledge engine in-process: hosted by the
API process (`endpoint.py`, the default: the API's own engine) or by their own action server
(`server.py`, `GOVBOT_HOST_ACTIONS=false`)."""

from actions import answer, feedback, handoff, session, workorder  # noqa: F401  (registers the actions)
