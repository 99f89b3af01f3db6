"""What reading one file may cost: rows, cells, characters, and for zip-based Office files
(.xlsx, .docx) the archive's members, uncompressed size and expansion ratio, read from its
directory before anything is decompressed. Used by the console's import (`knowledge.bulk`, which
also reads in a worker process with a memory ceiling) and by `govbot ingest`."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int = 10_000
    max_cells: int = 500_000  # rows × columns actually present, all sheets together
    max_cell_chars: int = 20_000
    max_item_chars: int = 200_000  # all fields of one item (a long policy document fits)
    max_members: int = 1_000  # files inside an .xlsx / .docx
    max_uncompressed_mb: int = 200
    max_ratio: int = 200  # uncompressed ÷ compressed, per member (ordinary XML: 5–30; bombs: thousands)
    worker_memory_mb: int = 2048
    worker_timeout_s: int = 300


def archive_problem(data: bytes, limits: ImportLimits) -> str:
    """Why the zip archive would cost too much to open (Chinese); '' if it may be read (or is no zip)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError):
        return ""  # the reader says it is not a real .xlsx/.docx
    if len(members) > limits.max_members:
        return f"文件内部包含 {len(members)} 个部件，超过上限 {limits.max_members}，可能不是正常的 Office 文件"
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_mb * 2**20:
        return f"文件解压后约 {total // 2**20} MB，超过上限 {limits.max_uncompressed_mb} MB，请拆分后分批导入"
    for member in members:
        if member.file_size > 2**20 and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            return f"文件中的“{member.filename}”解压后异常膨胀（约 {member.file_size // max(member.compress_size, 1)} 倍），已拒绝读取"
    return ""
