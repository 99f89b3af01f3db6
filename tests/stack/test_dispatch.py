"""Dispatch (knowledge/dispatch): the shipped model's contract on the sample directory, the
training command on a small slice (deterministic), a broken model file, the registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from knowledge.dispatch.decide import Entry
from knowledge.dispatch.model import NONE, SHIPPED, DispatchModel, DispatchModelError
from knowledge.dispatch.train import train
from tests.conftest import REPO, write_jsonl


def test_a_complaint_no_guide_answers_goes_to_the_owner_with_its_phone_and_duty(sample_kb):
    streetlight = sample_kb.department_for("城东区朝阳路路灯坏了 一周了 晚上黑乎乎的")
    assert streetlight.name == "示例市城市管理局" and streetlight.key == "dept-chengguan"
    assert "路灯" in streetlight.reason and streetlight.phone
    assert 0.0 <= streetlight.probability <= 1.0
    noise = sample_kb.department_for("我要投诉噪音，楼下商铺天天用大喇叭喊")
    assert noise.name.endswith("局") and noise.name != "示例市12345政务服务便民热线" and "未匹配" not in noise.reason


def test_a_greeting_is_not_dispatched_and_personal_numbers_do_not_reach_the_model(sample_kb):
    hello = sample_kb.department_for("你好")
    assert hello.name == "" and hello.key == NONE
    with_id = sample_kb.department_for("我身份证110101199003077578，社保卡丢了怎么补")
    assert with_id.key == "dept-renshe"


def test_probabilities_are_calibrated_numbers_and_an_unsure_case_goes_to_the_centre_with_candidates(sample_kb):
    model = DispatchModel.load()
    vector = sample_kb.embeddings.encode(["楼上漏水到我家"], "query: ")[0]
    p = model.probabilities("楼上漏水到我家", vector)
    assert set(p) == set(model.keys) and all(0.0 <= v <= 1.0 for v in p.values()) and sum(p.values()) == pytest.approx(1.0)
    unsure = DispatchModel(model.classifier, model.keys, model.temperature, threshold=1.01)  # nothing is sure enough
    from knowledge.dispatch.decide import dispatch

    decided = dispatch(unsure, sample_kb.directory(), "楼上漏水到我家", vector, "12345", "12345热线派单中心")
    assert decided.name == "12345热线派单中心" and "由热线受理后分派" in decided.reason
    assert 1 <= len(decided.candidates) <= 3 and all(name.startswith("示例市") for name, _ in decided.candidates)


def test_train_dispatch_on_a_small_slice_is_deterministic(tmp_path, sample_kb):
    directory = [
        Entry("d-water", "示例市水务集团", "停水、水压低、水管爆裂；水费缴纳"),
        Entry("d-city", "示例市城市管理局", "路灯不亮；占道经营；井盖缺失"),
    ]
    data = tmp_path / "train"
    data.mkdir()
    write_jsonl(
        data / "A.jsonl",
        [
            {"text": "家里停水了", "department": "d-water"},
            {"text": "路灯坏了", "department": "d-city"},
            {"text": "你好", "department": "none"},
        ],
    )
    write_jsonl(
        data / "B.jsonl",
        [
            {"text": "水管爆了", "department": "d-water"},
            {"text": "门口有人摆摊", "department": "d-city"},
            {"text": "谢谢", "department": "none"},
        ],
    )

    def encode(texts):
        return sample_kb.embeddings.encode(texts, "query: ")

    first, card = train(directory, data, encode)
    second, _ = train(directory, data, encode)
    assert np.array_equal(first.classifier.coef, second.classifier.coef) and first.threshold == second.threshold
    assert card["data"]["writers"] == {"A": 3, "B": 3} and card["data"]["keys"] == ["d-city", "d-water", "none"]
    first.save(tmp_path / "model", card)
    loaded = DispatchModel.load(tmp_path / "model")
    assert loaded.keys == first.keys and loaded.version == card["version"]


def test_a_corrupt_or_missing_model_file_is_named_with_the_command_that_rebuilds_it(tmp_path):
    broken = tmp_path / "dispatch"
    shutil.copytree(SHIPPED, broken)
    (broken / "dispatch.npz").write_bytes(b"not a model")
    with pytest.raises(DispatchModelError, match=r"dispatch\.npz.*govbot train-dispatch"):
        DispatchModel.load(broken)
    home = tmp_path / "home"
    shutil.copytree(broken, home / "dispatch")  # a home's own model is the one in use
    env = {**os.environ, "GOVBOT_HOME": str(home)}
    run = subprocess.run(
        [sys.executable, "-m", "govbot.cli", "serve", "--port", "8792"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2
    assert "dispatch.npz" in run.stderr and "govbot train-dispatch" in run.stderr


def test_the_shipped_model_knows_every_department_of_the_sample_directory():
    rows = [json.loads(line) for line in (REPO / "data" / "kb" / "hotline.jsonl").read_text(encoding="utf-8").splitlines()]
    keys = {r["key"] for r in rows if r.get("kind") == "hotline"}
    model = DispatchModel.load()
    assert set(model.keys) == keys | {NONE}
