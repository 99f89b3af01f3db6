"""`govbot train-reader`: build the knowledge bases the labelled questions were written about, ask
every question of them, train the reader (`knowledge.reader.train`), measure it on the held-out
questions, and write a versioned model with its model card.

- Without `--home`: the shipped model (`knowledge/reader/model`), from the team's questions only.
- With `--home`: the city's own labels are added (gold questions with their items, operators'
  "wrong"/"missing" flags, citizens' 有用/没用 with the answer they judged), asked of the city's
  own knowledge base; the model is written to `$GOVBOT_HOME/reader` only if it does not lose to
  the shipped model on the shipped held-out test nor on the city's gold questions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlalchemy import select

from govbot.settings import Settings
from knowledge.reader import data as reader_data
from knowledge.reader import followup
from knowledge.reader.followup import FollowUps
from knowledge.reader.data import Labelled, read_dialogues, read_folder
from knowledge.reader.model import SHIPPED, Reader
from knowledge.reader.splits import split_of
from knowledge.reader.train import (
    asked_by_fold,
    candidate_recall,
    collect,
    collect_asked,
    inner_fold,
    metrics,
    model_version,
    predict_with,
    question_frequencies,
    train,
)

REPO = Path(__file__).resolve().parent.parent
KB_SOURCES = {  # knowledge base -> (home name, what to ingest)
    "sample": ("sample", [REPO / "data" / "kb", REPO / "data" / "documents"]),
    "seeds": ("sample", [REPO / "data" / "kb", REPO / "data" / "documents"]),
    "guangdong": ("guangdong", [REPO / "data" / "reader" / "kb" / "guangdong.jsonl"]),
}
TOLERANCE = 0.01  # a city model may be this much worse on one figure of the shipped test (noise)


class TrainingError(RuntimeError):
    """Training cannot start (no data, no model, bad arguments): a usage error."""


def even_slice(rows: list, n: int) -> list:
    """At most `n` rows taken evenly through `rows` (every writer's file), for a quick try."""
    return rows[:: max(1, len(rows) // n)][:n]


def _progress(desc: str, total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="问", file=sys.stderr, leave=False)


def knowledge_for(settings: Settings, home_name: str, paths: list[Path], log):
    """The knowledge base under `$GOVBOT_HOME/reader-training/<name>`, ingested on first use."""
    from knowledge.engine import Knowledge
    from knowledge.ingest.service import IngestOptions, expand_paths

    home = settings.home / "reader-training" / home_name
    kb = Knowledge(settings.model_copy(update={"home": home, "database_url": ""}))
    if len(kb.index) == 0:
        log(f"building the {home_name} knowledge base in {home} (once)")
        from tqdm import tqdm

        with tqdm(total=0, desc=f"索引 {home_name}", unit="段", file=sys.stderr, leave=False) as bar:
            kb.ingest(expand_paths(paths), IngestOptions(actor="train-reader"), index_progress=bar)
    return kb


def collect_all(settings: Settings, rows: list[Labelled], qdf: dict, log, home_kb=None, masked: bool = False):
    """Examples for every row, each asked of its own knowledge base (`masked`: with the training-only
    masked questions, `knowledge.reader.train.collect`)."""
    examples = []
    by_home: dict[str, list[Labelled]] = {}
    for row in rows:
        by_home.setdefault(row.kb, []).append(row)
    for kb_name in sorted(by_home):
        part = by_home[kb_name]
        if kb_name == "home":
            kb = home_kb
        else:
            home_name, paths = KB_SOURCES[kb_name]
            kb = knowledge_for(settings, home_name, paths, log)
        with _progress(f"提问 {kb_name}", len(part)) as bar:
            examples += collect(kb, part, qdf, bar, masked=masked)
    order = {id(r): i for i, r in enumerate(rows)}
    examples.sort(key=lambda e: order[id(e.row)])
    return examples


def asked_rows(settings: Settings, kbs: list[str] | None, limit: int | None, log) -> list:
    """More examples for the asked-field classifier (`knowledge.reader.train.collect_asked`): the
    questions of `data/reader/fields` and the training follow-ups that ask for a guide's field,
    items of the training split only."""
    dialogues = [r for r in read_dialogues(reader_data.DIALOGUES) if r.writer in reader_data.ASKED_FROM_DIALOGUES]
    rows = read_folder(reader_data.FIELDS) + dialogues
    rows = [r for r in rows if r.split == "train" and r.field and (not kbs or r.kb in kbs)]
    if limit:
        rows = even_slice(rows, max(1, limit // 4))
    out = []
    for kb_name in sorted({r.kb for r in rows}):
        home_name, paths = KB_SOURCES[kb_name]
        out += collect_asked(knowledge_for(settings, home_name, paths, log), [r for r in rows if r.kb == kb_name])
    log(f"{len(out)} more questions asking for a guide's field (asked-field classifier)")
    return out


def home_rows(settings: Settings) -> list[Labelled]:
    """The city's own labels from its database."""
    from govbot.insights.tables import answer_flags, ensure_tables
    from govbot.records import feedback, records_for
    from knowledge.store.schema import gold_table
    from knowledge.store.factory import open_store

    store = open_store(settings)
    try:
        keys = {item.id: item.key for item in store.items()}
        rows: list[Labelled] = []

        def add(question: str, label: str, item_id, source: str) -> None:
            key = keys.get(item_id, "") if item_id is not None else ""
            if question and (key or label == "near_miss"):
                n = len(rows) + 1
                rows.append(
                    Labelled(
                        id=f"home-{source}-{n}",
                        question=question,
                        kb="home",
                        label=label,
                        item=key or "-",
                        field="",
                        span="",
                        style="home",
                        writer=source,
                        near_kind="",
                        split=split_of("home", key or question),
                    )
                )

        engine = store.engine
        ensure_tables(engine)
        with engine.connect() as conn:
            gold = (
                conn.execute(select(gold_table.c.question, gold_table.c.item_id)).all()
                if engine.dialect.has_table(conn, "gold_questions")
                else []
            )
            flags = conn.execute(select(answer_flags.c.question, answer_flags.c.item_id)).all()
        for question, item_id in gold:
            add(question, "answer", item_id, "gold")
        for question, item_id in flags:  # wrong or missing: the bot should not have answered that
            add(question, "near_miss", item_id, "flag")
        records = records_for(settings)
        with records.engine.connect() as conn:
            judged = conn.execute(select(feedback.c.question, feedback.c.helpful, feedback.c.sources)).all()
        for question, helpful, sources in judged:
            first = (sources or [{}])[0] if isinstance(sources, list) else {}
            add(question, "answer" if helpful else "near_miss", first.get("id"), "feedback")
        return rows
    finally:
        store.close()


def run(
    settings: Settings,
    *,
    out: Path | None,
    use_home: bool,
    kbs: list[str] | None,
    limit: int | None,
    log=print,
    cross: bool = False,
    dialogues: bool = False,
    heldout: bool = True,
) -> dict:
    """`dialogues`: also the follow-ups of data/dialogues/train, each read in its context.
    `heldout=False`: not measured on the held-out test (while models are compared: it is read
    once, for the model chosen)."""
    if use_home and not heldout:
        raise TrainingError("--home 要在留出测试集上与随代码发布的模型比较，不能与 --no-heldout 一起用")
    written = read_folder(reader_data.WRITTEN) + (read_dialogues(reader_data.DIALOGUES) if dialogues else [])
    heldout_rows = read_folder(reader_data.HELDOUT) if heldout else []
    if kbs:
        written = [r for r in written if r.kb in kbs]
        heldout_rows = [r for r in heldout_rows if r.kb in kbs]
    if limit:  # an even slice through every writer's file, for a quick try
        written = even_slice(written, limit)
        heldout_rows = even_slice(heldout_rows, max(1, limit // 4))
    home_kb = None
    city = home_rows(settings) if use_home else []
    if use_home:
        if not city:
            raise TrainingError("这个 GOVBOT_HOME 里没有可用于训练的标注（金标准问题、坐席标记、有用/没用反馈）")
        from knowledge.engine import Knowledge

        home_kb = Knowledge(settings)
    if not written:
        raise TrainingError("没有训练数据（data/reader/written/*.jsonl）")
    rows = written + city
    qdf = question_frequencies([r.question for r in rows if r.split != "test"])
    log(f"{len(rows)} labelled questions ({len(city)} from this home), {len(heldout_rows)} held out")
    examples = collect_all(settings, rows, qdf, log, home_kb, masked=True)
    files = (
        sorted(reader_data.WRITTEN.glob("*.jsonl"))
        + sorted(reader_data.FIELDS.glob("*.jsonl"))
        + sorted(reader_data.DIALOGUES.glob("*.jsonl"))
        + sorted(reader_data.DIALOGUES_DEV.glob("*.jsonl"))
    )
    encoder = None
    if cross:
        from knowledge.embeddings import load_embeddings

        encoder = load_embeddings(str(settings.model_dir), settings.embed_batch_size)
    # the earlier held-out sets (now a development set): other writers' questions, never trained on,
    # that the thresholds must also keep within the wrong-answer bound
    dev = collect_all(settings, read_folder(reader_data.DEV), qdf, log) if limit is None and not kbs else []
    asked_extra = asked_rows(settings, kbs, limit, log)
    reader, card = train(examples, qdf, files, log=log, encoder_source=encoder, bound_on=dev, asked_extra=asked_extra)
    held = collect_all(settings, heldout_rows, qdf, log) if heldout_rows else []
    if held:
        card.update(_measured(reader, held, "held_out"))
        card["held_out_candidate_recall"] = candidate_recall(held)
    if dev:
        card.update(_measured(reader, dev, "dev"))
    # each training follow-up read with an asked-field classifier that never learned from it
    by_fold = asked_by_fold(examples, asked_extra)
    asked_for = lambda row: by_fold[inner_fold(row.kb, row.item)]  # noqa: E731
    reader.follow = train_follow_ups(settings, reader, kbs, limit, log, asked_for)
    card["follow_ups"] = reader.follow.card if reader.follow is not None else None
    card["version"] = model_version(card)
    reader.card = card
    target = Path(out) if out else (settings.home / "reader" if use_home else SHIPPED)
    if use_home:
        verdict = _compare_with_shipped(reader, held, settings, home_kb, city)
        card["compared_with_shipped"] = verdict
        if not verdict["kept"]:
            log("the new model loses to the shipped one: not saved (" + verdict["why"] + ")")
            return card
    reader.save(target)
    log(f"saved {card['version']} to {target}")
    return card


def train_follow_ups(settings: Settings, reader: Reader, kbs: list[str] | None, limit: int | None, log, asked_for=None) -> FollowUps | None:
    """The follow-up model (`knowledge.reader.followup`) over `reader`: the training dialogues
    (data/dialogues/train) asked of their knowledge bases with this reader; None without any.
    `asked_for(row)`: the asked-field classifier to read a follow-up with (the full training: one
    that never saw it; `--follow-ups-only` has not the reader's training data and uses the
    reader's own, which learned from the follow-ups that ask for a field)."""
    examples, others = collect_follow_ups(settings, reader, kbs, limit, log, asked_for)
    if not any(e.right.any() for e in examples):
        return None
    model, _oof = followup.fit(examples, log, others)
    return model


def collect_follow_ups(
    settings: Settings, reader: Reader, kbs: list[str] | None, limit: int | None, log, asked_for=None
) -> tuple[list, list]:
    """(training follow-ups, development follow-ups), each read over `reader` as the chat reads it
    (`followup.collect`); the development ones (other writers, never trained on: they bound the
    operating point) only for a full run, read with the reader's own asked-field classifier, as a
    new follow-up is. Also `bench.followup_seeds`."""
    rows = [r for r in read_dialogues(reader_data.DIALOGUES) if not kbs or r.kb in kbs]
    if limit:
        rows = even_slice(rows, limit)
    dev = read_dialogues(reader_data.DIALOGUES_DEV) if limit is None and not kbs else []
    examples, others = [], []
    for kb_name in sorted({r.kb for r in rows + dev}):
        part = [r for r in rows if r.kb == kb_name]
        theirs = [r for r in dev if r.kb == kb_name]
        home_name, paths = KB_SOURCES[kb_name]
        kb = knowledge_for(settings, home_name, paths, log)
        kb.reader = reader  # before the pipeline is built: the model in use may not fit this code's features
        with _progress(f"追问 {kb_name}", len(part) + len(theirs)) as bar:
            examples += followup.collect(kb, part, bar, asked_for)
            others += followup.collect(kb, theirs, bar)
        kb.close()
    return examples, others


def follow_ups_only(settings: Settings, folder: Path | None, log=print) -> dict:
    """`train-reader --follow-ups-only`: the follow-up model trained again over the model in
    `folder` (default: the shipped one), its other parts unchanged; a new version."""
    target = Path(folder) if folder else SHIPPED
    reader = Reader.load(target)
    reader.follow = None
    reader.follow = train_follow_ups(settings, reader, None, None, log)
    if reader.follow is None:
        raise TrainingError("没有可训练追问模型的对话（data/dialogues/train）")
    card = dict(reader.card)
    card["follow_ups"] = reader.follow.card
    card["version"] = model_version(card)
    reader.card = card
    reader.save(target)
    log(f"saved {card['version']} to {target}")
    return card


def _compare_with_shipped(new: Reader, held, settings: Settings, home_kb, city: list[Labelled]) -> dict:
    shipped = Reader.load(SHIPPED)
    a = reader_metrics(new, held)
    b = reader_metrics(shipped, held)
    gold = [r for r in city if r.writer == "gold"]
    gold_new = _gold_answered(home_kb, new, gold)
    gold_old = _gold_answered(home_kb, shipped, gold)
    losses = []
    if (a["answered_right"] or 0) < (b["answered_right"] or 0) - TOLERANCE:
        losses.append(f"held-out answered right {a['answered_right']} < {b['answered_right']}")
    if a["wrong_rate"] > b["wrong_rate"] + TOLERANCE:
        losses.append(f"held-out wrong rate {a['wrong_rate']} > {b['wrong_rate']}")
    if gold_new < gold_old:
        losses.append(f"gold questions answered {gold_new} < {gold_old}")
    return {
        "kept": not losses,
        "why": "; ".join(losses) or "no loss",
        "held_out_new": a,
        "held_out_shipped": b,
        "gold_answered_new": gold_new,
        "gold_answered_shipped": gold_old,
        "gold_questions": len(gold),
    }


def _measured(reader: Reader, examples, name: str) -> dict:
    return {
        name: reader_metrics(reader, examples),
        f"{name}_by_kb": {
            kb: reader_metrics(reader, [e for e in examples if e.row.kb == kb]) for kb in sorted({e.row.kb for e in examples})
        },
    }


def reader_metrics(reader: Reader, examples) -> dict:
    clarify = {"cut": reader.clarify_cut, "floor": reader.clarify_floor}
    return metrics(predict_with(reader, examples), reader.probability, reader.thresholds, clarify)


def _gold_answered(kb, reader: Reader, gold: list[Labelled]) -> int:
    """How many gold questions the city's pipeline, with this reader, answers with their item."""
    from knowledge.answer.pipeline import AnswerPipeline

    pipeline = AnswerPipeline(kb.index, kb.embeddings, kb.settings, reader)
    answers = [pipeline.answer(row.question) for row in gold]
    return sum(a.status.value == "answered" and a.item_key == row.item for a, row in zip(answers, gold))


def summary(card: dict) -> str:
    keep = {k: card[k] for k in ("version", "threshold") if k in card}
    keep["cross_validated"] = card.get("cross_validated", {}).get("all")
    keep["held_out"] = card.get("held_out")
    if "compared_with_shipped" in card:
        keep["kept"] = card["compared_with_shipped"]["kept"]
        keep["why"] = card["compared_with_shipped"]["why"]
    return json.dumps(keep, ensure_ascii=False, indent=1)
