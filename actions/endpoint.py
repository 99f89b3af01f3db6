"""Rasa's action endpoint as a FastAPI router, so that the API process hosts the actions and one
knowledge engine serves both (`govbot.engine.shared_knowledge`): POST /actions/webhook (the
protocol of rasa-sdk's own server, run by its `ActionExecutor`), GET /actions/health.

An action is synchronous and may take a second (retrieval, the reader): it runs in a worker
thread with its own event loop, never on the API's.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import zlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

MAX_TRACKER_BYTES = 64 * 1024 * 1024  # a deflated tracker, inflated

log = logging.getLogger("govbot.actions")
router = APIRouter(prefix="/actions", include_in_schema=False)
_executor: ActionExecutor | None = None


def executor() -> ActionExecutor:
    global _executor
    if _executor is None:
        _executor = ActionExecutor()
        _executor.register_package("actions")
    return _executor


@router.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@router.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    expected = request.app.state.settings.rasa_token.get_secret_value()
    if expected and not hmac.compare_digest(request.query_params.get("token", ""), expected):
        return JSONResponse({"error": "unknown caller"}, status_code=403)  # only our Rasa calls the actions
    try:
        body = await request.body()
        if request.headers.get("content-encoding") == "deflate":  # as rasa-sdk's server accepts
            inflate = zlib.decompressobj()
            body = inflate.decompress(body, MAX_TRACKER_BYTES)
            if inflate.unconsumed_tail:
                return JSONResponse({"error": "tracker too large"}, status_code=413)
        call = json.loads(body)
    except (ValueError, RecursionError, zlib.error):
        call = None
    if not isinstance(call, dict):
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    try:
        result = await asyncio.to_thread(asyncio.run, executor().run(call))
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
    except ActionNotFoundException as exc:
        log.error(exc)
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
    except ActionMissingDomainException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=449)
    return JSONResponse(result.model_dump() if result else None)
