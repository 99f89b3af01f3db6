"""The API's interactive documentation at /docs, with Swagger UI's files (version 5: it reads
OpenAPI 3.1) served by the app itself from the `fastapi-offline` package: it works on a hotline's
intranet with no way out. FastAPI's default page loads them from a CDN; ReDoc is off."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS = Path(fastapi_offline.__file__).parent / "static"
SERVED = {"swagger-ui-bundle.js": "application/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=request.app.title + " — 接口文档",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
    )


@router.get("/docs/assets/{name}")
async def asset(name: str) -> FileResponse:
    if name not in SERVED:
        raise HTTPException(404, detail="文件不存在")
    return FileResponse(ASSETS / name, media_type=SERVED[name], headers={"Cache-Control": "public, max-age=86400"})
