"""The FastAPI application: one app, thin routes; channels and consoles plug in as routers."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.middleware.cors import CORSMiddleware

from api import admin, docs, health, operator, pages
from api.admin.common import workflow_error
from api.guard import RequestGuard
from api.headers import SecurityHeaders
from api.channels import wechat
from api.channels.web import router as web
from govbot import __version__
from govbot.accounts import Accounts, OtpRequired, policy_of
from govbot.sealing import sealer_for
from govbot.conversations.core import Conversations
from govbot.conversations.rasa import RasaClient
from govbot.ratelimit import ChatLimits
from govbot.shared import open_shared_state
from govbot.records import records_for
from govbot.settings import Settings, get_settings
from knowledge.gold import GoldQuestions
from knowledge.answer.types import QuestionError
from knowledge.workflow import WorkflowError


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry WeChat access tokens

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from govbot.engine import close_shared, shared_knowledge

        app.state.kb = shared_knowledge(settings)  # the actions hosted here answer from the same engine
        app.state.records = records_for(settings)
        app.state.accounts = Accounts(settings.db_url, policy_of(settings), sealer_for(settings))
        app.state.gold = GoldQuestions(app.state.kb.store.engine)
        app.state.rasa = RasaClient(settings.rasa_base, settings.rasa_timeout_s, settings.rasa_token.get_secret_value())
        app.state.conversations = Conversations(settings, app.state.kb, app.state.records, app.state.rasa)
        follower = asyncio.create_task(follow_changes(app.state.kb))
        yield
        follower.cancel()
        await app.state.rasa.close()
        close_shared(app.state.kb)

    app = FastAPI(
        title="govbot 政务服务热线智能问答 API",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # api/docs.py: Swagger UI from the app itself, not from a CDN
        redoc_url=None,
        description="市民对话、健康检查等接口。所有回复均为简体中文，答案附带来源（文件、文号、部门、日期）。",
    )
    app.add_middleware(SecurityHeaders, https=settings.https)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes, max_tracker_bytes=settings.max_tracker_bytes)
    # the widget is embedded in portal pages on other origins; the chat API uses no cookies
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "X-Session-Token"],
    )  # staff APIs send credentials: same origin only
    app.state.settings = settings
    app.state.chat_limits = ChatLimits(
        settings.chat_turns_per_minute_session, settings.chat_turns_per_minute_address, shared=open_shared_state(settings.redis_url)
    )
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(web.router)
    app.include_router(operator.router)
    app.include_router(pages.router)
    app.include_router(wechat.router)
    app.include_router(admin.router)
    if settings.host_actions:  # Rasa's action endpoint in this process: one knowledge engine
        from actions.endpoint import router as actions_router

        app.include_router(actions_router)
    app.add_exception_handler(WorkflowError, workflow_error)
    app.add_exception_handler(QuestionError, question_error)
    app.add_exception_handler(OtpRequired, otp_required)
    return app


FOLLOW_S = 0.5


async def follow_changes(kb, period_s: float = FOLLOW_S) -> None:
    """Keep this replica's index in step with the change log even when nobody asks: what another
    replica (or the CLI) publishes is applied here within `period_s` (a big change: taken out at
    once, embedded in the background). One cheap query when nothing changed."""
    while True:
        await asyncio.sleep(period_s)
        try:
            await asyncio.to_thread(kb.catch_up)
        except Exception:  # noqa: BLE001 - the database is away for a moment: the next round tries again
            logging.getLogger("govbot.index").warning("following the change log failed", exc_info=True)


async def question_error(_request, exc: QuestionError) -> JSONResponse:
    """A question the engine cannot use (empty once cleaned, too long): 422 with the reason."""
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def otp_required(_request, _exc: OtpRequired) -> JSONResponse:
    """The password was right; the account has a second factor: the page asks for the code."""
    return JSONResponse({"detail": "请输入身份验证器中的 6 位动态口令", "otp_required": True}, status_code=401)


def app_factory() -> FastAPI:
    """For `uvicorn --factory api.app:app_factory`."""
    return create_app()
