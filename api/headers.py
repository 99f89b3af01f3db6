"""Security headers on every response (an ASGI middleware).

Pages get a Content-Security-Policy without inline scripts (the staff pages set a stricter one of
their own: `api.pages.STAFF_HEADERS`, never framed); JSON gets one that allows nothing. Every
response says `nosniff` and sends no full referrer; with `https` on (`GOVBOT_HTTPS=1`, behind a TLS
proxy) browsers are told to use HTTPS only (HSTS), and the session cookie is Secure. FastAPI's own
`/docs` and `/redoc` pages carry inline scripts and are left without a policy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
UNGUARDED = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        unguarded = scope["path"].startswith(UNGUARDED)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                if not unguarded:
                    html = headers.get("content-type", "").startswith("text/html")
                    headers.setdefault("Content-Security-Policy", PAGE_POLICY if html else DATA_POLICY)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
