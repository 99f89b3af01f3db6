"""The bulk import's two steps: preview an uploaded file, then commit the preview in one transaction.

    preview = preview_import("问答.xlsx", data, store=store, department="示例市医疗保障局")
    preview.to_dict()                  # rows (new / changed / unchanged) and problems, for the console
    commit_import(store, preview, status=Status.DRAFT, actor="zhang")   # all rows or none

Keys do not depend on the file name, so re-importing a workbook (edited or not, under any name)
updates the same items: unchanged rows are not saved again and nothing is duplicated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePath

from knowledge.bulk.csvfile import read_csv_table
from knowledge.bulk.excel import read_workbook, too_many_rows
from knowledge.bulk.limits import ImportLimits, WorkerFailed, check_archive, in_worker, table_problems
from knowledge.bulk.existing import StoreView
from knowledge.bulk.problems import WARNING, ImportPreview, ImportRejected, PreviewRow, Problem
from knowledge.bulk.rows import ImportContext, RowChecker
from knowledge.bulk.table import Table, is_blank
from knowledge.bulk.textdocs import read_text_document
from knowledge.content import ItemDraft, Kind, Status
from knowledge.registry import Registry
from knowledge.store.base import ContentStore, SaveResult

log = logging.getLogger("govbot.import")

SUFFIXES = (".xlsx", ".csv", ".docx", ".pdf")
_HINTS = {
    ".xls": "旧版 Excel（.xls）请在 Excel 中“另存为 .xlsx”后再上传",
    ".doc": "旧版 Word（.doc）请在 Word 中“另存为 .docx”后再上传",
    ".wps": "WPS 文档请另存为 .docx 后再上传",
    ".et": "WPS 表格请另存为 .xlsx 后再上传",
}
PROGRESS_EVERY = 100  # rows


def preview_import(
    filename: str,
    data: bytes,
    *,
    store: ContentStore,
    department: str | None,
    region: str = "",
    kind: Kind | None = None,
    max_rows: int = 10000,
    limits: ImportLimits | None = None,
    progress=None,
) -> ImportPreview:
    """Read and check an uploaded file; nothing is saved. Never raises for a bad file: see `problems`."""
    name = PurePath(str(filename or "").replace("\\", "/")).name
    department = (department or "").strip() or None
    preview = ImportPreview(filename=name)
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        shown = suffix or "无扩展名"
        preview.problems.append(
            Problem(None, "", f"不支持的文件类型：{shown}。" + _HINTS.get(suffix, "请上传 Excel（.xlsx）、CSV、Word（.docx）或 PDF 文件"))
        )
        return preview
    if not data or not data.strip():
        preview.problems.append(Problem(None, "", "文件是空的，请检查后重新上传"))
        return preview

    limits = limits or ImportLimits(max_rows=max_rows)
    region = (region or "").strip()
    context = ImportContext(filename=name, department=department, region=region, kind=kind, view=StoreView(store))
    archive = check_archive(data, limits) if suffix in (".xlsx", ".docx") else None
    if archive:
        preview.problems.append(archive)
        return preview
    try:  # in a worker process with a memory ceiling: a file that blows up costs that process only
        tables, document, problems = in_worker(read_upload, name, suffix, data, department, region, kind, limits, limits=limits)
    except WorkerFailed as exc:
        tables, document, problems = [], None, [Problem(None, "", str(exc))]
    except Exception:  # the readers catch what they know; a bad upload must never be a 500
        log.exception("import of %s failed while reading", name)
        tables, document, problems = [], None, [Problem(None, "", "文件无法读取，可能已损坏。请检查文件后重新上传")]
    if tables and document is None and department is None and suffix in (".docx", ".pdf"):
        problems = [Problem(None, "", "缺少部门：文件中的问答没有部门信息，请选择要导入到哪个部门")]
    preview.problems += problems
    if preview.errors:
        return preview

    checker = RowChecker(context, multi_table=len(tables) > 1)
    if document is not None:
        checker.add_draft(None, document)
    total = sum(len(t.rows) for t in tables)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)

    for table in tables:
        checker.check_table(table, tick)
    if progress:
        progress(total, total)
    preview.rows, preview.problems = checker.rows, preview.problems + checker.problems + _registry_warnings(store, checker.rows)
    if not preview.rows and not preview.errors:
        preview.problems.append(Problem(None, "", "文件中没有可导入的条目，请在表头下面逐行填写内容"))
    return preview


def _registry_warnings(store: ContentStore, rows: list[PreviewRow]) -> list[Problem]:
    """A warning on each row whose guide or Q&A names a department the directory lacks (`knowledge.registry`)."""
    registry = Registry.of(store, [r.draft for r in rows])
    unknown = {u.name: u for u in registry.unknown([r.draft for r in rows])}
    return [
        Problem(r.row, "部门", unknown[r.draft.department.strip()].message(), WARNING)
        for r in rows
        if r.draft.department.strip() in unknown
    ]


def read_upload(
    name: str, suffix: str, data: bytes, department: str | None, region: str, kind: Kind | None, limits: ImportLimits
) -> tuple[list[Table], ItemDraft | None, list[Problem]]:
    """(tables, a document draft or None, whole-file problems) of one upload (run in the worker)."""
    if suffix == ".xlsx":
        tables, problems = read_workbook(data, limits=limits)
    elif suffix == ".csv":
        tables, problems = read_csv_table(data)
    else:
        if kind not in (None, Kind.QA, Kind.DOCUMENT):
            return [], None, [Problem(None, "", "Word 和 PDF 文件只能导入为政策问答或政策文件；办事指南请使用 Excel 模板导入")]
        table, document, problems = read_text_document(name, data, department=department, region=region, kind=kind)
        if document is not None and sum(len(str(v)) for v in document.fields.values()) > limits.max_item_chars:
            return [], None, [Problem(None, "", f"文件正文超过 {limits.max_item_chars} 字，请拆分后导入")]
        tables = [table] if table else []
        return tables, document, problems + table_problems(tables, limits)
    count = sum(1 for t in tables for _n, values in t.rows if not is_blank(values))
    if count > limits.max_rows:
        return [], None, [too_many_rows(count, limits.max_rows)]
    oversized = table_problems(tables, limits)
    if oversized:
        return [], None, oversized
    return tables, None, problems


def commit_import(
    store: ContentStore,
    preview: ImportPreview,
    *,
    status: Status,
    actor: str,
    progress=None,
    before_save: Callable[[list[ItemDraft]], None] | None = None,
) -> SaveResult:
    """Save the preview's new and changed rows with `status`, in one transaction: all of them or none.
    `before_save(items)` is given the items about to be saved (to embed them before they are
    committed, so that every replica answers from them as soon as they are)."""
    if status not in (Status.DRAFT, Status.PUBLISHED):
        raise ImportRejected("导入后的状态只能是草稿或已发布")
    if not preview.ok:
        errors = len(preview.errors)
        raise ImportRejected(f"文件中有 {errors} 处错误，没有导入任何条目。请按提示修改后重新上传" if errors else "文件中没有可导入的条目")
    saving = [row for row in preview.rows if row.action in ("new", "changed")]
    if status == Status.PUBLISHED:  # publishing also publishes unchanged rows still waiting as drafts
        waiting = [row for row in preview.rows if row.action == "unchanged" and row.existing_id is not None]
        current = {item.id: item for item in store.items(ids=[row.existing_id for row in waiting])} if waiting else {}
        saving += [row for row in waiting if row.existing_id in current and current[row.existing_id].status != Status.PUBLISHED]
    drafts = [replace(row.draft, status=status) for row in saving]
    if before_save and drafts:
        before_save(drafts)
    if progress:
        progress(0, len(drafts))
    result = store.save_items(drafts, actor=actor) if drafts else SaveResult()
    known = set(result.item_ids)
    result.unchanged += [row.existing_id for row in preview.rows if row.action == "unchanged" and row.existing_id not in known]
    if progress:
        progress(len(drafts), len(drafts))
    return result
