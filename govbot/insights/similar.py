"""Which questions mean the same: e5 vectors (kept once per model and text) and average-linkage grouping.

Measured on two labelled inboxes written by helpers (`data/gaps/`, `bench/gaps.py`): grouping
greedily around a leader at 0.93 (before) split one topic into three groups on average (B-cubed F1
0.50 held out); average linkage at 0.90, chosen on the development inbox, gives 0.71 on both
(pairwise precision 0.66: phrased-alike services such as 退休金 / 失业金 still meet at times).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sqlalchemy import select
from sqlalchemy.engine import Engine

from govbot.insights.tables import ensure_tables, question_vectors
from knowledge.store.sql import insert_new

log = logging.getLogger("govbot.insights")

THRESHOLD = 0.90
LINKED_MOST = 3000  # texts grouped by linkage (a 3,000 x 3,000 distance matrix: ~70 MB, about a second)
EMBED_BUDGET = 500  # new texts embedded per request; the rest are grouped by identical wording until later


class Similarity:
    """Vectors for normalised questions, computed with `encode` and kept in `question_vectors`."""

    def __init__(
        self,
        engine: Engine,
        model_id: str,
        encode: Callable[[list[str]], np.ndarray],
        threshold: float = THRESHOLD,
        budget: int = EMBED_BUDGET,
    ):
        self.engine, self.model_id, self.encode = engine, model_id, encode
        self.threshold, self.budget = threshold, budget
        ensure_tables(engine)

    @classmethod
    def for_knowledge(cls, engine: Engine, kb, **kwargs) -> Similarity:
        """Over a `knowledge.engine.Knowledge`: its e5 model, with the query prefix on both sides."""
        embeddings = kb.embeddings

        def encode(texts: list[str]) -> np.ndarray:
            if hasattr(embeddings, "encode"):  # E5Embeddings: one batch
                return embeddings.encode(texts, "query: ")
            return np.asarray([embeddings.embed_query(t) for t in texts], dtype=np.float32)  # any LangChain Embeddings

        return cls(engine, kb.model_id, encode, **kwargs)

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.model_id}\n{text}".encode()).hexdigest()

    def vectors(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors for `texts` (most important first): the stored ones, plus up to `budget` new ones."""
        keys = {self._key(t): t for t in dict.fromkeys(texts)}
        found: dict[str, np.ndarray] = {}
        key_list = list(keys)
        with self.engine.connect() as conn:
            for start in range(0, len(key_list), 500):
                chunk = key_list[start : start + 500]
                for key, blob in conn.execute(
                    select(question_vectors.c.key, question_vectors.c.vector).where(question_vectors.c.key.in_(chunk))
                ):
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        missing = [t for t in keys.values() if t not in found][: self.budget]
        if missing:
            new = np.asarray(self.encode(missing), dtype=np.float32)
            new /= np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)
            found.update(zip(missing, new))
            self._store({self._key(t): v for t, v in zip(missing, new)})
        return found

    def _store(self, vectors: dict[str, np.ndarray]) -> None:
        now = datetime.now(timezone.utc)
        rows = [{"key": k, "vector": v.astype(np.float32).tobytes(), "created_at": now} for k, v in vectors.items()]
        try:
            with self.engine.begin() as conn:
                insert_new(conn, question_vectors, rows)  # another worker may store some of them first
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation
            log.warning("question vectors not stored: %s", exc)

    def group(self, texts: Sequence[str]) -> list[int]:
        """A group number per text of `texts` (most important first): `linked_groups`; texts
        without a vector (over the budget) are their own groups."""
        vectors = self.vectors(texts)
        return linked_groups([vectors.get(t) for t in texts], self.threshold)


def linked_groups(vectors: Sequence[np.ndarray | None], threshold: float, most: int = LINKED_MOST) -> list[int]:
    """Average-linkage groups: two groups join while the mean similarity between their questions is
    at least `threshold`. Unlike greedy grouping around a leader, a group is not one question's
    neighbourhood (a paraphrase far from the leader but close to the rest still joins) and a
    chain of close pairs does not glue unrelated questions (single linkage would). Only the first
    `most` texts are linked (the work is quadratic); the rest, and texts without a vector, are their
    own groups."""
    linked = [i for i, v in enumerate(vectors) if v is not None][:most]
    out = [-1] * len(vectors)
    if len(linked) > 1:
        matrix = np.stack([vectors[i] for i in linked]).astype(np.float64)
        distance = np.clip(1.0 - matrix @ matrix.T, 0.0, 2.0)
        np.fill_diagonal(distance, 0.0)
        labels = fcluster(linkage(squareform(distance, checks=False), "average"), 1.0 - threshold, criterion="distance")
        for i, label in zip(linked, labels):
            out[i] = int(label) - 1
    elif linked:
        out[linked[0]] = 0
    groups = max(out, default=-1) + 1
    for i, number in enumerate(out):
        if number < 0:
            out[i], groups = groups, groups + 1
    return out
