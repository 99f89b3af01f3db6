"""Read an uploaded .xlsx into tables, one per sheet, with the checks only a workbook needs.

The row count is checked first in openpyxl's read-only mode (cheap), so an oversized file is
refused before it is loaded whole. The workbook is then loaded normally, because only then does
openpyxl expose merged cells, and a merged cell in the data means values silently missing.
"""

from __future__ import annotations

import io
import warnings
import zipfile

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from knowledge.bulk.limits import ImportLimits
from knowledge.bulk.problems import Problem
from knowledge.bulk.table import Table, is_blank

INSTRUCTIONS_SHEET = "填写说明"  # the help sheet of our templates: never data
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.xls, .doc)
CORRUPT = "文件已损坏或不是真正的 .xlsx 文件（可能只是改了扩展名）。请用 Excel 打开后“另存为 .xlsx”再上传"


def too_many_rows(count: int, limit: int) -> Problem:
    return Problem(None, "", f"文件共有 {count} 行数据，超过单次导入上限 {limit} 行，请拆分后分批导入")


def read_workbook(data: bytes, *, limits: ImportLimits) -> tuple[list[Table], list[Problem]]:
    """The sheets with content (header = first non-empty row) and whole-file problems."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(_OLE_MAGIC):
            return [], [Problem(None, "", "这是旧版 Excel（.xls）文件，请用 Excel 打开后“另存为 .xlsx”再上传")]
        return [], [Problem(None, "", CORRUPT)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it cannot read
            measured = _measure(data, limits)
            if measured:
                return [], [measured]
            book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001 - any failure inside openpyxl is a bad file for the user
        return [], [Problem(None, "", CORRUPT)]
    sheets = [ws for ws in book.worksheets if ws.title.strip() != INSTRUCTIONS_SHEET]
    tables = [table for table in map(_sheet_table, sheets) if table is not None]
    problems: list[Problem] = []
    for table, sheet in ((t, book[t.name]) for t in tables):
        prefix = f"工作表「{table.name}」：" if len(tables) > 1 else ""
        problems += merged_cell_problems(sheet, table, prefix)
    book.close()
    return tables, problems


def _measure(data: bytes, limits: ImportLimits) -> Problem | None:
    """Rows, cells and the longest cell, counted from the data in read-only mode (never from the
    `<dimension>` a sheet states), stopping as soon as a limit is passed."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = cells = 0
        for ws in (ws for ws in book.worksheets if ws.title.strip() != INSTRUCTIONS_SHEET):
            ws.reset_dimensions()  # iterate what is there, not what the file claims
            filled = 0
            for values in ws.iter_rows(values_only=True):
                present = [v for v in values if v is not None and v != ""]
                if not present:
                    continue
                filled += 1
                if rows + filled - 1 > limits.max_rows:
                    continue  # only counted on from here: the message says how many there are
                cells += len(present)
                if cells > limits.max_cells:
                    return Problem(None, "", f"文件有内容的单元格超过单次导入上限 {limits.max_cells}，请拆分后分批导入")
                if any(len(str(v)) > limits.max_cell_chars for v in present):
                    return Problem(None, "", f"工作表「{ws.title}」中有单元格超过 {limits.max_cell_chars} 字，请精简或拆分")
            rows += max(filled - 1, 0)
        return too_many_rows(rows, limits.max_rows) if rows > limits.max_rows else None
    finally:
        book.close()


def _sheet_table(ws) -> Table | None:
    header_row, headers, rows = 0, [], []
    for n, values in enumerate(ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True), 1):
        values = list(values)
        if not header_row:
            if not is_blank(values):
                header_row = n
                headers = ["" if v is None else str(v).strip() for v in values]
            continue
        rows.append((n, values))
    if not header_row:
        return None
    while rows and is_blank(rows[-1][1]):  # trailing empty rows are not the user's concern
        rows.pop()
    while headers and not headers[-1]:
        headers.pop()
    return Table(name=ws.title, header_row=header_row, headers=headers, rows=rows)


def merged_cell_problems(ws, table: Table, prefix: str) -> list[Problem]:
    """One error per merged range that reaches below the header: its other cells read as empty."""
    problems = []
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        if merged.max_row <= table.header_row:
            continue
        first = max(merged.min_row, table.header_row + 1)
        labels = [
            table.headers[c - 1] if c - 1 < len(table.headers) and table.headers[c - 1] else f"{get_column_letter(c)}列"
            for c in range(merged.min_col, merged.max_col + 1)
        ]
        rows = f"第{first}行" if first == merged.max_row else f"第{first}–{merged.max_row}行"
        problems.append(
            Problem(
                first,
                "、".join(labels),
                f"{prefix}单元格 {merged.coord} 是合并单元格（{rows}，「{'、'.join(labels)}」列）："
                "合并后只有第一个单元格有内容，其余单元格的内容会丢失。"
                "请取消合并，并在每一行填写完整内容",
            )
        )
    return problems
