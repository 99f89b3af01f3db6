"""The staff consoles: the hotline operators' page (`/console`) and the policy owners' (`/admin`).

Each is one static page with its scripts and stylesheet, talking to its API on the same origin
(cookie session + X-CSRF-Token). They are staff pages: they may not be framed by other sites and
load nothing from elsewhere.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from api.pages import STATIC, TYPES, page

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["staff consoles"])


ADMIN_PARTS = re.compile(r"^[a-z]{2,20}$")


def _file(name: str) -> FileResponse:
    path = STATIC / name
    if not path.is_file():
        raise HTTPException(404, detail="文件不存在")
    return FileResponse(path, media_type=TYPES[path.suffix], headers=HEADERS)


# the hotline operators' console
@router.get("/console", include_in_schema=False)
async def console_page(request: Request) -> Response:
    return page(request, "console.html", HEADERS)


@router.get("/console.js", include_in_schema=False)
async def console_js() -> FileResponse:
    return _file("console.js")


@router.get("/console.css", include_in_schema=False)
async def console_css() -> FileResponse:
    return _file("console.css")


# the policy owners' console: its scripts are admin.js and admin-*.js
@router.get("/admin", include_in_schema=False)
async def admin_page(request: Request) -> Response:
    return page(request, "admin.html", HEADERS)


@router.get("/admin.js", include_in_schema=False)
async def admin_js() -> FileResponse:
    return _file("admin.js")


@router.get("/admin-{part}.js", include_in_schema=False)
async def admin_part_js(part: str) -> FileResponse:
    if not ADMIN_PARTS.match(part):
        raise HTTPException(404, detail="文件不存在")
    return _file(f"admin-{part}.js")


@router.get("/admin.css", include_in_schema=False)
async def admin_css() -> FileResponse:
    return _file("admin.css")
