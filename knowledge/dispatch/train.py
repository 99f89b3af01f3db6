"""Training the dispatch model (`govbot train-dispatch`): reproducible, seconds on two cores.

Data: the team-written texts of `data/dispatch/train/*.jsonl` (one writer per file; texts whose
department the directory lacks are left out) and each directory entry's duties, one clause a text.
Calibration: each writer's texts are predicted by a model trained without them (the duties are
always in), a temperature is fitted to those predictions (least log loss), and the threshold is the
lowest at which the texts dispatched are dispatched right at least `TARGET` of the time. Then the
model is fitted on everything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from knowledge.dispatch.decide import Entry, duties
from knowledge.dispatch.model import NONE, DispatchModel
from knowledge.reader.asked import AskedField
from knowledge.text import normalize

TARGET = 0.95  # of the texts the model dispatches, at least this share to the right department
TEMPERATURES = [round(t, 2) for t in np.arange(0.05, 1.51, 0.01)]
THRESHOLDS = [round(t, 2) for t in np.arange(0.05, 1.0, 0.01)]


def read_texts(folder: Path) -> dict[str, list[dict]]:
    """writer -> rows ({"text", "department"}), in file order."""
    out: dict[str, list[dict]] = {}
    for path in sorted(Path(folder).glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        out[path.stem] = [{"text": r["text"], "department": r["department"]} for r in rows]
    return out


def duty_texts(directory: list[Entry], hotline: str) -> list[dict]:
    """Each entry's duties, one clause a text; not the hotline's own entry, whose duties list what
    citizens may bring to it ("对违法违规行为的举报（占道经营、违章搭建…）") — every department's
    matters, which the hotline passes on rather than owns."""
    return [{"text": clause, "department": e.key} for e in directory if not (hotline and hotline in e.title) for clause in duties(e)]


def _remembering(encode: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """`encode`, each text embedded once however many folds read it."""
    seen: dict[str, np.ndarray] = {}

    def remembered(texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if new:
            seen.update(zip(new, np.asarray(encode(new), dtype=np.float32)))
        return np.stack([seen[t] for t in texts])

    return remembered


def _fit(rows: list[dict], keys: list[str], encode) -> AskedField:
    texts = [normalize(r["text"]) for r in rows]
    return AskedField.fit(texts, encode(texts), [keys.index(r["department"]) for r in rows], len(keys))


def _logits(model: AskedField, rows: list[dict], encode) -> np.ndarray:
    texts = [normalize(r["text"]) for r in rows]
    vectors = encode(texts)
    return np.stack([model.coef @ model.features(t, v) + model.bias for t, v in zip(texts, vectors)])


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    losses = [-np.log(_softmax(logits, t)[np.arange(len(labels)), labels] + 1e-12).mean() for t in TEMPERATURES]
    return TEMPERATURES[int(np.argmin(losses))]


def choose_threshold(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, list[dict]]:
    """The lowest threshold whose dispatched texts are right at least TARGET of the time, and the table."""
    best, pred = probabilities.max(axis=1), probabilities.argmax(axis=1)
    table = []
    for t in THRESHOLDS:
        sent = best >= t
        right = float((pred[sent] == labels[sent]).mean()) if sent.any() else 1.0
        table.append({"threshold": t, "dispatched": round(float(sent.mean()), 3), "right_when_dispatched": round(right, 3)})
    chosen = next((row["threshold"] for row in table if row["right_when_dispatched"] >= TARGET), THRESHOLDS[-1])
    return chosen, table


def train(
    directory: list[Entry],
    data: Path,
    encode: Callable[[list[str]], np.ndarray],
    hotline: str = "",
    progress: Callable[[str], None] = lambda _m: None,
) -> tuple[DispatchModel, dict]:
    """`hotline`: the hotline's number, which names its own directory entry (see `duty_texts`)."""
    encode = _remembering(encode)
    keys = sorted(e.key for e in directory) + [NONE]
    writers = {w: [r for r in rows if r["department"] in keys] for w, rows in read_texts(data).items()}
    duty_rows = duty_texts(directory, hotline)
    oof_logits, oof_labels, per_writer = [], [], {}
    for writer, rows in writers.items():
        progress(f"held out: {writer}")
        rest = [r for w, rs in writers.items() if w != writer for r in rs]
        model = _fit(rest + duty_rows, keys, encode)
        logits = _logits(model, rows, encode)
        labels = np.asarray([keys.index(r["department"]) for r in rows])
        per_writer[writer] = {"texts": len(rows), "right_first": round(float((logits.argmax(axis=1) == labels).mean()), 3)}
        oof_logits.append(logits)
        oof_labels.append(labels)
    logits, labels = np.concatenate(oof_logits), np.concatenate(oof_labels)
    temperature = fit_temperature(logits, labels)
    threshold, table = choose_threshold(_softmax(logits, temperature), labels)
    progress("fitting on all texts")
    everything = [r for rs in writers.values() for r in rs] + duty_rows
    classifier = _fit(everything, keys, encode)
    digest = hashlib.sha256(json.dumps([sorted(writers.items()), duty_rows], ensure_ascii=False).encode()).hexdigest()[:8]
    card = {
        "version": f"dispatch-{date.today().isoformat()}-{digest}",
        "data": {"writers": {w: len(rs) for w, rs in writers.items()}, "duty_clauses": len(duty_rows), "keys": keys},
        "model": "multinomial logistic regression over character 1-3-grams (TF-IDF) and the e5 vector (knowledge.reader.asked.AskedField)",
        "calibration": {"temperature": temperature, "fitted_on": "each writer's texts predicted by a model trained without them"},
        "threshold": threshold,
        "target": f"of the texts dispatched, at least {TARGET:.0%} to the right department (out of writer)",
        "out_of_writer": {
            "per_writer": per_writer,
            "right_first": round(float((logits.argmax(axis=1) == labels).mean()), 3),
            "table": table,
        },
    }
    return DispatchModel(classifier, keys, temperature, threshold, card), card
