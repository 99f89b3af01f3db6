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
from knowledge.registry import CHECKED_KINDS, Registry, UnknownDepartment
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
    strict: bool = False  # refuse the whole batch when a guide or Q&A names a department the directory lacks


@dataclass
class FileOutcome:
    path: str
    outcome: str  # added | updated | unchanged | skipped | error | refused
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    unknown_departments: list[UnknownDepartment] = field(default_factory=list)
    directory: bool = True  # False: guides or Q&As came, and there is no directory to check their departments against
    refused: bool = False  # `strict` and unknown departments: nothing was saved

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


@dataclass
class Prepared:
    """A file read and turned into drafts, not saved yet."""

    shown: str
    file_key: str
    fingerprint: str
    drafts: list[ItemDraft]


def prepare_file(store: ContentStore, path: Path, options: IngestOptions) -> Prepared | FileOutcome:
    """The file's drafts, or its outcome when there is nothing to save (unchanged bytes, an error)."""
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
        return Prepared(shown, file_key, fingerprint, drafts_for(path, options))
    except IngestError as exc:
        return FileOutcome(shown, "error", reason=exc.reason)


def save_file(store: ContentStore, prepared: Prepared, options: IngestOptions) -> FileOutcome:
    result = store.save_items(prepared.drafts, actor=options.actor, source_file=(prepared.file_key, prepared.fingerprint))
    outcome = "added" if result.added else "updated" if result.updated else "unchanged"
    return FileOutcome(prepared.shown, outcome, len(result.added), len(result.updated), len(result.unchanged))


def ingest_file(store: ContentStore, path: Path, options: IngestOptions) -> FileOutcome:
    prepared = prepare_file(store, path, options)
    return save_file(store, prepared, options) if isinstance(prepared, Prepared) else prepared


def ingest_paths(store: ContentStore, paths: list[Path], options: IngestOptions, progress=None) -> IngestReport:
    """Every file read first, the departments checked against the directory (`knowledge.registry`:
    warnings, or with `options.strict` nothing saved while any is unknown), then each file saved in
    its own transaction."""
    report = IngestReport()
    prepared: list[Prepared | FileOutcome] = []
    for path in expand_paths(paths):
        prepared.append(prepare_file(store, path, options))
        if progress:
            progress(1)
    drafts = [d for p in prepared if isinstance(p, Prepared) for d in p.drafts]
    registry = Registry.of(store, drafts)
    report.unknown_departments = registry.unknown(drafts)
    report.directory = registry.has_directory or not any(d.kind in CHECKED_KINDS for d in drafts)
    if options.strict and report.unknown_departments:
        report.refused = True
        report.files = [p if isinstance(p, FileOutcome) else FileOutcome(p.shown, "refused") for p in prepared]
        return report
    report.files = [save_file(store, p, options) if isinstance(p, Prepared) else p for p in prepared]
    return report
