"""The knowledge engine's one entry point: store + index + answer pipeline, kept in step.

Every process that answers holds one `Knowledge`. Before answering it compares the store's
change counter with the one its index has applied (one cheap query) and applies what changed,
so publishing, abolishing or editing an item is reflected at once in every process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from datetime import date
from pathlib import Path

from knowledge.answer.pipeline import AnswerPipeline, fallback_department, pressed_question
from knowledge.answer.types import Answer, AnswerStatus, Department
from knowledge.cases import situation_of
from knowledge.content import Item, ItemDraft, Kind, Status
from knowledge.embeddings import load_embeddings
from knowledge.index.hybrid import HybridIndex
from knowledge.index.sentences import answer_sentences
from knowledge.index.vector_cache import CachedPassageEncoder, VectorCache
from knowledge.ingest.service import IngestOptions, IngestReport, ingest_paths
from knowledge.models.e5_build import MARKER
from knowledge.passages import item_passages
from knowledge.dispatch.decide import Entry, dispatch
from knowledge.dispatch.model import NONE, DispatchModel
from knowledge.dispatch.model import SHIPPED as DISPATCH_SHIPPED
from knowledge.pii import redact
from knowledge.reader.model import SHIPPED, Reader
from knowledge.text import normalize
from knowledge.settings import KnowledgeSettings
from knowledge.store import ContentStore, open_store

log = logging.getLogger("govbot.knowledge")
BIG_CHANGE = 200  # changed items from which a sync runs in the background (see catch_up)


@dataclass(frozen=True)
class AnswerRecord:
    """One answer given to a citizen, as `Knowledge.on_answer` receives it. The question is as the
    citizen wrote it: whoever keeps it must mask it (govbot's question log does)."""

    question: str
    status: str
    confidence: float
    item_id: int | None
    item_key: str
    item_title: str
    department: str
    routed_department: str
    channel: str
    conversation_id: str


class Knowledge:
    """`on_answer(record)`: called after every answer to a citizen (`ask`) with what the answer
    was (`AnswerRecord`), for whoever keeps a log of them (govbot's question log); a failing hook
    is logged, never raised."""

    def __init__(self, settings: KnowledgeSettings | None = None, composer=None, on_answer: Callable[["AnswerRecord"], None] | None = None):
        self.settings = (settings or KnowledgeSettings()).ensure_dirs()
        self.on_answer = on_answer
        if composer is None and self.settings.llm_enabled:
            from knowledge.answer.llm import LlmComposer

            composer = LlmComposer.from_settings(self.settings)
        self.store: ContentStore = open_store(self.settings)
        self.embeddings = load_embeddings(str(self.settings.model_dir), self.settings.embed_batch_size)
        self.model_id = _model_id(self.settings.model_dir)
        self.index = HybridIndex.load(self.settings.index_dir, self.embeddings, self.model_id)
        self.vectors = VectorCache(self.store.engine, self.model_id)
        self.index.encode_passages = CachedPassageEncoder(self.embeddings, self.vectors)
        self._composer = composer
        self._lock = threading.RLock()  # the index: held while answering and while applying changes
        self._syncing = threading.Lock()  # one sync at a time
        rebuilt = self.index.synced_seq == 0  # no saved index that fits (new home, new format or model)
        if self.refresh() and rebuilt:
            self._save_quietly()  # so the next process starts from it instead of rebuilding too

    @cached_property
    def reader(self) -> Reader:
        """The answer reader, loaded on first use (ingesting needs none); `serve` loads it at
        start, so a missing or corrupt model stops it with the file's name."""
        return Reader.load(reader_folder(self.settings)).attach(self.embeddings)

    @cached_property
    def pipeline(self) -> AnswerPipeline:
        return AnswerPipeline(self.index, self.embeddings, self.settings, self.reader, self._composer)

    # --- keeping the index in step with the store -------------------------------------------
    def refresh(self, progress=None, embedded=None) -> int:
        """Apply store changes to the index; returns how many items changed.

        `embedded(done, total)` is told how far the embedding of a big change has got."""
        with self._syncing:
            pending = self._pending()
            if pending and len(pending) >= BIG_CHANGE:
                self._embed_ahead(pending, embedded)  # the slow part, without holding up the answers
            with self._lock:
                return self.index.sync(self.store, progress)

    def catch_up(self) -> None:
        """Before answering: apply small changes now. A big change (a bulk import) is embedded in
        a background thread while answers go on from the current index, with the changed items
        taken out of it at once: during that time they get "no answer" rather than a stale one."""
        pending = self._pending()
        if not pending:
            return
        if len(pending) < BIG_CHANGE:
            self.refresh()
            return
        with self._lock:
            self.index.remove_many(pending)
        if not self._syncing.locked():
            threading.Thread(target=self.refresh, name="index-sync", daemon=True).start()

    def _pending(self) -> list[int]:
        with self._lock:  # the cursor changes while a sync applies
            rows, _ = self.index.pending(self.store)
        return sorted({item for _, item in rows})

    def _embed_ahead(self, item_ids: list[int], embedded=None) -> None:
        self.embed(self.store.live_items(item_ids), embedded)

    def embed(self, items: list[ItemDraft], embedded=None) -> None:
        """Leave the passage vectors of the published `items` in the vector cache shared by every
        replica (before they are saved: then every index applies them as soon as they are
        committed, without embedding them again). `embedded(done, total)` is told how far it got."""
        live = [item if isinstance(item, Item) else Item(**vars(item)) for item in items if item.status == Status.PUBLISHED]
        passages = [p for item in live for p in item_passages(item)]
        texts = [p.index_text for p in passages]
        texts += [s for p in passages for s in answer_sentences(p)]
        for start in range(0, len(texts), 256):
            self.index.encode_passages(texts[start : start + 256])
            if embedded:
                embedded(min(start + 256, len(texts)), len(texts))

    def save_index(self) -> None:
        with self._lock:
            self.index.save(self.settings.index_dir)

    def _save_quietly(self) -> None:
        """Save unless another process is saving the same index right now (theirs is as good)."""
        try:
            self.save_index()
        except OSError as exc:
            log.info("index not saved (another process is saving it): %s", exc)

    # --- ingestion ----------------------------------------------------------------------------
    def ingest(self, paths: list[Path], options: IngestOptions | None = None, progress=None, index_progress=None) -> IngestReport:
        report = ingest_paths(self.store, paths, options or IngestOptions(), progress)
        self.refresh(index_progress)
        self.save_index()
        return report

    # --- answering ----------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        context_key: str = "",
        pending: str = "",
        situation: str = "",
        today: date | None = None,
        channel: str = "",
        conversation_id: str = "",
    ) -> Answer:
        """`context_key`: the service under discussion; `pending`: the question just asked back
        about; `situation`: what the citizen said of themselves before (`AnswerPipeline.answer`)."""
        self.catch_up()
        with self._lock:
            answer = self.pipeline.answer(question, context_key=context_key, pending=pending, situation=situation, today=today)
        self.report(answer, channel=channel, conversation_id=conversation_id)
        return answer

    @cached_property
    def dispatcher(self) -> DispatchModel:
        """The dispatch model, loaded on first use; `serve` loads it at start (a missing or corrupt
        file stops it with the file's name and the command that rebuilds it)."""
        return DispatchModel.load(dispatch_folder(self.settings))

    def directory(self) -> list[Entry]:
        """The published directory entries (the department registry), as the dispatch model reads them."""
        entries = []
        for item in self.store.items(status=Status.PUBLISHED, kind=Kind.HOTLINE):
            fields = item.fields or {}
            entries.append(Entry(item.key, item.title, str(fields.get("handles") or ""), str(fields.get("phone") or "")))
        return entries

    def department_for(self, text: str) -> Department:
        """Where what a citizen or caller says is dispatched (`knowledge.dispatch`); personal data
        is removed before the model reads it."""
        clean = normalize(redact(text)).strip()
        centre = fallback_department(self.settings.hotline_number)
        if not clean:
            return Department("", "没有需要派单的具体诉求", key=NONE)
        vector = self.embeddings.encode([clean], "query: ")[0]
        return dispatch(self.dispatcher, self.directory(), clean, vector, self.settings.hotline_number, centre)

    def probe(self, question: str, threshold: float | None = None, context_key: str = "", pending: str = "", situation: str = "") -> Answer:
        """Answer for a check (gold questions, tests, the operator's assist), not for a citizen:
        nothing is logged. `threshold`: another bar than the configured one (0: the best candidate,
        however unsure)."""
        self.catch_up()
        with self._lock:
            return self.pipeline.answer(question, threshold=threshold, context_key=context_key, pending=pending, situation=situation)

    def state_for(self, earlier: list[str], choose: Callable[[Answer], str] | None = None) -> tuple[str, str]:
        """(the service under discussion, the question asked back about) after what was said so far
        (a call's earlier notes), carried from answer to answer as the chat carries them: the item
        an answer came from, or the service a question we could not answer named; the question of
        a clarify, or of an answer that asked which case applies, which the next message may
        complete. `choose`: the choice the citizen presses when a message was asked back about
        (the key of one of its options, "" for none), answered as the chat answers a pressed
        choice (`actions/answer.py`)."""
        context, pending = "", ""
        for i, text in enumerate(earlier):
            if not text.strip():
                continue
            situation = situation_of(earlier[:i])
            answer = self.probe(text, context_key=context, pending=pending, situation=situation)
            key = choose(answer) if choose is not None and answer.status == AnswerStatus.CLARIFY else ""
            chosen = self.index.item_id(key) if key else None
            if chosen is not None:
                question = pressed_question(self.index.meta[chosen].title, answer.question)
                answer = self.probe(question, context_key=key, situation=situation)
                context = key
            pending = answer.question if answer.waits_for_choice else ""
            if answer.status == AnswerStatus.ANSWERED:
                context = answer.item_key
            elif answer.topic_key:
                context = answer.topic_key
        return context, pending

    def context_for(self, earlier: list[str]) -> str:
        """The service under discussion after what was said so far (`state_for`)."""
        return self.state_for(earlier)[0]

    def what_if(self, item_id: int, candidate: Item | None, questions: list[str]) -> list[tuple[Answer, Answer]]:
        """Answers to `questions` now and with `candidate` as the live version of `item_id`
        (None: with the item gone). The index is put back before anyone else may answer."""
        self.catch_up()
        with self._lock:
            before = [self.pipeline.answer(q) for q in questions]
            self.index.remove(item_id)
            try:
                if candidate is not None:
                    self.index.upsert([replace(candidate, status=Status.PUBLISHED)])
                after = [self.pipeline.answer(q) for q in questions]
            finally:
                self.index.remove(item_id)
                self.index.upsert(self.store.live_items([item_id]))
        return list(zip(before, after))

    def suggest(self, text: str, n: int = 3, context_key: str = "", situation: str = "") -> list[Answer]:
        self.catch_up()
        with self._lock:
            return self.pipeline.suggestions(text, n, context_key=context_key, situation=situation)

    def report(self, answer: Answer, *, channel: str = "", conversation_id: str = "") -> None:
        """An answer given to a citizen, for `on_answer` (`ask` reports its own; an answer found by
        `probe` and then given is reported here): its item, or for a refusal where the question
        would be dispatched (the dispatch model's department; "" for a greeting, the centre when
        unsure)."""
        if self.on_answer is None:
            return
        try:
            source = next((s for s in answer.sources if s.key and s.key == answer.item_key), None)
            routed = ""
            if source is None and answer.status in (AnswerStatus.NO_ANSWER, AnswerStatus.CLARIFY):
                routed = self.department_for(answer.question).name
            self.on_answer(
                AnswerRecord(
                    question=answer.question,
                    status=answer.status.value,
                    confidence=answer.confidence,
                    item_id=source.id if source else None,
                    item_key=answer.item_key,
                    item_title=source.title if source else "",
                    department=source.department if source else "",
                    routed_department=routed,
                    channel=channel,
                    conversation_id=conversation_id,
                )
            )
        except Exception as exc:  # noqa: BLE001 - a log must never cost a citizen an answer
            log.warning("answer not reported: %s", exc)

    def close(self) -> None:
        self.store.close()


def dispatch_folder(settings: KnowledgeSettings) -> Path:
    """The dispatch model in use: one trained for this home (`govbot train-dispatch --home`), else the shipped one."""
    own = settings.home / "dispatch"
    return own if (own / "card.json").exists() else DISPATCH_SHIPPED


def reader_folder(settings: KnowledgeSettings) -> Path:
    """The reader model in use: the configured one, else one trained for this home
    (`govbot train-reader --home`), else the shipped one."""
    if settings.reader_dir:
        return Path(settings.reader_dir)
    own = settings.home / "reader"
    return own if (own / "card.json").exists() else SHIPPED


def _model_id(model_dir: Path) -> str:
    marker = Path(model_dir) / MARKER
    return marker.read_text(encoding="utf-8") if marker.exists() else str(model_dir)
