"""The hotline operators' console: one static page (`/console`) with its script and stylesheet.

The page talks to the operator API on the same origin (cookie session + X-CSRF-Token). It is a
staff page: it may not be framed by other sites and loads nothing from elsewhere.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["operator console"])


@router.get("/console", include_in_schema=False)
async def console_page() -> FileResponse:
    return FileResponse(STATIC / "console.html", media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/console.js", include_in_schema=False)
async def console_js() -> FileResponse:
    return FileResponse(STATIC / "console.js", media_type="application/javascript; charset=utf-8", headers=HEADERS)


@router.get("/console.css", include_in_schema=False)
async def console_css() -> FileResponse:
    return FileResponse(STATIC / "console.css", media_type="text/css; charset=utf-8", headers=HEADERS)
