"""GET /api/health: ready only when the index, Rasa and the actions all are (hosted here, the actions
are ready with this process; a separate action server is asked)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get(
    "/api/health",
    summary="服务是否就绪（索引、Rasa、动作服务）",
    responses={503: {"description": "有组件未就绪，missing 列出未就绪的组件"}},
)
async def health(request: Request) -> JSONResponse:
    state = request.app.state
    missing = []
    passages = len(state.kb.index)
    if passages == 0:
        missing.append("index")
    if not await state.rasa.ready():
        missing.append("rasa")
    if not state.settings.host_actions:  # hosted here, the actions are ready when the engine is
        try:
            async with httpx.AsyncClient(timeout=3) as client:
                if (await client.get(f"{state.settings.action_base}/health")).status_code != 200:
                    missing.append("actions")
        except httpx.HTTPError:
            missing.append("actions")
    body = {
        "status": "ok" if not missing else "unavailable",
        "missing": missing,
        "index": {"passages": passages},
        "reader": {"version": state.kb.reader.version},
        "dispatch": {"version": state.kb.dispatcher.version},
    }
    return JSONResponse(body, status_code=200 if not missing else 503)
