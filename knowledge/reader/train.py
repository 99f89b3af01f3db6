"""Train the reader from labelled questions (`govbot train-reader`).

1. **Candidates**: every question is asked of the knowledge base it was written about; the
   hybrid search's first `READ_DEPTH` items are its candidates (the hard negatives are what the
   search returns). An item is right if it is the labelled one or holds the labelled answer words.
2. **Items**: boosted trees on the candidates' features, binary (right / not).
3. **Fields**: the question's e5 vector -> asked field (logistic regression), then boosted trees
   over each field of the labelled guide.
4. **Calibration**: five folds grouped by item (no item in two folds); the out-of-fold score of
   each question's best candidate against "it is right" gives the isotonic calibration and the
   risk-coverage table; the threshold is the lowest one whose wrong-answer rate is at most
   `MAX_WRONG` (answered without the right item, plus answered near misses, over all questions).
5. The final trees are trained on all questions with the same settings; a model card records the
   data, the metrics per split and the threshold.

Deterministic: fixed seeds, one thread, questions and candidates in a fixed order.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.answer.normalize import normalize_step
from knowledge.answer.read import READ_DEPTH, question_of
from knowledge.answer.retrieve import retrieve_step
from knowledge.answer.types import Turn
from knowledge.index.hybrid import Hit
from knowledge.reader.data import Labelled
from knowledge.reader.features import ASKED_COLUMNS, FIELD_FEATURES, FIELD_NAMES, ITEM_FEATURES, field_features, guide_fields, is_empty, item_features
from knowledge.reader.choices import close_choices
from knowledge.content import GUIDE_FIELDS
from knowledge.reader.cross import MAX_TOKENS, TOP_LAYERS
from knowledge.reader.model import Calibration, Reader, asked_probabilities
from knowledge.reader.stack import STACK_DEPTH, Decider, decider_rows
from knowledge.reader.splits import group_of
from knowledge.text import tokenize

SEED = 13
FOLDS = 5
MAX_WRONG = 0.05
MIN_QUESTION_DF = 3  # a word must be in this many questions before its frequency counts
ITEM_PARAMS = dict(objective="binary", learning_rate=0.05, num_leaves=15, min_data_in_leaf=20,
                   feature_fraction=0.8, bagging_fraction=1.0, lambda_l2=1.0, seed=SEED, deterministic=True,
                   force_row_wise=True, num_threads=1, verbose=-1)
ITEM_ROUNDS = 300
FIELD_PARAMS = dict(ITEM_PARAMS, num_leaves=7)
FIELD_ROUNDS = 150


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class Example:
    """One labelled question with its candidates' features and labels."""
    row: Labelled
    keys: list[str]
    items: np.ndarray
    labels: np.ndarray
    fields: np.ndarray | None = None
    field_labels: np.ndarray | None = None
    vector: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def question_frequencies(questions: list[str]) -> dict[str, float]:
    """Share of questions that use each word (words used by few questions are left out)."""
    df = Counter(w for q in questions for w in set(tokenize(q)))
    n = max(1, len(questions))
    return {w: c / n for w, c in df.items() if c >= MIN_QUESTION_DF}


def collect(knowledge, rows: list[Labelled], qdf: dict[str, float], progress=None) -> list[Example]:
    """Ask every question of `knowledge` (one knowledge base) and describe its candidates."""
    index, settings = knowledge.index, knowledge.settings
    by_source = {Path(m.source).name: m for m in index.meta.values() if m.source}
    by_key = {m.key: m for m in index.meta.values()}
    out = []
    for row in rows:
        turn = Turn(raw=row.question)
        normalize_step(turn, index)
        retrieve_step(turn, index, knowledge.embeddings, settings)
        hits = turn.hits[:READ_DEPTH]
        question = question_of(turn, index)
        gold = by_key.get(row.item) or by_source.get(row.item)
        fitting = {m.item_id for m in (by_key.get(k) or by_source.get(k) for k in row.items) if m is not None}
        if gold is not None:
            fitting.add(gold.item_id)
        span = _norm(row.span)
        labels = [float(row.label != "near_miss" and (
            h.meta.item_id in fitting
            or (bool(span) and row.label == "answer" and span in _norm(index.item_text(h.meta.item_id)))))
            for h in hits]
        example = Example(row, [h.meta.key for h in hits], item_features(question, hits, index, qdf),
                          np.asarray(labels, dtype=np.float32), vector=turn.query_vector)
        example.extra["service"] = [index.service_of(h.meta.item_id) or h.meta.item_id for h in hits]
        turn.question, turn.hits = question, hits
        fields_of = [guide_fields(h, index) for h in hits]
        example.extra.update(turn=turn, index=index, span=span,
                             field_texts=[{n: _norm(t) for n, t, _ in f} if h.meta.kind == "guide" else None
                                          for h, f in zip(hits, fields_of)])
        # which fields each candidate leaves empty: the asked_empty feature, once the asked-field
        # classifier of the fold is known (_with_asked)
        example.extra["empty"] = np.asarray([[float(h.meta.kind == "guide" and is_empty(text)) for _, text, _ in f]
                                             for h, f in zip(hits, fields_of)],
                                            dtype=np.float32).reshape(len(hits), len(FIELD_NAMES))
        if row.field and gold is not None and gold.kind == "guide" and row.label != "near_miss":
            hit = Hit(gold, 0.0)
            asked = np.full(len(FIELD_NAMES), 1.0 / len(FIELD_NAMES), dtype=np.float32)  # set per fold below
            example.fields = field_features(question, hit, index, asked)
            texts = {name: _norm(text) for name, text, _ in guide_fields(hit, index)}
            example.field_labels = np.asarray([float(name == row.field or (row.label == "answer" and bool(span)
                                                                            and span in texts.get(name, "")))
                                               for name in FIELD_NAMES], dtype=np.float32)
        out.append(example)
        if progress is not None:
            progress.update(1)
    return out


# --- the asked-field classifier ---------------------------------------------------------------
def fit_asked(examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    rows = [e for e in examples if e.field_labels is not None]
    dim = len(examples[0].vector)
    coef = np.full((len(FIELD_NAMES), dim), 0.0, dtype=np.float32)
    bias = np.full(len(FIELD_NAMES), -20.0, dtype=np.float32)  # a field nobody asked for in training
    y = np.asarray([int(np.argmax(e.field_labels)) for e in rows], dtype=int)
    if len(set(y.tolist())) < 2:  # too few guide questions to learn from: every field alike (or the one seen)
        bias[:] = 0.0
        if len(y):
            bias[y[0]] = 1.0
        return coef, bias
    x = np.stack([e.vector for e in rows])
    model = LogisticRegression(C=4.0, max_iter=2000, random_state=SEED)
    model.fit(x, y)
    if len(model.classes_) == 2:  # a binary model: one row of weights, for the second class
        coef[model.classes_[1]], bias[model.classes_[1]] = model.coef_[0], model.intercept_[0]
        bias[model.classes_[0]] = 0.0
        return coef, bias
    for row, cls in enumerate(model.classes_):
        coef[cls], bias[cls] = model.coef_[row], model.intercept_[row]
    return coef, bias


ASKED_EMPTY = ITEM_FEATURES.index("asked_empty")
ASKED_AT = [ITEM_FEATURES.index(f"asked_{name}") for name in ASKED_COLUMNS]


def _with_asked(e: Example, coef, bias) -> np.ndarray:
    """The item rows with the columns that depend on the asked-field classifier of this fold."""
    x = e.items.copy()
    if len(x):
        asked = asked_probabilities(coef, bias, e.vector)
        x[:, ASKED_EMPTY] = e.extra["empty"] @ asked
        for column, name in zip(ASKED_AT, ASKED_COLUMNS):
            x[:, column] = asked[FIELD_NAMES.index(name)]
    return x


ASKED_PROB, ASKED_RANK = FIELD_FEATURES.index("asked_prob"), FIELD_FEATURES.index("asked_rank")


def _field_matrix(examples: list[Example], coef, bias) -> tuple[np.ndarray, np.ndarray]:
    """The field rows with the columns that depend on the asked-field classifier of this fold."""
    xs, ys = [], []
    for e in examples:
        if e.fields is None:
            continue
        rows = e.fields.copy()
        asked = asked_probabilities(coef, bias, e.vector)
        rows[:, ASKED_PROB] = asked
        order = {i: r for r, i in enumerate(np.argsort(-asked, kind="stable"))}
        rows[:, ASKED_RANK] = [order[i] for i in range(len(asked))]
        xs.append(rows)
        ys.append(e.field_labels)
    if not xs:
        return np.zeros((0, len(FIELD_FEATURES)), np.float32), np.zeros(0, np.float32)
    return np.concatenate(xs), np.concatenate(ys)


# --- boosted trees --------------------------------------------------------------------------------
def _train(x: np.ndarray, y: np.ndarray, params: dict, rounds: int):
    import lightgbm

    return lightgbm.train(params, lightgbm.Dataset(x, y, free_raw_data=False), num_boost_round=rounds)


def _fit_all(examples: list[Example]):
    coef, bias = fit_asked(examples)
    x = np.concatenate([_with_asked(e, coef, bias) for e in examples if len(e.items)])
    y = np.concatenate([e.labels for e in examples if len(e.items)])
    items = _train(x, y, ITEM_PARAMS, ITEM_ROUNDS)
    fx, fy = _field_matrix(examples, coef, bias)
    if len(fx) == 0:
        raise ValueError("no question about a guide's field to learn field choice from: use more data")
    fields = _train(fx, fy, FIELD_PARAMS, FIELD_ROUNDS)
    return items, fields, coef, bias


def _folds(examples: list[Example]) -> list[int]:
    """A fold per example, grouped by item group (stable hash), so no item is in two folds."""
    return [int(hashlib.sha256(f"fold:{e.row.kb}:{group_of(e.row.kb, e.row.item)}".encode()).hexdigest()[:8], 16) % FOLDS
            for e in examples]


@dataclass
class Outcome:
    """The reader's view of one question, for metrics."""
    row: Labelled
    raw: float  # the best candidate's score
    right_item: bool
    right_field: bool | None  # None: not a guide question
    scores: list[float] = field(default_factory=list)  # every candidate's score, best first
    services: list = field(default_factory=list)  # the service of each, in the same order

    def asks(self, floor: float, margin: float) -> bool:
        return bool(close_choices(self.scores, self.services, floor, margin))


def predict(examples: list[Example], items, fields, coef, bias) -> list[Outcome]:
    out = []
    for e in examples:
        if not len(e.items):
            out.append(Outcome(e.row, 0.0, False, None))
            continue
        scores = items.predict(_with_asked(e, coef, bias), num_threads=1)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        best = order[0]
        right_field = None
        if e.fields is not None:
            fx, _ = _field_matrix([e], coef, bias)
            right_field = bool(e.field_labels[int(np.argmax(fields.predict(fx, num_threads=1)))])
        out.append(Outcome(e.row, float(scores[best]), bool(e.labels[best]), right_field,
                           [float(scores[i]) for i in order], [e.extra["service"][i] for i in order]))
    return out


def choose_clarify(outcomes: list[Outcome], max_false: float = 0.03) -> dict:
    """The floor and margin that ask back the most ambiguous questions while asking back at most
    `max_false` of the answerable ones whose best candidate is right."""
    ambiguous = [o for o in outcomes if o.row.label == "ambiguous"]
    answerable = [o for o in outcomes if o.row.label == "answer" and o.right_item]
    best = {"floor": 1.01, "margin": 0.0, "ambiguous_asked": 0.0, "answerable_asked": 0.0}
    if not ambiguous or not answerable:
        return best
    for floor in [round(f, 2) for f in np.arange(0.1, 0.95, 0.05)]:
        for margin in [round(m, 2) for m in np.arange(0.05, 0.95, 0.05)]:
            asked = sum(o.asks(floor, margin) for o in ambiguous) / len(ambiguous)
            false = sum(o.asks(floor, margin) for o in answerable) / len(answerable)
            if false <= max_false and asked > best["ambiguous_asked"]:
                best = {"floor": floor, "margin": margin, "ambiguous_asked": round(asked, 4),
                        "answerable_asked": round(false, 4)}
    return best


def predict_with(reader: Reader, examples: list[Example]) -> list[Outcome]:
    if reader.decider is None:
        return predict(examples, reader.items, reader.fields, reader.asked_coef, reader.asked_bias)
    for e in examples:
        scores = reader.items.predict(_with_asked(e, reader.asked_coef, reader.asked_bias), num_threads=1) \
            if len(e.items) else np.zeros(0)
        read_units(e, scores, reader)
    cross = reader.cross.predict([p for e in examples for p in _pairs(e)])
    _spread(examples, cross)
    return [_stacked_outcome(e, reader.decider(decider_rows(np.asarray(e.extra["trees"]), np.asarray(e.extra["cross"]))))
            for e in examples]


# --- the second look: cross-encoder and decider (knowledge.reader.stack) --------------------------
def read_units(e: Example, scores: np.ndarray, reader: Reader) -> None:
    """What the best candidates (by the trees) would quote, and whether that states the answer."""
    from knowledge.answer.read import pick_field, unit_text

    turn, index = e.extra["turn"], e.extra["index"]
    turn.asked = reader.asked(turn.query_vector)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:STACK_DEPTH]
    units, labels, field_right, extra = [], [], [], []
    for i in order:
        hit = turn.hits[i]
        ok = bool(e.labels[i]) and e.row.label in ("answer", "ambiguous")
        right = None
        if hit.meta.kind == "guide" and e.row.label == "answer" and ok:
            name, text, _ = pick_field(turn, hit, index, reader)
            texts = e.extra["field_texts"][i]
            span = e.extra["span"]
            right = name == e.row.field or (bool(span) and span in texts.get(name, "")) or not (e.row.field or span)
            ok = ok and right
            if not right and e.row.field in texts:  # the field that does state it: one more positive to learn from
                label = GUIDE_FIELDS.get(e.row.field, e.row.field)
                extra.append((f"{hit.meta.title} {label}：{texts[e.row.field]}", 1.0))
        units.append(unit_text(turn, hit, index, reader))
        labels.append(float(ok))
        field_right.append(right)
    e.extra.update(top=order, units=units, unit_labels=labels, field_right=field_right, extra_units=extra,
                   trees=[float(scores[i]) for i in order])


def _pairs(e: Example, with_extra: bool = False) -> list[tuple[str, str]]:
    question = e.extra["turn"].question.text
    units = e.extra["units"] + ([u for u, _ in e.extra["extra_units"]] if with_extra else [])
    return [(question, u) for u in units]


def _pair_labels(e: Example) -> list[float]:
    return e.extra["unit_labels"] + [y for _, y in e.extra["extra_units"]]


def _spread(examples: list[Example], cross: np.ndarray) -> None:
    at = 0
    for e in examples:
        n = len(e.extra["units"])
        e.extra["cross"] = [float(v) for v in cross[at:at + n]]
        at += n


def _stacked_outcome(e: Example, final: np.ndarray) -> Outcome:
    if not len(final):
        return Outcome(e.row, 0.0, False, None)
    order = sorted(range(len(final)), key=lambda i: (-final[i], i))
    best = order[0]
    top = e.extra["top"]
    return Outcome(e.row, float(final[best]), bool(e.extra["unit_labels"][best]), e.extra["field_right"][best],
                   [float(final[i]) for i in order], [e.extra["service"][top[i]] for i in order])


def _cross_reader(encoder_source, seed: int = SEED):
    from knowledge.reader.cross import CrossReader
    return CrossReader(encoder_source.model[0].auto_model, encoder_source.model.tokenizer, seed=seed)


def _fit_cross(examples: list[Example], encoder_source, log, desc: str):
    from tqdm import tqdm

    pairs = [p for e in examples for p in _pairs(e, with_extra=True)]
    labels = [y for e in examples for y in _pair_labels(e)]
    cross = _cross_reader(encoder_source)
    with tqdm(total=len(pairs), desc=desc, unit="对", leave=False) as bar:
        cross.fit(pairs, labels, seed=SEED, progress=bar)
    log(f"{desc}: {len(pairs)} pairs, {int(sum(labels))} positive")
    return cross


def second_look(examples: list[Example], folds: list[int], encoder_source, log) -> tuple[list[Outcome], Decider, object]:
    """Cross-encoder scores out of fold (two halves), the decider out of fold (the same folds as
    the trees), then both on everything. Returns the out-of-fold outcomes and the final parts."""
    halves = [f % 2 for f in folds]
    for half in (0, 1):
        train_on = [e for e, h in zip(examples, halves) if h != half and len(e.items)]
        score = [e for e, h in zip(examples, halves) if h == half and len(e.items)]
        cross = _fit_cross(train_on, encoder_source, log, f"交叉编码器 {half + 1}/2")
        _spread(score, cross.predict([p for e in score for p in _pairs(e)]))
    rows = {id(e): decider_rows(np.asarray(e.extra["trees"]), np.asarray(e.extra["cross"])) for e in examples if len(e.items)}
    oof = []
    for k in range(FOLDS):
        fit_on = [e for e, f in zip(examples, folds) if f != k and len(e.items)]
        decider = Decider.fit(np.concatenate([rows[id(e)] for e in fit_on]),
                              np.concatenate([e.extra["unit_labels"] for e in fit_on]))
        for e, f in zip(examples, folds):
            if f == k:
                oof.append(_stacked_outcome(e, decider(rows[id(e)])) if len(e.items) else Outcome(e.row, 0.0, False, None))
    usable = [e for e in examples if len(e.items)]
    decider = Decider.fit(np.concatenate([rows[id(e)] for e in usable]),
                          np.concatenate([e.extra["unit_labels"] for e in usable]))
    cross = _fit_cross(usable, encoder_source, log, "交叉编码器（全部）")
    return oof, decider, cross


def _answers(o: Outcome, probability, threshold: float, clarify: dict) -> bool:
    return not o.asks(clarify["floor"], clarify["margin"]) and probability(o.raw) >= threshold


def _wrong(o: Outcome) -> bool:
    """Answering this question with its best candidate would be wrong."""
    return o.row.label != "answer" or not o.right_item


def risk_coverage(outcomes: list[Outcome], probability, clarify: dict, thresholds=None) -> list[dict]:
    """Answered share and wrong-answer share (of all questions) per threshold."""
    thresholds = thresholds or [round(t, 2) for t in np.arange(0.0, 1.0, 0.05)]
    n = max(1, len(outcomes))
    in_scope = [o for o in outcomes if o.row.label == "answer"]
    table = []
    for t in thresholds:
        answered = [o for o in outcomes if _answers(o, probability, t, clarify)]
        wrong = [o for o in answered if _wrong(o)]
        table.append({"threshold": t, "answered": round(len(answered) / n, 4), "wrong": round(len(wrong) / n, 4),
                      "in_scope_answered_right": round((len(answered) - len(wrong)) / max(1, len(in_scope)), 4)})
    return table


def choose_threshold(table: list[dict], max_wrong: float = MAX_WRONG) -> float:
    ok = [row for row in table if row["wrong"] <= max_wrong]
    return min(row["threshold"] for row in ok) if ok else table[-1]["threshold"]


def metrics(outcomes: list[Outcome], probability, threshold: float, clarify: dict) -> dict:
    by = {label: [o for o in outcomes if o.row.label == label] for label in ("answer", "field_missing", "near_miss",
                                                                           "ambiguous")}
    ins = by["answer"]
    guides = [o for o in ins if o.right_field is not None]
    answered = lambda o: _answers(o, probability, threshold, clarify)  # noqa: E731
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    wrong = [o for o in outcomes if answered(o) and _wrong(o)]
    return {
        "questions": len(outcomes), "in_scope": len(ins), "field_missing": len(by["field_missing"]),
        "near_miss": len(by["near_miss"]), "ambiguous": len(by["ambiguous"]),
        "top1_item": mean([o.right_item for o in ins]),
        "answered_in_scope": mean([answered(o) for o in ins]),
        "answered_right": mean([answered(o) and o.right_item and o.right_field is not False for o in ins]),
        "field_right": mean([bool(o.right_field) for o in guides if o.right_item]),
        "near_miss_refused": mean([not answered(o) for o in by["near_miss"]]),
        "field_missing_not_answered": mean([not answered(o) for o in by["field_missing"]]),
        "ambiguous_asked": mean([o.asks(clarify["floor"], clarify["margin"]) for o in by["ambiguous"]]),
        "wrong_rate": round(len(wrong) / max(1, len(outcomes)), 4),
    }


def train(examples: list[Example], qdf: dict[str, float], data_files: list[Path], log=print,
          encoder_source=None) -> tuple[Reader, dict]:
    """Cross-validated calibration, then the final model on all examples. With `encoder_source`
    (the e5 embeddings) the cross-encoder stage is trained too."""
    folds = _folds(examples)
    oof: list[Outcome] = []
    for k in range(FOLDS):
        fit_on = [e for e, f in zip(examples, folds) if f != k]
        held = [e for e, f in zip(examples, folds) if f == k]
        if not fit_on or not held:
            continue
        items, fields, coef, bias = _fit_all(fit_on)
        oof.extend(predict(held, items, fields, coef, bias))
        if encoder_source is not None:
            fold_reader = Reader(items, fields, coef, bias, Calibration(), qdf, {})
            for e in held:
                if len(e.items):
                    read_units(e, items.predict(_with_asked(e, coef, bias), num_threads=1), fold_reader)
        log(f"fold {k + 1}/{FOLDS}: {len(held)} questions held out")
    decider = cross = None
    if encoder_source is not None:
        oof, decider, cross = second_look(examples, folds, encoder_source, log)
    order = {id(e.row): i for i, e in enumerate(examples)}
    oof.sort(key=lambda o: order[id(o.row)])
    raw = np.asarray([o.raw for o in oof])
    correct = np.asarray([o.row.label == "answer" and o.right_item for o in oof], dtype=float)
    calibration = Calibration.fit(raw, correct)
    probability = lambda r: float(calibration(r))  # noqa: E731
    clarify = choose_clarify(oof)
    table = risk_coverage(oof, probability, clarify)
    threshold = choose_threshold(table)
    items, fields, coef, bias = _fit_all(examples)
    card = {
        "version": "", "trained": dt.date.today().isoformat(), "seed": SEED,
        "threshold": threshold, "max_wrong": MAX_WRONG, "clarify": clarify,
        "data": {"files": [_relative(p) for p in data_files], "questions": len(examples),
                 "by_kb": dict(Counter(e.row.kb for e in examples)),
                 "by_label": dict(Counter(e.row.label for e in examples)),
                 "sha256": _data_digest(data_files)},
        "params": {"items": ITEM_PARAMS | {"rounds": ITEM_ROUNDS}, "fields": FIELD_PARAMS | {"rounds": FIELD_ROUNDS}},
        "cross_validated": {"all": metrics(oof, probability, threshold, clarify),
                            **{f"split_{s}": metrics([o for o in oof if o.row.split == s], probability, threshold,
                                                     clarify) for s in ("train", "dev")},
                            **{f"kb_{kb}": metrics([o for o in oof if o.row.kb == kb], probability, threshold, clarify)
                               for kb in sorted({o.row.kb for o in oof})}},
        "risk_coverage": table,
        "candidate_recall": candidate_recall(examples),
    }
    if decider is not None:
        card["params"]["cross"] = {"top_layers": TOP_LAYERS, "max_tokens": MAX_TOKENS, "depth": STACK_DEPTH,
                                   "epochs": 1, "decider": decider.to_json()}
    reader = Reader(items, fields, coef, bias, calibration, qdf, card, decider, cross)
    return reader, card


def candidate_recall(examples: list[Example]) -> dict:
    """Share of answerable questions whose right item is among the search's READ_DEPTH candidates."""
    out = {}
    for kb in sorted({e.row.kb for e in examples}):
        rows = [e for e in examples if e.row.kb == kb and e.row.label == "answer"]
        if rows:
            out[kb] = round(sum(bool(len(e.labels) and e.labels.max() > 0) for e in rows) / len(rows), 4)
    return out


def _relative(path: Path) -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def _data_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def model_version(card: dict) -> str:
    digest = hashlib.sha256(json.dumps({k: v for k, v in card.items() if k != "version"},
                                       sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:8]
    return f"reader-{card['trained']}-{digest}"
