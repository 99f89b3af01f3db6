"""Console login: the same accounts as the hotline staff, limited to the console's roles."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from api.admin.common import READ_ROLES, reader
from api.auth import Login, close_session, open_session
from govbot.accounts import Session

router = APIRouter(tags=["policy-owner console"])


@router.post("/api/admin/login", summary="知识管理员登录（返回 token 与 csrf_token，并设置会话 Cookie）")
def login(body: Login, request: Request, response: Response) -> dict:
    opened = open_session(request, response, body.username, body.password, body.otp)
    session: Session = opened.pop("session")
    if session.user.role not in READ_ROLES:
        close_session(request, response, session)
        raise HTTPException(403, detail="该账号不是知识管理账号（编辑、审核、管理员）")
    return opened


@router.post("/api/admin/logout", summary="退出登录")
def logout(request: Request, response: Response, session: Session = Depends(reader)) -> dict:
    close_session(request, response, session)
    request.app.state.accounts.record(session.user.username, "logout", session.user.username)
    return {"ok": True}


@router.get("/api/admin/me", summary="当前登录的账号")
def me(session: Session = Depends(reader)) -> dict:
    return {"user": session.user.public(), "csrf_token": session.csrf}
