"""Turn an item into the passages that search sees and answers quote.

- a Q&A gives one passage per phrasing (the question and each similar one), all quoting the
  answer, plus one for the answer itself;
- a service guide gives one passage per field ("居住证申领 所需材料：…");
- a policy document gives one passage per structural chunk, with its heading path;
- a hotline directory entry gives one passage describing what the department handles.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.content import GUIDE_FIELDS, HOTLINE_FIELDS, Item, Kind

DOC_CHUNK_CHARS = 400


@dataclass(frozen=True)
class Passage:
    pid: str  # "<item id>:<n>"
    item_id: int
    role: str  # question | answer | field | section | entry
    field: str  # guide field name, "" otherwise
    heading: str  # heading path or field label shown with the text
    index_text: str  # what lexical and dense search see
    text: str  # what an answer quotes


def item_passages(item: Item) -> list[Passage]:
    builders = {Kind.QA: _qa, Kind.GUIDE: _guide, Kind.DOCUMENT: _document, Kind.HOTLINE: _hotline}
    raw = builders[item.kind](item)
    return [Passage(f"{item.id}:{n}", item.id, *parts) for n, parts in enumerate(raw)]


def _qa(item: Item):
    f = item.fields
    answer = str(f.get("answer", "")).strip()
    phrasings = [str(f.get("question", "")).strip()] + [str(s).strip() for s in f.get("similar") or []]
    out = [("question", "", "", q, answer) for q in phrasings if q]
    out.append(("answer", "", "", f"{phrasings[0]} {answer}", answer))
    return out


def _guide(item: Item):
    out = []
    for name, label in GUIDE_FIELDS.items():
        value = str(item.fields.get(name) or "").strip()
        if value:
            out.append(("field", name, label, f"{item.title} {label}：{value}", value))
    return out


def _document(item: Item):
    from knowledge.ingest.chunk import chunk_document

    out = []
    for chunk in chunk_document(str(item.fields.get("text", "")), max_chars=DOC_CHUNK_CHARS):
        heading = " ".join(chunk.heading_path)
        out.append(("section", "", heading, f"{item.title} {heading} {chunk.text}".strip(), chunk.text))
    return out


def _hotline(item: Item):
    f = item.fields
    keywords = f.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    details = "；".join(f"{HOTLINE_FIELDS[k]}：{f[k]}" for k in ("hours", "phone", "address") if f.get(k))
    text = f"{item.title}负责：{f.get('handles', '')}" + (f"。{details}" if details else "")
    index_text = f"{item.title} {f.get('handles', '')} {' '.join(map(str, keywords))}"
    return [("entry", "", "", index_text, text)]
