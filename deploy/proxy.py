"""A small round-robin HTTP reverse proxy for `deploy/local-cluster.sh` (nginx's part in
`deploy/docker-compose.yml`, on machines without containers).

Every request goes to the next upstream in turn (no stickiness: any replica serves any request);
an upstream that refuses the connection is skipped for 2 s and the request goes to the next one,
which is safe because nothing was sent. Responses are streamed as they come, unbuffered, so the
chat's event stream (SSE) passes through at once. The client's address goes on in
X-Forwarded-For (the API believes it with `govbot serve --proxy-headers`).

usage: python deploy/proxy.py --listen 127.0.0.1:8000 --upstream 127.0.0.1:8101 --upstream 127.0.0.1:8102
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

import aiohttp
from aiohttp import web

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}
SKIP_S = 2.0


class RoundRobin:
    def __init__(self, upstreams: list[str]):
        self.upstreams = upstreams
        self._turn = itertools.cycle(range(len(upstreams)))
        self._down: dict[str, float] = {}
        self.session: aiohttp.ClientSession | None = None

    def order(self) -> list[str]:
        first = next(self._turn)
        ring = self.upstreams[first:] + self.upstreams[:first]
        now = time.monotonic()
        return [u for u in ring if self._down.get(u, 0) <= now] + [u for u in ring if self._down.get(u, 0) > now]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        peer = request.remote or ""
        headers["X-Forwarded-For"] = f"{request.headers['X-Forwarded-For']}, {peer}" if "X-Forwarded-For" in request.headers else peer
        headers["X-Forwarded-Proto"] = request.headers.get("X-Forwarded-Proto", request.scheme)
        for upstream in self.order():
            try:
                upstream_response = await self.session.request(
                    request.method, f"http://{upstream}{request.rel_url}", headers=headers, data=body or None, allow_redirects=False
                )
            except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError) as exc:
                if isinstance(exc, aiohttp.ServerDisconnectedError) and request.method not in ("GET", "HEAD"):
                    return web.Response(status=502, text="upstream closed the connection")  # it may have acted on it
                self._down[upstream] = time.monotonic() + SKIP_S
                continue
            async with upstream_response:
                response = web.StreamResponse(status=upstream_response.status)
                for key, value in upstream_response.headers.items():
                    if key.lower() not in HOP:
                        response.headers.add(key, value)
                await response.prepare(request)
                try:
                    async for chunk in upstream_response.content.iter_any():
                        await response.write(chunk)
                except (aiohttp.ClientError, ConnectionResetError):
                    pass  # the upstream went away mid-stream: the client sees the stream end
                await response.write_eof()
                return response
        return web.Response(status=502, text="no upstream answered")


async def main() -> None:
    parser = argparse.ArgumentParser(description="round-robin reverse proxy")
    parser.add_argument("--listen", required=True, help="host:port")
    parser.add_argument("--upstream", action="append", required=True, help="host:port (repeat)")
    args = parser.parse_args()
    balancer = RoundRobin(args.upstream)
    timeout = aiohttp.ClientTimeout(total=None, connect=3, sock_read=None)
    balancer.session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False, connector=aiohttp.TCPConnector(limit=0))
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", balancer.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, port = args.listen.rsplit(":", 1)
    await web.TCPSite(runner, host, int(port)).start()
    print(f"proxy {args.listen} -> {', '.join(args.upstream)}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
