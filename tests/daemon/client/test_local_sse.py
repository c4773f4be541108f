"""``daemon.client.local_sse.LocalSse`` against a scripted HTTP/1.1 server on a real Unix socket.

The server (``tests.fakes.scripted_http``) answers each request with the next scripted responder (raw
bytes, written piece by piece) and records every connection, every request, and when each
connection's reader sees the client leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.client.local_sse import LocalSse
from daemon.errors import (
    BudgetExceededError,
    DaemonUnavailableError,
    ProviderRateLimitError,
    SwitchboardError,
)
from tests.fakes.scripted_http import LAST_CHUNK, Responder, ScriptedServer, chunk, send

TIMEOUT = 5.0
"""Bound on every wait, so a broken client fails its test instead of hanging it."""
PROMPTLY = 1.0
"""How soon the server must see a connection the client gave up on close."""


# -- scripted answers ------------------------------------------------------------------------------


SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def silent() -> Responder:
    """Never answer (the server just waits for the connection's next request or its end)."""
    return send()


def sse_event(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


def stream(*events: dict[str, Any]) -> Responder:
    """A complete chunked event stream, one event per chunk, kept alive."""
    return send(SSE_HEAD, *(chunk(sse_event(e)) for e in events), LAST_CHUNK)


def error_response(error: SwitchboardError) -> Responder:
    body = json.dumps(error.to_payload()).encode()
    return send(b"HTTP/1.1 %d Error\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                % (error.status, len(body), body))


async def collect(sse: LocalSse, method: str = "POST", path: str = "/api/complete",
                  **kwargs: Any) -> list[tuple[str, Any]]:
    async with asyncio.timeout(TIMEOUT):
        async with contextlib.aclosing(sse.events(method, path, **kwargs)) as events:
            return [event async for event in events]


@pytest.fixture
def socket_path(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "d.sock")
    if len(path) <= 100:
        yield path
        return
    short = tempfile.mkdtemp(dir="/tmp")
    try:
        yield f"{short}/d.sock"
    finally:
        shutil.rmtree(short, ignore_errors=True)


@pytest.fixture
async def sse(socket_path: str) -> AsyncIterator[LocalSse]:
    client = LocalSse(socket_path)
    yield client
    await client.aclose()


# -- the tests -------------------------------------------------------------------------------------


async def test_events_parsed_across_chunk_boundaries_and_request_is_well_formed(
        socket_path: str, sse: LocalSse) -> None:
    """Event text split anywhere across chunks (even inside a UTF-8 character), two events in one
    chunk, ``event:`` lines and CRLF line endings all decode to the right ``(type, data)`` pairs;
    the request carries the method, the query (None params dropped), the JSON content type and body."""
    text = (
        'data: {"type": "start", "id": 1}\n\n'
        'event: delta\r\ndata: {"text": "h\u00e9l"}\r\n\r\n'
        'event: ignored\ndata: {"type": "real", "text": "lo"}\n\n'
        'data: {"n": 4}\n\n'
        'data: {"type": "done"}\n\n'
    ).encode()
    e_acute = text.index("\u00e9".encode())
    cuts = [
        text.index(b"art"),  # inside the first event's JSON
        text.index(b"ta\r\n"),  # inside "event: delta"
        e_acute + 1,  # between the two bytes of "é"
        text.index(b'\r\n\r\nevent: ignored') + 1,  # between the \r and \n of a line end
        text.index(b"event: ignored"),  # this chunk ends on an event boundary; the last holds two events
        text.index(b'data: {"n"'),
    ]
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert b"".join(pieces) == text and len(pieces) == 7
    assert pieces[-1].count(b"data:") == 2
    body = {"prompt": "def f(", "max_tokens": 16}
    async with ScriptedServer.unix(socket_path, send(SSE_HEAD, *map(chunk, pieces), LAST_CHUNK)) as server:
        events = await collect(sse, "POST", "/api/complete", json_body=body,
                               params={"limit": 5, "skip": None, "q": "a b"})

    assert events == [
        ("start", {"type": "start", "id": 1}),
        ("delta", {"text": "h\u00e9l"}),
        ("real", {"type": "real", "text": "lo"}),
        ("message", {"n": 4}),
        ("done", {"type": "done"}),
    ]
    [request] = server.requests
    assert (request.method, request.target) == ("POST", "/api/complete?limit=5&q=a+b")
    assert request.header("content-type") == "application/json"
    assert int(request.header("content-length")) == len(request.body)
    assert json.loads(request.body) == body


async def test_request_without_body_or_params_has_no_query_or_content_type(
        socket_path: str, sse: LocalSse) -> None:
    """A bodiless GET sends the bare path and no content headers (and params that are all None add no '?')."""
    async with ScriptedServer.unix(socket_path, stream({"type": "ping"})) as server:
        assert await collect(sse, "GET", "/api/events", params={"since": None}) == [("ping", {"type": "ping"})]
    [request] = server.requests
    assert (request.method, request.target, request.body) == ("GET", "/api/events", b"")
    assert "content-type" not in request.header_map and "content-length" not in request.header_map


@pytest.mark.parametrize("error", [
    BudgetExceededError("team budget of $5.00 reached; it resets on 2025-07-01", details={"limit_usd": 5.0}),
    ProviderRateLimitError("anthropic refused for rate; retry in 12 s"),
], ids=lambda e: type(e).__name__)
async def test_error_status_raises_its_error_and_keeps_the_connection(
        socket_path: str, sse: LocalSse, error: SwitchboardError) -> None:
    """An error status with a sized JSON body raises that error's class with its message and details,
    and the connection (body fully read) serves the next request."""
    async with ScriptedServer.unix(socket_path, error_response(error), stream({"type": "done"})) as server:
        with pytest.raises(type(error)) as raised:
            await collect(sse, json_body={"prompt": "x"})
        assert type(raised.value) is type(error)
        assert raised.value.message == error.message
        assert raised.value.details == error.details

        assert await collect(sse, json_body={"prompt": "y"}) == [("done", {"type": "done"})]
    assert server.connections == 1
    assert [r.conn for r in server.requests] == [0, 0]


async def test_streams_reuse_one_connection_and_reconnect_after_the_server_closes_it(
        socket_path: str, sse: LocalSse) -> None:
    """Successive streams share one kept-alive connection; once the server drops it while idle, the
    next stream opens a new one and succeeds."""
    responders = [stream({"type": "done", "n": n}) for n in range(3)]
    async with ScriptedServer.unix(socket_path, *responders) as server:
        assert await collect(sse) == [("done", {"type": "done", "n": 0})]
        assert await collect(sse) == [("done", {"type": "done", "n": 1})]
        assert server.connections == 1

        server.close_connections()
        await asyncio.sleep(0.02)  # let the close reach the client's idle connection
        assert await collect(sse) == [("done", {"type": "done", "n": 2})]
    assert server.connections == 2
    assert [r.conn for r in server.requests] == [0, 0, 1]


async def test_pooled_connection_closed_before_answering_is_retried_on_a_new_one(
        socket_path: str, sse: LocalSse) -> None:
    """The race of the idle timeout: the server closes a pooled connection without answering the
    request just sent on it; the client resends on a fresh connection instead of failing."""
    responders = [stream({"type": "done", "n": 0}), send(close=True), stream({"type": "done", "n": 1})]
    async with ScriptedServer.unix(socket_path, *responders) as server:
        assert await collect(sse) == [("done", {"type": "done", "n": 0})]
        assert await collect(sse) == [("done", {"type": "done", "n": 1})]
    assert server.connections == 2
    assert [r.conn for r in server.requests] == [0, 0, 1]


@pytest.mark.parametrize("how", ["break-in-aclosing", "aclose-generator"])
async def test_closing_the_stream_early_closes_its_connection(socket_path: str, sse: LocalSse, how: str) -> None:
    """A stream abandoned before its end closes its connection at once (how the daemon learns to
    stop the provider), and that connection is not pooled for the next stream."""
    responders = [send(SSE_HEAD, chunk(sse_event({"type": "delta", "text": "a"}))), stream({"type": "done"})]
    async with ScriptedServer.unix(socket_path, *responders) as server:
        async with asyncio.timeout(TIMEOUT):
            if how == "break-in-aclosing":
                async with contextlib.aclosing(sse.events("POST", "/api/complete")) as events:
                    async for event in events:
                        assert event == ("delta", {"type": "delta", "text": "a"})
                        break
            else:
                events = sse.events("POST", "/api/complete")
                assert await anext(events) == ("delta", {"type": "delta", "text": "a"})
                await events.aclose()
        await server.wait_eof(0, within=PROMPTLY)

        assert await collect(sse) == [("done", {"type": "done"})]
    assert server.connections == 2


@pytest.mark.parametrize("when", ["head-on-reused-connection", "head-on-new-connection", "mid-body"])
async def test_cancelling_the_consumer_closes_the_connection(socket_path: str, sse: LocalSse, when: str) -> None:
    """Cancelling the task reading a stream closes its connection promptly, whether it was waiting
    for the response head (on a pooled connection too: a past bug left that one open) or for an event."""
    responders: list[Responder] = []
    if when == "head-on-reused-connection":
        responders.append(stream({"type": "done"}))
    responders.append(send(SSE_HEAD, chunk(sse_event({"type": "delta"}))) if when == "mid-body" else silent())
    async with ScriptedServer.unix(socket_path, *responders) as server:
        if when == "head-on-reused-connection":
            assert await collect(sse) == [("done", {"type": "done"})]
        received: list[tuple[str, Any]] = []

        async def consume() -> None:
            async with contextlib.aclosing(sse.events("POST", "/api/complete")) as events:
                async for event in events:
                    received.append(event)

        task = asyncio.create_task(consume())
        await server.wait_requests(len(responders), within=TIMEOUT)
        if when == "mid-body":
            async with asyncio.timeout(TIMEOUT):
                while not received:
                    await asyncio.sleep(0.005)
        else:
            await asyncio.sleep(0.02)  # the client is now blocked reading the head that never comes
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(TIMEOUT):
                await task
        await server.wait_eof(0, within=PROMPTLY)
    assert server.connections == 1


async def test_no_daemon_listening_names_the_socket(tmp_path: Path) -> None:
    """A socket path with nothing behind it raises DaemonUnavailableError naming the path."""
    missing = str(tmp_path / "nobody.sock")
    client = LocalSse(missing)
    with pytest.raises(DaemonUnavailableError) as raised:
        await collect(client)
    assert missing in raised.value.message
    await client.aclose()


async def test_socket_file_without_listener_is_unavailable(socket_path: str) -> None:
    """A stale socket file (bound, nobody accepting) is reported the same way, not as a bare OSError."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(socket_path)
        client = LocalSse(socket_path)
        with pytest.raises(DaemonUnavailableError) as raised:
            await collect(client)
        assert socket_path in raised.value.message


@pytest.mark.parametrize("cut", ["inside-chunk-data", "inside-chunk-size-line", "between-chunks"])
async def test_connection_dropped_mid_body_is_lost_connection(socket_path: str, sse: LocalSse, cut: str) -> None:
    """The server dying in the middle of a chunked body (inside a chunk, or right after a whole one)
    raises DaemonUnavailableError ('lost the connection'), after the events that did arrive."""
    delta = chunk(sse_event({"type": "delta"}))
    tail = chunk(sse_event({"type": "done"}))
    partial = {"inside-chunk-data": tail[: len(tail) // 2], "inside-chunk-size-line": tail[:1],
               "between-chunks": b""}[cut]
    async with ScriptedServer.unix(socket_path, send(SSE_HEAD, delta, partial, close=True)):
        received: list[tuple[str, Any]] = []
        with pytest.raises(DaemonUnavailableError, match="lost the connection"):
            async with asyncio.timeout(TIMEOUT):
                async with contextlib.aclosing(sse.events("POST", "/api/complete")) as events:
                    async for event in events:
                        received.append(event)
    assert received == [("delta", {"type": "delta"})]


@pytest.mark.parametrize("status_line", [
    b"garbage\r\n",
    b"SSH-2.0-OpenSSH_9.6\r\n",
    b"HTTP/1.1 abc OK\r\n",
    b"\x00\xff\xfe\r\n",
])
async def test_garbage_status_line_is_unavailable_not_value_error(
        socket_path: str, sse: LocalSse, status_line: bytes) -> None:
    """Something other than an HTTP response on the socket raises DaemonUnavailableError (not a bare
    ValueError), and the connection is closed rather than pooled."""
    async with ScriptedServer.unix(socket_path, send(status_line + b"content-length: 0\r\n\r\n")) as server:
        with pytest.raises(DaemonUnavailableError, match="cannot read"):
            await collect(sse)
        await server.wait_eof(0, within=PROMPTLY)
