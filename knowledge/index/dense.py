"""Dense retrieval: e5 vectors in a FAISS inner-product index, through LangChain's FAISS store."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
from langchain_community.docstore.in_memory import InMemoryDocstore
from langchain_community.vectorstores import FAISS
from langchain_community.vectorstores.utils import DistanceStrategy

from knowledge.embeddings import E5Embeddings


class DenseIndex:
    def __init__(self, embeddings: E5Embeddings, store: FAISS | None = None):
        self.embeddings = embeddings
        self._rows: dict[str, int] | None = None  # pid -> FAISS row, rebuilt after changes
        self.store = store or FAISS(
            embedding_function=embeddings,
            index=faiss.IndexFlatIP(embeddings.dim),
            docstore=InMemoryDocstore(),
            index_to_docstore_id={},
            distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
        )

    def __len__(self) -> int:
        return self.store.index.ntotal

    def add(self, pids: list[str], texts: list[str], vectors: np.ndarray | None = None) -> None:
        if not pids:
            return
        if vectors is None:
            vectors = self.embeddings.encode(texts, "passage: ")
        self.store.add_embeddings(list(zip(texts, vectors.tolist())), metadatas=[{"pid": p} for p in pids], ids=pids)
        self._rows = None

    def remove(self, pids: list[str]) -> None:
        if pids:  # the hybrid index only ever removes pids it added
            self.store.delete(pids)
            self._rows = None

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if len(self) == 0:
            return []
        hits = self.store.similarity_search_with_score_by_vector(query_vector.tolist(), k=min(k, len(self)))
        return [(doc.metadata["pid"], float(score)) for doc, score in hits]

    def similarity(self, query_vector: np.ndarray, pids: list[str]) -> dict[str, float]:
        """Cosine between the question and the stored vectors of the given passages."""
        found, matrix = self.vectors(pids)
        return dict(zip(found, (matrix @ query_vector).tolist())) if found else {}

    def vectors(self, pids: list[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of those passages that are in the index (pids in the same order)."""
        if self._rows is None:
            self._rows = {pid: row for row, pid in self.store.index_to_docstore_id.items()}
        rows = [(pid, self._rows[pid]) for pid in pids if pid in self._rows]
        if not rows:
            return [], np.zeros((0, self.embeddings.dim), dtype=np.float32)
        return [pid for pid, _ in rows], np.stack([self.store.index.reconstruct(int(row)) for _, row in rows])

    def save(self, folder: Path) -> None:
        self.store.save_local(str(folder))

    @classmethod
    def load(cls, folder: Path, embeddings: E5Embeddings) -> "DenseIndex":
        # our own file, written by save() above: safe to unpickle
        store = FAISS.load_local(
            str(folder), embeddings, allow_dangerous_deserialization=True, distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT
        )
        return cls(embeddings, store)
