"""The reader's last word: the boosted trees' score of an item and the cross-encoder's reading of
what the answer would quote, combined by a logistic regression (the "decider") for the best
`STACK_DEPTH` candidates. Trained on out-of-fold scores, so neither input is over-trusted."""

from __future__ import annotations

import numpy as np

STACK_DEPTH = 3
DECIDER_FEATURES = ("trees_logit", "cross_logit", "trees_rank", "cross_rank", "cross_margin", "trees_margin")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def decider_rows(trees: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """One row per candidate (best by the trees first) from both scores."""
    n = len(trees)
    cross_rank = {i: r for r, i in enumerate(np.argsort(-cross, kind="stable"))}
    rows = []
    for i in range(n):
        others_c = [cross[j] for j in range(n) if j != i]
        others_t = [trees[j] for j in range(n) if j != i]
        rows.append(
            [
                _logit(trees[i : i + 1])[0],
                _logit(cross[i : i + 1])[0],
                i,
                cross_rank[i],
                cross[i] - (max(others_c) if others_c else 0.0),
                trees[i] - (max(others_t) if others_t else 0.0),
            ]
        )
    return np.asarray(rows, dtype=np.float32)


class Decider:
    def __init__(self, coef: np.ndarray, bias: float):
        self.coef, self.bias = np.asarray(coef, dtype=np.float32), float(bias)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(rows @ self.coef + self.bias)))

    @classmethod
    def fit(cls, rows: np.ndarray, labels: np.ndarray, seed: int = 13) -> "Decider":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
        model.fit(rows, labels)
        return cls(model.coef_[0], model.intercept_[0])

    def to_json(self) -> dict:
        # rounded as float64: a float32 rounded in float32 prints as its exact binary value (asked.py)
        return {"features": list(DECIDER_FEATURES), "coef": np.round(self.coef.astype(np.float64), 6).tolist(), "bias": round(self.bias, 6)}
