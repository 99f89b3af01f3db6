"""Who is calling: a session cookie (with CSRF token for unsafe methods) or a bearer token."""

from __future__ import annotations

from fastapi import HTTPException, Request, Response
from pydantic import BaseModel, Field

from govbot.accounts import LoginThrottled, Session

COOKIE = "govbot_session"
SAFE = {"GET", "HEAD", "OPTIONS"}


class Login(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    otp: str | None = Field(None, max_length=12, description="动态口令（已为该账号开启时）")


def current_session(request: Request) -> Session:
    accounts = request.app.state.accounts
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        session = accounts.session(header[7:].strip())
        if session is None:
            raise HTTPException(401, detail="登录已失效，请重新登录")
        return session  # bearer clients are exempt from CSRF: browsers never send the header by themselves
    token = request.cookies.get(COOKIE)
    session = accounts.session(token) if token else None
    if session is None:
        raise HTTPException(401, detail="请先登录")
    if request.method not in SAFE and request.headers.get("x-csrf-token") != session.csrf:
        raise HTTPException(403, detail="缺少或错误的 CSRF 令牌（X-CSRF-Token）")
    return session


def require_role(session: Session, *roles: str) -> None:
    if session.user.role not in roles:
        raise HTTPException(403, detail="当前账号无权执行此操作")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def open_session(request: Request, response: Response, username: str, password: str, otp: str | None = None) -> dict:
    """Log in: the token (for bearer use) and the CSRF token, and the session cookie for pages."""
    try:
        session = request.app.state.accounts.login(username, password, ip=client_ip(request), otp=otp)
    except LoginThrottled as exc:
        raise HTTPException(429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    if session is None:
        raise HTTPException(401, detail="用户名或密码错误")
    response.set_cookie(
        COOKIE, session.token, httponly=True, samesite="strict", secure=request.app.state.settings.https or request.url.scheme == "https"
    )
    return {"token": session.token, "csrf_token": session.csrf, "user": session.user.public(), "session": session}


def close_session(request: Request, response: Response, session: Session) -> None:
    request.app.state.accounts.logout(session.token)
    response.delete_cookie(COOKIE)


def audit(request: Request, session: Session, action: str, target: str, **kwargs) -> None:
    """One line in the audit log for what this session did."""
    request.app.state.accounts.record(session.user.username, action, target, ip=client_ip(request), **kwargs)
