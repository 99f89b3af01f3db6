"""The reader (knowledge/reader): its contract on real content with the shipped model, its
training command on a small slice, and a broken model file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.answer.read import pick_field
from knowledge.answer.types import AnswerStatus
from knowledge.reader.model import SHIPPED, Reader, ReaderModelError
from tests.conftest import copy_home

REPO = Path(__file__).resolve().parents[2]


def test_every_candidate_gets_a_probability_and_the_answer_shows_the_calibrated_one(sample_kb):
    answer, turn = sample_kb.pipeline.run("办居住证要带哪些材料？")
    reader = sample_kb.reader
    assert turn.hits and all(0.0 <= h.fit <= 1.0 for h in turn.hits)
    assert [h.fit for h in turn.hits[:5]] == sorted((h.fit for h in turn.hits[:5]), reverse=True)
    assert answer.confidence == pytest.approx(reader.probability(turn.hits[0].fit, turn.hits[0].meta.kind))
    assert 0.0 <= answer.confidence <= 1.0


def test_a_guide_is_quoted_from_the_field_the_question_asks_for(sample_kb):
    pipeline = sample_kb.pipeline
    for question, field in [
        ("办居住证要带哪些材料？", "materials"),
        ("居住证申领去哪里办？", "location"),
        ("居住证多少天能办好？", "time_limit"),
        ("补办居住证要交多少钱？", "fee"),
    ]:
        _, turn = pipeline.run(question, threshold=0.0)
        guide = next(h for h in turn.hits if h.meta.key == "guide-juzhuzheng")
        assert pick_field(turn, guide, sample_kb.index, sample_kb.reader)[0] == field, question


def test_a_field_row_says_what_kind_of_fact_the_field_states_and_what_the_question_asks(sample_kb):
    """FIELD_FEATURES: the 收费标准 of 居住证 states money (工本费20元), its 办理时限 a duration; every
    field row carries the same question-level asked-kind columns, the classifier's probabilities."""
    from knowledge.reader.features import ASKED_COLUMNS, FIELD_FEATURES, asked_columns, field_features, guide_fields

    _, turn = sample_kb.pipeline.run("补办居住证要交多少钱？", threshold=0.0)
    guide = next(h for h in turn.hits if h.meta.key == "guide-juzhuzheng")
    rows = field_features(turn.question, guide, sample_kb.index, turn.asked)
    names = [name for name, _, _ in guide_fields(guide, sample_kb.index)]
    column = {name: i for i, name in enumerate(FIELD_FEATURES)}
    assert rows.shape == (len(names), len(FIELD_FEATURES))
    assert rows[names.index("fee"), column["unit_money"]] == 1.0 and rows[names.index("time_limit"), column["unit_duration"]] == 1.0
    assert rows[names.index("phone"), column["unit_money"]] == 0.0
    asked = [column[f"asked_{name}"] for name in ASKED_COLUMNS]
    assert all(list(row[asked]) == pytest.approx(asked_columns(turn.asked)) for row in rows)


def test_the_sentence_that_applies_leads_and_the_whole_text_follows(sample_kb):
    """issue 18.2: the citizen's situation (already on 工伤 护理费) picks the sentence of the answer
    that applies; the lead points, the whole curated answer follows and is the source's text."""
    answer = sample_kb.ask("我爸工伤已经在领生活护理费了，残疾人护理补贴还能领吗", channel="test")
    assert answer.status == AnswerStatus.ANSWERED and answer.item_key == "qa-canji-butie-005"
    whole = answer.sources[0].snippet
    assert answer.lead and "工伤保险生活护理费" in answer.lead and answer.lead in whole and not whole.startswith(answer.lead)
    assert answer.answer == f"要点：{answer.lead}\n{whole}"
    # where no sentence stands out (the question says nothing that picks one), the text is as written
    plain = sample_kb.ask("失业金最长能领多久", channel="test")
    assert plain.status == AnswerStatus.ANSWERED and plain.lead == "" and not plain.answer.startswith("要点")


def test_a_near_miss_is_refused_and_its_covered_sibling_answered(sample_kb):
    near = sample_kb.ask("申请游艇驾驶证需要什么条件？")
    assert near.status == AnswerStatus.NO_ANSWER and near.sources == [] and "12345" in near.answer
    covered = sample_kb.ask("居住证办理需要什么条件？")
    assert covered.status == AnswerStatus.ANSWERED and "居住半年以上" in covered.answer


def test_two_close_candidates_about_different_services_ask_which(sample_kb):
    answer = sample_kb.ask("小学一年级报名是什么时间？")  # 城东区 and 城西区 have their own dates
    assert answer.status == AnswerStatus.CLARIFY, answer.answer
    assert len(answer.options) >= 2 and len({o.key for o in answer.options}) == len(answer.options)
    assert all(o.title in answer.answer for o in answer.options)


def test_choices_are_one_per_service_and_likely_enough():
    import numpy as np

    from knowledge.reader.choices import ASK_FEATURES, ask_features, asks, named, options
    from knowledge.reader.features import ITEM_FEATURES

    scores, services = [0.9, 0.85, 0.2, 0.5, 0.4], ["a", "a", "b", "c", "d"]
    assert options(scores, services) == [0, 3]  # "a" twice, "b" under a quarter of the best, "d" past the depth
    row = ask_features(scores, services, np.zeros(len(ITEM_FEATURES), dtype=np.float32))
    assert row.shape == (len(ASK_FEATURES),) and row[ASK_FEATURES.index("second_service")] == pytest.approx(0.2)
    assert not asks(0.99, 1, 0.5) and asks(0.6, 2, 0.5) and not asks(0.4, 2, 0.5)
    titles = ["城东区小学入学报名", "城西区小学入学报名"]
    assert named("城西区小学什么时候报名", titles) == 1 and named("小学什么时候报名", titles) is None
    assert named("第2类救助金怎么申领", ["第1类救助金申领", "第2类救助金申领", "第3类救助金申领"]) == 1


def test_a_choice_is_named_by_its_service_not_by_the_words_of_a_qa_question(sample_kb):
    """A Q&A's title is a whole question ("办理住房公积金贷款需要准备哪些材料？"): its words that say what
    is asked tell nothing apart, so a question asking the same about 公积金 in general names neither
    贷款 nor 提取; one that says 贷款 names it."""
    from knowledge.reader.choices import named, service_title

    index = sample_kb.index
    qa = index.item_id("qa-gjj-daikuan-005")
    loan, withdraw = index.item_id("guide-gjj-daikuan"), index.item_id("guide-gjj-tiqu")
    titles = [service_title(index, qa, index.service_of(qa)), service_title(index, withdraw, index.service_of(withdraw))]
    assert titles[0] == index.meta[loan].title and titles[1] == index.meta[withdraw].title
    assert named("办理住房公积金需要准备哪些材料？", [index.meta[qa].title, titles[1]]) == 0  # the Q&A's own title misleads
    assert named("办理住房公积金需要准备哪些材料？", titles) is None
    assert named("公积金贷款需要准备哪些材料？", titles) == 0


def test_each_kind_of_answer_has_its_threshold_and_the_setting_overrides_them(sample_kb):
    reader, pipeline = sample_kb.reader, sample_kb.pipeline
    assert {"guide", "qa", "document"} <= set(reader.thresholds)
    assert all(0.0 <= value <= 1.0 for value in reader.thresholds.values())
    assert pipeline.bar()("document") == reader.threshold_for("document")
    assert pipeline.bar()("hotline") == reader.threshold_for("hotline")
    assert pipeline.bar()("other") == reader.threshold  # no calibration of its own: the pooled one
    assert {pipeline.bar(0.3)(kind) for kind in ("guide", "qa", "document")} == {0.3}


def test_personal_numbers_are_not_read_and_not_logged(sample_kb):
    from sqlalchemy import select

    from govbot.insights.tables import question_log

    number = "110101199003077578"
    answer, turn = sample_kb.pipeline.run(f"居住证办理需要什么条件？身份证{number}")
    assert number not in turn.text and "110101" not in turn.text
    plain = sample_kb.pipeline.answer("居住证办理需要什么条件？")  # answered on the rest of its text
    assert (answer.status, answer.item_key, answer.answer) == (plain.status, plain.item_key, plain.answer)
    assert answer.status == AnswerStatus.ANSWERED
    sample_kb.ask(f"居住证办理需要什么条件？身份证{number}")
    with sample_kb.store.engine.connect() as conn:
        logged = [r.question for r in conn.execute(select(question_log.c.question))]
    assert logged and not any(number in q for q in logged)


@pytest.mark.parametrize("question", ["？？？！！！", "😀😀👍", "。" * 10])
def test_punctuation_or_emoji_only_gets_a_clear_reply(sample_kb, question):
    answer = sample_kb.ask(question)
    assert answer.status == AnswerStatus.NO_ANSWER and "没能理解" in answer.answer


def test_a_question_of_the_longest_allowed_length_is_answered_or_refused_plainly(sample_kb):
    question = ("我想问一下居住证的事情，" * 100)[:1000]
    answer = sample_kb.ask(question)
    assert answer.status in (AnswerStatus.ANSWERED, AnswerStatus.NO_ANSWER, AnswerStatus.CLARIFY)
    assert answer.answer


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_train_reader_on_a_slice_finishes_and_is_deterministic(tmp_path, sample_home):
    outs = []
    for n in (1, 2):  # each run in a home of its own, from the same copy of the indexed sample KB
        home = tmp_path / f"home{n}"
        copy_home(sample_home, home / "reader-training" / "sample")
        env = {**os.environ, "GOVBOT_HOME": str(home)}
        out = tmp_path / f"model{n}"
        run = subprocess.run(
            [sys.executable, "-m", "govbot.cli", "train-reader", "--kb", "sample", "--limit", "60", "--out", str(out)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert '"version"' in run.stdout
        outs.append(out)
    assert _digests(outs[0]) == _digests(outs[1])
    reader = Reader.load(outs[0])
    assert reader.card["data"]["questions"] == 60 and 0.0 <= reader.threshold <= 1.0
    assert reader.card["data"]["masked"] > 0  # the answerable ones asked again without their service
    assert reader.card["data"]["asked_field_questions"] > 0  # data/reader/fields and follow-ups: the asked-field classifier
    assert reader.card["follow_ups"]["follow_ups"] == 60 and reader.follow is not None  # the dialogues, as sliced


def test_a_masked_question_has_no_candidate_of_the_service_that_answers_it(sample_kb):
    """Training data: each answerable question is also asked as if the KB lacked its service."""
    from knowledge.reader.data import Labelled
    from knowledge.reader.train import collect

    row = Labelled(
        id="t-1",
        question="我在这边上班，想办个居住证，要带些啥？",
        kb="sample",
        label="answer",
        item="guide-juzhuzheng",
        field="materials",
        span="",
        style="colloquial",
        writer="test",
        near_kind="",
        split="train",
    )
    plain, masked = collect(sample_kb, [row], {}, masked=True)
    index = sample_kb.index
    service = index.service_of(index.item_id("guide-juzhuzheng"))
    assert "guide-juzhuzheng" in plain.keys and plain.labels.max() == 1.0 and not plain.masked
    assert masked.masked and masked.row is row and masked.labels.max() == 0.0
    assert "guide-juzhuzheng" not in masked.keys
    assert all(index.service_of(index.item_id(key)) != service for key in masked.keys)
    assert masked.items.shape == (len(masked.keys), plain.items.shape[1])
    near = Labelled(**{**row.__dict__, "id": "t-2", "label": "near_miss"})
    assert len(collect(sample_kb, [near], {}, masked=True)) == 1  # a near miss is not masked again


def test_a_follow_up_is_read_in_the_service_under_discussion_and_a_new_topic_leaves_it(sample_kb):
    """Issue 18: every part of the service discussed (its guide's fields, its Q&As) is scored for
    the follow-up, in [0, 1]; "在哪里办理" after 居住证 is answered from 居住证's own parts, and a question
    that names another service is read without the old one."""
    import numpy as np

    from knowledge.reader.followup import FOLLOW_FEATURES, context_service, part_features, service_parts

    pipeline, index = sample_kb.pipeline, sample_kb.index
    first = sample_kb.probe("居住证怎么办理？")
    assert first.status == AnswerStatus.ANSWERED
    service = context_service(index, first.item_key)
    parts = service_parts(index, service)
    assert {p.field for p in parts} >= {"materials", "location", "answer"}  # its fields and its Q&As
    turn = pipeline.read("在哪里办理", context_key=first.item_key)
    x = part_features(turn, index, pipeline.reader, service, parts)
    scores = pipeline.reader.follow.scores(x)
    assert x.shape == (len(parts), len(FOLLOW_FEATURES)) and scores.shape == (len(parts),) and np.all(np.isfinite(scores))
    assert parts[int(np.argmax(scores))].field == "location"  # the parts ranked: where it is done comes first
    answer = sample_kb.probe("在哪里办理", context_key=first.item_key)
    assert answer.status == AnswerStatus.ANSWERED and 0.0 <= answer.confidence <= 1.0
    assert index.service_of(index.item_id(answer.item_key)) == service
    assert answer.guide_field == "location" and "派出所" in answer.answer  # where it is done
    other = sample_kb.probe("那住房公积金提取要什么材料？", context_key=first.item_key)
    assert other.status == AnswerStatus.ANSWERED and "gjj-tiqu" in other.item_key


def test_a_corrupt_or_missing_model_file_is_named_with_the_command_that_rebuilds_it(tmp_path):
    broken = tmp_path / "reader"
    shutil.copytree(SHIPPED, broken)
    (broken / "followups.txt").write_text("tree\nnot a model\n", encoding="utf-8")
    with pytest.raises(ReaderModelError, match=r"followups\.txt"):
        Reader.load(broken)
    shutil.copy(SHIPPED / "followups.txt", broken / "followups.txt")
    (broken / "items.txt").write_text("tree\nnot a model\n", encoding="utf-8")
    with pytest.raises(ReaderModelError, match="govbot train-reader"):
        Reader.load(broken)
    (broken / "fields.txt").unlink()
    with pytest.raises(ReaderModelError, match=r"fields\.txt"):
        Reader.load(broken)
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_READER_DIR": str(broken)}
    run = subprocess.run(
        [sys.executable, "-m", "govbot.cli", "serve", "--port", "8791"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2
    assert "fields.txt" in run.stderr and "govbot train-reader" in run.stderr


def test_the_cross_encoder_learns_reloads_and_leaves_the_embedding_model_alone(sample_kb, tmp_path):
    """The experimental second look (`govbot train-reader --cross`): fit / predict / save / load."""
    import numpy as np

    from knowledge.reader.cross import CrossReader

    st = sample_kb.embeddings.model
    pairs = [
        ("办居住证要带什么材料", "居住证申领 所需材料：本人居民身份证原件、近6个月内证件照"),
        ("办居住证要带什么材料", "高龄津贴 发放标准：80至89周岁老人每月100元"),
    ] * 4
    before = sample_kb.embeddings.encode(["居住证怎么办"], "query: ")
    cross = CrossReader(st[0].auto_model, st.tokenizer).fit(pairs, [1.0, 0.0] * 4, epochs=3)
    scores = cross.predict(pairs[:2])
    assert all(0.0 <= s <= 1.0 for s in scores) and scores[0] > scores[1]
    cross.save(tmp_path)
    again = CrossReader.load(tmp_path, st[0].auto_model, st.tokenizer)
    assert np.allclose(again.predict(pairs[:2]), scores, atol=0.02)  # saved in fp16
    assert np.array_equal(before, sample_kb.embeddings.encode(["居住证怎么办"], "query: "))


def test_the_evaluation_counts_a_fact_stated_in_other_words_apart_from_the_exact_words(sample_kb):
    """`knowledge.evaluation.evaluate` on a real answer: the expected words verbatim count as the fact;
    the same words with one character more count only in other words; another number counts neither."""
    import re

    from knowledge.evaluation import evaluate

    question = "申请低保需要什么条件？"
    answer = sample_kb.pipeline.answer(question, threshold=0.0)
    assert answer.status == AnswerStatus.ANSWERED
    text = "".join(answer.answer.split())
    match = re.search(r"[^，。；：]*\d+[^，。；：]*", text)  # a clause that states a number
    assert match and len(match.group(0)) >= 6, text
    exact = match.group(0)
    number = re.search(r"\d+", exact).group(0)
    cut = next(i for i in range(1, len(exact)) if not exact[i - 1].isdigit() and not exact[i].isdigit())
    reworded = exact[:cut] + "的" + exact[cut:]  # one character more, between two that are not digits
    absent = next(str(n) for n in range(int(number) + 1, int(number) + 1000) if str(n) not in text)
    other_number = exact.replace(number, absent, 1)
    rows = [
        {"id": "exact", "question": question, "expect_any": [exact], "docs": []},
        {"id": "reworded", "question": question, "expect_any": [reworded], "docs": []},
        {"id": "other-number", "question": question, "expect_any": [other_number], "docs": []},
    ]
    result = evaluate(lambda q: sample_kb.pipeline.answer(q, threshold=0.0), rows)
    got = {r["id"]: (r["fact"], r["fact_words"]) for r in result.rows}
    assert got == {"exact": (True, True), "reworded": (False, True), "other-number": (False, False)}
