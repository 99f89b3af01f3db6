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

`FollowUps` is boosted trees over `FOLLOW_FEATURES` (one row per part) that rank a service's parts
against each other (a listwise objective, `PART_PARAMS`: the question is which of the parts
answers, not how likely each is on its own), then a learned choice
between the service's best part and the general reading (`CHOICE_FEATURES`: both readings' scores,
whether they agree, whether the follow-up names another service): two small tree models, the
chance that the part is right and the chance that the general reading is, learned out of fold on
the team's follow-up dialogues (`data/dialogues/train`, grouped by service), where the general
reading's probability means something else than on a question asked alone (a terse "要带什么？"
reads weakly alone). The chosen one's chance, calibrated (isotonic, out of fold), is the answer's
probability, and the card's threshold bounds wrong answers in context as the reader's operating
points do (`knowledge/answer/follow.py` applies it).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.answer.read import pick_field
from knowledge.cases import read_cases, situation_of, stated, stated_ranges
from knowledge.content import GUIDE_FIELDS
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.features import ASKED_COLUMNS, answer_types, asked_columns, field_features, guide_fields, is_empty
from knowledge.text import char_bigrams, pair_overlap, states_fact, title_words, tokenize

FOLLOW_FILE, FOLLOW_CARD = "followups.txt", "followups.json"
CHOICE_PART_FILE, CHOICE_GENERAL_FILE = "followups-part.txt", "followups-general.txt"
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
    "has_cases",  # it states cases by a quantity of the citizen's situation (`knowledge.cases`)
    "case_applies",  # the citizen stated a quantity one of its cases holds (1), one none holds (-1), else 0
    # the follow-up and the general reading
    "top_in_service",  # the general reading's best candidate belongs to this service
    "top_probability",  # ... and its calibrated probability
    "top_fit",
    "names_other_service",  # the follow-up uses a word of another service's name
    "names_this_service",
    "log_question_length",
    "rewritten",  # the follow-up named no service and was read with this one's name
    "states_situation",  # the follow-up (or what the citizen said before) states a quantity of their situation
    *(f"asked_{name}" for name in ASKED_COLUMNS),  # what the follow-up asks for (with states_*: a fee asked, money stated)
)
RELATIVE_FEATURES = ("cosine_rank", "cover_rank", "cosine_gap", "cover_gap", "parts")  # the part among the service's parts
FOLLOW_FEATURES += RELATIVE_FEATURES
GENERAL_KINDS = ("guide", "qa", "document")  # the general reading's best candidate's kind (else: 3)
CHOICE_FEATURES = (
    "part_score",  # the follow-up model's score of the service's best part
    "part_gap",  # ... minus the second best part's
    "parts",  # how many parts the service has
    "general_confidence",  # the general reading's calibrated probability (the question read alone)
    "general_kind",  # GENERAL_KINDS index of its best candidate
    "general_in_service",  # its best candidate is of the service under discussion
    "same_part",  # ... and it would answer with the follow-up model's best part
    "names_general_service",  # the follow-up uses a word of the name of the general reading's service
)
FROM_PART_ROW = (  # taken as they are from the follow-up's part rows (FOLLOW_FEATURES)
    "names_other_service",
    "names_this_service",
    "rewritten",
    "log_question_length",
    "top_fit",
)
CHOICE_FEATURES += FROM_PART_ROW
# whether the readings that compete with the best part say the same thing (a guide and its
# service's Q&As often state one fact in their own words: doubt between them costs nothing)
SAME_THING_FEATURES = (
    "runner_overlap",  # how much the second best part says what the best one says (`pair_overlap`)
    "rival_gap",  # the best part's score minus the best score of a part that says something else
    "general_overlap",  # how much the general reading's answer says what the best part says
)
CHOICE_FEATURES += SAME_THING_FEATURES
PARAMS = {  # the choice trees' (CHOICE_PARAMS) and, with a ranking objective, the part ranker's
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
# the parts of one follow-up's service are ranked against each other: a listwise softmax
# cross-entropy (XE-NDCG, Bruch et al. 2019) over each follow-up's parts; its scores are not
# probabilities, the choice trees read them (2026-12-05, seven seeds on the development dialogues:
# answered right at 5% wrong 0.57-0.60 with pointwise binary trees, 0.59-0.63 ranked; docs/reader.md)
PART_PARAMS = PARAMS | {"objective": "rank_xendcg"}
ROUNDS = 300
CHOICE_PARAMS = PARAMS | {"num_leaves": 7, "min_data_in_leaf": 30, "feature_fraction": 1.0}
CHOICE_ROUNDS = 150
FOLDS = 5
# each tree model is the mean of BAG boosters fitted with seeds seed, seed + 1, ... (bagging makes
# one fit's figures move with its seed: 2026-12-05, the development follow-ups 0.567-0.599 over
# five seeds of one reader, three times the tolerance readers are compared with; docs/reader.md)
BAG = 5
BAG_SEPARATOR = "\n=== bag member ===\n"
SAYS_THE_SAME = 0.5  # `pair_overlap` at which two parts are taken to say one thing (`rival_gap`)
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
            parts.append(Part(qa, "answer", index.passages[pids[0]].text))  # its answer
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
    said = f"{turn.raw} {turn.situation}"
    common = [
        float(index.service_of(top.meta.item_id) == guide_id),
        turn.confidence,
        top.fit,
        float(bool((asked_words & index.service_words()) - name_words)),
        float(bool(asked_words & name_words)),
        math.log1p(len(turn.raw)),
        float(turn.topic_guide is not None),
        float(bool(stated(said) or stated_ranges(said))),
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
                *case_columns(turn, part.text),
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


def case_columns(turn, text: str) -> tuple[float, float]:
    """`has_cases`, `case_applies` of a part's text for the turn (`knowledge.cases`)."""
    read = read_cases(text, turn.raw, turn.situation)
    if not read.cases:
        return 0.0, 0.0
    return 1.0, 1.0 if read.applies is not None else (-1.0 if read.stated else 0.0)


@dataclass
class General:
    """What the general reading (the follow-up read on its own, `read_step`) would answer with."""

    confidence: float
    kind: str  # its best candidate's kind of item
    in_service: bool  # ... which is of the service under discussion
    part: tuple[int, str]  # (item id, the guide field it would quote or "answer")
    text: str = ""  # what it would quote: the guide's field, a Q&A's text ("" for a document)
    names_its_service: bool = False  # the follow-up uses a word of its service's name (a topic change named)


def general_reading(turn, index: HybridIndex, reader, guide_id: int) -> General:
    """The general reading's answer; for a guide, the field it picks is kept on the turn (as the
    decision would pick it)."""
    top = turn.hits[0]
    pids = index.item_pids.get(top.meta.item_id, [])
    field_name, text = "answer", index.passages[pids[0]].text if top.meta.kind == "qa" and pids else ""
    if top.meta.kind == "guide":
        turn.field = pick_field(turn, top, index, reader)[:2]
        field_name, text = turn.field
    service = index.service_of(top.meta.item_id)
    title = index.meta[service].title if service is not None else top.meta.title
    named = bool(title_words(title) & set(tokenize(" ".join([turn.text] + turn.expansions))))
    return General(turn.confidence, top.meta.kind, service == guide_id, (top.meta.item_id, field_name), text, named)


def choice_row(x: np.ndarray, scores: np.ndarray, parts: list[Part], general: General) -> np.ndarray:
    """One row of CHOICE_FEATURES: the service's best part (by the follow-up model's `scores` of
    the part rows `x`) beside the general reading."""
    order = np.argsort(-scores, kind="stable")
    best = parts[int(order[0])]
    second = float(scores[order[1]]) if len(order) > 1 else 0.0
    overlaps = [pair_overlap(best.text, parts[int(i)].text) for i in order[1:]]
    rivals = [float(scores[i]) for i, same in zip(order[1:], overlaps) if same < SAYS_THE_SAME]
    common = x[0]
    kind = GENERAL_KINDS.index(general.kind) if general.kind in GENERAL_KINDS else len(GENERAL_KINDS)
    row = [
        float(scores[order[0]]),
        float(scores[order[0]]) - second,
        float(len(parts)),
        general.confidence,
        float(kind),
        float(general.in_service),
        float(general.part == (best.item_id, best.field)),
        float(general.names_its_service),
        *(float(common[FOLLOW_FEATURES.index(name)]) for name in FROM_PART_ROW),
        overlaps[0] if overlaps else 0.0,
        float(scores[order[0]]) - (rivals[0] if rivals else 0.0),
        pair_overlap(best.text, general.text),
    ]
    return np.asarray([row], dtype=np.float32)


@dataclass
class FollowExample:
    """A follow-up of the training dialogues: its service's parts, their rows, which one is right."""

    id: str
    kb: str
    kind: str
    group: str  # the service under discussion (folds are grouped by it)
    x: np.ndarray
    right: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    parts: list[Part] = field(default_factory=list)
    general: General | None = None
    general_right: bool = False  # the general reading's answer is the labelled part
    general_passes: bool = False  # ... at its kind's operating point (the reading without context)


class FollowUps:
    """Trees over FOLLOW_FEATURES (which part of the service answers), the choice between that
    part and the general reading (two trees over CHOICE_FEATURES: the chance that each is right),
    and the calibration of the chosen one's chance."""

    def __init__(self, booster, choice_part, choice_general, calibration, card: dict):
        self.booster, self.calibration, self.card = booster, calibration, card
        self.choice_part, self.choice_general = choice_part, choice_general

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The part ranker's score of each part row of `x`: comparable only within one service's
        parts (a ranking objective, `PART_PARAMS`), not a probability; the choice trees read them."""
        return self.booster.predict(x, num_threads=1) if len(x) else np.zeros(0)

    def choose(self, row: np.ndarray) -> tuple[bool, float]:
        """(answer with the part, not the general reading; the calibrated chance it is right)."""
        use_part, raw = _pick(self.choice_part, self.choice_general, row)
        return use_part, self.probability(raw)

    def probability(self, raw: float) -> float:
        return float(np.clip(self.calibration(raw), 0.0, 1.0))

    @property
    def threshold(self) -> float:
        """The operating point: the probability an answer in a conversation's context needs (card)."""
        return float(self.card.get("threshold", 1.01))

    def save(self, folder: Path) -> list[str]:
        folder = Path(folder)
        self.booster.save_model(str(folder / FOLLOW_FILE))
        self.choice_part.save_model(str(folder / CHOICE_PART_FILE))
        self.choice_general.save_model(str(folder / CHOICE_GENERAL_FILE))
        data = {"calibration": {"x": self.calibration.x, "y": self.calibration.y}, "card": self.card}
        (folder / FOLLOW_CARD).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return [FOLLOW_FILE, CHOICE_PART_FILE, CHOICE_GENERAL_FILE, FOLLOW_CARD]

    @classmethod
    def load(cls, folder: Path) -> "FollowUps":
        from knowledge.reader.model import Calibration

        folder = Path(folder)
        booster = Bag.load(folder / FOLLOW_FILE)
        part = Bag.load(folder / CHOICE_PART_FILE)
        general = Bag.load(folder / CHOICE_GENERAL_FILE)
        if booster.num_feature() != len(FOLLOW_FEATURES) or {part.num_feature(), general.num_feature()} != {len(CHOICE_FEATURES)}:
            raise ValueError("the follow-up model was trained on other features than this code computes")
        data = json.loads((folder / FOLLOW_CARD).read_text(encoding="utf-8"))
        return cls(booster, part, general, Calibration(data["calibration"]["x"], data["calibration"]["y"]), data["card"])


class Bag:
    """Boosted tree models fitted alike with different seeds; their mean is the prediction.
    Saved as one text file: the members' LightGBM model strings joined by BAG_SEPARATOR (a file
    of one model, as before the bag, loads as a bag of one)."""

    def __init__(self, boosters: list):
        self.boosters = list(boosters)

    def predict(self, x: np.ndarray, num_threads: int = 1) -> np.ndarray:
        return np.mean([b.predict(x, num_threads=num_threads) for b in self.boosters], axis=0)

    def num_feature(self) -> int:
        return self.boosters[0].num_feature()

    def save_model(self, path: str) -> None:
        text = BAG_SEPARATOR.join(b.model_to_string() for b in self.boosters)
        Path(path).write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Bag":
        import lightgbm

        text = Path(path).read_text(encoding="utf-8")
        return cls([lightgbm.Booster(model_str=member) for member in text.split(BAG_SEPARATOR)])


def _train(x: np.ndarray, y: np.ndarray, params: dict, rounds: int, group: list[int] | None = None) -> Bag:
    import lightgbm

    def member(seed: int):
        data = lightgbm.Dataset(x, y.astype(float), group=group, free_raw_data=False)
        return lightgbm.train(params | {"seed": seed}, data, rounds)

    return Bag([member(params["seed"] + i) for i in range(BAG)])


def _parts_model(examples: list[FollowExample]):
    """The part ranker: each follow-up's parts are one list (`group`), ranked against each other."""
    x, y = np.concatenate([e.x for e in examples]), np.concatenate([e.right for e in examples])
    return _train(x, y, PART_PARAMS, ROUNDS, group=[len(e.x) for e in examples])


@dataclass
class Choice:
    """A follow-up's best part (out of fold) beside its general reading: the row the choice
    trees read, and whether each is right."""

    example: FollowExample
    row: np.ndarray
    part_right: bool

    @classmethod
    def of(cls, example: FollowExample, scores: np.ndarray) -> "Choice":
        """The follow-up's best part by the part model's `scores`, beside its general reading."""
        row = choice_row(example.x, scores, example.parts, example.general)
        return cls(example, row, bool(example.right[int(np.argmax(scores))]))

    def right(self, use_part: bool) -> bool:
        """Whether the reading chosen (the part, else the general reading) is right."""
        return self.part_right if use_part else self.example.general_right


def _choices(examples: list[FollowExample], fold_of, log) -> list[Choice]:
    """Out of fold (grouped by service), each follow-up's best part and its CHOICE_FEATURES row."""
    out: dict[str, Choice] = {}
    for k in range(FOLDS):
        fit_on = [e for e in examples if fold_of[e.group] != k]
        held = [e for e in examples if fold_of[e.group] == k]
        if not held or not fit_on:
            continue
        booster = _parts_model(fit_on)
        for e in held:
            out[e.id] = Choice.of(e, booster.predict(e.x, num_threads=1))
        log(f"follow-ups fold {k + 1}/{FOLDS}: {len(held)} held out")
    return [out[e.id] for e in examples if e.id in out]


def _pick(part_model, general_model, row: np.ndarray) -> tuple[bool, float]:
    """The choice, in training as at run time: (the part's chance is the higher, that chance
    uncalibrated)."""
    part = float(part_model.predict(row, num_threads=1)[0])
    general = float(general_model.predict(row, num_threads=1)[0])
    return part > general, max(part, general)


def _choice_models(choices: list[Choice]):
    x = np.concatenate([c.row for c in choices])
    part = _train(x, np.asarray([c.part_right for c in choices]), CHOICE_PARAMS, CHOICE_ROUNDS)
    general = _train(x, np.asarray([c.example.general_right for c in choices]), CHOICE_PARAMS, CHOICE_ROUNDS)
    return part, general


def fit(
    examples: list[FollowExample], log=print, others: list[FollowExample] | None = None
) -> tuple[FollowUps, list[tuple[bool, float, bool]]]:
    """Out of fold (grouped by service): each follow-up's best part, then the choice between it and
    the general reading (the choice trees learn from the other folds' rows), whose chosen chance
    against "it is right" gives the calibration and the operating point. Then every model on every
    example. `others`: follow-ups by writers the model never learned from (the development
    dialogues): the operating point is raised until they too are answered wrongly at most
    MAX_WRONG of the time (`bound_on_others`), as the reader's thresholds are. Returns the model
    and the out-of-fold choices (part chosen, raw chance, right)."""
    from knowledge.reader.model import Calibration

    usable = [e for e in examples if len(e.x)]
    if not any(e.right.any() for e in usable):
        raise ValueError("no follow-up of the training dialogues is answered by a part of its service")
    groups = sorted({e.group for e in usable})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    choices = _choices(usable, fold_of, log)
    oof: list[tuple[bool, float, bool]] = []
    for k in range(FOLDS):
        fit_on = [c for c in choices if fold_of[c.example.group] != k]
        held = [c for c in choices if fold_of[c.example.group] == k]
        if not held or not fit_on:
            continue
        part_model, general_model = _choice_models(fit_on)
        for c in held:
            use_part, raw = _pick(part_model, general_model, c.row)
            oof.append((use_part, raw, c.right(use_part)))
    raw = np.asarray([r for _, r, _ in oof])
    right = np.asarray([ok for _, _, ok in oof], dtype=float)
    calibration = Calibration.fit(raw, right) if len(oof) else Calibration()
    chances = [float(calibration(r)) for r in raw]
    threshold = operating_point(chances, right.astype(bool).tolist(), len(examples))
    chosen = [(c, ok) for c, (_, _, ok) in zip(chances, oof) if c >= threshold]
    general_alone = [e.general_right for e in usable if e.general_passes]
    n = max(len(examples), 1)
    card = {
        "threshold": threshold,
        "max_wrong": MAX_WRONG,
        "follow_ups": len(examples),
        "in_a_known_service": len(usable),
        "answerable_in_it": int(sum(e.right.any() for e in usable)),
        "by_kb": dict(Counter(e.kb for e in usable)),
        "params": PART_PARAMS | {"rounds": ROUNDS, "folds": FOLDS, "bag": BAG},
        "choice_params": CHOICE_PARAMS | {"rounds": CHOICE_ROUNDS, "bag": BAG},
        "out_of_fold_best_part_right": round(float(np.mean([c.part_right for c in choices])), 3) if choices else None,
        "out_of_fold_part_chosen": round(float(np.mean([p for p, _, _ in oof])), 3) if oof else None,
        "out_of_fold_at_threshold": _rates(len(chosen), sum(ok for _, ok in chosen), n),
        # the same follow-ups in a known service read without context, at the reader's operating points
        "general_reading_alone": _rates(len(general_alone), sum(general_alone), n),
    }
    part_model, general_model = _choice_models(choices)
    model = FollowUps(_parts_model(usable), part_model, general_model, calibration, card)
    if others:
        bound_on_others(model, others)
    return model, oof


def bound_on_others(model: FollowUps, others: list[FollowExample]) -> None:
    """The operating point raised to the lowest at which the follow-ups of `others` (writers the
    model never learned from) are answered wrongly at most MAX_WRONG of the time. Out of fold, a
    follow-up is read by trees that learned from its writer's other dialogues, in the same voice;
    on other writers' dialogues the same point answered wrongly more often (2026-12-05: 0.066 of
    the development follow-ups at the out-of-fold point, 0.05 out of fold)."""
    chances, right = [], []
    for e in others:
        if not len(e.x):
            continue  # read without a service under discussion: the general reading answers alone
        choice = Choice.of(e, model.scores(e.x))
        use_part, chance = model.choose(choice.row)
        chances.append(chance)
        right.append(choice.right(use_part))
    own = model.threshold
    theirs = operating_point(chances, right, len(others))
    threshold = max(own, theirs)
    chosen = [ok for c, ok in zip(chances, right) if c >= threshold]
    model.card.update(
        threshold=threshold,
        threshold_out_of_fold=own,
        threshold_others=theirs,
        bound_on=len(others),
        others_at_threshold=_rates(len(chosen), sum(chosen), max(len(others), 1)),
    )


def operating_point(chances: list[float], right: list[bool], total: int) -> float:
    """The lowest probability (grid of 0.01) at which the follow-ups answered in context wrongly
    are at most MAX_WRONG of all follow-ups (out of fold): the same bound as the reader's
    operating points."""
    for step in range(0, 101):
        t = step / 100
        wrong = sum(1 for c, r in zip(chances, right) if c >= t and not r)
        if wrong <= MAX_WRONG * max(total, 1):
            return t
    return 1.01


def _rates(answered: int, right: int, total: int) -> dict:
    return {"answered": round(answered / total, 3), "right": round(right / total, 3), "wrong": round((answered - right) / total, 3)}


def collect(knowledge, rows, progress=None, asked_for=None) -> list[FollowExample]:
    """Each follow-up (a `Labelled` with its earlier turns) asked as the chat asks it: the service
    under discussion found from the earlier turns (`Knowledge.context_for`), the follow-up read by
    the general reader in it (`AnswerPipeline.read`), then its service's parts, labelled: right is
    the labelled item, and for a guide the labelled field. A follow-up read without a service (no
    context found) gives no example: the general reading answers it alone. A part, or the general
    reading's answer, is right when it is the labelled one or states the labelled fact, word for
    word or in other words (`states_fact`: a guide's field and a Q&A of one service often state
    one fact, and the writer copied the span from one of them). `asked_for(row)`: the
    asked-field classifier to read `row` with (one that never learned from it,
    `train.asked_by_fold`); default the reader's own."""
    index = knowledge.index
    reader = knowledge.pipeline.reader
    own = reader.asked_field
    out = []
    for row in rows:
        reader.asked_field = asked_for(row) if asked_for is not None else own
        try:
            context = knowledge.context_for(list(row.turns))
            turn = knowledge.pipeline.read(row.question, context_key=context, situation=situation_of(list(row.turns)))
        finally:
            reader.asked_field = own
        guide = context_service(index, context) if turn.question is not None and turn.hits else None
        parts = service_parts(index, guide) if guide is not None else []
        x = part_features(turn, index, reader, guide, parts) if parts else np.zeros((0, len(FOLLOW_FEATURES)))
        labelled = (index.item_id(row.item), row.field or "answer")
        right = np.asarray([(p.item_id, p.field) == labelled or states_fact(row.span, p.text) for p in parts], dtype=bool)
        example = FollowExample(row.id, row.kb, row.style, f"{row.kb}:{guide}", np.asarray(x, dtype=np.float32), right, parts)
        if parts:
            general = example.general = general_reading(turn, index, reader, guide)
            example.general_right = general.part == labelled or states_fact(row.span, general.text)
            example.general_passes = turn.confidence >= reader.threshold_for(example.general.kind)
        out.append(example)
        if progress is not None:
            progress.update(1)
    return out
