"""Downloadable import templates (.xlsx): the header row, one example row and a sheet of instructions.

Required columns are bold on a highlighted fill and carry a "必填" comment; the example row is a
real, importable item, so a template filled in below it imports cleanly.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from knowledge.bulk.excel import INSTRUCTIONS_SHEET
from knowledge.content import KIND_LABELS, Kind

# (header label, required, width, what to write, example value)
_COMMON_TAIL = [
    ("部门", False, 22, "负责该条目的部门。留空则为导入人所属部门；管理员导入时必须填写。", ""),
    ("地区", False, 12, "适用地区，如“示例市”。留空则使用导入时选择的地区。", "示例市"),
    ("生效日期", False, 14, "格式 2024-01-31。留空表示立即生效。", date(2024, 1, 1)),
    ("失效日期", False, 14, "格式 2024-12-31，必须晚于生效日期。留空表示长期有效。", ""),
    (
        "编号",
        False,
        24,
        (
            "一般留空：系统按部门和问题（事项名称）自动编号，再次导入同一问题会更新原条目。"
            "要修改已导入条目的问题（事项名称）时，在此填写原条目的编号，否则会新增一条。"
        ),
        "",
    ),
]
COLUMNS: dict[Kind, list[tuple[str, bool, int, str, object]]] = {
    Kind.QA: [
        ("问题", True, 36, "市民会怎么问，一行一个问题，同一部门内不能重复。", "新生儿怎么办理医保参保登记？"),
        ("相似问法", False, 30, "同一问题的其他说法，多个用“；”分隔。", "孩子刚出生怎么上医保；新生儿医保在哪办"),
        (
            "答案",
            True,
            60,
            "完整、准确的答复，可换行。",
            (
                "新生儿出生后，监护人可持出生医学证明和户口簿到户籍所在地社区医保服务窗口办理参保登记，"
                "也可在“示例市医保”公众号在线办理。出生后3个月内参保缴费的，自出生之日起享受待遇。"
            ),
        ),
        ("来源文件", False, 30, "答案依据的政策文件名称或文号。", "示例市医疗保障局关于城乡居民医保参保工作的通知"),
    ]
    + _COMMON_TAIL,
    Kind.GUIDE: [
        ("事项名称", True, 28, "办事事项的正式名称，同一部门内不能重复。", "城乡居民医保参保登记"),
        ("办理对象", False, 20, "谁可以办理。", "本市户籍未参加职工医保的城乡居民"),
        ("受理条件", False, 30, "需要满足的条件。", "未参加职工基本医疗保险"),
        ("所需材料", False, 36, "需要带的材料，多项用“；”分隔。", "居民身份证或户口簿；新生儿提供出生医学证明"),
        ("办理流程", False, 36, "办理步骤。", "1.提交材料；2.窗口审核；3.缴费后完成参保"),
        ("办理时限", False, 14, "多久办完。", "即时办结"),
        ("收费标准", False, 14, "收费情况。", "不收费"),
        ("办理地点", False, 30, "在哪里办理。", "户籍所在地社区医保服务窗口"),
        ("咨询电话", False, 16, "咨询电话。", "12345"),
        ("法律依据", False, 30, "依据的法律法规或政策文件。", "《中华人民共和国社会保险法》"),
    ]
    + _COMMON_TAIL,
}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
REQUIRED_FONT = Font(bold=True, color="C00000")


def template_workbook(kind: Kind) -> bytes:
    """The import template for Q&A or service guides, as .xlsx bytes."""
    if kind not in COLUMNS:
        raise ValueError(f"没有“{KIND_LABELS.get(kind, kind)}”的导入模板，目前提供政策问答和办事指南的模板")
    columns = COLUMNS[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = KIND_LABELS[kind]
    sheet.append([label for label, *_ in columns])
    sheet.append([example for *_, example in columns])
    for i, (label, required, width, _help, example) in enumerate(columns, 1):
        head = sheet.cell(row=1, column=i)
        head.alignment = Alignment(horizontal="center", vertical="center")
        if required:
            head.font, head.fill = REQUIRED_FONT, REQUIRED_FILL
            head.comment = Comment("必填", "govbot")
        else:
            head.font, head.fill = Font(bold=True), HEADER_FILL
        cell = sheet.cell(row=2, column=i)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if isinstance(example, date):
            cell.number_format = "yyyy-mm-dd"
        sheet.column_dimensions[head.column_letter].width = width
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(INSTRUCTIONS_SHEET)
    notes.append([f"{KIND_LABELS[kind]}导入模板填写说明"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(["1. 第一行是表头，请不要修改列名；红色加粗的列为必填。第二行是示例，可直接修改或删除。"])
    notes.append(["2. 每一行一个条目，不要合并单元格，不要在表格中间留空行。"])
    notes.append(["3. 一次最多导入 10000 行，行数更多时请拆分为多个文件。本说明页不会被导入。"])
    notes.append([])
    notes.append(["列名", "是否必填", "填写说明", "示例"])
    for cell in notes[notes.max_row]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for label, required, _width, help_text, example in columns:
        shown = example.isoformat() if isinstance(example, date) else example
        notes.append([label, "必填" if required else "选填", help_text, shown])
    for letter, width in zip("ABCD", (14, 10, 70, 50)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=7):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
