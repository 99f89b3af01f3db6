"""The reader: does a found item answer the question, and which field of a guide states it.

A `Reader` is three small learned parts and a calibration, saved as plain files in one folder
(a versioned model, committed with its model card):

- `items.txt`: gradient-boosted trees (LightGBM) over `ITEM_FEATURES`: the chance that an item
  answers the question;
- `asked.json`: a multinomial logistic regression over the question's e5 vector: which guide
  field the question asks for (材料, 时限, 地点 …), from the question alone;
- `fields.txt`: boosted trees over `FIELD_FEATURES`: which field of a given guide answers;
- `calibration.json`: isotonic map from the best item's score to the probability that the
  answer is right (measured on questions the trees did not see), and the chosen threshold;
- `qdf.json`: how common each word is in citizens' questions (the training questions).

`fit` / `predict` follow the cross-encoder contract: `predict_items` gives probabilities in
[0, 1] for (question, candidate) pairs.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.reader.features import FIELD_FEATURES, FIELD_NAMES, ITEM_FEATURES

FILES = ("items.txt", "fields.txt", "asked.json", "calibration.json", "qdf.json", "card.json")
STACK_FILES = ("decider.json", "cross.safetensors")  # the cross-encoder stage, when the card says "stack"
SHIPPED = Path(__file__).parent / "model"
REBUILD_HINT = "govbot train-reader"


class ReaderModelError(RuntimeError):
    """The reader model is missing or unreadable: answering must not fall back to another scorer."""


@dataclass
class Calibration:
    """Isotonic map raw score -> probability, as break points (np.interp between them)."""
    x: list[float] = field(default_factory=lambda: [0.0, 1.0])
    y: list[float] = field(default_factory=lambda: [0.0, 1.0])

    def __call__(self, raw):
        return np.interp(raw, self.x, self.y)

    @classmethod
    def fit(cls, raw: np.ndarray, correct: np.ndarray) -> "Calibration":
        order = np.argsort(raw, kind="stable")
        xs, ys = raw[order].astype(float), correct[order].astype(float)
        # pool adjacent violators: blocks of (sum, count) with non-decreasing means
        blocks: list[list[float]] = []
        for x, y in zip(xs, ys):
            blocks.append([y, 1.0, x, x])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                s, n, _, hi = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += n
                blocks[-1][3] = hi
        px, py = [], []
        for s, n, lo, hi in blocks:
            px += [lo, hi]
            py += [s / n, s / n]
        return cls([round(v, 6) for v in px], [round(v, 6) for v in py])


class Reader:
    def __init__(self, items, fields, asked_coef: np.ndarray, asked_bias: np.ndarray, calibration: Calibration,
                 qdf: dict[str, float], card: dict, decider=None, cross=None):
        self.items, self.fields = items, fields
        self.asked_coef, self.asked_bias = asked_coef, asked_bias
        self.calibration, self.qdf, self.card = calibration, qdf, card
        self.decider, self.cross = decider, cross  # knowledge.reader.stack.Decider, cross.CrossReader
        self.folder: Path | None = None

    def attach(self, embeddings) -> "Reader":
        """Load the cross-encoder over the embedding model's weights (shared, not copied)."""
        if self.decider is not None and self.cross is None and self.folder is not None:
            from knowledge.reader.cross import CrossReader
            try:
                self.cross = CrossReader.load(self.folder, embeddings.model[0].auto_model, embeddings.model.tokenizer)
            except Exception as exc:  # noqa: BLE001 - a bad file must stop the start, naming it
                raise ReaderModelError(f"reader model file unreadable: {self.folder / STACK_FILES[1]}: {exc} "
                                       f"(rebuild it with `{REBUILD_HINT}`)") from exc
        return self

    @property
    def version(self) -> str:
        return self.card.get("version", "unknown")

    @property
    def threshold(self) -> float:
        return float(self.card.get("threshold", 0.5))

    @property
    def clarify_floor(self) -> float:
        return float(self.card.get("clarify", {}).get("floor", 1.01))

    @property
    def clarify_margin(self) -> float:
        return float(self.card.get("clarify", {}).get("margin", 0.0))

    # --- predicting ----------------------------------------------------------------------------
    def predict_items(self, x: np.ndarray) -> np.ndarray:
        """Raw scores in [0, 1] that each candidate item answers (one row of ITEM_FEATURES each)."""
        if len(x) == 0:
            return np.zeros(0)
        return self.items.predict(x, num_threads=1)

    def probability(self, raw: float) -> float:
        """The calibrated chance that answering with the best candidate is right."""
        return float(np.clip(self.calibration(raw), 0.0, 1.0))

    def asked(self, vector: np.ndarray) -> np.ndarray:
        """Probability per guide field (FIELD_NAMES order) that the question asks for it."""
        return asked_probabilities(self.asked_coef, self.asked_bias, vector)

    def predict_fields(self, x: np.ndarray) -> np.ndarray:
        return self.fields.predict(x, num_threads=1) if len(x) else np.zeros(0)

    # --- files -----------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.items.save_model(str(folder / "items.txt"))
        self.fields.save_model(str(folder / "fields.txt"))
        _write_json(folder / "asked.json", {"fields": list(FIELD_NAMES), "coef": np.round(self.asked_coef, 6).tolist(),
                                            "bias": np.round(self.asked_bias, 6).tolist()})
        _write_json(folder / "calibration.json", {"x": self.calibration.x, "y": self.calibration.y})
        _write_json(folder / "qdf.json", {w: round(v, 5) for w, v in sorted(self.qdf.items())})
        names = [name for name in FILES if name != "card.json"]
        if self.decider is not None:
            _write_json(folder / "decider.json", self.decider.to_json())
            self.cross.save(folder)
            names += list(STACK_FILES)
        card = dict(self.card)
        card["stack"] = self.decider is not None
        card["files"] = {name: _digest(folder / name) for name in names}
        _write_json(folder / "card.json", card)
        self.card = card

    @classmethod
    def load(cls, folder: Path | None = None) -> "Reader":
        import lightgbm

        folder = Path(folder or SHIPPED)
        missing = [name for name in FILES if not (folder / name).is_file()]
        if missing:
            raise ReaderModelError(f"reader model file missing: {folder / missing[0]} (rebuild it with `{REBUILD_HINT}`)")
        try:
            card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
            for name, digest in (card.get("files") or {}).items():
                if _digest(folder / name) != digest:
                    raise ValueError(f"{name} does not match the checksum in card.json")
            if missing_stack := [n for n in (card.get("files") or {}) if not (folder / n).is_file()]:
                raise ValueError(f"{missing_stack[0]} is missing")
            items = lightgbm.Booster(model_file=str(folder / "items.txt"))
            fields = lightgbm.Booster(model_file=str(folder / "fields.txt"))
            asked = json.loads((folder / "asked.json").read_text(encoding="utf-8"))
            calibration = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
            qdf = json.loads((folder / "qdf.json").read_text(encoding="utf-8"))
            if items.num_feature() != len(ITEM_FEATURES) or fields.num_feature() != len(FIELD_FEATURES):
                raise ValueError("the model was trained on other features than this code computes")
            decider = None
            if card.get("stack"):
                from knowledge.reader.stack import Decider
                spec = json.loads((folder / "decider.json").read_text(encoding="utf-8"))
                decider = Decider(spec["coef"], spec["bias"])
        except (OSError, ValueError, lightgbm.basic.LightGBMError) as exc:
            raise ReaderModelError(f"reader model in {folder} is unreadable: {exc} "
                                   f"(rebuild it with `{REBUILD_HINT}`)") from exc
        reader = cls(items, fields, np.asarray(asked["coef"], dtype=np.float32),
                     np.asarray(asked["bias"], dtype=np.float32), Calibration(calibration["x"], calibration["y"]), qdf,
                     card, decider)
        reader.folder = folder
        return reader


def asked_probabilities(coef: np.ndarray, bias: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Softmax of the asked-field logistic regression over a question's e5 vector."""
    logits = coef @ vector + bias
    e = np.exp(logits - logits.max())
    return e / e.sum()


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
