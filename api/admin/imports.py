"""Bulk import: preview (`?dry_run=1`) names every problem; a commit saves all rows or none.

Editors import drafts into their own department; reviewers and admins may publish directly
(`?publish=1`). A page may pass `?progress_id=...` and poll `/api/admin/import/progress/{id}`
while the request runs, for a progress bar. A published import embeds its rows before it saves
them (phase `embedding`): once committed, every replica applies them from the shared vector cache
within about a second (`bench.cluster`). A big one returns once it is saved (`"indexing": true`)
while this replica's index applies it in the background, reported under the same id.
"""

from __future__ import annotations

import threading
import time

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response

from api.auth import audit
from api.admin.common import console_user
from api.auth import require_role
from govbot.accounts import Session
from knowledge.bulk.limits import limits_of
from knowledge.bulk import ImportRejected, commit_import, preview_import, template_workbook
from knowledge.content import Kind, Status
from knowledge.engine import BIG_CHANGE
from knowledge.workflow import Invalid

router = APIRouter(tags=["policy-owner console"])
MAX_BYTES = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Progress:
    """Import progress by the id the page chose, in the database (`Records.set_progress`): the page
    may poll any replica. Written at most every `EVERY_S` within a phase (a row-by-row check of
    10,000 rows is not 10,000 writes)."""

    EVERY_S = 0.3

    def __init__(self, records):
        self.records = records
        self._last: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def set(self, key: str | None, phase: str, done: int = 0, total: int = 0) -> None:
        if not key:
            return
        with self._lock:
            last_phase, at = self._last.get(key, ("", 0.0))
            if phase == last_phase and time.monotonic() - at < self.EVERY_S and done < total:
                return
            self._last[key] = (phase, time.monotonic())
            if len(self._last) > 1000:
                self._last.pop(next(iter(self._last)))
        self.records.set_progress(key, phase, done, total)

    def get(self, key: str) -> dict | None:
        return self.records.progress(key)

    def reporter(self, key: str | None, phase: str):
        return lambda done, total: self.set(key, phase, done, total)


def _progress(request: Request) -> Progress:
    state = request.app.state
    if not hasattr(state, "import_progress"):
        state.import_progress = Progress(state.records)
    return state.import_progress


@router.post("/api/admin/import", summary="批量导入（Excel / CSV / Word / PDF）：dry_run=1 预览，否则提交")
def import_file(
    request: Request,
    file: UploadFile = File(...),
    dry_run: bool = False,
    publish: bool = False,
    kind: Kind | None = None,
    region: str = Query("", max_length=100),
    department: str | None = Query(None, max_length=100, description="管理员：未填部门的行归入此部门"),
    progress_id: str | None = Query(None, max_length=64),
    session: Session = Depends(console_user),
) -> dict:
    if publish and not dry_run:
        require_role(session, "reviewer", "admin")
    if publish and not dry_run and request.app.state.settings.four_eyes_publishing:
        raise HTTPException(
            403, detail="按“四眼原则”，导入的内容须由另一位审核人发布：请先导入为草稿并提交审核（一人办公室可由管理员关闭四眼原则）"
        )
    data = file.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, detail=f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后导入")
    if not data:
        raise HTTPException(422, detail="上传的文件是空的")
    progress = _progress(request)
    if session.user.role != "admin":
        department = session.user.department  # editors and reviewers import into their own department
    kb = request.app.state.kb
    progress.set(progress_id, "checking")
    preview = preview_import(
        file.filename or "upload",
        data,
        store=kb.store,
        department=department,
        region=region,
        kind=kind,
        limits=limits_of(request.app.state.settings),
        progress=progress.reporter(progress_id, "checking"),
    )
    if dry_run:
        progress.set(progress_id, "done")
        return preview.to_dict()
    status = Status.PUBLISHED if publish else Status.DRAFT
    try:
        result = commit_import(
            kb.store,
            preview,
            status=status,
            actor=session.user.username,
            progress=progress.reporter(progress_id, "saving"),
            before_save=lambda items: kb.embed(items, progress.reporter(progress_id, "embedding")),
        )
    except ImportRejected as exc:
        progress.set(progress_id, "rejected")
        raise Invalid(str(exc), preview=preview.to_dict()) from None
    background = publish and len(result.added) + len(result.updated) >= BIG_CHANGE
    if background:  # minutes of embedding: answers go on meanwhile (see Knowledge.catch_up)

        def index() -> None:
            kb.refresh(embedded=progress.reporter(progress_id, "indexing"))
            progress.set(progress_id, "done", len(preview.rows), len(preview.rows))

        progress.set(progress_id, "indexing")
        threading.Thread(target=index, name="import-index", daemon=True).start()
    else:
        kb.refresh()  # this process answers from it at once
        progress.set(progress_id, "done", len(preview.rows), len(preview.rows))
    summary = {
        "added": len(result.added),
        "updated": len(result.updated),
        "unchanged": len(preview.rows) - len(result.added) - len(result.updated),
    }
    audit(request, session, "item.import", file.filename or "upload", after={**summary, "status": status.value, "rows": len(preview.rows)})
    return {
        "ok": True,
        "summary": preview.summary(),
        **summary,
        "status": status.value,
        "item_ids": result.added + result.updated,
        "indexing": background,
    }


@router.get("/api/admin/import/progress/{progress_id}", summary="导入进度")
def import_progress(progress_id: str, request: Request, session: Session = Depends(console_user)) -> dict:
    entry = _progress(request).get(progress_id)
    if entry is None:
        raise HTTPException(404, detail="没有这个导入任务")
    return entry


@router.get("/api/admin/templates/{name}.xlsx", summary="下载导入模板（qa 或 guide）")
def template(name: str, session: Session = Depends(console_user)) -> Response:
    kinds = {"qa": Kind.QA, "guide": Kind.GUIDE}
    if name not in kinds:
        raise HTTPException(404, detail="只有问答（qa）和办事指南（guide）模板")
    filename = {"qa": "policy_qa_template.xlsx", "guide": "service_guide_template.xlsx"}[name]
    return Response(template_workbook(kinds[name]), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
