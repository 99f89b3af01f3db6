"""Limits on what an uploaded file may cost to read, and the worker process that reads it.

An .xlsx or .docx is a zip archive: its members, their uncompressed size and the expansion ratio
are checked from the archive's directory before anything is decompressed (a workbook whose shared
strings expand to 300 MB is refused in milliseconds). Rows and cells are counted from the data as
it is read, never from the `<dimension>` a file states. The reading itself runs in a separate
process with an address-space ceiling (`RLIMIT_AS`) and a time limit: a file that still manages
to blow up costs that process, never the server, and the importer is told why.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as WorkerTimeout
from concurrent.futures.process import BrokenProcessPool

from knowledge.bulk.problems import Problem
from knowledge.ingest.limits import ImportLimits, archive_problem

__all__ = ["ImportLimits", "WorkerFailed", "check_archive", "in_worker", "limits_of", "table_problems"]


def limits_of(settings) -> ImportLimits:
    """The limits a `KnowledgeSettings` names (`import_*`)."""
    return ImportLimits(
        max_rows=settings.import_max_rows,
        max_cells=settings.import_max_cells,
        max_cell_chars=settings.import_max_cell_chars,
        max_item_chars=settings.import_max_item_chars,
        max_uncompressed_mb=settings.import_max_uncompressed_mb,
        worker_memory_mb=settings.import_worker_memory_mb,
    )


def too_big(message: str) -> Problem:
    return Problem(None, "", message)


def check_archive(data: bytes, limits: ImportLimits) -> Problem | None:
    """A problem if the zip archive would cost too much to open; None if it may be read (or is no zip)."""
    reason = archive_problem(data, limits)
    return too_big(reason) if reason else None


def table_problems(tables, limits: ImportLimits) -> list[Problem]:
    """Cells and characters of what was read: too many cells in all, or one cell too long."""
    cells = 0
    for table in tables:
        for n, values in table.rows:
            for column, value in enumerate(values):
                if value is None or value == "":
                    continue
                cells += 1
                if len(str(value)) > limits.max_cell_chars:
                    label = table.headers[column] if column < len(table.headers) else ""
                    return [Problem(n, label, f"单元格内容超过 {limits.max_cell_chars} 字，请精简或拆分")]
    if cells > limits.max_cells:
        return [too_big(f"文件共有 {cells} 个有内容的单元格，超过单次导入上限 {limits.max_cells}，请拆分后分批导入")]
    return []


def _limit_memory(megabytes: int) -> None:
    ceiling = megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


_pools: dict[tuple[int, int], ProcessPoolExecutor] = {}  # (memory ceiling, pid of the parent) -> pool
_pools_lock = threading.Lock()
TASKS_PER_WORKER = 20  # then a fresh process: nothing a big file left behind lingers


def _pool(limits: ImportLimits) -> ProcessPoolExecutor:
    key = (limits.worker_memory_mb, os.getpid())
    with _pools_lock:
        if key not in _pools:
            context = multiprocessing.get_context("spawn")  # no fork of a server with threads and models
            _pools[key] = ProcessPoolExecutor(
                1, mp_context=context, initializer=_limit_memory, initargs=(limits.worker_memory_mb,), max_tasks_per_child=TASKS_PER_WORKER
            )
        return _pools[key]


def _discard(limits: ImportLimits, pool: ProcessPoolExecutor) -> None:
    with _pools_lock:
        if _pools.get((limits.worker_memory_mb, os.getpid())) is pool:
            del _pools[(limits.worker_memory_mb, os.getpid())]
    for process in list((pool._processes or {}).values()):  # noqa: SLF001 - the only way to stop a running task
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def in_worker(function, *args, limits: ImportLimits):
    """`function(*args)` in the reading process (under the memory ceiling), within the time limit.

    Returns its result, or raises WorkerFailed with the importer's explanation."""
    pool = _pool(limits)
    try:
        future = pool.submit(function, *args)
        return future.result(timeout=limits.worker_timeout_s)
    except MemoryError:
        raise WorkerFailed(f"读取该文件需要的内存超过上限（{limits.worker_memory_mb} MB），请拆分后分批导入") from None
    except BrokenProcessPool:
        _discard(limits, pool)
        raise WorkerFailed("读取该文件时超出资源上限，已停止。请检查文件或拆分后分批导入") from None
    except WorkerTimeout:
        _discard(limits, pool)
        raise WorkerFailed(f"读取该文件超过 {limits.worker_timeout_s} 秒，已停止。请拆分后分批导入") from None


class WorkerFailed(Exception):
    pass
