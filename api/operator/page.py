"""The hotline operators' console page (`/console`); its modules are under `static/console/`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.pages import STAFF_HEADERS, page

router = APIRouter(tags=["staff consoles"])


@router.get("/console", include_in_schema=False)
async def console_page(request: Request) -> Response:
    return page(request, "console/index.html", STAFF_HEADERS)
