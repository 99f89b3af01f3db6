"""Load the reviewable rule files (knowledge/rules/*.yml) once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

RULES = Path(__file__).parent.parent / "rules"


@lru_cache(maxsize=None)
def load(name: str):
    return yaml.safe_load((RULES / name).read_text(encoding="utf-8"))


def reply(name: str, hotline: str, city: str = "", **values: str) -> str:
    text = str(load("replies.yml")[name]).replace("{hotline}", hotline).replace("{city}", city)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text.strip()
