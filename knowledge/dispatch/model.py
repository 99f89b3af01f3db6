"""The dispatch model: text (+ e5 vector) -> a probability per directory entry key (and `none`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from knowledge.reader.asked import AskedField

SHIPPED = Path(__file__).resolve().parent / "model"
NONE = "none"  # greetings, thanks, tests: nothing to dispatch
FILES = ("dispatch.npz", "card.json")


class DispatchModelError(RuntimeError):
    """The model files are missing or unreadable: names the file and the command that rebuilds them."""


class DispatchModel:
    def __init__(self, classifier: AskedField, keys: list[str], temperature: float, threshold: float, card: dict | None = None):
        self.classifier, self.keys = classifier, list(keys)
        self.temperature, self.threshold = float(temperature), float(threshold)
        self.card = card or {}

    @property
    def version(self) -> str:
        return str(self.card.get("version", "untrained"))

    def probabilities(self, text: str, vector: np.ndarray) -> dict[str, float]:
        """Calibrated probability per key (they sum to 1)."""
        x = self.classifier.features(text, vector)
        logits = (self.classifier.coef @ x + self.classifier.bias) / self.temperature
        e = np.exp(logits - logits.max())
        p = e / e.sum()
        return {k: float(v) for k, v in zip(self.keys, p)}

    def save(self, folder: Path, card: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        c = self.classifier
        np.savez_compressed(
            folder / "dispatch.npz",
            coef=c.coef.astype(np.float16),
            bias=c.bias.astype(np.float32),
            idf=c.idf.astype(np.float32),
            ngrams=np.asarray(list(c.vocab), dtype=object).astype(str),
            keys=np.asarray(self.keys, dtype=str),
            calibration=np.asarray([self.temperature, self.threshold], dtype=np.float64),
        )
        (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        self.card = card

    @classmethod
    def load(cls, folder: Path | None = None) -> DispatchModel:
        folder = Path(folder or SHIPPED)
        path = folder / "card.json"
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
            path = folder / "dispatch.npz"
            with np.load(path, allow_pickle=False) as data:
                grams = [str(g) for g in data["ngrams"]]
                classifier = AskedField({g: i for i, g in enumerate(grams)}, data["idf"], data["coef"].astype(np.float32), data["bias"])
                temperature, threshold = (float(v) for v in data["calibration"])
                keys = [str(k) for k in data["keys"]]
        except (OSError, ValueError, KeyError, EOFError, json.JSONDecodeError) as exc:
            raise DispatchModelError(f"派单模型文件损坏或缺失：{path}（{exc}）。请运行 govbot train-dispatch 重新生成。") from exc
        if classifier.coef.shape[0] != len(keys) or classifier.coef.shape[1] <= len(grams) or len(classifier.bias) != len(keys):
            raise DispatchModelError(f"派单模型文件不完整：{path}。请运行 govbot train-dispatch 重新生成。")
        return cls(classifier, keys, temperature, threshold, card)
