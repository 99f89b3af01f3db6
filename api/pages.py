"""Static pages and scripts with the city's name and hotline number filled in from settings.

The files under `static/` say `{{city_name}}` and `{{hotline_number}}` where a page names the city
or the hotline; they are filled once per process (HTML-escaped in pages, as JavaScript string
content in scripts), so that another city changes two settings, not the pages.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
TYPES = {".html": "text/html; charset=utf-8", ".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
PLACES = ("city_name", "hotline_number")


@lru_cache(maxsize=64)
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
