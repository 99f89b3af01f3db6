"""Hybrid retrieval: BM25 and dense ranks fused with reciprocal rank fusion, filtered by item.

The index holds the passages of published items only. Whether an item is in force (effective
and expiry dates), its region and department are checked at query time from `ItemMeta`, so
content leaves or enters the answers the moment its dates say, with no re-indexing.
The index follows the store's change log (`sync`) and persists under $GOVBOT_HOME/index.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from knowledge.content import Item, Status, in_window
from knowledge.embeddings import E5Embeddings
from knowledge.index.cursor import ChangeCursor
from knowledge.index.dense import DenseIndex
from knowledge.index.lexical import BM25Index
from knowledge.index.sentences import SentenceVectors
from knowledge.passages import Passage, item_passages
from knowledge.store.base import ContentStore
from knowledge.text import char_bigrams, title_words, tokenize

FORMAT_VERSION = 2  # 2: sentence vectors of documents
# a Q&A's question at least this close (cosine) to a guide's passages on average belongs to it
# (measured on the sample KB: every Q&A's own guide scores >= 0.86; see bench/results)
SERVICE_MIN_COSINE = 0.85


@dataclass(frozen=True)
class ItemMeta:
    item_id: int
    key: str
    kind: str
    title: str
    department: str
    region: str
    effective_date: date | None
    expiry_date: date | None
    doc_number: str = ""
    doc_date: date | None = None
    source: str = ""

    def in_force(self, today: date) -> bool:
        return in_window(self.effective_date, self.expiry_date, today)


@dataclass
class Filters:
    today: date
    region: str | None = None  # a district named in the question: other districts' content is left out


@dataclass
class Hit:
    """One item found, with its matched passages (best first) and the raw signals."""

    meta: ItemMeta
    score: float
    passages: list[tuple[Passage, float]] = field(default_factory=list)
    lexical: float = 0.0  # best BM25 score of its passages
    dense: float = 0.0  # best cosine of its passages
    fit: float = 0.0  # how well it fits the question (set when reranked)

    @property
    def best(self) -> Passage:
        return self.passages[0][0]


def lexical_tokens(text: str) -> list[str]:
    return tokenize(text) + char_bigrams(text)


class HybridIndex:
    def __init__(self, embeddings: E5Embeddings, model_id: str = ""):
        self.embeddings = embeddings
        self.model_id = model_id
        self.lexical = BM25Index()
        self.dense = DenseIndex(embeddings)
        self.sentences = SentenceVectors()  # of document passages: what their answers quote
        self.passages: dict[str, Passage] = {}
        self.item_pids: dict[int, list[str]] = {}
        self.meta: dict[int, ItemMeta] = {}
        self._id_of_key: dict[str, int] = {}  # item key -> item id, kept with `meta`
        self.cursor = ChangeCursor()  # where this index stands in the store's change log
        self.encode_passages = None  # texts -> vectors through a shared cache (vector_cache.py); None: embed here
        self._districts: set[str] | None = None
        self._speller = None
        self._service_words: set[str] | None = None
        self._service_of: dict[int, int | None] | None = None
        self._guide_vectors: dict[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.passages)

    # --- updating ----------------------------------------------------------------------------
    def upsert(self, items: list[Item], progress=None) -> None:
        """Index the passages of published items (replacing older ones); drop all others.

        `progress` is tqdm-like: its `total` is set to the passage count, `update(n)` is called.
        """
        self.remove_many([item.id for item in items])
        self._districts = self._speller = self._service_words = self._service_of = self._guide_vectors = None
        live = [item for item in items if item.status == Status.PUBLISHED]
        batch: list[Passage] = []
        for item in live:
            self.meta[item.id] = ItemMeta(
                item.id,
                item.key,
                item.kind.value,
                item.title,
                item.department,
                item.region,
                item.effective_date,
                item.expiry_date,
                item.doc_number,
                item.doc_date,
                item.source,
            )
            self._id_of_key[item.key] = item.id
            passages = item_passages(item)
            self.item_pids[item.id] = [p.pid for p in passages]
            batch.extend(passages)
        if progress is not None:
            progress.total = len(batch)
            progress.refresh()
        step = 256
        for start in range(0, len(batch), step):
            part = batch[start : start + step]
            for passage in part:
                self.passages[passage.pid] = passage
                self.lexical.add(passage.pid, lexical_tokens(passage.index_text))
            texts = [p.index_text for p in part]
            self.dense.add([p.pid for p in part], texts, self.passage_vectors(texts))
            self.sentences.add(part, self.passage_vectors)
            if progress is not None:
                progress.update(len(part))

    def passage_vectors(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts` as passages (through the shared vector cache when there is one)."""
        return self.encode_passages(texts) if self.encode_passages else self.embeddings.encode(texts, "passage: ")

    def remove(self, item_id: int) -> None:
        self.remove_many([item_id])

    def remove_many(self, item_ids) -> None:
        gone = [item_id for item_id in item_ids if item_id in self.meta or item_id in self.item_pids]
        pids = [pid for item_id in gone for pid in self.item_pids.pop(item_id, [])]
        for pid in pids:
            self.lexical.remove(pid)
            self.passages.pop(pid, None)
        self.dense.remove(pids)
        self.sentences.remove(pids)
        for item_id in gone:
            meta = self.meta.pop(item_id, None)
            if meta is not None and self._id_of_key.get(meta.key) == item_id:
                del self._id_of_key[meta.key]
        if gone:
            self._districts = self._speller = self._service_words = self._service_of = self._guide_vectors = None

    @property
    def synced_seq(self) -> int:
        """The change-log number up to which every change is applied (0: nothing yet)."""
        return self.cursor.low

    def pending(self, store: ContentStore) -> tuple[list[tuple[int, int]], bool]:
        """(change number, item id) rows not applied yet, and whether the index starts over (the
        store went backwards: a new database)."""
        last = store.last_change()
        if self.cursor.settled(last):
            return [], False
        if last < self.cursor.low:
            return [(0, item.id) for item in store.items()] + store.changes_after(0), True
        return self.cursor.new(store.changes_after(self.cursor.low)), False

    def sync(self, store: ContentStore, progress=None) -> int:
        """Apply the store's changes not applied yet. Returns how many items changed."""
        rows, restart = self.pending(store)
        if restart:
            encoder = self.encode_passages
            self.__init__(self.embeddings, self.model_id)
            self.encode_passages = encoder
        changed = sorted({item for _, item in rows if item})
        if changed:
            items = store.live_items(ids=changed)
            self.remove_many(set(changed) - {item.id for item in items})
            self.upsert(items, progress)
        self.cursor.advance([seq for seq, _ in rows if seq])
        return len(changed)

    # --- searching ----------------------------------------------------------------------------
    def allowed(self, meta: ItemMeta, filters: Filters) -> bool:
        if not meta.in_force(filters.today):
            return False
        if filters.region:
            return filters.region in meta.region or not self.names_a_district(meta.region)
        return True

    def item_id(self, key: str) -> int | None:
        return self._id_of_key.get(key)

    def item_text(self, item_id: int) -> str:
        """The item's title and all its indexed passages."""
        pids = self.item_pids.get(item_id, [])
        return "\n".join([self.meta[item_id].title] + [self.passages[p].index_text for p in pids])

    def districts(self) -> set[str]:
        """District names: the part of a region that extends another region (示例市 → 示例市城东区)."""
        if self._districts is None:
            regions = {m.region for m in self.meta.values() if m.region}
            self._districts = {r[len(p) :] for r in regions for p in regions if r != p and r.startswith(p)}
        return self._districts

    def service_words(self) -> set[str]:
        """The distinctive words of service-guide titles (居住证, 公积金 …): what names a service."""
        if self._service_words is None:
            self._service_words = (
                set().union(*(title_words(m.title) for m in self.meta.values() if m.kind == "guide")) if self.meta else set()
            )
        return self._service_words

    def service_of(self, item_id: int) -> int | None:
        """The service guide an item belongs to: itself for a guide; for a Q&A the guide whose
        passages are closest in meaning to the Q&A's question (its district's own guide if it has
        one); for other items the citywide guide whose name shares the most distinctive words."""
        if self._service_of is None:
            self._service_of = {}
        if item_id not in self._service_of:
            meta = self.meta.get(item_id)
            if meta is None:
                found = None
            elif meta.kind == "guide":
                found = item_id
            else:
                found = (self._closest_guide_by_meaning(meta) if meta.kind == "qa" else None) or self._closest_guide(meta.title)
            self._service_of[item_id] = found
        return self._service_of[item_id]

    def service_members(self, guide_id: int) -> list[int]:
        """The Q&As of a service (those whose `service_of` is this guide), in item order."""
        return [
            m.item_id
            for m in sorted(self.meta.values(), key=lambda m: m.item_id)
            if m.kind == "qa" and self.service_of(m.item_id) == guide_id
        ]

    def _guide_centroids(self) -> dict[int, np.ndarray]:
        if self._guide_vectors is None:
            self._guide_vectors = {}
            for meta in self.meta.values():
                if meta.kind == "guide":
                    _, matrix = self.dense.vectors(self.item_pids.get(meta.item_id, []))
                    if len(matrix):
                        self._guide_vectors[meta.item_id] = matrix.mean(axis=0)
        return self._guide_vectors

    def _closest_guide_by_meaning(self, meta: ItemMeta) -> int | None:
        _, own = self.dense.vectors(self.item_pids.get(meta.item_id, [])[:1])  # its question
        if not len(own):
            return None
        best, best_score = None, SERVICE_MIN_COSINE
        for guide_id, centroid in self._guide_centroids().items():
            region = self.meta[guide_id].region
            if self.names_a_district(region) and not (meta.region and (region in meta.region or meta.region in region)):
                continue  # another district's guide
            score = float(centroid @ own[0])
            if score > best_score:
                best, best_score = guide_id, score
        return best

    def _closest_guide(self, text: str) -> int | None:
        """The citywide guide whose name shares the most distinctive words with `text`."""
        words = set(tokenize(text))
        best, best_score = None, (0, 0)
        for meta in sorted(self.meta.values(), key=lambda m: m.item_id):
            if meta.kind != "guide" or self.names_a_district(meta.region):
                continue
            shared = title_words(meta.title) & words
            score = (len(shared), sum(map(len, shared)))
            if score > best_score:
                best, best_score = meta.item_id, score
        return best

    def speller(self):
        """Homophone repair against the words of the indexed titles and the colloquial words of
        rules/terms.yml (设保卡 -> 社保卡), rebuilt after changes."""
        if self._speller is None:
            from knowledge.spelling import Speller
            from knowledge.text import colloquial_terms

            words = [m.title for m in self.meta.values()] + [word for word, _ in colloquial_terms()]
            self._speller = Speller(words, set(self.lexical.postings))
        return self._speller

    def names_a_district(self, region: str) -> bool:
        return any(d in region for d in self.districts()) if region else False

    def search(
        self,
        text: str,
        query_vector: np.ndarray,
        filters: Filters,
        *,
        lexical_k: int = 50,
        dense_k: int = 50,
        rrf_k: int = 60,
        weights: tuple[float, float] = (1.0, 1.0),
    ) -> list[Hit]:
        wide = 4 if filters.region else 1  # room for what the filter leaves out
        lexical = self.lexical.search(lexical_tokens(text), lexical_k * wide)
        dense = self.dense.search(query_vector, dense_k * wide)
        fused: dict[str, float] = {}
        signals: dict[str, list[float]] = {}
        for w, ranking, slot in ((weights[0], lexical, 0), (weights[1], dense, 1)):
            rank = 0
            for pid, score in ranking:
                passage = self.passages.get(pid)
                if passage is None or not self.allowed(self.meta[passage.item_id], filters):
                    continue
                rank += 1
                fused[pid] = fused.get(pid, 0.0) + w / (rrf_k + rank)
                signals.setdefault(pid, [0.0, 0.0])[slot] = score
        hits: dict[int, Hit] = {}
        for pid, score in sorted(fused.items(), key=lambda kv: -kv[1]):
            passage = self.passages[pid]
            hit = hits.get(passage.item_id)
            if hit is None:
                hit = hits[passage.item_id] = Hit(self.meta[passage.item_id], score)
            hit.passages.append((passage, score))
            hit.lexical = max(hit.lexical, signals[pid][0])
            hit.dense = max(hit.dense, signals[pid][1])
        return sorted(hits.values(), key=lambda h: -h.score)

    # --- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write atomically: a reader never sees half an index."""
        folder = Path(folder)
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.dense.save(tmp / "dense")
        state = {k: getattr(self, k) for k in ("lexical", "sentences", "passages", "item_pids", "meta", "cursor")}
        with open(tmp / "state.pkl", "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        (tmp / "manifest.json").write_text(
            json.dumps(
                {
                    "format": FORMAT_VERSION,
                    "model": self.model_id,
                    "passages": len(self.passages),
                    "items": len(self.meta),
                    "synced_seq": self.synced_seq,
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, embeddings: E5Embeddings, model_id: str = "") -> "HybridIndex":
        """Load a saved index, or return an empty one if none fits (wrong model or format)."""
        index = cls(embeddings, model_id)
        folder = Path(folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return index
        if manifest.get("format") != FORMAT_VERSION or manifest.get("model") != model_id:
            return index
        with open(folder / "state.pkl", "rb") as fh:  # our own file, written by save()
            state = pickle.load(fh)
        if "synced_seq" in state:  # saved before the cursor: every change up to it was applied
            state["cursor"] = ChangeCursor(low=state.pop("synced_seq"))
        for key, value in state.items():
            setattr(index, key, value)
        index._id_of_key = {m.key: m.item_id for m in index.meta.values()}
        index.dense = DenseIndex.load(folder / "dense", embeddings)
        return index
