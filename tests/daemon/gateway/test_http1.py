"""``daemon.gateway.http1.Http1Client`` against a scripted raw HTTP server on a real loopback socket.

The server (``tests.fakes.scripted_http``) answers the n-th request (on any connection) with
``responders[n]``: raw bytes written piece by piece (a piece may instead be an ``asyncio.Event`` the
server waits for before going on). It records every request with the number of the connection it
came on, and when each connection's reader sees the client leave.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import socket
import ssl
import subprocess
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.gateway.http1 import (
    HIGH_WATER,
    Http1Client,
    HttpConnectError,
    HttpProtocolError,
    HttpRequestError,
    Response,
)
from tests.fakes.scripted_http import LAST_CHUNK, ScriptedServer, chunk, send

TIMEOUT = 3.0
"""Bound on every wait, so a broken client fails its test instead of hanging it."""
SETTLE = 0.05
"""A moment for the event loop to deliver a close or stray bytes to the other side."""


# -- scripted answers ------------------------------------------------------------------------------


def ok(body: bytes = b"hello", *extra: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    """A whole response with a content-length body."""
    head = [f"{version} {status}", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


async def post(client: Http1Client, server: ScriptedServer, body: bytes = b"{}", **headers: str) -> Response:
    async with asyncio.timeout(TIMEOUT):
        return await client.post(server.url(), headers, body, connect_timeout=TIMEOUT)


async def read(response: Response) -> bytes:
    async with asyncio.timeout(TIMEOUT):
        return await response.read()


async def exchange(client: Http1Client, server: ScriptedServer) -> bytes:
    """Post, read the whole body, release the connection."""
    response = await post(client, server)
    body = await read(response)
    response.release()
    return body


def free_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def client() -> AsyncIterator[Http1Client]:
    http = Http1Client()
    yield http
    await http.aclose()


# -- requests and whole answers --------------------------------------------------------------------


async def test_post_is_well_formed_and_answer_comes_back(client: Http1Client) -> None:
    """The request line carries the path and query, the host header the non-default port, and the
    caller's headers, content-length and body arrive as given; the answer's status, lowercased
    headers (repeated ones joined) and whole body come back."""
    body = b'{"model": "m", "messages": []}'
    answer = b'{"id": "x1", "choices": []}'
    reply = ok(answer, "Content-Type: application/json", "X-Request-ID: abc", "Set-Cookie: a=1", "Set-Cookie: b=2",
               status="201 Created")
    async with ScriptedServer(send(reply)) as server:
        async with asyncio.timeout(TIMEOUT):
            response = await client.post(server.url("/v1/chat/completions?stream=false"),
                                         {"Authorization": "Bearer k", "Content-Type": "application/json"},
                                         body, connect_timeout=TIMEOUT)
        assert response.status == 201
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-request-id"] == "abc"
        assert response.headers["set-cookie"] == "a=1, b=2"
        assert all(name == name.lower() for name in response.headers)
        assert await read(response) == answer
        assert response.at_eof()
        response.release()

    [request] = server.requests
    assert request.request_line == "POST /v1/chat/completions?stream=false HTTP/1.1"
    assert request.header("host") == f"127.0.0.1:{server.port}"
    assert request.header("authorization") == "Bearer k"
    assert request.header("content-type") == "application/json"
    assert request.header("content-length") == str(len(body))
    assert "gzip" in request.header("accept-encoding")
    assert request.body == body


async def test_read_with_limit_returns_at_most_limit_bytes(client: Http1Client) -> None:
    """``read(limit)`` (for error bodies) returns the body's first ``limit`` bytes."""
    async with ScriptedServer(send(ok(b"0123456789" * 10, status="500 Internal Server Error"))) as server:
        response = await post(client, server)
        assert response.status == 500
        async with asyncio.timeout(TIMEOUT):
            assert await response.read(25) == b"0123456789012345678901234"
        response.close()


# -- keep-alive --------------------------------------------------------------------------------------


async def test_released_connection_is_reused_and_closed_one_is_not(client: Http1Client) -> None:
    """Two requests after ``release`` share one server connection; after ``close`` the next request
    opens a new one (and the server sees the closed one end)."""
    async with ScriptedServer(send(ok(b"one")), send(ok(b"two")), send(ok(b"three"))) as server:
        assert await exchange(client, server) == b"one"
        assert await exchange(client, server) == b"two"
        response = await post(client, server)
        assert await read(response) == b"three"
        response.close()
        await server.wait_eof(0)
        server.responders.append(send(ok(b"four")))
        assert await exchange(client, server) == b"four"
    assert [r.conn for r in server.requests] == [0, 0, 0, 1]


@pytest.mark.parametrize("reply", [
    ok(b"bye", "Connection: close"),
    ok(b"bye", version="HTTP/1.0"),
], ids=["connection-close", "http-1.0"])
async def test_answer_that_ends_keep_alive_is_not_reused(client: Http1Client, reply: bytes) -> None:
    """A ``Connection: close`` answer, or an HTTP/1.0 one, is read whole; its connection is closed by
    the client on release (the server sees it end) and the next request uses a new one."""
    async with ScriptedServer(send(reply), send(ok(b"next"))) as server:
        assert await exchange(client, server) == b"bye"
        await server.wait_eof(0)
        assert await exchange(client, server) == b"next"
    assert [r.conn for r in server.requests] == [0, 1]


async def test_http_1_0_keep_alive_answer_is_reused(client: Http1Client) -> None:
    """An HTTP/1.0 answer that says ``Connection: keep-alive`` keeps its connection (the reuse above
    is refused for the version, not by default)."""
    async with ScriptedServer(send(ok(b"a", "Connection: keep-alive", version="HTTP/1.0")),
                              send(ok(b"b"))) as server:
        assert await exchange(client, server) == b"a"
        assert await exchange(client, server) == b"b"
    assert [r.conn for r in server.requests] == [0, 0]


async def test_keep_alive_timeout_bounds_reuse(client: Http1Client) -> None:
    """``Keep-Alive: timeout=1`` leaves no time (the client keeps a connection for timeout - 1 s), so
    the next request uses a new connection; ``timeout=5`` is reused at once; ``timeout=2`` (kept 1 s)
    is not reused after more than a second idle."""
    async with ScriptedServer(send(ok(b"a", "Keep-Alive: timeout=1")),
                              send(ok(b"b", "Keep-Alive: timeout=5, max=100")),
                              send(ok(b"c", "Keep-Alive: timeout=2")),
                              send(ok(b"d"))) as server:
        assert await exchange(client, server) == b"a"
        assert await exchange(client, server) == b"b"  # new connection (1)
        assert await exchange(client, server) == b"c"  # reused (1)
        await asyncio.sleep(1.2)
        assert await exchange(client, server) == b"d"  # new connection (2)
        await server.wait_eof(0)
        await server.wait_eof(1)
    assert [r.conn for r in server.requests] == [0, 1, 1, 2]


async def test_server_closing_idle_pooled_connection_is_transparent(client: Http1Client) -> None:
    """A pooled connection the server closes while idle is dropped from the pool: the next request
    opens a new connection and succeeds."""
    async with ScriptedServer(send(ok(b"first"), close=True), send(ok(b"second"))) as server:
        # The server closes right after its answer; its "Connection" says nothing, so the client pools it.
        assert await exchange(client, server) == b"first"
        await asyncio.sleep(SETTLE)
        assert await exchange(client, server) == b"second"
    assert [r.conn for r in server.requests] == [0, 1]


async def test_unsolicited_bytes_on_idle_connection_close_it(client: Http1Client) -> None:
    """Bytes arriving on a pooled connection nobody asked for make the client drop it (the server
    sees it end); the next request uses a fresh connection and gets its own answer."""
    async with ScriptedServer(send(ok(b"first")), send(ok(b"second"))) as server:
        assert await exchange(client, server) == b"first"
        server.writers[0].write(ok(b"stray"))
        await server.wait_eof(0)
        assert await exchange(client, server) == b"second"
    assert [r.conn for r in server.requests] == [0, 1]


async def test_aclose_closes_pooled_connections(client: Http1Client) -> None:
    """``aclose`` closes idle pooled connections: the server sees them end."""
    async with ScriptedServer(send(ok(b"a")), send(ok(b"b"))) as server:
        first = await post(client, server)
        second = await post(client, server)  # the first is still busy: a second connection
        assert await read(first) == b"a" and await read(second) == b"b"
        first.release()
        second.release()
        assert server.connections == 2
        assert not server.eof[0].is_set() and not server.eof[1].is_set()
        await client.aclose()
        await server.wait_eof(0)
        await server.wait_eof(1)


# -- bodies read piece by piece, and their ends ----------------------------------------------------


async def test_chunked_body_pieces_arrive_as_sent(client: Http1Client) -> None:
    """Each chunk is handed over as it arrives (the server sends the next only after the client has
    read the previous one), then ``b""`` at the end; ``at_eof`` turns true and the connection is reused."""
    gates = [asyncio.Event(), asyncio.Event()]
    script = send(CHUNKED_HEAD, chunk(b"data: one\n\n"), gates[0], chunk(b"data: two\n\n"), gates[1],
                  chunk(b"data: "), chunk(b"three\n\n"), LAST_CHUNK)
    async with ScriptedServer(script, send(ok(b"after"))) as server:
        response = await post(client, server)
        assert response.headers["transfer-encoding"] == "chunked"
        async with asyncio.timeout(TIMEOUT):
            assert await response.read_chunk() == b"data: one\n\n"
            assert not response.at_eof()
            gates[0].set()
            assert await response.read_chunk() == b"data: two\n\n"
            gates[1].set()
            rest = b""
            while piece := await response.read_chunk():
                rest += piece
            assert rest == b"data: three\n\n"
            assert response.at_eof()
            assert await response.read_chunk() == b""
        response.release()
        assert await exchange(client, server) == b"after"
    assert [r.conn for r in server.requests] == [0, 0]


async def test_body_delimited_by_close_is_read_whole(client: Http1Client) -> None:
    """No content-length and not chunked: the body runs to the connection's end and is read whole;
    the connection is not reused."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
    async with ScriptedServer(send(head, b"part one, ", b"part two", close=True), send(ok(b"next"))) as server:
        response = await post(client, server)
        assert await read(response) == b"part one, part two"
        assert response.at_eof()
        response.release()
        assert await exchange(client, server) == b"next"
    assert [r.conn for r in server.requests] == [0, 1]


async def test_body_delimited_by_close_read_chunk_by_chunk(client: Http1Client) -> None:
    """The same body read with ``read_chunk``: pieces, then ``b""`` once the connection has ended."""
    head = b"HTTP/1.1 200 OK\r\n\r\n"
    gate = asyncio.Event()
    async with ScriptedServer(send(head, b"abc", gate, b"def", close=True)) as server:
        response = await post(client, server)
        async with asyncio.timeout(TIMEOUT):
            assert await response.read_chunk() == b"abc"
            gate.set()
            assert await response.read_chunk() == b"def"
            assert await response.read_chunk() == b""
        assert response.at_eof()


async def test_close_mid_body_is_a_protocol_error(client: Http1Client) -> None:
    """A content-length body cut short by the connection's end makes ``read`` raise HttpProtocolError
    (a ConnectionError)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    async with ScriptedServer(send(head, b"only forty bytes of the hundred promised", close=True)) as server:
        response = await post(client, server)
        with pytest.raises(HttpProtocolError, match="closed the connection") as caught:
            await read(response)
        assert isinstance(caught.value, ConnectionError)


async def test_close_mid_chunked_body_after_pieces_is_a_protocol_error(client: Http1Client) -> None:
    """A chunked body cut short: the pieces that came are handed over, then ``read_chunk`` raises
    instead of returning ``b""`` (a truncated stream never looks finished)."""
    async with ScriptedServer(send(CHUNKED_HEAD, chunk(b"partial"), close=True)) as server:
        response = await post(client, server)
        async with asyncio.timeout(TIMEOUT):
            assert await response.read_chunk() == b"partial"
            with pytest.raises(HttpProtocolError):
                await response.read_chunk()
        assert not response.at_eof()


async def test_close_before_any_answer_is_a_protocol_error(client: Http1Client) -> None:
    """The server taking the request and closing without a word: ``post`` raises HttpProtocolError."""
    async with ScriptedServer(send(close=True)) as server:
        with pytest.raises(HttpProtocolError):
            await post(client, server)
    assert len(server.requests) == 1


async def test_garbage_instead_of_http_is_a_protocol_error(client: Http1Client) -> None:
    """An answer that is not HTTP raises HttpProtocolError, and the connection is dropped."""
    async with ScriptedServer(send(b"SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n")) as server:
        with pytest.raises(HttpProtocolError, match="not valid HTTP"):
            await post(client, server)
        await server.wait_eof(0)


# -- content encodings ------------------------------------------------------------------------------


async def test_gzip_body_is_decoded_with_content_length(client: Http1Client) -> None:
    plain = b'{"text": "' + b"compressible " * 200 + b'"}'
    packed = gzip.compress(plain)
    assert len(packed) < len(plain) // 4
    async with ScriptedServer(send(ok(packed, "Content-Encoding: gzip"))) as server:
        response = await post(client, server)
        assert response.headers["content-encoding"] == "gzip"
        assert await read(response) == plain


async def test_gzip_body_is_decoded_when_chunked(client: Http1Client) -> None:
    """A chunked gzip stream cut into chunks at arbitrary places decodes to the original, piece by piece."""
    plain = b"".join(b"data: {\"n\": %d}\n\n" % i for i in range(300))
    packed = gzip.compress(plain)
    cuts = [0, 7, 100, len(packed) // 2, len(packed) - 3, len(packed)]
    chunks = [chunk(packed[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    async with ScriptedServer(send(head, *chunks, LAST_CHUNK)) as server:
        response = await post(client, server)
        received = []
        async with asyncio.timeout(TIMEOUT):
            while piece := await response.read_chunk():
                received.append(piece)
        assert b"".join(received) == plain
        assert len(received) > 1  # decoded as it came, not only at the end
        assert response.at_eof()


async def test_deflate_body_is_decoded(client: Http1Client) -> None:
    plain = b"deflated " * 100
    async with ScriptedServer(send(ok(zlib.compress(plain), "Content-Encoding: deflate"))) as server:
        assert await read(await post(client, server)) == plain


async def test_unknown_encoding_is_a_protocol_error(client: Http1Client) -> None:
    async with ScriptedServer(send(ok(b"\x8b\x02\x80hello\x03", "Content-Encoding: br"))) as server:
        with pytest.raises(HttpProtocolError, match="br"):
            await post(client, server)
        await server.wait_eof(0)


async def test_corrupt_gzip_body_is_a_protocol_error(client: Http1Client) -> None:
    """A body that says gzip but is not: ``read`` raises HttpProtocolError (the head came first, so
    ``post`` itself succeeded)."""
    body = b"this is not gzip at all"
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
    gate = asyncio.Event()
    async with ScriptedServer(send(head, gate, body)) as server:
        response = await post(client, server)
        gate.set()
        with pytest.raises(HttpProtocolError, match="corrupt"):
            await read(response)


# -- failures before anything is answered ----------------------------------------------------------


async def test_connection_refused_is_a_connect_error(client: Http1Client) -> None:
    port = free_port()
    with pytest.raises(HttpConnectError, match=f"127.0.0.1:{port}") as caught:
        async with asyncio.timeout(TIMEOUT):
            await client.post(f"http://127.0.0.1:{port}/v1", {}, b"{}", connect_timeout=TIMEOUT)
    assert isinstance(caught.value, ConnectionError)
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


@pytest.mark.parametrize("headers", [
    {"X-Evil": "a\r\nInjected: yes"},
    {"X-Evil": "a\nb"},
    {"X-Evil\r\nInjected": "yes"},
], ids=["crlf-value", "lf-value", "crlf-name"])
async def test_line_break_in_header_is_refused_and_nothing_sent(client: Http1Client, headers: dict[str, str]) -> None:
    async with ScriptedServer(send(ok())) as server:
        with pytest.raises(HttpRequestError, match="line break"):
            await client.post(server.url(), headers, b"{}", connect_timeout=TIMEOUT)
        await asyncio.sleep(SETTLE)
        assert server.connections == 0 and server.requests == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http:///no-host", "127.0.0.1:8080/v1"])
async def test_not_an_http_url_is_refused(client: Http1Client, url: str) -> None:
    with pytest.raises(HttpRequestError, match="not an http"):
        await client.post(url, {}, b"{}", connect_timeout=TIMEOUT)


# -- flow control --------------------------------------------------------------------------------------


def big_body(size: int) -> bytes:
    """``size`` bytes that are not a simple repetition (a misplaced or repeated piece would show)."""
    block = os.urandom(4096)
    return b"".join(i.to_bytes(4, "big") + block[4:] for i in range(size // 4096))


async def test_large_body_read_chunk_by_chunk_by_a_slow_reader(client: Http1Client) -> None:
    """A 3 MiB body the reader only starts on after a while: the client stops taking it off the
    socket past HIGH_WATER (what it holds stays near HIGH_WATER, not the whole body), and resumes
    as the reader catches up; every byte arrives, in order."""
    body = big_body(3 * HIGH_WATER)
    async with ScriptedServer(send(ok(body)), send(ok(b"after"))) as server:
        response = await post(client, server)
        await asyncio.sleep(0.3)  # the server has long written it all; the socket's buffers hold the rest
        held = response._conn.buffered
        assert HIGH_WATER < held < 2 * HIGH_WATER, held
        pieces = []
        async with asyncio.timeout(TIMEOUT):
            while piece := await response.read_chunk():
                pieces.append(piece)
                await asyncio.sleep(0.001)
        assert b"".join(pieces) == body
        assert response.at_eof()
        response.release()
        assert await exchange(client, server) == b"after"  # the connection is usable again
    assert [r.conn for r in server.requests] == [0, 0]


async def test_large_body_read_whole(client: Http1Client) -> None:
    """``read()`` of a body larger than HIGH_WATER returns the whole body (it must not wait for the
    body's end with the transport paused at HIGH_WATER: that hung before ``wait`` resumed reading)."""
    body = big_body(3 * HIGH_WATER)
    async with ScriptedServer(send(ok(body))) as server:
        response = await post(client, server)
        async with asyncio.timeout(2.0):
            data = await response.read()
        assert data == body


# -- TLS -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for localhost and 127.0.0.1, made with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: no certificate to serve TLS with")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return cert, key


@pytest.fixture
def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


async def test_tls_request_with_trusted_certificate(client: Http1Client, server_tls: ssl.SSLContext,
                                                    certificate: tuple[Path, Path]) -> None:
    """A client trusting the server's certificate completes requests over https (verifying the host
    name), and reuses the TLS connection."""
    client._tls = ssl.create_default_context(cafile=str(certificate[0]))
    async with ScriptedServer(send(ok(b"secret")), send(ok(b"again")), tls=server_tls) as server:
        url = server.url("/v1/messages", host="localhost")
        for expected in (b"secret", b"again"):
            async with asyncio.timeout(TIMEOUT):
                response = await client.post(url, {"x-api-key": "k"}, b"{}", connect_timeout=TIMEOUT)
                assert response.status == 200
                assert await response.read() == expected
            response.release()
    assert [r.conn for r in server.requests] == [0, 0]
    assert server.requests[0].header("host") == f"localhost:{server.port}"
    assert server.requests[0].header("x-api-key") == "k"


async def test_tls_self_signed_refused_by_default(client: Http1Client, server_tls: ssl.SSLContext) -> None:
    """The default client (the system's trust store) refuses the self-signed server: HttpConnectError
    caused by the certificate's verification, and no request reaches the server."""
    async with ScriptedServer(send(ok()), tls=server_tls) as server:
        with pytest.raises(HttpConnectError) as caught:
            async with asyncio.timeout(TIMEOUT):
                await client.post(server.url(host="localhost"), {}, b"{}", connect_timeout=TIMEOUT)
        assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    assert server.requests == []


# -- answers that are not what they seem ---------------------------------------------------------------


async def test_interim_1xx_answer_is_skipped(client: Http1Client) -> None:
    """A 103 Early Hints before the final answer is skipped: the caller sees the final status, headers
    and body only."""
    hints = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    async with ScriptedServer(send(hints, ok(b"final", "Content-Type: text/plain"))) as server:
        response = await post(client, server)
        body = await read(response)
        assert (response.status, body) == (200, b"final")
        assert "link" not in response.headers and response.headers["content-type"] == "text/plain"


async def test_stray_answer_in_same_read_is_not_taken_into_the_body(client: Http1Client) -> None:
    """A server that writes a second, unasked-for answer right behind the first (one write): the
    caller gets the first answer exactly, and the connection is not reused."""
    async with ScriptedServer(send(ok(b"first") + ok(b"stray", "X-Stray: 1")), send(ok(b"next"))) as server:
        response = await post(client, server)
        body = await read(response)
        assert body == b"first"
        assert response.headers == {"content-length": "5"}
        response.release()
        assert await exchange(client, server) == b"next"
    assert [r.conn for r in server.requests] == [0, 1]


@pytest.mark.parametrize("delimited_by", ["content-length", "close"])
async def test_truncated_gzip_body_is_a_protocol_error(client: Http1Client, delimited_by: str) -> None:
    packed = gzip.compress(b"hello world " * 100)[:-20]
    if delimited_by == "close":
        script = send(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", packed, close=True)
    else:
        script = send(ok(packed, "Content-Encoding: gzip"))
    async with ScriptedServer(script) as server:
        response = await post(client, server)
        with pytest.raises(HttpProtocolError):
            await read(response)


# -- on uvloop, the daemon's event loop (daemon/app/event_loop.py) ----------------------------------------


def test_the_client_on_uvloop(server_tls: ssl.SSLContext, certificate: tuple[Path, Path]) -> None:
    """The daemon runs on uvloop: TLS with keep-alive, a chunked stream read piece by piece, and a
    close mid-body reported as such, on that loop too."""
    import uvloop

    async def scenario() -> None:
        client = Http1Client()
        client._tls = ssl.create_default_context(cafile=str(certificate[0]))
        gate = asyncio.Event()
        stream = send(CHUNKED_HEAD, chunk(b"data: one\n\n"), gate, chunk(b"data: two\n\n"), LAST_CHUNK)
        cut = send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", close=True)
        try:
            async with ScriptedServer(send(ok(b"secret")), stream, cut, tls=server_tls) as server:
                url = server.url("/v1/messages", host="localhost")
                async with asyncio.timeout(TIMEOUT):
                    response = await client.post(url, {}, b"{}", connect_timeout=TIMEOUT)
                    assert await response.read() == b"secret"
                    response.release()
                    response = await client.post(url, {}, b"{}", connect_timeout=TIMEOUT)
                    assert await response.read_chunk() == b"data: one\n\n"  # before the server sends the rest
                    gate.set()
                    assert await response.read_chunk() == b"data: two\n\n"
                    assert await response.read_chunk() == b""
                    response.release()
                    response = await client.post(url, {}, b"{}", connect_timeout=TIMEOUT)
                    with pytest.raises(HttpProtocolError):
                        await response.read()
            assert [r.conn for r in server.requests] == [0, 0, 0]
        finally:
            await client.aclose()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())
