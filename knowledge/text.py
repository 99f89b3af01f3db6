"""Chinese text handling shared by indexing and answering: normalising, tokenising, sentences."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba
import yaml

RULES = Path(__file__).parent / "rules"
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+")
_CJK = re.compile(r"[\u4e00-\u9fff]")

jieba.setLogLevel(logging.WARNING)


@lru_cache(maxsize=1)
def _jieba() -> jieba.Tokenizer:
    tok = jieba.Tokenizer()
    tok.load_userdict(str(RULES / "userdict.txt"))
    return tok


@lru_cache(maxsize=1)
def _tagger():
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_jieba())


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) in jieba's precise mode, with the project's dictionary."""
    return [(w.word, w.flag) for w in _tagger().cut(text)]


def word_frequency(word: str) -> int:
    """How common a word is in general Chinese (jieba's dictionary count; 0 for unknown words)."""
    return int(_jieba().FREQ.get(word) or 0)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = (RULES / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def colloquial_terms() -> list[tuple[str, list[str]]]:
    """(colloquial, official terms), longest colloquial word first."""
    raw = yaml.safe_load((RULES / "terms.yml").read_text(encoding="utf-8")) or {}
    pairs = [(str(k), [v] if isinstance(v, str) else list(v)) for k, v in raw.items()]
    return sorted(pairs, key=lambda kv: -len(kv[0]))


def normalize(text: str) -> str:
    """Full-width -> half-width, traditional -> simplified, tidy spaces. Meaning unchanged."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _t2s().convert(text)
    return re.sub(r"\s+", " ", text).strip()


def official_terms(text: str) -> list[str]:
    """Official terms for the colloquial words in `text` that the text does not already use."""
    found: list[str] = []
    taken = [False] * len(text)
    for word, officials in colloquial_terms():
        for match in re.finditer(re.escape(word), text):
            span = range(match.start(), match.end())
            if any(taken[i] for i in span):
                continue
            for i in span:
                taken[i] = True
            found.extend(o for o in officials if o not in text and o not in found)
    return found


def canonical(text: str) -> str:
    """The question with colloquial words replaced by their (first) official term."""
    for word, officials in colloquial_terms():
        if word in text and officials[0] not in text:
            text = text.replace(word, officials[0])
    return text


def tokenize(text: str) -> list[str]:
    """Search tokens: jieba's search-mode words (lower-cased) minus stop words and punctuation."""
    stop = stopwords()
    out = []
    for word in _jieba().cut_for_search(text.lower()):
        word = word.strip()
        if word and word not in stop and not _PUNCT.fullmatch(word):
            out.append(word)
    return out


def char_bigrams(text: str) -> list[str]:
    """Overlapping CJK character pairs: robust to typos and unknown words."""
    chars = [c for c in text if _CJK.match(c)]
    return [a + b for a, b in zip(chars, chars[1:])]


# words that appear in many service names (or name a category of them) and so do not tell
# services apart: "补贴怎么申请" names no particular 补贴
GENERIC_TITLE_WORDS = frozenset(
    "办理 申请 申领 登记 服务 咨询 报修 投诉 举报 管理 办 证 人员 含 市内 跨市 及 与 "
    "补贴 津贴 补助 材料 证件 手续 "
    # what a question asks about any service, not a service
    "费用 收费 免费 条件 资格 要求 流程 步骤 程序 时限 期限 地点 地址 电话 对象 依据 规定".split()
)


def title_words(title: str) -> set[str]:
    return {w for w in tokenize(title) if w not in GENERIC_TITLE_WORDS and len(w) > 1}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def folded(text: str) -> str:
    """Width and whitespace folded (NFKC, no spaces): how a fact's words are found in a text."""
    return "".join(unicodedata.normalize("NFKC", text).split())


NUMBER = re.compile(r"\d+(?:\.\d+)?")
PAIR_RECALL = 0.6  # share of a fact's character pairs a text must hold to state it in other words


def _pairs(text: str) -> set[str]:
    text = re.sub(r"[^\w]", "", folded(text))
    return {text[i : i + 2] for i in range(len(text) - 1)}


def pair_overlap(a: str, b: str) -> float:
    """How much two texts say the same: the share of the shorter one's character pairs that the
    other holds (a Q&A's answer inside a guide's field: near 1; two different facts: near 0)."""
    pa, pb = _pairs(a), _pairs(b)
    if not pa or not pb:
        return 0.0
    return len(pa & pb) / min(len(pa), len(pb))


def states_fact(span: str, text: str) -> bool:
    """`text` states the fact of `span`, word for word or in other words: every number of the span
    is in it, and most of the span's character pairs (a Q&A that says "未办理租赁备案的，每人每年最高
    提取14400元" states the guide's "未办租赁备案的每人每年最高提取14400元"; "1个工作日内" does not
    state "0.5个工作日内")."""
    if not span:
        return False
    if folded(span) in folded(text):
        return True
    numbers = set(NUMBER.findall(folded(text)))
    if any(n not in numbers for n in NUMBER.findall(folded(span))):
        return False
    wanted = _pairs(span)
    return bool(wanted) and len(wanted & _pairs(text)) / len(wanted) >= PAIR_RECALL


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
