"""Passage vectors shared by every answering process, keyed by model and text.

Embedding is the slow part of indexing (tens of passages a second on two cores). The process that
publishes (the API) embeds a change once and leaves the vectors here; every other process that
follows the change log (the action server, `govbot ask`) reads them instead of embedding again.
"""

from __future__ import annotations

import hashlib

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine

from knowledge.store.schema import vectors_table
from knowledge.store.sql import insert_new

CHUNK = 500  # rows per query: well inside every database's parameter limit


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorCache:
    def __init__(self, engine: Engine, model_id: str):
        """Over the content store's database (its engine)."""
        self.engine = engine
        self.model = hashlib.sha1(model_id.encode("utf-8")).hexdigest()

    def get(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Vectors already known, by text digest."""
        rows = self._select([vectors_table.c.digest, vectors_table.c.vector], sorted({digest(t) for t in texts}))
        return {d: np.frombuffer(v, dtype=np.float32) for d, v in rows}

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        known = {row[0] for row in self._select([vectors_table.c.digest], list(vectors))}
        rows = [
            {"model": self.model, "digest": d, "vector": np.asarray(v, dtype=np.float32).tobytes()}
            for d, v in vectors.items()
            if d not in known
        ]
        if not rows:
            return
        with self.engine.begin() as conn:
            insert_new(conn, vectors_table, rows)  # another process may store the same vectors first: theirs are as good

    def _select(self, columns, digests: list[str]) -> list[tuple]:
        out: list[tuple] = []
        with self.engine.connect() as conn:
            for start in range(0, len(digests), CHUNK):
                part = digests[start : start + CHUNK]  # model = ? AND digest IN (...): the primary key's index
                query = select(*columns).where(vectors_table.c.model == self.model, vectors_table.c.digest.in_(part))
                out += [tuple(row) for row in conn.execute(query)]
        return out


class CachedPassageEncoder:
    """`encode(texts)` → passage vectors, from the cache where known, embedded (and cached) otherwise."""

    def __init__(self, embeddings, cache: VectorCache | None):
        self.embeddings = embeddings
        self.cache = cache

    def __call__(self, texts: list[str]) -> np.ndarray:
        if self.cache is None or not texts:
            return self.embeddings.encode(texts, "passage: ")
        digests = [digest(t) for t in texts]
        known = self.cache.get(texts)
        missing = [i for i, d in enumerate(digests) if d not in known]
        if missing:
            fresh = self.embeddings.encode([texts[i] for i in missing], "passage: ")
            new = {digests[i]: vector for i, vector in zip(missing, fresh)}
            self.cache.put(new)
            known.update(new)
        return np.stack([known[d] for d in digests]).astype(np.float32)
