"""Operator console login: the hotline staff's accounts (the console itself checks the role)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from api.auth import Login, audit, close_session, current_session, open_session, require_role
from govbot.accounts import Session

router = APIRouter(tags=["operator"])


@router.post("/api/operator/login", summary="工作人员登录（返回 token 与 csrf_token，并设置会话 Cookie）")
def login(body: Login, request: Request, response: Response) -> dict:  # Argon2 check: in the thread pool
    opened = open_session(request, response, body.username, body.password, body.otp)
    opened.pop("session")
    return opened


@router.get("/api/operator/me", summary="当前登录的坐席（页面刷新后凭会话 Cookie 取回 csrf_token）")
def me(session: Session = Depends(current_session)) -> dict:
    require_role(session, "operator", "supervisor")
    return {"user": session.user.public(), "csrf_token": session.csrf}


@router.post("/api/operator/logout", summary="退出登录（使会话令牌失效）")
async def logout(request: Request, response: Response, session: Session = Depends(current_session)) -> dict:
    close_session(request, response, session)
    audit(request, session, "logout", session.user.username)
    return {"ok": True}
