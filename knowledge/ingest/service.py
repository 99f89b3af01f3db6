"""Ingest files into the content store: one file, one transaction.

Documents (.txt .md .html .docx .pdf) become policy-document items: the site boilerplate is
stripped, then title, 文号, date and issuing body are read from the text. Structured files
(.json .jsonl .csv .xlsx) hold Q&A, guides, documents or directory entries, one per record.
Re-ingesting the same bytes does nothing; a changed file gives changed items a new version.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.content import ItemDraft, Kind, Status
from knowledge.ingest.clean import clean_document
from knowledge.ingest.errors import IngestError
from knowledge.ingest.meta import extract_metadata
from knowledge.ingest.readers import SUPPORTED as DOCUMENT_SUFFIXES
from knowledge.ingest.readers import read_document
from knowledge.ingest.records import file_to_drafts
from knowledge.store.base import ContentStore

RECORD_SUFFIXES = {".json", ".jsonl", ".csv", ".xlsx"}
SUFFIXES = DOCUMENT_SUFFIXES | RECORD_SUFFIXES


@dataclass
class IngestOptions:
    kind: Kind | None = None
    region: str | None = None
    department: str | None = None
    status: Status | None = None
    actor: str = "cli"


@dataclass
class FileOutcome:
    path: str
    outcome: str  # added | updated | unchanged | skipped | error
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.outcome == "error"]

    def count(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, and the supported files inside directories (sorted, hidden ones skipped)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
        else:
            out.append(path)
    return out


def _display_path(path: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), Path.cwd()) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def document_draft(path: Path, source: str, options: IngestOptions) -> ItemDraft:
    text = clean_document(read_document(path))
    if not text.strip():
        raise IngestError("清理网页模板后没有剩下正文")
    meta = extract_metadata(text, path.name)
    return ItemDraft(
        kind=Kind.DOCUMENT,
        title=meta.title,
        key=f"document-{path.name}",
        fields={"text": text, "issuing_body": meta.issuing_body or ""},
        department=options.department or meta.issuing_body or "",
        region=options.region or "",
        status=options.status or Status.PUBLISHED,
        source=source,
        doc_number=meta.doc_number or "",
        doc_date=meta.date,
    )


def drafts_for(path: Path, options: IngestOptions) -> list[ItemDraft]:
    source = _display_path(path)
    suffix = path.suffix.lower()
    if suffix in RECORD_SUFFIXES:
        defaults = {k: v for k, v in (("region", options.region), ("department", options.department)) if v}
        drafts = file_to_drafts(path, source=source, kind=options.kind, defaults=defaults)
        if options.status:
            for draft in drafts:
                draft.status = options.status
        return drafts
    if suffix in DOCUMENT_SUFFIXES:
        return [document_draft(path, source, options)]
    raise IngestError(f"不支持的文件类型：{suffix or '无扩展名'}，支持 {' '.join(sorted(SUFFIXES))}")


def ingest_file(store: ContentStore, path: Path, options: IngestOptions) -> FileOutcome:
    shown = str(path)
    try:
        if not path.is_file():
            raise IngestError("文件不存在")
        raw = path.read_bytes()
    except OSError as exc:
        return FileOutcome(shown, "error", reason=f"无法读取文件：{exc.strerror or exc}")
    except IngestError as exc:
        return FileOutcome(shown, "error", reason=exc.reason)
    # options change what gets stored, so they are part of what makes a re-ingest a no-op
    fingerprint = hashlib.sha256(raw + repr((options.kind, options.region, options.department, options.status)).encode()).hexdigest()
    file_key = str(path.resolve())
    if store.file_sha256(file_key) == fingerprint:
        return FileOutcome(shown, "skipped")
    try:
        drafts = drafts_for(path, options)
    except IngestError as exc:
        return FileOutcome(shown, "error", reason=exc.reason)
    result = store.save_items(drafts, actor=options.actor, source_file=(file_key, fingerprint))
    outcome = "added" if result.added else "updated" if result.updated else "unchanged"
    return FileOutcome(shown, outcome, len(result.added), len(result.updated), len(result.unchanged))


def ingest_paths(store: ContentStore, paths: list[Path], options: IngestOptions, progress=None) -> IngestReport:
    report = IngestReport()
    files = expand_paths(paths)
    for path in files:
        report.files.append(ingest_file(store, path, options))
        if progress:
            progress(1)
    return report
