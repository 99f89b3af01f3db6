"""Retrieval and answer quality on an eval set (the format of shared/eval/seeds_dev.jsonl).

Each line: {"id", "question", "docs": [item keys or source file names], "expect_any": [snippets],
"style", "oos": bool}. In-scope questions measure recall@1/@5, MRR and fact accuracy (the
answer contains an expected snippet); out-of-scope ones measure how often we say no_answer.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.answer.types import AnswerStatus
from knowledge.text import folded as _norm, states_fact

REFUSING = {AnswerStatus.NO_ANSWER, AnswerStatus.REFUSED, AnswerStatus.HANDOFF}


def load_eval(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if "question" not in row:
                raise ValueError(f"第{n}行缺少 question")
            rows.append(row)
    return rows


@dataclass
class EvalResult:
    rows: list[dict] = field(default_factory=list)

    def _in_scope(self):
        return [r for r in self.rows if not r["oos"]]

    def metrics(self) -> dict:
        ins, oos = self._in_scope(), [r for r in self.rows if r["oos"]]
        mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
        latencies = sorted(r["ms"] for r in self.rows)
        return {
            "questions": len(self.rows),
            "in_scope": len(ins),
            "out_of_scope": len(oos),
            "recall@1": mean([r["rank"] == 1 for r in ins]),
            "recall@5": mean([0 < r["rank"] <= 5 for r in ins]),
            "mrr": mean([1 / r["rank"] if r["rank"] else 0.0 for r in ins]),
            "fact_accuracy": mean([r["fact"] for r in ins]),
            "answered_in_scope": mean([r["status"] == "answered" for r in ins]),
            "refusal_rate_oos": mean([r["refused"] for r in oos]),
            "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        }

    def by_style(self) -> dict:
        styles: dict[str, list[dict]] = {}
        for r in self._in_scope():
            styles.setdefault(r["style"], []).append(r)
        return {
            s: {
                "n": len(rs),
                "recall@1": round(sum(r["rank"] == 1 for r in rs) / len(rs), 3),
                "fact_accuracy": round(sum(r["fact"] for r in rs) / len(rs), 3),
            }
            for s, rs in sorted(styles.items())
        }


def matches(row: dict, key: str, source: str) -> bool:
    wanted = set(row.get("docs") or [])
    return key in wanted or Path(source).name in wanted


def evaluate(answer_fn, rows: list[dict]) -> EvalResult:
    """`answer_fn(question) -> Answer`; runs every row and records what happened."""
    result = EvalResult()
    for row in rows:
        start = time.perf_counter()
        answer = answer_fn(row["question"])
        ms = (time.perf_counter() - start) * 1000
        rank = next((i for i, (k, s) in enumerate(zip(answer.ranked_keys, answer.ranked_sources), 1) if matches(row, k, s)), 0)
        expected = [_norm(e) for e in row.get("expect_any") or []]
        answered = answer.status == AnswerStatus.ANSWERED
        fact = answered and any(e in _norm(answer.answer) for e in expected)
        # ... or in other words: every number of a snippet and most of its character pairs (a guide
        # and a Q&A of one service state one fact each in their own words)
        fact_words = fact or (answered and any(states_fact(e, answer.answer) for e in expected))
        result.rows.append(
            {
                "id": row.get("id", ""),
                "question": row["question"],
                "style": row.get("style", ""),
                "oos": bool(row.get("oos")),
                "rank": rank,
                "status": answer.status.value,
                "fact": fact,
                "fact_words": fact_words,
                "refused": answer.status in REFUSING or (row.get("expect") == "clarify" and answer.status == AnswerStatus.CLARIFY),
                "confidence": round(answer.confidence, 3),
                "answer": answer.answer,
                "top": answer.ranked_keys[:3],
                "ms": round(ms, 1),
            }
        )
    return result


def wrong_rate(rows: list[dict], answered: list[dict], fact: str = "fact") -> float:
    """The wrong-answer rate: of `rows` (all questions), the share `answered` out of scope or in
    scope without the fact (`fact`: "fact", the expected words; "fact_words", also in other words)."""
    return round(sum(r["oos"] or not r[fact] for r in answered) / max(1, len(rows)), 4)


def _coverage_row(result: EvalResult, answered: list[dict], threshold: float | None) -> dict:
    """One row of the risk-coverage table: `answered` (of `result.rows`) at `threshold`."""
    rows, ins = result.rows, result._in_scope()
    return {
        "threshold": threshold,
        "answered": round(len(answered) / max(1, len(rows)), 4),
        "answered_in_scope": round(sum(not r["oos"] for r in answered) / max(1, len(ins)), 4),
        "fact_in_scope": round(sum(not r["oos"] and r["fact"] for r in answered) / max(1, len(ins)), 4),
        "wrong_rate": wrong_rate(rows, answered),
    }


def operating_point(result: EvalResult) -> dict:
    """The risk-coverage row of a run at the configured thresholds (one per kind of answer)."""
    return _coverage_row(result, [r for r in result.rows if r["status"] == "answered"], None)


def risk_coverage(result: EvalResult, thresholds=None, chosen: float | None = None) -> list[dict]:
    """From a run that answered everything it could (threshold 0): per threshold, the share of
    in-scope questions answered with the fact, the share of all questions answered, and the
    wrong-answer rate (answered without the fact in scope, plus answered out of scope, over all).
    `chosen` (the operating point) is added to the thresholds."""
    thresholds = sorted({*(thresholds or [round(0.05 * i, 2) for i in range(20)]), *([chosen] if chosen is not None else [])})
    answered_at = lambda t: [r for r in result.rows if r["status"] == "answered" and r["confidence"] >= t]  # noqa: E731
    return [_coverage_row(result, answered_at(t), t) for t in thresholds]


def format_risk_coverage(table: list[dict], chosen: float | None, operating: dict | None = None) -> str:
    """One line per threshold (the same for every kind of answer); ◀ marks the configured one, and
    `operating` (the run at the model's thresholds, one per kind) comes last."""
    lines = ["| threshold | answered (all) | answered (in scope) | fact (in scope) | wrong-answer rate |", "|---|---|---|---|---|"]
    for row in table + ([operating] if operating and chosen is None else []):
        if row["threshold"] is None:
            label = "model ◀"
        else:
            label = f"{row['threshold']:.2f}" + (" ◀" if chosen is not None and abs(row["threshold"] - chosen) < 1e-9 else "")
        lines.append(
            f"| {label} | {row['answered']:.3f} | {row['answered_in_scope']:.3f} | {row['fact_in_scope']:.3f} | {row['wrong_rate']:.3f} |"
        )
    return "\n".join(lines)


def format_table(name: str, metrics: dict) -> str:
    keys = ["questions", "recall@1", "recall@5", "mrr", "fact_accuracy", "refusal_rate_oos", "latency_p50_ms"]
    header = "| eval set | " + " | ".join(keys) + " |"
    line = "|" + "---|" * (len(keys) + 1)
    values = "| " + name + " | " + " | ".join("-" if metrics.get(k) is None else str(metrics[k]) for k in keys) + " |"
    return "\n".join([header, line, values])
