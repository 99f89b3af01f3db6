"""Which guide field a question asks for (材料, 时限, 地点, 电话 …), from the question alone.

A multinomial logistic regression over two views of the question: its character n-grams (1 to 3,
TF-IDF weighted: the short function words that say what is asked, 多久 / 带什么 / 在哪 / 打哪个,
which a sentence embedding blurs) and its e5 vector (what the question is about). Learned from the
labelled guide questions; out of fold it names the asked field for 0.88 of them, the e5 vector
alone 0.82 (docs/reader.md).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

NGRAMS = (1, 2, 3)
MIN_DF = 2  # an n-gram must be in this many training questions
C = 10.0
SEED = 13
ABSENT_BIAS = -20.0  # a field nobody asked for in training


def ngrams(text: str) -> Counter:
    chars = "".join(text.split()).lower()
    return Counter(chars[i : i + n] for n in NGRAMS for i in range(len(chars) - n + 1))


class AskedField:
    def __init__(self, vocab: dict[str, int], idf: np.ndarray, coef: np.ndarray, bias: np.ndarray):
        self.vocab, self.idf = vocab, np.asarray(idf, dtype=np.float32)
        self.coef, self.bias = np.asarray(coef, dtype=np.float32), np.asarray(bias, dtype=np.float32)

    def features(self, text: str, vector: np.ndarray) -> np.ndarray:
        """TF-IDF of the n-grams (sublinear, L2-normalised) followed by the e5 vector."""
        x = np.zeros(len(self.vocab), dtype=np.float32)
        for gram, count in ngrams(text).items():
            at = self.vocab.get(gram)
            if at is not None:
                x[at] = (1.0 + math.log(count)) * self.idf[at]
        norm = float(np.linalg.norm(x))
        return np.concatenate([x / norm if norm else x, np.asarray(vector, dtype=np.float32)])

    def __call__(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Probability per guide field (the order the model was fitted with) that the question asks for it."""
        logits = self.coef @ self.features(text, vector) + self.bias
        e = np.exp(logits - logits.max())
        return e / e.sum()

    @classmethod
    def fit(cls, texts: list[str], vectors: np.ndarray, labels: list[int], classes: int) -> "AskedField":
        from sklearn.linear_model import LogisticRegression

        df = Counter(g for t in texts for g in ngrams(t))
        grams = sorted(g for g, c in df.items() if c >= MIN_DF)
        vocab = {g: i for i, g in enumerate(grams)}
        n = len(texts)
        idf = np.asarray([math.log((1 + n) / (1 + df[g])) + 1.0 for g in grams], dtype=np.float32)
        model = cls(vocab, idf, np.zeros((classes, len(vocab) + vectors.shape[1])), np.full(classes, ABSENT_BIAS))
        seen = sorted(set(labels))
        if len(seen) < 2:  # too few guide questions to learn from: the one field seen, else all alike
            model.bias[:] = 0.0
            if seen:
                model.bias[seen[0]] = 1.0
            return model
        x = np.stack([model.features(t, v) for t, v in zip(texts, vectors)])
        lr = LogisticRegression(C=C, max_iter=3000, random_state=SEED)
        lr.fit(x, np.asarray(labels))
        if len(lr.classes_) == 2:  # a binary model: one row of weights, for the second class
            model.coef[lr.classes_[1]], model.bias[lr.classes_[1]] = lr.coef_[0], lr.intercept_[0]
            model.bias[lr.classes_[0]] = 0.0
            return model
        for row, cls_ in enumerate(lr.classes_):
            model.coef[cls_], model.bias[cls_] = lr.coef_[row], lr.intercept_[row]
        return model

    def to_json(self, fields: list[str]) -> dict:
        """Weights to 5 decimals, rounded as float64: a float32 rounded in float32 prints as its
        exact binary value (0.07225999981164932), which more than doubled the file; read back as
        float32, both are the same numbers."""
        five = lambda a: np.round(np.asarray(a, dtype=np.float64), 5).tolist()  # noqa: E731
        return {"fields": fields, "ngrams": list(self.vocab), "idf": five(self.idf), "coef": five(self.coef), "bias": five(self.bias)}

    @classmethod
    def from_json(cls, data: dict) -> "AskedField":
        return cls(
            {g: i for i, g in enumerate(data["ngrams"])}, np.asarray(data["idf"]), np.asarray(data["coef"]), np.asarray(data["bias"])
        )
