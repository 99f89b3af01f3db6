"""Read an uploaded .csv into one table (header = first non-empty row)."""

from __future__ import annotations

import csv
import io

from knowledge.bulk.problems import Problem
from knowledge.bulk.table import Table, is_blank
from knowledge.ingest.errors import IngestError
from knowledge.ingest.records import decode_text

# decode_text is the CLI's decoding: UTF-8 (with or without BOM), else GBK.


def read_csv_table(data: bytes) -> tuple[list[Table], list[Problem]]:
    try:
        text = decode_text(data)
    except IngestError as exc:
        return [], [Problem(None, "", exc.reason)]
    if "\x00" in text:
        return [], [Problem(None, "", "这不是文本格式的 CSV 文件，请在 Excel 中“另存为 CSV UTF-8”后再上传")]
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first.count)  # from the header line: answers are full of other commas
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        return [], [Problem(None, "", f"CSV 文件格式有误（{exc}），请在 Excel 中打开后重新保存为 CSV")]
    header_row, headers, rows = 0, [], []
    for n, values in enumerate(records, 1):
        if not header_row:
            if not is_blank(values):
                header_row, headers = n, [v.strip() for v in values]
            continue
        rows.append((n, values))
    if not header_row:
        return [], []
    while rows and is_blank(rows[-1][1]):
        rows.pop()
    return [Table(name="", header_row=header_row, headers=headers, rows=rows)], []
