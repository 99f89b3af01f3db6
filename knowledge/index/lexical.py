"""BM25 over jieba tokens, updatable in place (no rebuild to add or remove a passage)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.rows: dict[str, int] = {}  # pid -> row
        self.pids: list[str | None] = []  # row -> pid (None: free)
        self.free: list[int] = []
        self.doc_terms: dict[str, Counter] = {}
        self.postings: dict[str, dict[int, int]] = {}  # token -> {row: tf}
        self.lengths = np.zeros(0, dtype=np.float32)
        self.total_len = 0
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_arrays"] = {}
        return state

    def add(self, pid: str, tokens: list[str]) -> None:
        if pid in self.rows:
            self.remove(pid)
        row = self.free.pop() if self.free else len(self.pids)
        if row == len(self.pids):
            self.pids.append(pid)
            if row >= len(self.lengths):
                self.lengths = np.concatenate([self.lengths, np.zeros(max(1024, len(self.lengths)), np.float32)])
        else:
            self.pids[row] = pid
        self.rows[pid] = row
        terms = Counter(tokens)
        self.doc_terms[pid] = terms
        for token, tf in terms.items():
            self.postings.setdefault(token, {})[row] = tf
            self._arrays.pop(token, None)
        self.lengths[row] = len(tokens)
        self.total_len += len(tokens)

    def remove(self, pid: str) -> None:
        row = self.rows.pop(pid, None)
        if row is None:
            return
        for token in self.doc_terms.pop(pid):
            posting = self.postings[token]
            posting.pop(row, None)
            if not posting:
                del self.postings[token]
            self._arrays.pop(token, None)
        self.total_len -= int(self.lengths[row])
        self.lengths[row] = 0
        self.pids[row] = None
        self.free.append(row)

    def idf(self, token: str) -> float:
        n, df = len(self.rows), len(self.postings.get(token, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def _posting_arrays(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        arrays = self._arrays.get(token)
        if arrays is None:
            posting = self.postings[token]
            arrays = (np.fromiter(posting.keys(), np.int64, len(posting)), np.fromiter(posting.values(), np.float32, len(posting)))
            self._arrays[token] = arrays
        return arrays

    def search(self, tokens: list[str], k: int) -> list[tuple[str, float]]:
        if not self.rows:
            return []
        avgdl = self.total_len / len(self.rows) or 1.0
        scores = np.zeros(len(self.pids), dtype=np.float32)
        for token, qtf in Counter(tokens).items():
            if token not in self.postings:
                continue
            rows, tfs = self._posting_arrays(token)
            norm = self.k1 * (1 - self.b + self.b * self.lengths[rows] / avgdl)
            scores[rows] += qtf * self.idf(token) * tfs * (self.k1 + 1) / (tfs + norm)
        k = min(k, int(np.count_nonzero(scores)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.pids[r], float(scores[r])) for r in top]
