"""The policy owners' console page (`/admin`); its modules are under `static/admin/`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.pages import STAFF_HEADERS, page

router = APIRouter(tags=["staff consoles"])


@router.get("/admin", include_in_schema=False)
async def admin_page(request: Request) -> Response:
    return page(request, "admin/index.html", STAFF_HEADERS)
