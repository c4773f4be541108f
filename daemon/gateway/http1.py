"""A lean HTTP/1.1 client for the provider hop: keep-alive connections per origin, one write per
request, httptools' parser, body pieces handed to the reader as they arrive.

Why not aiohttp: on the daemon's hot path its client was the largest single cost. Measured against
the simulated provider at 32 concurrent requests, aiohttp spent ~96 µs of CPU per request where a
plain protocol spends under 40 (its request and response objects, header multidicts, payload
registry, timer handles and a task per request). The gateway needs much less of HTTP than aiohttp
offers: a POST with a small JSON body, a status, headers, and a body read whole or piece by piece.

What this client does and does not do:

- one request per connection at a time (no pipelining); connections are kept alive and reused per
  origin, and dropped when the server closes them, says ``Connection: close``, or they have been
  idle longer than the server's ``Keep-Alive: timeout`` (or ``IDLE_SECONDS``);
- a request that fails is never re-sent here, not even on a reused connection: the gateway decides
  about retries, and records every attempt it makes;
- TLS with the system's trust store (``certifi``'s when the system has none); no proxies and no
  redirects (a 3xx is answered to the caller as it is), as with the aiohttp session it replaces;
- gzip and deflate bodies are decoded; the caller's timeouts wrap its awaits (only connecting has
  its own timeout here);
- every failure to connect, send or read is a ``ConnectionError`` (``HttpConnectError``,
  ``HttpProtocolError``, or the OS's own), and a read that sees the connection close early says so.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from collections.abc import Mapping
from urllib.parse import urlsplit

import httptools

IDLE_SECONDS = 15.0
"""How long an idle connection is kept when the server does not say (servers commonly close at 5–75 s;
a request sent on a connection the server has just closed fails, so stay well inside that)."""
MAX_IDLE_PER_ORIGIN = 64
HIGH_WATER = 1 << 20
"""Bytes of unread body after which the connection stops reading until the caller catches up."""
_ENCODINGS = frozenset({"gzip", "deflate", "x-gzip"})


class HttpRequestError(ValueError):
    """The request cannot be sent as asked: not an http(s) URL, or a header with a line break in it."""


class HttpConnectError(ConnectionError):
    """The connection to the provider could not be opened (DNS, refused, TLS, connect timeout)."""


class HttpProtocolError(ConnectionError):
    """The provider's answer was not valid HTTP/1.1, or the connection closed before it ended."""


def _happy_eyeballs(loop: asyncio.AbstractEventLoop) -> dict[str, float]:
    """Try IPv6 and IPv4 side by side after 250 ms (RFC 8305), where the loop can (uvloop's cannot)."""
    return {"happy_eyeballs_delay": 0.25} if isinstance(loop, asyncio.BaseEventLoop) else {}


class _Origin:
    """What a URL's scheme, host and port mean for connecting, worked out once per URL."""

    __slots__ = ("host", "key", "port", "prefix", "tls")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpRequestError(f"not an http(s) URL: {url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        default_port = self.port == (443 if self.tls else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        host_header = host if default_port else f"{host}:{self.port}"
        self.key = (parts.scheme, self.host, self.port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        self.prefix = f"POST {target} HTTP/1.1\r\nhost: {host_header}\r\n".encode("latin-1")


class Response:
    """A provider's answer: status and headers at once, the body read whole (``read``) or piece by
    piece (``read_chunk``); ``release`` returns a finished connection to the pool, ``close`` drops it."""

    __slots__ = ("_conn", "headers", "status")

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self.status: int = conn.status
        self.headers: dict[str, str] = conn.headers

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body (or its first ``limit`` bytes, for error bodies), decoded."""
        conn = self._conn
        while not conn.complete and (limit is None or conn.buffered < limit):
            await conn.wait()
        data = conn.take()
        return data if limit is None else data[:limit]

    async def read_chunk(self) -> bytes:
        """The body received since the last read, waiting for some if there is none; ``b""`` at its end."""
        conn = self._conn
        while not conn.chunks and not conn.complete:
            await conn.wait()
        return conn.take()

    def at_eof(self) -> bool:
        """Whether the whole body has been received and read."""
        return self._conn.complete and not self._conn.chunks

    def release(self) -> None:
        """Done with it: a connection whose answer is complete goes back to the pool, any other is closed."""
        self._conn.finish()

    def close(self) -> None:
        """Drop the connection (what tells a provider that is still streaming to stop)."""
        self._conn.close()


class _Connection(asyncio.Protocol):
    """One keep-alive connection and the state of the answer it is receiving."""

    def __init__(self, pool: Http1Client, key: tuple[str, str, int]) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self.keep_alive_for = IDLE_SECONDS
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False
        self._reset_answer()

    def _reset_answer(self) -> None:
        self.busy = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.headers_done = False
        self.interim = False
        self.complete = False
        self.reusable = False
        self.framed = False
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.error: BaseException | None = None
        self.decoder: zlib._Decompress | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.busy or self.complete:
            self.close()  # bytes nobody asked for: the connection cannot be trusted with another request
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpProtocolError(f"the provider's answer is not valid HTTP/1.1 ({exc})"))
        except httptools.HttpParserUpgrade:
            self._fail(HttpProtocolError("the provider switched protocols in the middle of an answer"))

    def eof_received(self) -> bool | None:
        return False  # close the transport: a half-closed connection is of no further use

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        if self.busy and not self.complete:
            if self.headers_done and not self.framed and exc is None and self.error is None:
                self._body_ended()  # a body delimited by the connection's end
            elif self.error is None:
                self.error = HttpProtocolError(
                    "the provider closed the connection before its answer was complete"
                    + (f" ({exc})" if exc else ""))
        self._wake()

    # -- httptools callbacks ------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.complete:
            self.reusable = False  # a second answer to one request: drop the connection once this one is read

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.complete:
            return
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers = self.headers
        headers[key] = f"{headers[key]}, {text}" if key in headers else text

    def on_headers_complete(self) -> None:
        if self.complete:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            # An interim answer (100 Continue, 103 Early Hints): the real one follows on the same connection.
            self.interim = True
            self.headers = {}
            return
        self.status = status
        headers = self.headers
        self.framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "").lower()
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding in _ENCODINGS:
            self.decoder = zlib.decompressobj(47)  # gzip or zlib, whichever the header bytes say
        elif encoding not in ("", "identity"):
            self._fail(HttpProtocolError(f"the provider sent a body in an encoding this client does not read: {encoding}"))
            return
        keep = headers.get("keep-alive")
        if keep:
            for part in keep.split(","):
                name, _, value = part.partition("=")
                if name.strip().lower() == "timeout" and value.strip().isdigit():
                    # Leave a second's margin: the server counts from its own last byte.
                    self.keep_alive_for = min(IDLE_SECONDS, max(0.0, int(value) - 1.0))
        self.headers_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self.error is not None or self.complete:
            return  # failed already (a bad encoding): the rest of this read is of no use
        if self.decoder is not None:
            try:
                body = self.decoder.decompress(body)
            except zlib.error as exc:
                self._fail(HttpProtocolError(f"the provider's compressed body is corrupt ({exc})"))
                return
            if not body:
                return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        if self.error is not None or self.complete:
            return
        self.reusable = self.parser.should_keep_alive()
        self._body_ended()

    def _body_ended(self) -> None:
        if self.decoder is not None:
            if not self.decoder.eof:
                self._fail(HttpProtocolError("the provider's compressed body ended before its compressed stream did"))
                return
            rest = self.decoder.flush()
            if rest:
                self.chunks.append(rest)
                self.buffered += len(rest)
        self.complete = True
        self._wake()

    # -- for Response and the pool ------------------------------------------------------------------

    def send(self, prefix: bytes, headers: bytes, body: bytes) -> None:
        self.busy = True
        self.keep_alive_for = IDLE_SECONDS  # until this answer's Keep-Alive header says otherwise
        assert self.transport is not None
        self.transport.write(b"".join((prefix, headers, b"content-length: %d\r\n\r\n" % len(body), body)))

    async def wait(self) -> None:
        """Until the answer has moved on (headers, body, its end); raises the failure that stopped it.

        A failure is raised by the next wait for what it prevented, so headers that arrived whole are
        answered even when the body after them then breaks."""
        if self.error is not None:
            raise self.error
        if self._paused and self.transport is not None:
            # The reader wants more (``read`` collects the whole body): stop holding the connection back.
            self._paused = False
            self.transport.resume_reading()
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def take(self) -> bytes:
        chunks = self.chunks
        if not chunks:
            if self.error is not None:
                raise self.error
            return b""
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self.buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    def finish(self) -> None:
        if self.closed:
            return
        if not (self.complete and self.reusable and self.error is None) or self.chunks:
            self.close()
            return
        self._reset_answer()
        self.pool.put_back(self)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            self.pool.forget(self)
        if self.busy and not self.complete and self.error is None:
            self.error = HttpProtocolError("the connection was closed")
        self._wake()

    def _fail(self, error: BaseException) -> None:
        self.error = error
        self.close()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Http1Client:
    """POSTs over pooled keep-alive connections; ``aclose`` closes them all."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._origins: dict[str, _Origin] = {}
        self._open: set[_Connection] = set()
        self._tls: ssl.SSLContext | None = None

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, *, connect_timeout: float) -> Response:
        """Send ``body`` to ``url`` and return once the answer's status and headers are in."""
        origin = self._origins.get(url)
        if origin is None:
            origin = _Origin(url)
            if len(self._origins) < 256:
                self._origins[url] = origin
        lines = []
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise HttpRequestError(f"header {name!r} contains a line break")
            lines.append(f"{name}: {value}\r\n")
        if "accept-encoding" not in headers:
            lines.append("accept-encoding: gzip, deflate\r\n")
        try:
            head = "".join(lines).encode("latin-1")
        except UnicodeEncodeError:
            raise HttpRequestError("a header holds characters HTTP/1.1 headers cannot carry (not Latin-1)") from None
        conn = self._pooled(origin.key) or await self._connect(origin, connect_timeout)
        try:
            conn.send(origin.prefix, head, body)
            while not conn.headers_done:
                await conn.wait()
        except BaseException:
            conn.close()
            raise
        return Response(conn)

    def _pooled(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < conn.keep_alive_for:
                return conn
            conn.close()
        return None

    async def _connect(self, origin: _Origin, within: float) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = self.tls_context() if origin.tls else None
        try:
            async with asyncio.timeout(within):
                _, conn = await loop.create_connection(
                    lambda: _Connection(self, origin.key), origin.host, origin.port, ssl=tls,
                    server_hostname=origin.host if tls else None, **_happy_eyeballs(loop))
        except TimeoutError:
            raise HttpConnectError(f"could not connect to {origin.host}:{origin.port} within {within:g}s") from None
        except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError)
            raise HttpConnectError(f"could not connect to {origin.host}:{origin.port}: {exc}") from exc
        self._open.add(conn)
        return conn

    def tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            context = ssl.create_default_context()
            if not context.cert_store_stats().get("x509_ca"):
                try:
                    import certifi
                except ImportError:
                    pass
                else:
                    context.load_verify_locations(certifi.where())
            self._tls = context
        return self._tls

    def put_back(self, conn: _Connection) -> None:
        idle = self._idle.setdefault(conn.key, [])
        if len(idle) >= MAX_IDLE_PER_ORIGIN:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        idle.append(conn)

    def forget(self, conn: _Connection) -> None:
        self._open.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    async def aclose(self) -> None:
        """Close every connection, idle or busy."""
        for conn in list(self._open):
            conn.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports' close callbacks run
