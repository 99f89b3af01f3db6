"""Every request body is bounded and well-formed before a route sees it (an ASGI middleware).

- A body over `max_body_bytes` is refused with 413 as soon as its declared length or the bytes
  read so far exceed it (uploads to the import routes have their own, larger cap; Rasa's calls to
  the action endpoint carry a whole tracker and get `max_tracker_bytes`).
- A JSON body must be UTF-8 JSON without NaN or Infinity, nested at most `MAX_DEPTH` deep, and
  without lone surrogates in any string: otherwise 422 with a Chinese reason. Python's own parser
  would take NaN and lone surrogates (which fail later, when the text is stored) and overflow its
  stack on deep nesting; none of that reaches a route, so nothing a citizen sent is half-stored.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DEPTH = 32
UPLOADS = ("/api/admin/import",)  # multipart uploads: the route checks the file's own cap
OWN_LIMITS = ("/wechat",)  # WeChat's XML: its router reads at most 64 KB and answers as WeChat expects
TRACKERS = ("/actions/",)


class BadBody(ValueError):
    pass


def _reject_constant(name: str):
    raise BadBody(f"请求中含有 JSON 不允许的数值（{name}）")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BadBody(f"请求中的数值超出范围（{text[:20]}）")
    return value


def _check(value, depth: int = 0) -> None:
    """Depth and lone surrogates, iteratively over the parsed value."""
    stack = [(value, depth)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            raise BadBody(f"请求内容嵌套过深（最多 {MAX_DEPTH} 层）")
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise BadBody("请求中含有无效字符（不成对的 UTF-16 代理项）") from None
        elif isinstance(node, dict):
            stack.extend((key, level + 1) for key in node)
            stack.extend((item, level + 1) for item in node.values())
        elif isinstance(node, list):
            stack.extend((item, level + 1) for item in node)


def check_json(body: bytes) -> None:
    """Raise BadBody with a Chinese reason unless `body` is JSON a route can take."""
    if not body.strip():
        return  # an empty body: the route decides (most say the field is missing)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("请求内容不是有效的 UTF-8 编码") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except BadBody:
        raise
    except (ValueError, RecursionError):
        raise BadBody("请求内容不是有效的 JSON") from None
    _check(value)


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_tracker_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_tracker_bytes = max_tracker_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(OWN_LIMITS):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if path.startswith(UPLOADS) and kind == "multipart/form-data":
            await self.app(scope, receive, send)
            return
        limit = self.max_tracker_bytes if path.startswith(TRACKERS) else self.max_body_bytes
        declared = headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, 413, f"请求内容过大（上限 {limit // 1024} KB）")
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, 413, f"请求内容过大（上限 {limit // 1024} KB）")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if kind == "application/json" or kind.endswith("+json") or (not kind and body.lstrip()[:1] in (b"{", b"[")):
            try:
                check_json(body)
            except BadBody as exc:
                await _refuse(send, 422, str(exc))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
