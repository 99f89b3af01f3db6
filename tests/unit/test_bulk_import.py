"""The console's bulk import (knowledge.bulk) on real files and a real SQLite store."""

from __future__ import annotations

import io
import subprocess
import time
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from knowledge.bulk import (
    ImportRejected,
    commit_import,
    preview_import,
    template_workbook,
)
from knowledge.content import ItemDraft, Kind, Status
from knowledge.store.sql import SqlStore

DEPT = "示例市医疗保障局"
OTHER = "示例市公安局"
QA_HEAD = ["问题", "相似问法", "答案", "部门", "生效日期", "失效日期"]
QA_ROWS = [
    ["新生儿怎么办理医保？", "孩子刚出生怎么上医保", "持出生医学证明到社区医保窗口办理参保登记。", "", "2024-01-01", ""],
    ["医保卡丢了怎么补办？", "", "携带身份证到任一医保经办窗口补办，当场制卡。", DEPT, "", ""],
    ["异地就医怎么备案？", "外地看病报销", "通过国家医保服务平台App办理异地就医备案。", "", "", "2030-12-31"],
]


@pytest.fixture
def store(tmp_path):
    made = SqlStore(f"sqlite:///{tmp_path / 't.db'}")
    yield made
    made.close()


def xlsx(*rows, merge: str | None = None, title: str = "Sheet") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx_bytes(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def errors(preview) -> list:
    return [p for p in preview.problems if p.severity == "error"]


def warnings(preview) -> list:
    return [p for p in preview.problems if p.severity == "warning"]


def preview(store, data: bytes, filename: str = "问答.xlsx", department: str | None = DEPT, **kw):
    return preview_import(filename, data, store=store, department=department, **kw)


# --- the main path: a Q&A workbook, committed, re-imported ------------------------------------------


def test_qa_workbook_previews_then_commits_with_the_importers_department_and_region(store):
    seen = []
    result = preview(store, xlsx(QA_HEAD, *QA_ROWS), region="示例市", progress=lambda d, t: seen.append((d, t)))
    assert result.ok and result.problems == []
    assert result.summary() == {"rows": 3, "new": 3, "changed": 0, "unchanged": 0, "errors": 0, "warnings": 0}
    first = result.rows[0]
    assert first.row == 2 and first.action == "new" and first.existing_id is None
    assert first.draft.department == DEPT and first.draft.region == "示例市"
    assert first.draft.fields["similar"] == ["孩子刚出生怎么上医保"]
    assert first.draft.effective_date == date(2024, 1, 1)
    assert result.rows[2].draft.expiry_date == date(2030, 12, 31)
    assert seen[-1] == (3, 3)
    shown = result.to_dict(limit=2)
    assert shown["ok"] is True and shown["summary"]["new"] == 3 and len(shown["items"]) == 2
    assert shown["items"][0]["title"] == "新生儿怎么办理医保？" and shown["items"][0]["effective_date"] == "2024-01-01"

    saved = commit_import(store, result, status=Status.DRAFT, actor="editor1")
    assert len(saved.added) == 3
    items = store.items()
    assert [i.status for i in items] == [Status.DRAFT] * 3
    assert {i.department for i in items} == {DEPT}
    assert store.versions(items[0].id)[0].actor == "editor1"


def test_a_department_missing_from_the_directory_warns_on_its_row_with_the_closest_entry(store):
    store.save_items(
        [ItemDraft(Kind.HOTLINE, DEPT, {"handles": "医保参保、报销、异地就医备案"}, key="dept-yibao", department=DEPT)], actor="t"
    )
    rows = [QA_ROWS[0][:3] + ["医疗保障局", "", ""], QA_ROWS[1]]
    result = preview(store, xlsx(QA_HEAD, *rows), department=None)  # an administrator's import: any department
    assert result.ok, [p.to_dict() for p in result.problems]  # a warning, not an error: the editor decides
    (warned,) = warnings(result)
    assert warned.row == 2 and warned.column == "部门" and "是否应为“示例市医疗保障局”" in warned.message


def test_reimport_under_any_filename_is_unchanged_and_adds_nothing(store):
    data = xlsx(QA_HEAD, *QA_ROWS)
    commit_import(store, preview(store, data, "四月问答.xlsx"), status=Status.PUBLISHED, actor="a")
    keys = sorted(i.key for i in store.items())

    again = preview(store, data, "问答（最终版）.xlsx")
    assert again.ok and [r.action for r in again.rows] == ["unchanged"] * 3
    assert all(r.existing_id for r in again.rows)
    saved = commit_import(store, again, status=Status.PUBLISHED, actor="a")
    assert saved.added == [] and saved.updated == [] and len(saved.unchanged) == 3
    assert sorted(i.key for i in store.items()) == keys and len(store.items()) == 3
    assert all(i.version == 1 for i in store.items())

    edited = [row[:] for row in QA_ROWS]
    edited[1][2] = "携带身份证到任一医保经办窗口补办，也可在线申请邮寄。"
    changed = preview(store, xlsx(QA_HEAD, *edited), "另一个名字.xlsx")
    assert [r.action for r in changed.rows] == ["unchanged", "changed", "unchanged"]
    saved = commit_import(store, changed, status=Status.PUBLISHED, actor="a")
    assert len(saved.updated) == 1 and saved.added == []
    item = store.get(saved.updated[0])
    assert item.version == 2 and "邮寄" in item.fields["answer"] and len(store.items()) == 3


def test_key_column_lets_a_question_be_reworded_without_a_new_item(store):
    head = ["编号", "问题", "答案"]
    commit_import(
        store, preview(store, xlsx(head, ["YB-001", "医保卡丢了怎么补办？", "到医保窗口补办。"])), status=Status.PUBLISHED, actor="a"
    )
    reworded = preview(store, xlsx(head, ["YB-001", "社保卡丢失如何补领？", "到医保窗口补办。"]))
    assert reworded.ok and reworded.rows[0].action == "changed"
    assert reworded.rows[0].draft.key == "YB-001"
    commit_import(store, reworded, status=Status.PUBLISHED, actor="a")
    assert [i.title for i in store.items()] == ["社保卡丢失如何补领？"]

    theirs = preview(store, xlsx(head, ["YB-001", "社保卡丢失如何补领？", "改掉别人的答案"]), department=OTHER)
    [problem] = errors(theirs)
    assert problem.row == 2 and problem.column == "编号"
    assert "不能修改其他部门的条目" in problem.message and DEPT in problem.message


# --- whole-file problems ---------------------------------------------------------------------------


def test_missing_required_columns_are_named(store):
    result = preview(store, xlsx(["问题", "部门"], ["医保卡丢了怎么补办？", DEPT]))
    [problem] = errors(result)
    assert problem.row is None and "缺少必填列：答案" in problem.message and not result.ok
    forced = preview(store, xlsx(["标题", "备注"], ["x", "y"]), kind=Kind.QA)
    assert "缺少必填列：问题、答案" in errors(forced)[0].message


def test_unknown_and_status_columns_only_warn_and_status_comes_from_commit(store):
    data = xlsx(["问题", "答案（必填）", "备注", "状态"], ["医保卡丢了怎么补办？", "到医保窗口补办。", "内部用", "废止"])
    result = preview(store, data)
    assert result.ok and errors(result) == []
    by_column = {p.column: p.message for p in warnings(result)}
    assert "无法识别的列「备注」" in by_column["备注"]
    assert "不会生效" in by_column["状态"]
    commit_import(store, result, status=Status.PUBLISHED, actor="a")
    assert store.items()[0].status == Status.PUBLISHED


def test_merged_cells_in_the_data_are_an_error_naming_the_range(store):
    data = xlsx(["问题", "答案"], ["医保卡丢了怎么补办？", "到医保窗口补办。"], ["医保卡密码忘了怎么办？", None], merge="B2:B3")
    result = preview(store, data)
    merged = [p for p in errors(result) if "合并单元格" in p.message]
    assert len(merged) == 1
    assert merged[0].row == 2 and merged[0].column == "答案"
    assert "B2:B3" in merged[0].message and "第2–3行" in merged[0].message and "取消合并" in merged[0].message
    with pytest.raises(ImportRejected):
        commit_import(store, result, status=Status.PUBLISHED, actor="a")
    assert store.items() == []


def test_inner_empty_rows_warn_and_trailing_ones_are_ignored(store):
    rows = [
        ["问题", "答案"],
        ["医保卡丢了怎么补办？", "到医保窗口补办。"],
        [None, None],
        ["异地就医怎么备案？", "在线备案。"],
        ["  ", None],
        [None, " "],
    ]
    result = preview(store, xlsx(*rows))
    assert result.ok and len(result.rows) == 2
    assert [(p.row, p.message) for p in warnings(result)] == [(3, "第3行为空行，已跳过")]


def test_more_rows_than_the_limit_is_refused_before_anything_is_built(store):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("问答")
    sheet.append(["问题", "答案"])
    for n in range(30000):
        sheet.append([f"第{n}号问题怎么办理？", f"第{n}号答案。"])
    out = io.BytesIO()
    book.save(out)
    start = time.perf_counter()
    result = preview(store, out.getvalue())
    elapsed = time.perf_counter() - start
    assert result.rows == [] and not result.ok
    [problem] = result.problems
    assert problem.row is None
    assert "30000" in problem.message and "10000" in problem.message and "请拆分后分批导入" in problem.message
    assert elapsed < 30, f"refusing an oversized file took {elapsed:.1f} s"
    small = preview(store, xlsx(["问题", "答案"], *[[f"问题{n}？", "答。"] for n in range(4)]), max_rows=3)
    assert "共有 4 行数据" in small.problems[0].message


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("问答.xlsx", bytes(range(256)) * 8, ["损坏", ".xlsx"]),
        ("问答.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, [".xls", "另存为 .xlsx"]),
        ("问答.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ["不支持", "另存为 .xlsx"]),
        ("说明.txt", "问：你好？答：你好。".encode(), ["不支持的文件类型：.txt"]),
        ("空.xlsx", b"", ["文件是空的"]),
        ("公告.docx", b"PK\x03\x04 not really a zip", ["docx"]),
        ("公告.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", ["PDF"]),
    ],
)
def test_bad_files_become_one_whole_file_error(store, filename, data, words):
    result = preview(store, data, filename)
    assert not result.ok and result.rows == []
    [problem] = result.problems
    assert problem.row is None and problem.severity == "error"
    for word in words:
        assert word in problem.message


def test_a_word_document_renamed_to_xlsx_is_a_clear_error(store):
    result = preview(store, docx_bytes("问：你好？", "答：你好。"), "问答.xlsx")
    [problem] = result.problems
    assert "不是真正的 .xlsx 文件" in problem.message


# --- row problems ------------------------------------------------------------------------------------


def test_row_errors_name_row_and_column(store):
    head = ["类型", "问题", "答案", "生效日期", "失效日期"]
    rows = [
        ["政策问答", "医保卡丢了怎么补办？", "到医保窗口补办。", "2024-01-01", ""],
        ["政策问答", "异地就医怎么备案？", "", "", ""],
        ["政策问答", "门诊怎么报销？", "按比例报销。", "明年一月", ""],
        ["政策问答", "住院押金多少？", "视病情而定。", "2024-05-01", "2024-05-01"],
        ["公告", "大病保险怎么赔？", "自动理赔。", "", ""],
        ["政策问答", "生育津贴怎么领？", "单位申领。", "2024-02-30", ""],
    ]
    result = preview(store, xlsx(head, *rows), kind=None)
    found = {(p.row, p.column): p.message for p in errors(result)}
    assert found == {
        (3, "答案"): "「答案」不能为空，请填写",
        (4, "生效日期"): "「生效日期」的日期“明年一月”无法识别，请填写为 2024-01-31 这样的日期",
        (5, "失效日期"): "「失效日期」必须晚于「生效日期」",
        (6, "类型"): "未知的类型“公告”，请填写：办事指南、政策问答、政策文件、部门目录",
        (7, "生效日期"): "「生效日期」的日期“2024-02-30”无法识别，请填写为 2024-01-31 这样的日期",
    }
    assert [r.row for r in result.rows] == [2]  # rows with errors are not previewed
    with pytest.raises(ImportRejected, match="5 处错误"):
        commit_import(store, result, status=Status.PUBLISHED, actor="a")
    assert store.items() == []


def test_duplicate_questions_in_the_file_name_the_earlier_row(store):
    rows = [
        ["医保卡丢了怎么补办？", "到窗口补办。"],
        ["异地就医怎么备案？", "在线备案。"],
        [" 医保卡丢了，怎么补办 ", "另一个答案。"],
        ["ＡＢＣ卡怎么办？", "一。"],
        ["abc卡怎么办", "二。"],
    ]
    result = preview(store, xlsx(["问题", "答案"], *rows))
    found = [(p.row, p.column, p.message) for p in errors(result)]
    assert found == [
        (4, "问题", "与第2行的问题重复：同一部门的问题只能出现一次，请删除或合并其中一行"),
        (6, "问题", "与第5行的问题重复：同一部门的问题只能出现一次，请删除或合并其中一行"),
    ]


def test_same_question_as_a_stored_item_with_another_key_is_an_error(store):
    stored = store.save_items(
        [
            ItemDraft(
                kind=Kind.QA,
                title="医保卡丢了怎么补办？",
                key="qa-from-cli",
                fields={"question": "医保卡丢了怎么补办？", "answer": "到窗口补办。"},
                department=DEPT,
            )
        ]
    ).added[0]
    result = preview(store, xlsx(["问题", "答案"], ["医保卡丢了怎么补办", "新答案。"]))
    [problem] = errors(result)
    assert problem.row == 2 and problem.column == "问题"
    assert f"与已有条目 #{stored} 重复" in problem.message and "qa-from-cli" in problem.message
    # another department's identical question is theirs, not a duplicate
    other = preview(store, xlsx(["问题", "答案"], ["医保卡丢了怎么补办", "公安的答案。"]), department=OTHER)
    assert other.ok and other.rows[0].action == "new"


def test_department_rules_for_editors_and_administrators(store):
    data = xlsx(["问题", "答案", "部门"], ["医保卡丢了怎么补办？", "到窗口补办。", OTHER], ["异地就医怎么备案？", "在线备案。", ""])
    editor = preview(store, data)
    [problem] = errors(editor)
    assert (problem.row, problem.column) == (2, "部门")
    assert f"不是您所属的部门“{DEPT}”" in problem.message
    assert editor.rows[0].draft.department == DEPT  # the empty one is the editor's department

    admin = preview(store, data, department=None)
    [problem] = errors(admin)
    assert (problem.row, problem.column) == (3, "部门") and problem.message.startswith("缺少部门")
    assert admin.rows[0].draft.department == OTHER

    no_column = preview(store, xlsx(["问题", "答案"], ["医保卡丢了怎么补办？", "到窗口补办。"]), department=None)
    [problem] = errors(no_column)
    assert problem.row is None and problem.message.startswith("缺少部门")


# --- commit --------------------------------------------------------------------------------------------


def test_commit_is_all_or_nothing(store):
    result = preview(store, xlsx(QA_HEAD, *QA_ROWS))
    assert result.ok
    result.rows[2].draft.title = None  # the database refuses the third row (NOT NULL)
    with pytest.raises(Exception, match="NOT NULL"):
        commit_import(store, result, status=Status.PUBLISHED, actor="a")
    assert store.items() == [] and store.last_change() == 0

    with pytest.raises(ImportRejected, match="草稿或已发布"):
        commit_import(store, preview(store, xlsx(QA_HEAD, *QA_ROWS)), status=Status.ABOLISHED, actor="a")
    empty = preview(store, xlsx(QA_HEAD))
    assert not empty.ok and "没有可导入的条目" in empty.problems[0].message
    with pytest.raises(ImportRejected):
        commit_import(store, empty, status=Status.DRAFT, actor="a")


# --- templates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.QA, Kind.GUIDE])
def test_templates_import_cleanly_with_their_example_row(store, kind):
    data = template_workbook(kind)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[1] == "填写说明"
    sheet = book.worksheets[0]
    required = [c.value for c in sheet[1] if c.font.bold and c.comment and "必填" in c.comment.text]
    assert required == (["问题", "答案"] if kind == Kind.QA else ["事项名称"])
    notes = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert all(c.value in notes for c in sheet[1])  # every column is explained

    result = preview(store, data, "模板.xlsx")
    assert result.ok and result.problems == [] and len(result.rows) == 1
    assert result.rows[0].draft.kind == kind and result.rows[0].draft.department == DEPT
    commit_import(store, result, status=Status.PUBLISHED, actor="a")
    assert preview(store, data, "再来一次.xlsx").rows[0].action == "unchanged"
    with pytest.raises(ValueError, match="模板"):
        template_workbook(Kind.HOTLINE)


# --- other formats -----------------------------------------------------------------------------------


def test_several_sheets_are_read_and_the_instructions_sheet_is_skipped(store):
    book = load_workbook(io.BytesIO(template_workbook(Kind.GUIDE)))
    qa = book.create_sheet("问答", 0)
    qa.append(["问题", "答案"])
    qa.append(["医保卡丢了怎么补办？", "到窗口补办。"])
    qa.append(["医保卡丢了怎么补办", "重复的问题。"])
    book.create_sheet("科室备注").append(["这张表是科室内部的说明，不是数据", "张三整理"])
    out = io.BytesIO()
    book.save(out)
    result = preview(store, out.getvalue())
    assert sorted(r.draft.kind.value for r in result.rows) == ["guide", "qa"]
    [problem] = errors(result)
    assert problem.row == 3 and problem.message.startswith("工作表「问答」：与第2行的问题重复")
    assert [p.message for p in warnings(result)] == ["工作表「科室备注」：第1行不是可识别的表头，已跳过这个工作表"]


def test_csv_in_gbk_with_the_same_header_logic(store):
    text = "问题,答案,地区\n医保卡丢了怎么补办？,到窗口补办，当场制卡。,示例市\n,,\n异地就医怎么备案？,在线备案。,\n\n"
    result = preview(store, text.encode("gb18030"), "问答.csv", region="示例县")
    assert [r.draft.region for r in result.rows] == ["示例市", "示例县"]
    assert result.rows[0].draft.fields["answer"] == "到窗口补办，当场制卡。"
    assert [(p.row, p.message) for p in warnings(result)] == [(3, "第3行为空行，已跳过")]


def test_word_qa_pairs_become_one_row_per_pair(store):
    data = docx_bytes(
        "示例市医保政策问答",
        "问：新生儿怎么办理医保？",
        "答：持出生医学证明到社区医保窗口办理。",
        "出生后3个月内参保的，自出生之日起享受待遇。",
        "问：医保卡丢了怎么补办？",
        "答：携带身份证到任一医保经办窗口补办。",
    )
    result = preview(store, data, "政策问答.docx")
    assert result.ok and [r.row for r in result.rows] == [1, 2]
    first = result.rows[0].draft
    assert first.kind == Kind.QA and first.fields["question"] == "新生儿怎么办理医保？"
    assert first.fields["answer"] == "持出生医学证明到社区医保窗口办理。\n出生后3个月内参保的，自出生之日起享受待遇。"
    assert first.department == DEPT
    commit_import(store, result, status=Status.PUBLISHED, actor="a")
    # the same questions in a spreadsheet are the same items: keys do not depend on the format
    same = preview(store, xlsx(["问题", "答案"], ["新生儿怎么办理医保？", first.fields["answer"]]))
    assert same.rows[0].action == "unchanged"

    numbered = docx_bytes(
        "一、居住证怎么办理？",
        "到居住地派出所申领。",
        "需要带身份证。",
        "二、居住证有效期多久？",
        "一年。",
        "三、居住证怎么办理?",
        "重复。",
    )
    result = preview(store, numbered, "居住证.docx")
    assert [r.draft.fields["question"] for r in result.rows] == ["居住证怎么办理？", "居住证有效期多久？"]
    assert result.rows[0].draft.fields["answer"] == "到居住地派出所申领。\n需要带身份证。"
    [problem] = errors(result)
    assert (problem.row, problem.column) == (3, "") and "与第1组问答的问题重复" in problem.message

    missing = preview(store, docx_bytes("问：没有答案的问题？", "问：另一个？", "答：有。"), "问答.docx")
    assert [(p.row, p.message) for p in errors(missing)] == [(1, "「答案」不能为空，请填写")]


def test_word_policy_document_becomes_one_document_item_keyed_by_title(store):
    paragraphs = [
        "示例市医疗保障局",
        "示医保发〔2024〕5号",
        "示例市医疗保障局关于做好2024年城乡居民医保参保工作的通知",
        "各区县医保局：",
        "为做好2024年城乡居民基本医疗保险参保工作，现将有关事项通知如下。",
        "一、参保范围",
        "本市户籍未参加职工医保的城乡居民。",
        "示例市医疗保障局",
        "2024年1月5日",
    ]
    result = preview(store, docx_bytes(*paragraphs), "通知.docx", department=None)
    assert result.ok and len(result.rows) == 1
    doc = result.rows[0].draft
    assert doc.kind == Kind.DOCUMENT and doc.title == "示例市医疗保障局关于做好2024年城乡居民医保参保工作的通知"
    assert doc.doc_number == "示医保发〔2024〕5号" and doc.doc_date == date(2024, 1, 5)
    assert doc.department == "示例市医疗保障局" and "参保范围" in doc.fields["text"]
    commit_import(store, result, status=Status.PUBLISHED, actor="a")
    again = preview(store, docx_bytes(*paragraphs), "通知-最终版.docx", department=None)
    assert again.rows[0].action == "unchanged" and again.rows[0].draft.key == doc.key

    empty = preview(store, docx_bytes("", " "), "空白.docx")
    assert not empty.ok and "没有可提取的文字" in empty.problems[0].message


def _cjk_font() -> str | None:
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = [line.split(":")[0].strip() for line in out.splitlines()]
    return next((f for f in files if f.lower().endswith((".ttf", ".otf", ".ttc"))), None)


def chinese_pdf(lines: list[str]) -> bytes:
    """A PDF with these lines of Chinese text (skips the test where no CJK font is installed)."""
    fpdf = pytest.importorskip("fpdf")
    font = _cjk_font()
    if font is None:
        pytest.skip("no CJK font on this machine (fc-list :lang=zh is empty; make setup installs fonts-wqy-zenhei)")
    pdf = fpdf.FPDF()
    pdf.add_font("cjk", fname=font)
    pdf.set_font("cjk", size=12)
    pdf.add_page()
    for line in lines:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_pdf_qa_pairs(store):
    data = chinese_pdf(
        ["公积金政策问答", "问：公积金可以提取吗？", "答：购房、租房时可以提取。", "问：公积金贷款额度是多少？", "答：最高60万元。"]
    )
    result = preview(store, data, "公积金.pdf")
    assert result.ok
    assert [(r.row, r.draft.fields["question"], r.draft.fields["answer"]) for r in result.rows] == [
        (1, "公积金可以提取吗？", "购房、租房时可以提取。"),
        (2, "公积金贷款额度是多少？", "最高60万元。"),
    ]


def test_corrupt_zip_member_never_escapes(store):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not-xml")
        archive.writestr("xl/workbook.xml", "garbage")
    result = preview(store, out.getvalue())
    [problem] = result.problems
    assert problem.row is None and problem.message.startswith("文件已损坏")
