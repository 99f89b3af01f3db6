"""Step 5: write the answer from the content itself, and cite it.

- a curated Q&A matched with high confidence is returned verbatim;
- otherwise the answer is extractive: the sentence(s) of the best passages that answer the
  question (a guide's field the question asks for, a document's sentences), never a whole page;
- the item quoted is the source cited.
"""

from __future__ import annotations

from knowledge.answer.lead import lead_sentence
from knowledge.cases import read_cases
from knowledge.answer.quote import MAX_EXTRACT, SHORT_SENTENCE, Quote, candidate_documents, quote_documents, word_scorer
from knowledge.answer.types import Answer, AnswerStatus, Source, Turn
from knowledge.answer.read import pick_field
from knowledge.content import GUIDE_FIELDS
from knowledge.index.hybrid import Hit, HybridIndex
from knowledge.reader.model import Reader
from knowledge.text import char_bigrams, sentences, tokenize

SNIPPET_CHARS = 160
LEAD_LABEL = "要点："  # the sentence that applies, before the whole text it comes from
LONG_QA_ANSWER = 200  # a curated answer longer than this is quoted in part unless matched closely


def compose_step(turn: Turn, index: HybridIndex, reader: Reader, verbatim_threshold: float) -> None:
    quote = None
    if turn.hits[0].meta.kind == "document":
        quote = quote_documents(turn, candidate_documents(turn), index, reader)
        if quote is not None and quote.hit is not turn.hits[0]:  # the document quoted leads the ranking
            turn.hits.remove(quote.hit)
            turn.hits.insert(0, quote.hit)
    turn.answer = compose_hit(turn, turn.hits[0], index, reader, turn.confidence, verbatim_threshold, quote)


def compose_hit(
    turn: Turn, hit: Hit, index: HybridIndex, reader: Reader, confidence: float, verbatim_threshold: float, quote: Quote | None = None
) -> Answer:
    kind = hit.meta.kind
    field, lead, situations = "", "", []
    if kind == "qa":
        passage = hit.passages[0][0]
        if confidence >= verbatim_threshold or len(passage.text) <= LONG_QA_ANSWER:
            text = quoted = passage.text  # curated and short: the whole answer is the answer
            lead, situations = case_lead(turn.raw, quoted, turn.situation)
            lead = lead or lead_sentence(turn, quoted, hit.meta.title, index, reader)  # Q&As only (lead.py)
        else:
            quoted = best_sentences(turn, [passage.text], index)
            text = quoted
    elif kind == "guide":
        field, quoted = turn.field if turn.field and hit is turn.hits[0] else pick_field(turn, hit, index, reader)[:2]
        text = f"【{hit.meta.title}】{GUIDE_FIELDS[field]}：{quoted}"
        lead, situations = case_lead(turn.raw, quoted, turn.situation)  # a guide's field is led only by the case that applies
    elif kind == "hotline":
        quoted = text = hit.passages[0][0].text
    else:
        quote = quote or quote_documents(turn, [hit], index, reader)
        quoted = quote.text if quote else best_sentences(turn, [p.text for p, _ in hit.passages[:3]], index)
        number = f"（{hit.meta.doc_number}）" if hit.meta.doc_number else ""
        text = f"根据《{hit.meta.title}》{number}：{quoted}"
    return Answer(
        turn.raw,
        AnswerStatus.ANSWERED,
        f"{LEAD_LABEL}{lead}\n{text}" if lead else text,
        confidence=confidence,
        sources=[source_of(hit, quoted)],
        item_key=hit.meta.key,
        guide_field=field,
        lead=lead,
        situations=situations,
    )


def case_lead(question: str, quoted: str, situation: str = "") -> tuple[str, list[str]]:
    """(the clause of the case the citizen's situation falls in, "" if none; the cases' conditions
    to ask about when the answer differs by a situation neither the question nor what they said
    before (`situation`) states) (`knowledge.cases`: "我交了3年" → "累计缴费满1年不满5年的最长12个月")."""
    read = read_cases(quoted, question, situation)
    if read.applies is not None:
        return ("" if quoted.strip().startswith(read.applies.clause) else read.applies.clause), []
    if not read.cases or read.stated:
        return "", []  # no cases; or stated, but in no case or in several: every case given, nothing asked
    return "", [c.condition for c in read.cases]


def best_sentences(turn: Turn, texts: list[str], index: HybridIndex) -> str:
    """The sentence of `texts` that shares most of the question's wording, with its better
    neighbour when short enough (a long curated answer, or a document without sentence vectors)."""
    score = word_scorer(turn, index)
    best, best_score = "", -1.0
    for text in texts:
        parts = sentences(text)
        scores = [score(frozenset(tokenize(p)), frozenset(char_bigrams(p)), p) for p in parts]
        for i, sentence in enumerate(parts):
            if scores[i] <= best_score:
                continue
            best, best_score = sentence, scores[i]
            neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(parts)]
            if neighbours:
                j = max(neighbours, key=lambda k: scores[k])
                if len(sentence) + len(parts[j]) <= MAX_EXTRACT and (len(sentence) < SHORT_SENTENCE or scores[j] > 0.5 * scores[i]):
                    best = parts[j] + sentence if j < i else sentence + parts[j]
    return best or texts[0]


def source_of(hit: Hit, quoted: str) -> Source:
    m = hit.meta
    day = m.doc_date or m.effective_date
    snippet = quoted if len(quoted) <= SNIPPET_CHARS else quoted[: SNIPPET_CHARS - 1] + "…"
    return Source(
        id=m.item_id,
        kind=m.kind,
        title=m.title,
        doc_number=m.doc_number,
        department=m.department,
        region=m.region,
        date=day.isoformat() if day else "",
        source=m.source,
        snippet=snippet,
        key=m.key,
    )
