"""Which questions mean the same: e5 vectors (kept once per model and text) and greedy grouping.

The threshold was tuned on Chinese hotline paraphrases with the multilingual-e5-small model and
the “query: ” prefix on both sides: paraphrases (“养老金怎么领取” / “退休了养老金去哪里领”) score
0.91-0.98, different services phrased alike (“退休金怎么领” / “失业金怎么领”) up to 0.93. At 0.93
greedy grouping kept every unrelated pair apart and 91% of paraphrase pairs together.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from govbot.insights.tables import ensure_tables, question_vectors

log = logging.getLogger("govbot.insights")

THRESHOLD = 0.93
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
                conn.execute(insert(question_vectors), rows)
        except IntegrityError:  # another worker stored some of them meanwhile: keep the rest
            for row in rows:
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(question_vectors).values(**row))
                except IntegrityError:
                    pass
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation
            log.warning("question vectors not stored: %s", exc)

    def group(self, texts: Sequence[str]) -> list[int]:
        """Greedy grouping of `texts` (most important first): each joins the most similar earlier
        group leader at or above the threshold, or leads a new group. Returns a group number per
        text; texts without a vector (over the budget) are their own groups."""
        vectors = self.vectors(texts)
        return greedy_groups([vectors.get(t) for t in texts], self.threshold)


def greedy_groups(vectors: Sequence[np.ndarray | None], threshold: float) -> list[int]:
    dim = next((len(v) for v in vectors if v is not None), 0)
    leaders = np.zeros((len(vectors), dim), dtype=np.float32)
    leader_group: list[int] = []
    out: list[int] = []
    groups = 0
    for vector in vectors:
        if vector is not None and leader_group:
            sims = leaders[: len(leader_group)] @ vector
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                out.append(leader_group[best])
                continue
        if vector is not None:
            leaders[len(leader_group)] = vector
            leader_group.append(groups)
        out.append(groups)
        groups += 1
    return out
