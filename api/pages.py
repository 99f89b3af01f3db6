"""Static pages and their scripts, with the city's name and hotline number filled in from settings.

Each page has a folder under `static/`: `chat/` (the citizens' page and the embeddable widget),
`console/` (the hotline operators'), `admin/` (the policy owners'), and `shared/` holds the ES
modules both staff pages import (DOM helpers, the HTTP client, formatting). No build step: the
browser loads the modules as they are, from `/static/<folder>/<file>`.

The files say `{{city_name}}` and `{{hotline_number}}` where a page names the city or the
hotline; they are filled once per process (HTML-escaped in pages, as JavaScript string content in
scripts), so that another city changes two settings, not the pages.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
TYPES = {".html": "text/html; charset=utf-8", ".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
PLACES = ("city_name", "hotline_number")

# staff pages: never framed by other sites, nothing loaded from elsewhere
STAFF_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
STAFF_FOLDERS = ("shared", "console", "admin")
ASSET_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}\.(js|css)$")

router = APIRouter(tags=["pages"])


@lru_cache(maxsize=128)
def _filled(path: Path, values: tuple[tuple[str, str], ...]) -> str:
    text = path.read_text(encoding="utf-8")
    for key, value in values:
        escaped = html.escape(value) if path.suffix == ".html" else json.dumps(value, ensure_ascii=False)[1:-1]
        text = text.replace("{{" + key + "}}", escaped)
    return text


def page(request: Request, name: str, headers: dict[str, str] | None = None) -> Response:
    """`static/<name>` with the settings' city and hotline; the caller checks that `name` exists."""
    settings = request.app.state.settings
    path = STATIC / name
    values = tuple((key, str(getattr(settings, key))) for key in PLACES)
    return Response(_filled(path, values), media_type=TYPES[path.suffix], headers=headers)


@router.get("/static/{folder}/{name}", include_in_schema=False)
async def staff_asset(folder: str, name: str, request: Request) -> Response:
    """A staff page's script or stylesheet (`/static/console/main.js`, `/static/shared/http.js`)."""
    if folder not in STAFF_FOLDERS or not ASSET_NAME.match(name) or not (STATIC / folder / name).is_file():
        raise HTTPException(404, detail="文件不存在")
    return page(request, f"{folder}/{name}", STAFF_HEADERS)
