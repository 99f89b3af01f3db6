"""Ingestion through the real CLI and store: formats, idempotency, versions, bad files."""

from __future__ import annotations

import json
import shutil

from openpyxl import Workbook

from tests.conftest import REPO, run_cli, write_jsonl

SEEDS = REPO / "data" / "documents"
QA = {
    "kind": "qa",
    "key": "qa-test-1",
    "question": "示例市的办事大厅周末开门吗？",
    "similar": ["周六能去大厅办事吗"],
    "answer": "示例市政务服务中心周六上午9:00-12:00开放部分窗口。",
    "department": "示例市政务服务管理局",
    "region": "示例市",
    "status": "published",
}


def test_seed_documents_are_ingested_with_metadata_and_without_portal_boilerplate(make_kb):
    kb = make_kb()
    report = kb.ingest([SEEDS])
    assert not report.errors and report.count("added") == 5
    docs = {item.source.split("/")[-1]: item for item in kb.store.items()}
    gy = docs["001_8a1ce8f3cd3cb75f.txt"]
    assert gy.doc_number == "筑高新办函〔2019〕23号"
    assert gy.doc_date.isoformat() == "2019-07-10"
    assert gy.title.startswith("贵阳国家高新区党政办公室印发")
    indexed = " ".join(p.index_text + p.text for p in kb.index.passages.values())
    for boilerplate in ("4006-0531-77", "联系我们", "浏览量", "分享到", "扫一扫", "微信二维码", "zhenghe"):
        assert boilerplate not in indexed
    answer = kb.ask("贵阳高新区政务服务热线是多少")
    assert "4006-0531-77" not in answer.answer
    # chunks keep the document's own structure
    headings = {p.heading for p in kb.index.passages.values() if p.item_id == docs["000_09049e3a06e794f3.txt"].id}
    assert any(h.startswith("一、深入推进决策和执行公开") for h in headings)


def test_reingesting_the_same_file_adds_nothing(tmp_path):
    home = tmp_path / "home"
    path = write_jsonl(tmp_path / "qa.jsonl", [QA])
    first = run_cli(home, "ingest", str(path))
    assert first.returncode == 0, first.stderr
    assert "新增 1" in first.stdout
    second = run_cli(home, "ingest", str(path))
    assert second.returncode == 0 and "已导入过，跳过" in second.stdout
    path.touch()  # a new modification time alone changes nothing
    assert "已导入过，跳过" in run_cli(home, "ingest", str(path)).stdout
    copy = shutil.copy(path, tmp_path / "copy.jsonl")  # the same item from another file: no duplicate
    third = run_cli(home, "ingest", str(copy))
    assert third.returncode == 0 and "新增 0" in third.stdout
    ask = json.loads(run_cli(home, "ask", "周六能去大厅办事吗", "--json").stdout)
    assert len(ask["sources"]) == 1 and ask["sources"][0]["source"].endswith("copy.jsonl")


def test_a_changed_file_makes_a_new_version(make_kb, tmp_path):
    kb = make_kb()
    path = write_jsonl(tmp_path / "qa.jsonl", [QA])
    kb.ingest([path])
    changed = dict(QA, answer="示例市政务服务中心周六全天开放。")
    write_jsonl(path, [changed])
    report = kb.ingest([path])
    assert report.count("updated") == 1
    item = kb.store.get_by_key("qa-test-1")
    assert item.version == 2 and item.fields["answer"] == "示例市政务服务中心周六全天开放。"
    assert [v.version for v in kb.store.versions(item.id)] == [1, 2]
    assert "周六全天" in kb.ask("周六能去大厅办事吗").answer


def test_spreadsheets_map_chinese_headers(make_kb, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["问题", "相似问法", "答案", "部门", "地区", "生效日期"])
    sheet.append(
        [
            "养狗要办证吗？",
            "狗证怎么办；养犬登记",
            "示例市实行养犬登记制度，须在取得犬只后30日内办理。",
            "示例市公安局",
            "示例市",
            "2024-01-01",
        ]
    )
    sheet.append([None, None, None, None, None, None])  # an empty row is skipped
    xlsx = tmp_path / "qa.xlsx"
    book.save(xlsx)
    csv_path = tmp_path / "guide.csv"
    csv_path.write_text("事项名称,所需材料,办理地点,责任部门\n犬只登记,身份证、犬只免疫证明,各区派出所,示例市公安局\n", encoding="utf-8")
    kb = make_kb()
    report = kb.ingest([xlsx, csv_path])
    assert not report.errors and report.count("added") == 2
    qa = next(i for i in kb.store.items() if i.kind.value == "qa")
    assert qa.fields["similar"] == ["狗证怎么办", "养犬登记"] and qa.department == "示例市公安局"
    assert qa.effective_date.isoformat() == "2024-01-01"
    guide = next(i for i in kb.store.items() if i.kind.value == "guide")
    assert guide.title == "犬只登记" and guide.fields["location"] == "各区派出所"


def test_a_bad_row_rejects_its_file_whole_and_other_files_still_load(tmp_path):
    home = tmp_path / "home"
    bad = write_jsonl(tmp_path / "bad.jsonl", [QA, {"kind": "qa", "question": "没有答案的问题"}])
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.4 this is not really a pdf")
    good = write_jsonl(tmp_path / "good.jsonl", [dict(QA, key="qa-test-2")])
    result = run_cli(home, "ingest", str(bad), str(corrupt), str(good))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert any(line.startswith("失败\t") and "bad.jsonl" in line and "第2行" in line and "答案" in line for line in lines)
    assert any(line.startswith("失败\t") and "broken.pdf" in line for line in lines)
    assert any(line.startswith("已导入\t") and "good.jsonl" in line for line in lines)
    ask = run_cli(home, "ask", "周六能去大厅办事吗", "--json")
    keys = [s["source"] for s in json.loads(ask.stdout)["sources"]]
    assert keys and all("good.jsonl" in k for k in keys)  # nothing of bad.jsonl was written


def test_unsupported_and_missing_files_are_reported(tmp_path):
    odd = tmp_path / "slides.pptx"
    odd.write_bytes(b"PK\x03\x04")
    result = run_cli(tmp_path / "home", "ingest", str(odd), str(tmp_path / "missing.txt"))
    assert result.returncode == 2
    assert "不支持的文件类型" in result.stdout and "文件不存在" in result.stdout


def test_ingest_options_set_region_department_and_status(make_kb, tmp_path):
    path = write_jsonl(tmp_path / "qa.jsonl", [{k: v for k, v in QA.items() if k not in ("region", "status")}])
    from knowledge.content import Status
    from knowledge.ingest.service import IngestOptions

    kb = make_kb()
    kb.ingest([path], IngestOptions(region="示例市城东区", status=Status.DRAFT))
    item = kb.store.get_by_key("qa-test-1")
    assert item.region == "示例市城东区" and item.status == Status.DRAFT
    assert len(kb.index) == 0  # drafts are never indexed


DIRECTORY_ENTRY = {
    "kind": "hotline",
    "key": "dept-test-zhifa",
    "title": "示例市南湖区综合行政执法局",
    "handles": "南湖区的占道经营、油烟和噪声投诉。",
    "phone": "0000-8732319",
    "region": "示例市",
    "status": "published",
}


def test_the_sample_knowledge_base_names_only_departments_of_its_directory():
    from knowledge.ingest.service import IngestOptions, drafts_for
    from knowledge.registry import Registry

    drafts = [d for path in sorted((REPO / "data" / "kb").glob("*.jsonl")) for d in drafts_for(path, IngestOptions())]
    registry = Registry(d.title for d in drafts if d.kind.value == "hotline")
    assert registry.has_directory and registry.unknown(drafts) == []


def test_strict_ingest_refuses_a_department_missing_from_the_directory_and_suggests_the_closest(tmp_path):
    home = tmp_path / "home"
    typo = {**QA, "department": "南湖区综合行政执法局"}
    path = write_jsonl(tmp_path / "batch.jsonl", [DIRECTORY_ENTRY, typo])
    refused = run_cli(home, "ingest", "--strict", str(path))
    assert refused.returncode == 2
    assert "“南湖区综合行政执法局”不在部门目录中" in refused.stderr and "是否应为“示例市南湖区综合行政执法局”" in refused.stderr
    assert "没有导入任何文件" in refused.stderr
    asked = run_cli(home, "ask", "--json", "示例市的办事大厅周末开门吗？")
    assert json.loads(asked.stdout)["status"] == "no_answer"  # nothing of the batch was saved

    warned = run_cli(home, "ingest", str(path))  # without --strict: imported, with the same warning
    assert warned.returncode == 0 and "警告：部门“南湖区综合行政执法局”不在部门目录中" in warned.stderr
    assert "新增条目 2" in warned.stdout
