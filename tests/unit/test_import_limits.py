"""What an upload may cost to read: archive bombs, lying sizes, too many cells, huge cells, a
reader that runs out of memory: each is a clear preview problem, and the server is not touched."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from knowledge.bulk import preview_import
from knowledge.bulk.limits import ImportLimits, WorkerFailed, in_worker
from knowledge.store.sql import SqlStore
from tests.unit.test_bulk_import import xlsx


@pytest.fixture
def store(tmp_path):
    return SqlStore(f"sqlite:///{tmp_path / 'kb.db'}")


def _book(rows: list[list]) -> bytes:
    return xlsx(*rows)


def _only_problem(result) -> str:
    assert result.rows == [] and not result.ok
    [problem] = result.problems
    return problem.message


def _rewritten(data: bytes, member: str, change) -> bytes:
    """The same workbook with one member's XML changed."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == member else content)
    return out.getvalue()


def test_shared_strings_that_expand_hugely_are_refused_from_the_directory(store):
    out = io.BytesIO(_book([["问题", "答案"], ["怎么办？", "这样办。"]]))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:  # 300 MB of shared strings, deflated
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * 300 * 2**20 + b"</sst>")
    data = out.getvalue()
    assert len(data) < 2 * 2**20  # a small upload…
    message = _only_problem(preview_import("问答.xlsx", data, store=store, department="示例市民政局"))
    assert "解压后" in message  # …refused before anything is decompressed


def test_a_lying_dimension_does_not_decide_the_size(store):
    rows = [["问题", "答案"]] + [[f"第{n}个问题？", "答。"] for n in range(40)]
    data = _rewritten(
        _book(rows), "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:B2"/>', xml)
    )
    result = preview_import("问答.xlsx", data, store=store, department="示例市民政局", limits=ImportLimits(max_rows=30))
    assert "40" in _only_problem(result) and "30" in _only_problem(result)


def test_cells_and_characters_are_capped(store):
    wide = _book([[f"列{c}" for c in range(50)]] + [[f"值{r}-{c}" for c in range(50)] for r in range(30)])
    many = preview_import("问答.xlsx", wide, store=store, department="示例市民政局", limits=ImportLimits(max_cells=1000))
    assert "单元格" in _only_problem(many) and "1000" in _only_problem(many)
    long = _book([["问题", "答案"], ["怎么办？", "很长的答案。" * 5000]])
    assert "30000" not in _only_problem(preview_import("问答.xlsx", long, store=store, department="示例市民政局"))
    assert "20000 字" in _only_problem(preview_import("问答.xlsx", long, store=store, department="示例市民政局"))
    csv = ("问题,答案\n怎么办？," + "长" * 25_000 + "\n").encode()
    assert "20000 字" in _only_problem(preview_import("问答.csv", csv, store=store, department="示例市民政局"))


def test_the_reader_has_a_memory_ceiling():
    with pytest.raises(WorkerFailed) as failed:
        in_worker(bytearray, 3 * 2**30, limits=ImportLimits(worker_memory_mb=1024))  # 3 GB in a 1 GB process
    assert "内存" in str(failed.value) or "资源上限" in str(failed.value)
    assert in_worker(len, b"still fine", limits=ImportLimits(worker_memory_mb=1024)) == 10  # the next read works


def test_govbot_ingest_reads_with_the_same_limits(tmp_path):
    from knowledge.ingest.errors import IngestError
    from knowledge.ingest.readers import read_document
    from knowledge.ingest.records import read_rows

    out = io.BytesIO(_book([["问题", "答案"], ["怎么办？", "这样办。"]]))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * 300 * 2**20 + b"</sst>")
    (tmp_path / "bomb.xlsx").write_bytes(out.getvalue())
    with pytest.raises(IngestError, match="解压后"):
        read_rows(tmp_path / "bomb.xlsx")
    (tmp_path / "long.xlsx").write_bytes(_book([["问题", "答案"], ["怎么办？", "长" * 25_000]]))
    with pytest.raises(IngestError, match="20000 字"):
        read_rows(tmp_path / "long.xlsx")
    with zipfile.ZipFile(tmp_path / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document>" + b" " * 300 * 2**20 + b"</w:document>")
    with pytest.raises(IngestError, match="解压后"):
        read_document(tmp_path / "bomb.docx")
