"""The reader: does a found item answer the question, and which field of a guide states it.

A `Reader` is three small learned parts and a calibration, saved as plain files in one folder
(a versioned model, committed with its model card):

- `items.txt`: gradient-boosted trees (LightGBM) over `ITEM_FEATURES`: the chance that an item
  answers the question;
- `asked.json`: a multinomial logistic regression over the question's character n-grams and e5
  vector: which guide field the question asks for (材料, 时限, 地点 …), from the question alone
  (`asked.AskedField`);
- `fields.txt`: boosted trees over `FIELD_FEATURES`: which field of a given guide answers;
- `sentences.txt`: boosted trees over `SENTENCE_FEATURES`: which sentence of a policy document
  states the answer (present when the training data had document questions; the card says so);
- `ask.txt`: boosted trees over `ASK_FEATURES`: the chance that the question fits several services
  and does not say which (ask back; `choices.py`);
- `calibration.json`: isotonic maps, one per kind of item and a pooled one, from the best item's
  score to the probability that the answer is right, its field or sentence included (measured on
  questions the trees did not see);
- `qdf.json`: how common each word is in citizens' questions (the training questions);
- `followups.txt`, `followups-part.txt`, `followups-general.txt`, `followups.json`: which part
  of the service under discussion answers a follow-up, the choice between it and the general
  reading, and its calibration (`followup.FollowUps`; when the card says "followups").

`fit` / `predict` follow the cross-encoder contract: `predict_items` gives probabilities in
[0, 1] for (question, candidate) pairs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.reader.asked import AskedField
from knowledge.reader.choices import ASK_FEATURES
from knowledge.reader.features import FIELD_FEATURES, FIELD_NAMES, ITEM_FEATURES, SENTENCE_FEATURES

FILES = ("items.txt", "fields.txt", "ask.txt", "asked.json", "calibration.json", "qdf.json", "card.json")
SENTENCE_FILE = "sentences.txt"  # when the card says "sentences"
STACK_FILES = ("decider.json", "cross.safetensors")  # the cross-encoder stage, when the card says "stack"
SHIPPED = Path(__file__).parent / "model"
REBUILD_HINT = "govbot train-reader"
FOLLOW_KIND = "follow"  # the operating point of the follow-up model (`threshold_for`)


class ReaderModelError(RuntimeError):
    """The reader model is missing or unreadable: answering must not fall back to another scorer."""


@dataclass
class Calibration:
    """Isotonic map score -> probability: the pooled blocks' mean scores and rates, linearly
    interpolated between them (flat steps would make whole blocks of questions share one
    probability, and a threshold could not fall inside them)."""

    x: list[float] = field(default_factory=lambda: [0.0, 1.0])
    y: list[float] = field(default_factory=lambda: [0.0, 1.0])

    def __call__(self, raw):
        return np.interp(raw, self.x, self.y)

    @classmethod
    def fit(cls, raw: np.ndarray, correct: np.ndarray) -> "Calibration":
        order = np.argsort(raw, kind="stable")
        xs, ys = raw[order].astype(float), correct[order].astype(float)
        # pool adjacent violators: blocks of (sum of y, count, sum of x) with non-decreasing means
        blocks: list[list[float]] = []
        for x, y in zip(xs, ys):
            blocks.append([y, 1.0, x])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
                s, n, sx = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += n
                blocks[-1][2] += sx
        px = [float(xs[0])] + [sx / n for _, n, sx in blocks] + [float(xs[-1])]
        py = [blocks[0][0] / blocks[0][1]] + [s / n for s, n, _ in blocks] + [blocks[-1][0] / blocks[-1][1]]
        keep = [i for i in range(len(px)) if i == 0 or px[i] > px[i - 1]]  # np.interp needs rising x
        return cls([round(px[i], 6) for i in keep], [round(py[i], 6) for i in keep])


MIN_KIND = 100  # questions whose best candidate is of a kind, for that kind to have its own calibration


@dataclass
class Calibrations:
    """One calibration per kind of item (a guide's answer is a field, a document's a sentence, a
    Q&A's its answer: how often a score means a right answer differs), and a pooled one for the
    kinds with too few training questions."""

    pooled: Calibration = field(default_factory=Calibration)
    by_kind: dict[str, Calibration] = field(default_factory=dict)

    def __call__(self, raw, kind: str = ""):
        return self.by_kind.get(kind, self.pooled)(raw)

    @classmethod
    def fit(cls, raw: np.ndarray, correct: np.ndarray, kinds: list[str]) -> "Calibrations":
        kinds_ = np.asarray(kinds)
        return cls(
            Calibration.fit(raw, correct),
            {
                k: Calibration.fit(raw[kinds_ == k], correct[kinds_ == k])
                for k in sorted(set(kinds))
                if k and (kinds_ == k).sum() >= MIN_KIND
            },
        )

    def to_json(self) -> dict:
        return {"x": self.pooled.x, "y": self.pooled.y, "by_kind": {k: {"x": c.x, "y": c.y} for k, c in self.by_kind.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "Calibrations":
        return cls(Calibration(data["x"], data["y"]), {k: Calibration(c["x"], c["y"]) for k, c in (data.get("by_kind") or {}).items()})


class Reader:
    def __init__(
        self,
        items,
        fields,
        asked_field: AskedField,
        calibration: Calibrations,
        qdf: dict[str, float],
        card: dict,
        decider=None,
        cross=None,
        sentences=None,
        ask=None,
        follow=None,
    ):
        self.items, self.fields, self.sentences, self.ask = items, fields, sentences, ask
        self.follow = follow  # knowledge.reader.followup.FollowUps, or None
        self.asked_field = asked_field
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
                raise ReaderModelError(
                    f"reader model file unreadable: {self.folder / STACK_FILES[1]}: {exc} (rebuild it with `{REBUILD_HINT}`)"
                ) from exc
        return self

    @property
    def version(self) -> str:
        return self.card.get("version", "unknown")

    @property
    def threshold(self) -> float:
        """The operating point for kinds of item without their own (see `threshold_for`)."""
        return float(self.card.get("threshold", 0.5))

    @property
    def thresholds(self) -> dict[str, float]:
        """The operating point per kind of item, "" for the rest (model card)."""
        return {"": self.threshold, **{k: float(v) for k, v in (self.card.get("thresholds") or {}).items()}}

    def threshold_for(self, kind: str) -> float:
        """The lowest probability at which an answer of this kind (guide, qa, document …; "follow":
        a follow-up answered from a part of the service under discussion) is given: each kind's
        wrong-answer rate stays within the bound the model was trained for."""
        if kind == FOLLOW_KIND:
            return self.follow.threshold if self.follow is not None else 1.01
        return self.thresholds.get(kind, self.threshold)

    @property
    def clarify_cut(self) -> float:
        """Ask back above this chance that the question fits several services (model card)."""
        return float(self.card.get("clarify", {}).get("cut", 1.01))

    @property
    def clarify_floor(self) -> float:
        """... when the best choice's probability is at least this (model card)."""
        return float(self.card.get("clarify", {}).get("floor", 0.0))

    # --- predicting ----------------------------------------------------------------------------
    def predict_items(self, x: np.ndarray) -> np.ndarray:
        """Raw scores in [0, 1] that each candidate item answers (one row of ITEM_FEATURES each)."""
        if len(x) == 0:
            return np.zeros(0)
        return self.items.predict(x, num_threads=1)

    def probability(self, raw: float, kind: str = "") -> float:
        """The calibrated chance that answering with the best candidate (of this kind: guide, qa,
        document, hotline) is right: the right item, and the field or sentence quoted states it."""
        return float(np.clip(self.calibration(raw, kind), 0.0, 1.0))

    def asked(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Probability per guide field (FIELD_NAMES order) that the question asks for it."""
        return self.asked_field(text, vector)

    def predict_fields(self, x: np.ndarray) -> np.ndarray:
        return self.fields.predict(x, num_threads=1) if len(x) else np.zeros(0)

    def ask_probability(self, row: np.ndarray) -> float:
        """The chance that the question fits several services and does not say which (a row of ASK_FEATURES)."""
        return float(self.ask.predict(np.asarray(row, dtype=np.float32).reshape(1, -1), num_threads=1)[0])

    def predict_sentences(self, x: np.ndarray) -> np.ndarray:
        """The chance that each document sentence (one row of SENTENCE_FEATURES) states the answer."""
        return self.sentences.predict(x, num_threads=1) if len(x) else np.zeros(0)

    # --- files -----------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.items.save_model(str(folder / "items.txt"))
        self.fields.save_model(str(folder / "fields.txt"))
        self.ask.save_model(str(folder / "ask.txt"))
        _write_json(folder / "asked.json", self.asked_field.to_json(list(FIELD_NAMES)), indent=None)
        _write_json(folder / "calibration.json", self.calibration.to_json())
        _write_json(folder / "qdf.json", {w: round(v, 5) for w, v in sorted(self.qdf.items())})
        names = [name for name in FILES if name != "card.json"]
        if self.sentences is not None:
            self.sentences.save_model(str(folder / SENTENCE_FILE))
            names.append(SENTENCE_FILE)
        if self.decider is not None:
            _write_json(folder / "decider.json", self.decider.to_json())
            self.cross.save(folder)
            names += list(STACK_FILES)
        if self.follow is not None:
            names += self.follow.save(folder)
        card = dict(self.card)
        card["followups"] = self.follow is not None
        card["stack"] = self.decider is not None
        card["sentences"] = self.sentences is not None
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
            ask = lightgbm.Booster(model_file=str(folder / "ask.txt"))
            asked = AskedField.from_json(json.loads((folder / "asked.json").read_text(encoding="utf-8")))
            calibration = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
            qdf = json.loads((folder / "qdf.json").read_text(encoding="utf-8"))
            sentences = lightgbm.Booster(model_file=str(folder / SENTENCE_FILE)) if card.get("sentences") else None
            if (
                items.num_feature() != len(ITEM_FEATURES)
                or fields.num_feature() != len(FIELD_FEATURES)
                or (sentences is not None and sentences.num_feature() != len(SENTENCE_FEATURES))
                or (ask.num_feature() != len(ASK_FEATURES))
            ):
                raise ValueError("the model was trained on other features than this code computes")
            decider = None
            if card.get("stack"):
                from knowledge.reader.stack import Decider

                spec = json.loads((folder / "decider.json").read_text(encoding="utf-8"))
                decider = Decider(spec["coef"], spec["bias"])
            follow = None
            if card.get("followups"):
                from knowledge.reader.followup import FollowUps

                follow = FollowUps.load(folder)
        except (OSError, ValueError, KeyError, lightgbm.basic.LightGBMError) as exc:
            raise ReaderModelError(f"reader model in {folder} is unreadable: {exc} (rebuild it with `{REBUILD_HINT}`)") from exc
        reader = cls(
            items, fields, asked, Calibrations.from_json(calibration), qdf, card, decider, sentences=sentences, ask=ask, follow=follow
        )
        reader.folder = folder
        return reader


def _write_json(path: Path, data, indent: int | None = 1) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=indent, sort_keys=False) + "\n", encoding="utf-8")


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
