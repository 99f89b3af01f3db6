"""A follow-up read in its context (issue 18): which part of the service under discussion answers it.

When the conversation is about a service (the chat's `context_key`: the item the last answer came
from, or the service a question we could not answer named), a follow-up ("要带什么材料？", "那公示
几天", "我交了3年，最长能领多久？") is most likely answered by one of that service's own parts:
a field of its guide or one of its Q&As. The general reader scores candidates of the whole
knowledge base for a question read on its own; here every part of the service is scored for the
follow-up, with what the general reader made of it as features (how it ranked the part's item,
the field model's choice, the asked field), how much of the follow-up the part covers, whether the
part is what the last answer quoted, and whether the follow-up names another service (a topic
change: the general reading then wins).

`FollowUps` is boosted trees over `FOLLOW_FEATURES` (one row per part) and an isotonic calibration
of the best part's score: the probability that answering with it is right, measured out of fold on
the team's follow-up dialogues (`data/dialogues/train`), grouped by service. The answer pipeline
compares it with the general reading's probability (`knowledge/answer/follow.py`).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.content import GUIDE_FIELDS
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.features import ASKED_COLUMNS, answer_types, asked_columns, field_features, guide_fields, is_empty
from knowledge.text import char_bigrams, title_words, tokenize

FOLLOW_FILE, FOLLOW_CARD = "followups.txt", "followups.json"
FOLLOW_FEATURES = (
    # the part
    "is_field",  # a guide field (1) or a Q&A (0)
    "field_index",  # FIELD_NAMES order, -1 for a Q&A
    "asked",  # the chance, from the question alone, that it asks for this field
    "field_score",  # the field model's score of this field of the guide
    "field_score_gap",  # ... minus the best field's
    "cosine",  # e5 cosine of the follow-up and the part (a Q&A: its best passage)
    "cover",  # IDF share of the follow-up's words (not the service's name) the part states
    "item_rank",  # where the general reading ranked the part's item (99: not among its candidates)
    "item_fit",  # the general reading's score of the part's item
    "log_length",
    "pair_share",  # share of the follow-up's character pairs (not the name's) in the part
    "was_quoted",  # the part's item is the one the last answer came from
    "cosine_answer",  # a Q&A: its question-and-answer passage; a field: its cosine
    "cosine_question",  # a Q&A: its best question wording; a field: its cosine
    *(f"states_{kind}" for kind in ("number", "money", "duration", "phone", "address")),  # what kind of fact it states
    # the follow-up and the general reading
    "top_in_service",  # the general reading's best candidate belongs to this service
    "top_probability",  # ... and its calibrated probability
    "top_fit",
    "names_other_service",  # the follow-up uses a word of another service's name
    "names_this_service",
    "log_question_length",
    "rewritten",  # the follow-up named no service and was read with this one's name
    *(f"asked_{name}" for name in ASKED_COLUMNS),  # what the follow-up asks for (with states_*: a fee asked, money stated)
)
RELATIVE_FEATURES = ("cosine_rank", "cover_rank", "cosine_gap", "cover_gap", "parts")  # the part among the service's parts
FOLLOW_FEATURES += RELATIVE_FEATURES
PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "seed": 7,
    "deterministic": True,
    "verbose": -1,
    "num_threads": 1,
}
ROUNDS = 300
FOLDS = 5
MAX_WRONG = 0.05  # follow-ups answered wrongly from a part, out of all follow-ups (out of fold)


@dataclass
class Part:
    """One part of a service that may answer a follow-up: a guide field or a Q&A."""

    item_id: int
    field: str  # a guide field's name (GUIDE_FIELDS), "answer" for a Q&A
    text: str


def service_parts(index: HybridIndex, guide_id: int) -> list[Part]:
    """The guide's non-empty fields (its name aside) and the Q&As of its service."""
    meta = index.meta[guide_id]
    parts = [
        Part(guide_id, name, text)
        for name, text, pid in guide_fields(Hit(meta=meta, score=0.0), index)
        if pid and name != "name" and not is_empty(text)
    ]
    for qa in index.service_members(guide_id):
        pids = index.item_pids.get(qa, [])
        if pids:
            parts.append(Part(qa, "answer", index.passages[pids[0]].text))
    return parts


def context_service(index: HybridIndex, context_key: str) -> int | None:
    """The guide of the service under discussion, when the context names an item of one."""
    item = index.item_id(context_key) if context_key else None
    return index.service_of(item) if item is not None else None


def part_features(turn, index: HybridIndex, reader, guide_id: int, parts: list[Part]) -> np.ndarray:
    """One row of FOLLOW_FEATURES per part, for a turn the general reader has read (`read_step`)."""
    question, meta = turn.question, index.meta[guide_id]
    name_words = title_words(meta.title)
    words = [w for w in sorted(question.words) if w not in name_words]
    total = sum(question.weights[w] for w in words) or 1.0
    pairs = set(char_bigrams(turn.text)) - set(char_bigrams(meta.title))
    guide_hit = next((h for h in turn.hits if h.meta.item_id == guide_id), None) or Hit(meta=meta, score=0.0)
    field_scores = dict(
        zip(
            (name for name, _, _ in guide_fields(guide_hit, index)),
            reader.predict_fields(field_features(question, guide_hit, index, turn.asked)),
        )
    )
    best_field = max(field_scores.values()) if field_scores else 0.0
    field_order = {name: i for i, name in enumerate(GUIDE_FIELDS)}
    ranks = {h.meta.item_id: r for r, h in enumerate(turn.hits)}
    fits = {h.meta.item_id: h.fit for h in turn.hits}
    top = turn.hits[0]
    asked_words = set(tokenize(" ".join([turn.text] + turn.expansions)))
    quoted = index.item_id(turn.context_key)
    common = [
        float(index.service_of(top.meta.item_id) == guide_id),
        turn.confidence,
        top.fit,
        float(bool((asked_words & index.service_words()) - name_words)),
        float(bool(asked_words & name_words)),
        math.log1p(len(turn.raw)),
        float(turn.topic_guide is not None),
        *asked_columns(turn.asked),
    ]
    rows = []
    for part in parts:
        pids = index.item_pids.get(part.item_id, [])
        if part.field == "answer":
            sims = index.dense.similarity(question.vector, pids)
            cosine = max(sims.values(), default=0.0)
            with_answer = sims.get(pids[-1], 0.0) if pids else 0.0
            wordings = max((sims.get(p, 0.0) for p in pids[:-1]), default=0.0)
            text = index.item_text(part.item_id)
            field_at, asked, score, gap = -1.0, 0.0, 0.0, 0.0
        else:
            pid = next((p for p in pids if index.passages[p].field == part.field), None)
            cosine = with_answer = wordings = index.dense.similarity(question.vector, [pid]).get(pid, 0.0) if pid else 0.0
            text = part.text
            at = field_order[part.field]
            field_at, asked = float(at), float(turn.asked[at])
            score = float(field_scores.get(part.field, 0.0))
            gap = score - best_field
        cover = sum(question.weights[w] for w in words if w in text) / total
        share = len(pairs & set(char_bigrams(text))) / (len(pairs) or 1)
        rows.append(
            [
                float(part.field != "answer"),
                field_at,
                asked,
                score,
                gap,
                cosine,
                cover,
                float(ranks.get(part.item_id, 99)),
                fits.get(part.item_id, 0.0),
                math.log1p(len(text)),
                share,
                float(quoted == part.item_id),
                with_answer,
                wordings,
                *answer_types(part.text),
                *common,
            ]
        )
    x = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FOLLOW_FEATURES) - len(RELATIVE_FEATURES))
    if not len(x):
        return np.zeros((0, len(FOLLOW_FEATURES)), dtype=np.float32)
    cosines, covers = x[:, FOLLOW_FEATURES.index("cosine")], x[:, FOLLOW_FEATURES.index("cover")]
    extra = np.stack(
        [
            np.argsort(np.argsort(-cosines, kind="stable"), kind="stable"),
            np.argsort(np.argsort(-covers, kind="stable"), kind="stable"),
            cosines - cosines.max(),
            covers - covers.max(),
            np.full(len(x), len(x)),
        ],
        axis=1,
    ).astype(np.float32)
    return np.concatenate([x, extra], axis=1)


@dataclass
class FollowExample:
    """A follow-up of the training dialogues: its service's parts, their rows, which one is right."""

    id: str
    kb: str
    kind: str
    group: str  # the service under discussion (folds are grouped by it)
    x: np.ndarray
    right: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


class FollowUps:
    """Trees over FOLLOW_FEATURES and the calibration of the best part's score."""

    def __init__(self, booster, calibration, card: dict):
        self.booster, self.calibration, self.card = booster, calibration, card

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(x, num_threads=1) if len(x) else np.zeros(0)

    def probability(self, raw: float) -> float:
        return float(np.clip(self.calibration(raw), 0.0, 1.0))

    @property
    def threshold(self) -> float:
        """The operating point: the probability a follow-up answered from a part needs (card)."""
        return float(self.card.get("threshold", 1.01))

    def save(self, folder: Path) -> list[str]:
        self.booster.save_model(str(Path(folder) / FOLLOW_FILE))
        data = {"calibration": {"x": self.calibration.x, "y": self.calibration.y}, "card": self.card}
        (Path(folder) / FOLLOW_CARD).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return [FOLLOW_FILE, FOLLOW_CARD]

    @classmethod
    def load(cls, folder: Path) -> "FollowUps":
        import lightgbm

        from knowledge.reader.model import Calibration

        booster = lightgbm.Booster(model_file=str(Path(folder) / FOLLOW_FILE))
        if booster.num_feature() != len(FOLLOW_FEATURES):
            raise ValueError("the follow-up model was trained on other features than this code computes")
        data = json.loads((Path(folder) / FOLLOW_CARD).read_text(encoding="utf-8"))
        return cls(booster, Calibration(data["calibration"]["x"], data["calibration"]["y"]), data["card"])


def _train(examples: list[FollowExample]):
    import lightgbm

    x = np.concatenate([e.x for e in examples])
    y = np.concatenate([e.right for e in examples]).astype(float)
    return lightgbm.train(PARAMS, lightgbm.Dataset(x, y, free_raw_data=False), ROUNDS)


def fit(examples: list[FollowExample], log=print) -> tuple[FollowUps, list[tuple[FollowExample, int, float]]]:
    """Out of fold (grouped by service) the best part's score and whether it is right: the
    calibration; then the trees on every example. Returns the model and the out-of-fold choices."""
    from knowledge.reader.model import Calibration

    usable = [e for e in examples if len(e.x)]
    groups = sorted({e.group for e in usable})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    oof: list[tuple[FollowExample, int, float]] = []
    for k in range(FOLDS):
        fit_on = [e for e in usable if fold_of[e.group] != k]
        held = [e for e in usable if fold_of[e.group] == k]
        if not held or not fit_on or not any(e.right.any() for e in fit_on):
            continue
        booster = _train(fit_on)
        for e in held:
            s = booster.predict(e.x, num_threads=1)
            best = int(np.argmax(s))
            oof.append((e, best, float(s[best])))
        log(f"follow-ups fold {k + 1}/{FOLDS}: {len(held)} held out")
    order = {e.id: i for i, e in enumerate(usable)}
    oof.sort(key=lambda o: order[o[0].id])
    raw = np.asarray([s for _, _, s in oof])
    right = np.asarray([bool(e.right[b]) for e, b, _ in oof], dtype=float)
    calibration = Calibration.fit(raw, right) if len(oof) else Calibration()
    booster = _train(usable) if any(e.right.any() for e in usable) else None
    if booster is None:
        raise ValueError("no follow-up of the training dialogues is answered by a part of its service")
    threshold = operating_point([calibration(s) for _, _, s in oof], [bool(e.right[b]) for e, b, _ in oof], len(examples))
    card = {
        "threshold": threshold,
        "max_wrong": MAX_WRONG,
        "follow_ups": len(examples),
        "in_a_known_service": len(usable),
        "answerable_in_it": int(sum(e.right.any() for e in usable)),
        "by_kb": dict(Counter(e.kb for e in usable)),
        "params": PARAMS | {"rounds": ROUNDS, "folds": FOLDS},
        "out_of_fold_best_part_right": round(float(right.mean()), 3) if len(right) else None,
        "out_of_fold_at_threshold": _answered(oof, calibration, threshold, len(examples)),
    }
    return FollowUps(booster, calibration, card), oof


def operating_point(chances: list[float], right: list[bool], total: int) -> float:
    """The lowest probability (grid of 0.01) at which the follow-ups answered from a part of their
    service, wrongly, are at most MAX_WRONG of all follow-ups (out of fold): the same bound as the
    reader's operating points."""
    for step in range(0, 101):
        t = step / 100
        wrong = sum(1 for c, r in zip(chances, right) if c >= t and not r)
        if wrong <= MAX_WRONG * max(total, 1):
            return t
    return 1.01


def _answered(oof, calibration, threshold: float, total: int) -> dict:
    chosen = [bool(e.right[b]) for e, b, s in oof if calibration(s) >= threshold]
    n = max(total, 1)
    return {"answered": round(len(chosen) / n, 3), "right": round(sum(chosen) / n, 3), "wrong": round((len(chosen) - sum(chosen)) / n, 3)}


def collect(knowledge, rows, progress=None) -> list[FollowExample]:
    """Each follow-up (a `Labelled` with its earlier turns) asked as the chat asks it: the service
    under discussion found from the earlier turns (`Knowledge.context_for`), the follow-up read by
    the general reader in it (`AnswerPipeline.read`), then its service's parts, labelled: right is
    the labelled item, and for a guide the labelled field. A follow-up read without a service (no
    context found) gives no example: the general reading answers it alone."""
    index = knowledge.index
    out = []
    for row in rows:
        context = knowledge.context_for(list(row.turns))
        turn = knowledge.pipeline.read(row.question, context_key=context)
        guide = context_service(index, context) if turn.question is not None and turn.hits else None
        parts = service_parts(index, guide) if guide is not None else []
        x = part_features(turn, index, knowledge.pipeline.reader, guide, parts) if parts else np.zeros((0, len(FOLLOW_FEATURES)))
        item = index.item_id(row.item)
        right = np.asarray([p.item_id == item and p.field == (row.field or "answer") for p in parts], dtype=bool)
        out.append(FollowExample(row.id, row.kb, row.style, f"{row.kb}:{guide}", np.asarray(x, dtype=np.float32), right))
        if progress is not None:
            progress.update(1)
    return out
