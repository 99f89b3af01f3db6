"""The reader's answers on labelled questions: ours against plain jieba BM25 at the same answer rate.

For every set: how often the answer states the expected fact (in scope; and beside it, in other
words: every number of an expected snippet and most of its character pairs, `states_fact`, as
`bench.followups` counts it: a guide and a Q&A of one service state one fact in their own words),
how many in-scope questions are answered, how many near misses are refused, ambiguous ones asked back, the
wrong-answer rate (answered without the fact in scope + answered out of scope, over all
questions), and the risk-coverage table. The baseline answers with BM25's best item, whole, for
the same share of questions (those with the highest BM25 scores), and states the fact when the
item's text holds it: generous to BM25, as a whole item states many facts.

Sets: the held-out questions of `data/reader/heldout` (written by other hands before any result
was seen; never tuned on), by knowledge base; the earlier held-out set `data/reader/dev` (looked at
too often to stay held out); and the older eval sets of `bench/eval`.

    .venv/bin/python -m bench.reader [--homes DIR] [--out FILE] [--no-heldout]

`--homes DIR`: use DIR/reader-training/{sample,guangdong} (what `govbot train-reader` built) instead
of building the two knowledge bases under bench/.cache (the Guangdong one takes ~12 minutes).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.common import CACHE, EVAL, RESULTS, build_home, fmt, latency_summary, load_rows, md_table, open_kb, finish
from knowledge.evaluation import evaluate, risk_coverage, wrong_rate
from knowledge.reader.data import DEV, HELDOUT, read_folder

HOMES = {"sample": ["data/kb", "data/documents"], "guangdong": ["data/reader/kb/guangdong.jsonl"]}
OLD_SETS = ["seeds_dev", "seeds_extra", "sample_kb", "near_miss", "held_out"]
KB_HOMES = (("sample", "sample"), ("seeds", "sample"), ("guangdong", "guangdong"))  # each labelled KB, the home it lives in


def home_for(name: str, homes: Path | None) -> Path:
    if homes is not None:
        return Path(homes) / "reader-training" / name
    home = CACHE / "homes" / f"reader-{name}"
    if not (home / "index" / "manifest.json").exists():
        from bench.common import REPO

        build_home(home, [REPO / p for p in HOMES[name]])
    return home


def bm25_baseline(kb, rows: list[dict], answered_share: float) -> dict:
    """BM25's best item, whole, for the `answered_share` of questions it scores highest."""
    from knowledge.index.hybrid import lexical_tokens
    from knowledge.text import normalize

    index = kb.index
    outcomes = []
    for row in rows:
        found = index.lexical.search(lexical_tokens(normalize(row["question"])), 5)
        if not found:
            outcomes.append((0.0, False, False))
            continue
        pid, score = found[0]
        item_id = index.passages[pid].item_id
        meta = index.meta[item_id]
        text = "".join(index.item_text(item_id).split())
        fact = any("".join(e.split()) in text for e in row.get("expect_any") or [])
        right_item = meta.key in (row.get("docs") or []) or Path(meta.source).name in (row.get("docs") or [])
        outcomes.append((score, fact, right_item))
    n_answer = round(answered_share * len(rows))
    answered = set(sorted(range(len(rows)), key=lambda i: -outcomes[i][0])[:n_answer])
    ins = [i for i, r in enumerate(rows) if not r.get("oos")]
    wrong = [i for i in answered if rows[i].get("oos") or not outcomes[i][1]]
    return {
        "fact_in_scope": round(sum(i in answered and outcomes[i][1] for i in ins) / max(1, len(ins)), 4),
        "wrong_rate": round(len(wrong) / max(1, len(rows)), 4),
    }


def measure(kb, name: str, rows: list[dict]) -> dict:
    started = time.perf_counter()
    result = evaluate(kb.pipeline.answer, rows)
    seconds = time.perf_counter() - started
    loose = evaluate(lambda q: kb.pipeline.answer(q, threshold=0.0), rows)
    m = result.metrics()
    ins = [r for r in result.rows if not r["oos"]]
    labels = {r["id"]: row.get("label", "oos" if row.get("oos") else "answer") for r, row in zip(result.rows, rows)}
    near = [r for r in result.rows if labels[r["id"]] in ("near_miss", "oos")]
    missing = [r for r in result.rows if labels[r["id"]] == "field_missing"]
    ambiguous = [r for r in result.rows if labels[r["id"]] == "ambiguous"]
    answered = [r for r in result.rows if r["status"] == "answered"]
    share = len(answered) / max(1, len(result.rows))
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    return {
        "name": name,
        "questions": len(rows),
        "in_scope": len(ins),
        "near_miss": len(near),
        "field_missing": len(missing),
        "ambiguous": len(ambiguous),
        "seconds": round(seconds, 1),
        "recall@1": m["recall@1"],
        "recall@5": m["recall@5"],
        "fact_in_scope": m["fact_accuracy"],
        "fact_in_other_words": mean([r["fact_words"] for r in ins]),
        "answered_in_scope": m["answered_in_scope"],
        "near_miss_refused": mean([r["status"] != "answered" for r in near]),
        "field_missing_not_answered": mean([r["status"] != "answered" for r in missing]),
        "ambiguous_asked": mean([r["status"] == "clarify" for r in ambiguous]),
        "wrong_rate": wrong_rate(result.rows, answered),
        "wrong_rate_other_words": wrong_rate(result.rows, answered, "fact_words"),
        "answered_share": round(share, 4),
        "bm25_same_rate": bm25_baseline(kb, rows, share),
        "latency_ms": latency_summary([r["ms"] for r in result.rows]),
        "by_style": result.by_style(),
        "risk_coverage": risk_coverage(loose, chosen=kb.pipeline.threshold),
    }


def run(homes: Path | None, heldout: bool = True) -> dict:
    """`heldout=False`: the held-out sets are not asked at all (while candidate models are compared,
    the held-out test is read once, for the one chosen; dropping its rows after the run is not the
    same, as its figures reach the log)."""
    sets = []
    kbs = {name: open_kb(home_for(name, homes)) for name in HOMES}
    folders = ((HELDOUT, "held-out"),) if heldout else ()
    try:
        version = kbs["sample"].reader.version
        for folder, title in (*folders, (DEV, "dev (earlier held-out)")):
            labelled = read_folder(folder)
            for kb_name, home in KB_HOMES:
                rows = [r.eval_row() for r in labelled if r.kb == kb_name]
                if rows:
                    sets.append(measure(kbs[home], f"{title} {kb_name}", rows))
        for name in OLD_SETS:
            sets.append(measure(kbs["sample"], f"{name} (bench/eval)", load_rows(EVAL / f"{name}.jsonl")))
    finally:
        for kb in kbs.values():
            kb.close()
    return {"reader": version, "sets": sets}


def markdown(result: dict) -> str:
    header = [
        "set",
        "questions",
        "fact (in scope)",
        "... in other words",
        "answered (in scope)",
        "near misses refused",
        "ambiguous asked",
        "wrong-answer rate (in other words)",
        "BM25 fact at same rate",
        "BM25 wrong",
        "p50 / p95 ms",
    ]
    rows = []
    for s in result["sets"]:
        q = (
            f"{s['in_scope']} + {s['near_miss']} out"
            + (f" + {s['ambiguous']} amb." if s["ambiguous"] else "")
            + (f" + {s['field_missing']} missing" if s["field_missing"] else "")
        )
        rows.append(
            [
                s["name"],
                q,
                fmt(s["fact_in_scope"]),
                fmt(s.get("fact_in_other_words")),
                fmt(s["answered_in_scope"]),
                fmt(s["near_miss_refused"]),
                fmt(s["ambiguous_asked"]),
                f"{fmt(s['wrong_rate'])} ({fmt(s.get('wrong_rate_other_words'))})",
                fmt(s["bm25_same_rate"]["fact_in_scope"]),
                fmt(s["bm25_same_rate"]["wrong_rate"]),
                f"{fmt(s['latency_ms']['p50_ms'], 0)} / {fmt(s['latency_ms']['p95_ms'], 0)}",
            ]
        )
    return f"Reader {result['reader']}\n\n" + md_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--homes", type=Path, help="a GOVBOT_HOME where `govbot train-reader` built the knowledge bases")
    p.add_argument("--out", type=Path, default=RESULTS / "reader.json")
    p.add_argument("--no-heldout", action="store_true", help="do not ask the held-out sets (comparing candidate models)")
    args = p.parse_args(argv)
    return finish(run(args.homes, heldout=not args.no_heldout), markdown, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
