"""The dispatch decision: the model's probabilities read against the published directory."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.answer.types import Department
from knowledge.dispatch.model import NONE, DispatchModel

CANDIDATES = 3
_CLAUSES = re.compile(r"[；;。]")


@dataclass(frozen=True)
class Entry:
    """A published directory entry."""

    key: str
    title: str
    handles: str
    phone: str = ""


def _bigrams(text: str) -> set[str]:
    text = "".join(text.split())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def duties(entry: Entry) -> list[str]:
    """The entry's duties, one clause each ("路灯不亮、市政道路破损、井盖缺失和损坏")."""
    return [c.strip() for c in _CLAUSES.split(entry.handles) if len(c.strip()) >= 4]


def read_directory(path: Path) -> list[Entry]:
    """The directory entries of a JSONL file in the `govbot ingest` format (the sample's `hotline.jsonl`)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Entry(r["key"], r["title"], r.get("handles", ""), r.get("phone", "")) for r in rows if r.get("kind") == "hotline"]


def duty_clause(entry: Entry, text: str) -> str:
    """The clause of the entry's duties closest to the text (shown as the reason, not used to decide)."""
    clauses = duties(entry)
    if not clauses:
        return ""
    asked = _bigrams(text)
    return max(clauses, key=lambda c: (len(asked & _bigrams(c)), -len(c)))[:80]


def dispatch(model: DispatchModel, directory: list[Entry], text: str, vector: np.ndarray, hotline: str, centre: str) -> Department:
    """Where `text` goes: the likeliest directory entry when its probability reaches the model's
    threshold, nothing for a greeting, else the hotline `centre` with the likeliest candidates."""
    entries = {e.key: e for e in directory}
    raw = model.probabilities(text, vector)
    known = {k: p for k, p in raw.items() if k in entries or k == NONE}
    total = sum(known.values()) or 1.0
    ranked = sorted(((k, p / total) for k, p in known.items()), key=lambda kp: -kp[1])
    if not ranked:
        return Department(centre, "部门目录中没有派单模型认识的部门，由热线受理后分派")
    key, probability = ranked[0]
    own = {k for k, e in entries.items() if hotline and hotline in e.title}  # the hotline's own entry
    if probability >= model.threshold:
        if key == NONE:
            return Department("", "没有需要派单的具体诉求（问候、致谢等）", key=NONE, probability=probability)
        entry = entries[key]
        clause = duty_clause(entry, text)
        if key in own:
            reason = f"由热线直接受理：{clause}" if clause else "由热线直接受理"
            return Department(centre, reason, key=key, phone=entry.phone, probability=probability)
        reason = f"其职责包括“{clause}”" if clause else "其职责与所述问题最接近"
        return Department(entry.title, reason, key=key, phone=entry.phone, probability=probability)
    candidates = [(entries[k].title, round(p, 3)) for k, p in ranked if k != NONE and k not in own][:CANDIDATES]
    listed = "、".join(f"{name}（{p:.0%}）" for name, p in candidates)
    reason = "未能确定承办部门，由热线受理后分派" + (f"；可能是：{listed}" if listed else "")
    return Department(centre, reason, probability=probability, candidates=candidates)
