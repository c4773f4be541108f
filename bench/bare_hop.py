"""The floor for the gateway benchmark: Starlette on uvicorn (httptools) forwarding with aiohttp, nothing else.

    python bench/bare_hop.py UPSTREAM_URL        # prints its own URL on the first line, serves until killed

Every POST is forwarded to the same path on ``UPSTREAM_URL`` with its body and auth headers, and the
answer is relayed (streamed answers chunk by chunk). No routing, budgets, traces or checks: what any
Python gateway built on these parts costs at least.
"""

from __future__ import annotations

import asyncio
import socket
import sys

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

_FORWARD = ("content-type", "authorization", "x-api-key", "anthropic-version")


def build(upstream: str) -> Starlette:
    """The forwarding app."""
    session: aiohttp.ClientSession | None = None

    async def forward(request: Request) -> Response:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k in _FORWARD}
        response = await session.post(upstream + request.url.path, data=body, headers=headers)
        if response.content_type == "text/event-stream":
            async def relay():
                try:
                    async for chunk in response.content.iter_any():
                        yield chunk
                finally:
                    response.release()
            return StreamingResponse(relay(), status_code=response.status, media_type="text/event-stream")
        raw = await response.read()
        response.release()
        return Response(raw, status_code=response.status, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", forward, methods=["POST"])])


async def serve(upstream: str) -> None:
    """Listen on a free loopback port, print the URL, serve until killed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(build(upstream), http="httptools", loop="none", log_level="warning",
                            access_log=False, lifespan="off")
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1].rstrip("/")))
