"""What the reader looks at: numbers that describe a question and one candidate.

Two kinds of candidate:
- an **item** found by the hybrid search (a Q&A, a service guide, a document, a directory
  entry): does it answer the question? (`item_features`)
- a **field** of a service guide: is it the one the question asks for? (`field_features`)

Every feature is general: how the retrieval ranked the item, how much of the question it covers,
what the question says that the item does not (the words, their part of speech, how rare they
are in the knowledge base and in citizens' questions), places and years named on one side and
not the other. Which of them matter, and how much, is learned from labelled questions
(`knowledge.reader.train`); nothing here names a service, a city or a case.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from knowledge.content import GUIDE_FIELDS
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.text import canonical, char_bigrams, tagged, title_words, tokenize, word_frequency

KINDS = ("qa", "guide", "document", "hotline")
FIELD_NAMES = tuple(GUIDE_FIELDS)  # the guide fields, in a fixed order (their index is a feature)
EMPTY_VALUES = frozenset({"", "无", "暂无", "无。", "/", "-", "—", "不涉及", "否"})
NOUN_TAGS = ("n", "nz", "ns", "nt", "nr", "vn", "an", "eng")
PLACE_TAGS = ("ns",)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)\s*年?")
_DOCUMENT_NUMBER_YEAR = re.compile(r"[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]")

ITEM_FEATURES = (
    "rank",
    "fused_share",
    "bm25",
    "bm25_share",
    "dense",
    "dense_gap_top",
    "dense_margin",
    "passages_hit",
    "kind_qa",
    "kind_guide",
    "kind_document",
    "kind_hotline",
    "coverage",
    "title_recall",
    "title_bigram_recall",
    "bigram_coverage",
    "uncovered_max_idf",
    "uncovered_share",
    "uncovered_qdf",
    "uncovered_nouns",
    "uncovered_noun_max_idf",
    "uncovered_noun_qdf_min",
    "unseen_share",
    "unseen_nouns",
    "place_in_question",
    "place_conflict",
    "place_match",
    "year_in_question",
    "year_in_item",
    "year_conflict",
    "district_item",
    "district_match",
    "department_match",
    "question_chars",
    "question_words",
    "item_chars",
    "unit_cosine",
    "unit_coverage",
    "asked_empty",
    "uncovered_common",
    "asked_time_limit",
    "asked_fee",
    "asked_location",
    "asked_phone",
    "asked_materials",
    "asked_conditions",
    "unit_number",
    "unit_money",
    "unit_duration",
    "unit_phone",
    "unit_address",
)
ASKED_COLUMNS = ("time_limit", "fee", "location", "phone", "materials", "conditions")  # asked_<field> columns
_MONEY = re.compile(r"\d\s*(元|万元|角)|免费|不收费")
_DURATION = re.compile(r"\d+\s*个?(工作日|日|天|小时|周|个月|月|年)|即办|即时|当场|当日")
_PHONE = re.compile(r"\d{3,4}-?\d{7,8}|\d{5,}|12345|热线")
_ADDRESS = re.compile(r"路|街|号|大厅|窗口|中心|楼")
SENTENCE_FEATURES = (
    "cosine",
    "cosine_gap",
    "cosine_rank",
    "word_share",
    "word_rank",
    "pair_share",
    "chars",
    "n",
    "short",
    "unit_number",
    "unit_money",
    "unit_duration",
    "unit_phone",
    "unit_address",
    *(f"asked_{name}" for name in ASKED_COLUMNS),
    "ask_share",
    "ask_rank",
    "ask_pair_share",
    "title_pair_share",
)
SHORT_SENTENCE = 24  # characters: a heading such as "(七)推进预决算公开。" (its next sentence is quoted with it)
FIELD_FEATURES = (
    "cosine",
    "cosine_rank",
    "cosine_gap",
    "asked_prob",
    "asked_rank",
    "word_overlap",
    "empty",
    "chars",
    "field_id",
    "is_name",
    # what kind of fact the field states (a sample guide keeps a subsidy's amount or a benefit's
    # duration in 收费标准), next to what kind of fact the question asks for (question-level)
    "unit_number",
    "unit_money",
    "unit_duration",
    "unit_phone",
    "unit_address",
    *(f"asked_{name}" for name in ASKED_COLUMNS),
)


@dataclass
class Question:
    """What the features need to know about the question, computed once for all candidates."""

    text: str  # normalised (simplified, typos repaired)
    search_text: str  # with official terms for colloquial words
    words: frozenset[str]
    weights: dict[str, float]  # word -> IDF in the knowledge base (an unseen word weighs the most)
    unseen: float  # the IDF of a word the knowledge base never uses
    nouns: frozenset[str]
    places: frozenset[str]
    years: frozenset[str]
    bigrams: frozenset[str]
    district: str | None
    department: str | None
    vector: np.ndarray


def read_question(
    text: str, search_text: str, vector, index: HybridIndex, district: str | None = None, department: str | None = None
) -> Question:
    words = frozenset(tokenize(canonical(search_text)))
    unseen = math.log(1 + (len(index.lexical) + 0.5) / 0.5)
    weights = {w: (index.lexical.idf(w) or unseen) for w in sorted(words)}  # sorted: sums are reproducible
    tags = tagged(text)
    nouns = frozenset(w.lower() for w, t in tags if t.startswith(NOUN_TAGS) and len(w) > 1 and w.lower() in words)
    places = frozenset(w for w, t in tags if t in PLACE_TAGS and len(w) > 1)
    years = frozenset(m.group(1) for m in _YEAR.finditer(text))
    return Question(
        text, search_text, words, weights, unseen, nouns, places, years, frozenset(char_bigrams(search_text)), district, department, vector
    )


def item_words(hit: Hit, index: HybridIndex) -> tuple[frozenset[str], str]:
    """The words and the text of what the item says: all of it, but for a long document only
    the passages the search found (a work plan mentions almost everything somewhere)."""
    pids = index.item_pids.get(hit.meta.item_id, [])
    if hit.meta.kind == "document":
        pids = [p.pid for p, _ in hit.passages[:3]]
    terms: set[str] = set()
    texts = [hit.meta.title, hit.meta.department, hit.meta.region]
    for pid in pids:
        terms.update(index.lexical.doc_terms.get(pid, ()))
        passage = index.passages.get(pid)
        if passage is not None:
            texts.append(passage.index_text)
    return frozenset(terms), "\n".join(texts)


def item_features(
    question: Question, hits: list[Hit], index: HybridIndex, qdf: dict[str, float], asked: np.ndarray | None = None
) -> np.ndarray:
    """One row of `ITEM_FEATURES` per hit. `qdf`: share of citizens' questions that use a word
    (from the training questions): high for 怎么/需要/老家, low for 游艇. `asked`: probability per
    guide field that the question asks for it."""
    if not hits:
        return np.zeros((0, len(ITEM_FEATURES)), dtype=np.float32)
    top_fused = hits[0].score or 1.0
    top_bm25 = max(h.lexical for h in hits) or 1.0
    top_dense = max(h.dense for h in hits)
    total = sum(question.weights[w] for w in sorted(question.weights)) or 1.0
    rows = []
    for rank, hit in enumerate(hits):
        others = [h.dense for h in hits if h is not hit]
        terms, text = item_words(hit, index)
        covered = {w for w in question.words if w in terms or w in text}
        uncovered = sorted(question.words - covered, key=lambda w: (-question.weights[w], w))
        nouns = [w for w in uncovered if w in question.nouns]
        title = title_words(hit.meta.title)
        title_pairs = set(char_bigrams(hit.meta.title))
        item_pairs = {t for t in terms if len(t) == 2} | title_pairs
        places = [p for p in question.places if p not in index.districts()]
        place_conflict = sum(1 for p in places if p not in text)
        year_in_item = sum(1 for y in question.years if y in _DOCUMENT_NUMBER_YEAR.sub("", text))
        in_force_years = _years_in_force(hit)
        year_conflict = sum(1 for y in question.years if y not in text and y not in in_force_years)
        district_item = index.names_a_district(hit.meta.region)
        rows.append(
            [
                rank,
                hit.score / top_fused,
                hit.lexical,
                hit.lexical / top_bm25,
                hit.dense,
                hit.dense - top_dense,
                hit.dense - (max(others) if others else 0.0),
                len(hit.passages),
                *[float(hit.meta.kind == k) for k in KINDS],
                sum(question.weights[w] for w in sorted(covered)) / total,
                len(title & question.words) / len(title) if title else 0.0,
                len(title_pairs & question.bigrams) / len(title_pairs) if title_pairs else 0.0,
                len(question.bigrams & item_pairs) / len(question.bigrams) if question.bigrams else 0.0,
                question.weights[uncovered[0]] if uncovered else 0.0,
                sum(question.weights[w] for w in uncovered) / total,
                qdf.get(uncovered[0], 0.0) if uncovered else 1.0,
                len(nouns),
                question.weights[nouns[0]] if nouns else 0.0,
                min((qdf.get(w, 0.0) for w in nouns), default=1.0),
                sum(1 for w in question.words if question.weights[w] >= question.unseen) / max(1, len(question.words)),
                sum(1 for w in nouns if question.weights[w] >= question.unseen),
                len(places),
                place_conflict,
                len(places) - place_conflict,
                len(question.years),
                year_in_item,
                year_conflict,
                float(district_item),
                float(bool(question.district) and question.district in hit.meta.region),
                float(bool(question.department) and question.department in hit.meta.department + hit.meta.title),
                len(question.text),
                len(question.words),
                math.log1p(len(text)),
                *(unit := _best_unit(question, hit, index, total))[:2],
                _asked_empty(hit, index, asked) if asked is not None else 0.0,
                math.log1p(word_frequency(uncovered[0])) if uncovered else 20.0,
                *asked_columns(asked),
                *answer_types(unit[2]),
            ]
        )
    return np.asarray(rows, dtype=np.float32)


def _best_unit(question: Question, hit: Hit, index: HybridIndex, total: float) -> tuple[float, float, str]:
    """How well the single best unit of the item matches, and its text: a document's best
    sentence (cosine and IDF-weighted word share), else its passage closest in meaning (a Q&A
    phrasing with its answer, a guide field)."""

    def share(words) -> float:
        return sum(question.weights[w] for w in sorted(question.words & words)) / total  # fixed order

    if hit.meta.kind == "document":
        found = index.sentences.of([p.pid for p, _ in hit.passages[:3]], question.vector)
        if found:
            best = max(found, key=lambda s: s.cosine)
            return best.cosine, max(share(s.words) for s in found), best.text
    pids = index.item_pids.get(hit.meta.item_id, [])
    cosines = index.dense.similarity(question.vector, pids)
    closest = max(cosines, key=cosines.get) if cosines else None
    text = index.passages[closest].text if closest else hit.best.text
    return hit.dense, max((share(frozenset(index.lexical.doc_terms.get(p, ()))) for p in pids), default=0.0), text


def sentence_features(question: Question, sentences: list, asked: np.ndarray | None, titles: list[str] | None = None) -> np.ndarray:
    """One row of `SENTENCE_FEATURES` per sentence (`knowledge.index.sentences.Sentence`) of the
    candidate documents: does it state what the question asks? `titles`: each sentence's document
    title. The question's words that name the document ("贵阳高新区2019年政务公开方案") find the
    document, not the sentence: the ask_* columns count only the other words ("财政", "哪个单位负责"),
    and title_pair_share says how much a sentence only repeats the title (a cover letter's line)."""
    if not sentences:
        return np.zeros((0, len(SENTENCE_FEATURES)), dtype=np.float32)
    titles = titles or [""] * len(sentences)
    total = sum(question.weights[w] for w in sorted(question.weights)) or 1.0
    cosines = [s.cosine for s in sentences]
    shares = [sum(question.weights[w] for w in sorted(question.words & s.words)) / total for s in sentences]
    naming = {title: (frozenset(tokenize(title)), frozenset(char_bigrams(title))) for title in set(titles)}
    asks, ask_pairs, title_pairs = [], [], []
    for s, title in zip(sentences, titles):
        words, pairs = naming[title]
        rest = question.words - words
        rest_total = sum(question.weights[w] for w in sorted(rest)) or 1.0
        asks.append(sum(question.weights[w] for w in sorted(rest & s.words)) / rest_total)
        rest_pairs = question.bigrams - pairs
        ask_pairs.append(len(rest_pairs & s.pairs) / len(rest_pairs) if rest_pairs else 0.0)
        title_pairs.append(len(s.pairs & pairs) / len(s.pairs) if s.pairs else 0.0)
    cosine_rank, word_rank, ask_rank = ranks(cosines), ranks(shares), ranks(asks)
    top = max(cosines)
    asked_values = asked_columns(asked)
    rows = []
    for i, s in enumerate(sentences):
        rows.append(
            [
                cosines[i],
                cosines[i] - top,
                cosine_rank[i],
                shares[i],
                word_rank[i],
                len(question.bigrams & s.pairs) / len(question.bigrams) if question.bigrams else 0.0,
                math.log1p(len(s.text)),
                s.n,
                float(len(s.text) < SHORT_SENTENCE),
                *answer_types(s.text),
                *asked_values,
                asks[i],
                ask_rank[i],
                ask_pairs[i],
                title_pairs[i],
            ]
        )
    return np.asarray(rows, dtype=np.float32)


def ranks(values) -> list[int]:
    """The rank of each value (0: the highest; ties in their order)."""
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))
    ranks = [0] * len(values)
    for rank, i in enumerate(order):
        ranks[i] = rank
    return ranks


def asked_columns(asked: np.ndarray | None) -> list[float]:
    """The asked-field probabilities that are features (`ASKED_COLUMNS` order)."""
    if asked is None:
        return [0.0] * len(ASKED_COLUMNS)
    return [float(asked[FIELD_NAMES.index(name)]) for name in ASKED_COLUMNS]


def answer_types(text: str) -> list[float]:
    """What kinds of fact the unit states: a number, money, a duration, a phone, an address."""
    return [
        float(bool(re.search(r"\d", text))),
        float(bool(_MONEY.search(text))),
        float(bool(_DURATION.search(text))),
        float(bool(_PHONE.search(text))),
        float(bool(_ADDRESS.search(text))),
    ]


def _asked_empty(hit: Hit, index: HybridIndex, asked: np.ndarray) -> float:
    """For a guide: the chance that the question asks for a field this guide leaves empty."""
    if hit.meta.kind != "guide":
        return 0.0
    return float(sum(p for p, (_, text, _) in zip(asked, guide_fields(hit, index)) if is_empty(text)))


def _years_in_force(hit: Hit) -> set[str]:
    start = hit.meta.effective_date.year if hit.meta.effective_date else None
    end = hit.meta.expiry_date.year if hit.meta.expiry_date else 2100
    if start is None:
        return set()
    return {str(y) for y in range(start, min(end, start + 60) + 1)}


def guide_fields(hit: Hit, index: HybridIndex) -> list[tuple[str, str, str | None]]:
    """(field, text, pid) for every guide field, in `FIELD_NAMES` order; an empty field has no pid."""
    by_field = {
        index.passages[p].field: p for p in index.item_pids.get(hit.meta.item_id, []) if p in index.passages and index.passages[p].field
    }
    out = []
    for name in FIELD_NAMES:
        pid = by_field.get(name)
        out.append((name, index.passages[pid].text if pid else "", pid))
    return out


def best_field(scores: np.ndarray, rows: np.ndarray) -> int:
    """The field the question asks for among those the guide has (its text may be "无"): a field
    the guide does not carry at all (no 监督投诉电话 in a sample guide) is never the one to quote or
    to say is missing ("消费投诉找哪个部门" asks about a complaint, not for the complaint phone)."""
    present = rows[:, FIELD_FEATURES.index("chars")] > 0
    if not present.any():
        return int(np.argmax(scores))
    return int(np.argmax(np.where(present, scores, -np.inf)))


def is_empty(value: str) -> bool:
    return value.strip().strip("。.；;").strip() in EMPTY_VALUES


def field_features(question: Question, hit: Hit, index: HybridIndex, asked: np.ndarray) -> np.ndarray:
    """One row of `FIELD_FEATURES` per guide field. `asked`: the probability, from the question
    alone, that it asks for each field (`FIELD_NAMES` order)."""
    fields = guide_fields(hit, index)
    cosines = index.dense.similarity(question.vector, [pid for _, _, pid in fields if pid])
    values = [cosines.get(pid, 0.0) if pid else 0.0 for _, _, pid in fields]
    order, asked_order = ranks(values), ranks(asked)
    title = title_words(hit.meta.title)
    words = [w for w in sorted(question.words) if w not in title]
    total = sum(question.weights[w] for w in words) or 1.0
    top = max(values) if values else 0.0
    question_asks = asked_columns(asked)
    rows = []
    for i, (name, text, pid) in enumerate(fields):
        terms = _words_of(text)
        rows.append(
            [
                values[i],
                order[i],
                values[i] - top,
                float(asked[i]),
                asked_order[i],
                sum(question.weights[w] for w in words if w in terms or w in text) / total,
                float(is_empty(text)),
                math.log1p(len(text)),
                i,
                float(name == "name"),
                *answer_types(text),
                *question_asks,
            ]
        )
    return np.asarray(rows, dtype=np.float32)


@lru_cache(maxsize=4096)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))
