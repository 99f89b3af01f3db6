"""What every action needs: the knowledge engine and the operational records, one per process."""

from __future__ import annotations

import logging
import os

from govbot.records import Records, records_for
from govbot.settings import get_settings
from govbot.engine import shared_knowledge
from knowledge.engine import Knowledge

log = logging.getLogger("govbot.actions")


def knowledge() -> Knowledge:
    """The process's engine: the API's own when the API hosts the actions (`actions/endpoint.py`)."""
    return shared_knowledge(get_settings())


def records() -> Records:
    return records_for(get_settings())


def warm_up() -> None:
    """Load the model and index when the action server starts, not on the first citizen's turn."""
    if os.environ.get("GOVBOT_ACTIONS_LAZY") != "1":
        kb = knowledge()
        log.info("knowledge engine ready: %d passages", len(kb.index))
