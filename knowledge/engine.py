"""The knowledge engine's one entry point: store + index + answer pipeline, kept in step.

Every process that answers holds one `Knowledge`. Before answering it compares the store's
change counter with the one its index has applied (one cheap query) and applies what changed,
so publishing, abolishing or editing an item is reflected at once in every process.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, timezone
from pathlib import Path

from govbot.settings import Settings, get_settings
from knowledge.answer.pipeline import AnswerPipeline
from knowledge.answer.types import Answer, Department
from knowledge.embeddings import load_embeddings
from knowledge.index.hybrid import HybridIndex
from knowledge.ingest.service import IngestOptions, IngestReport, ingest_paths
from knowledge.models.e5_build import MARKER
from knowledge.pii import mask
from knowledge.store import ContentStore, open_store

log = logging.getLogger("govbot.knowledge")


class Knowledge:
    def __init__(self, settings: Settings | None = None, composer=None):
        self.settings = (settings or get_settings()).ensure_dirs()
        if composer is None and self.settings.llm_enabled:
            from knowledge.answer.llm import LlmComposer
            composer = LlmComposer.from_settings(self.settings)
        self.store: ContentStore = open_store(self.settings)
        self.embeddings = load_embeddings(str(self.settings.model_dir), self.settings.embed_batch_size)
        self.model_id = _model_id(self.settings.model_dir)
        self.index = HybridIndex.load(self.settings.index_dir, self.embeddings, self.model_id)
        self.pipeline = AnswerPipeline(self.index, self.embeddings, self.settings, composer)
        self._lock = threading.RLock()
        self.refresh()

    # --- keeping the index in step with the store -------------------------------------------
    def refresh(self, progress=None) -> int:
        """Apply store changes to the index; returns how many items changed."""
        with self._lock:
            return self.index.sync(self.store, progress)

    def save_index(self) -> None:
        with self._lock:
            self.index.save(self.settings.index_dir)

    # --- ingestion ----------------------------------------------------------------------------
    def ingest(self, paths: list[Path], options: IngestOptions | None = None, progress=None,
               index_progress=None) -> IngestReport:
        report = ingest_paths(self.store, paths, options or IngestOptions(), progress)
        self.refresh(index_progress)
        self.save_index()
        return report

    # --- answering ----------------------------------------------------------------------------
    def ask(self, question: str, *, context_key: str = "", today: date | None = None) -> Answer:
        with self._lock:
            self.refresh()
            answer = self.pipeline.answer(question, context_key=context_key, today=today)
        self._log(answer)
        return answer

    def department_for(self, text: str) -> Department:
        with self._lock:
            self.refresh()
            return self.pipeline.department(text)

    def suggest(self, text: str, n: int = 3) -> list[Answer]:
        with self._lock:
            self.refresh()
            return self.pipeline.suggestions(text, n)

    def _log(self, answer: Answer) -> None:
        """Questions are kept (masked) for the knowledge-gaps inbox and analytics."""
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "question": mask(answer.question), "status": answer.status.value,
                  "confidence": round(answer.confidence, 3), "item": answer.item_key}
        try:
            with open(self.settings.log_dir / "questions.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:  # logging must never cost a citizen an answer
            log.warning("question log not written: %s", exc)

    def close(self) -> None:
        self.store.close()


def _model_id(model_dir: Path) -> str:
    marker = Path(model_dir) / MARKER
    return marker.read_text(encoding="utf-8") if marker.exists() else str(model_dir)
