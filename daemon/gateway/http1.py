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
- TLS with the system's trust store (``certifi``'s when the system has none), or the CAs that
  ``SSL_CERT_FILE``/``SSL_CERT_DIR`` name; no redirects (a 3xx is answered to the caller as it is);
- HTTP proxies from ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (``daemon.gateway.proxies``, read once
  per client): an https target through a ``CONNECT`` tunnel (TLS end to end), an http target in
  absolute form, over TLS to an ``https://`` proxy; each origin's route is worked out once, so a
  request pays nothing for it;
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

from daemon.gateway.proxies import Proxy, ProxySettings, TrustSettings

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
    """What a URL's scheme, host and port mean for connecting (directly or through a proxy), worked out
    once per URL."""

    __slots__ = ("host", "key", "port", "prefix", "proxy", "tls")

    def __init__(self, url: str, proxies: ProxySettings) -> None:
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
        self.proxy = proxies.proxy_for(parts.scheme, self.host, self.port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        extra = ""
        if self.proxy is not None and not self.tls:
            # Forwarded by the proxy: the request line carries the whole URL, the proxy its credentials.
            target = f"http://{host_header}{target}"
            if self.proxy.authorization:
                extra = f"proxy-authorization: {self.proxy.authorization}\r\n"
        self.prefix = f"POST {target} HTTP/1.1\r\nhost: {host_header}\r\n{extra}".encode("latin-1")

    @property
    def authority(self) -> str:
        """``host:port`` as a CONNECT request names it."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class _Tunnel(asyncio.Protocol):
    """The proxy's answer to ``CONNECT``: reads its head, then hands the connection over."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.answered: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._head = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.answered.done():
            return
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end >= 0:
            self.transport.pause_reading()  # type: ignore[union-attr]  # nothing more until TLS starts
            self.answered.set_result(self._head[:end])
        elif len(self._head) > 64 * 1024:
            self.answered.set_exception(HttpProtocolError("the proxy's answer to CONNECT has no end of headers"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answered.done():
            self.answered.set_exception(HttpProtocolError(
                "the proxy closed the connection instead of answering CONNECT" + (f" ({exc})" if exc else "")))


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
    """POSTs over pooled keep-alive connections; ``aclose`` closes them all.

    ``proxies`` and ``trust`` default to what the environment says when the client is made."""

    def __init__(self, proxies: ProxySettings | None = None, trust: TrustSettings | None = None) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._origins: dict[str, _Origin] = {}
        self._open: set[_Connection] = set()
        self._tls: ssl.SSLContext | None = None
        self._proxies = proxies if proxies is not None else ProxySettings()
        self.trust = trust if trust is not None else TrustSettings.from_environment()

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, *, connect_timeout: float) -> Response:
        """Send ``body`` to ``url`` and return once the answer's status and headers are in."""
        origin = self._origins.get(url)
        if origin is None:
            origin = _Origin(url, self._proxies)
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
        proxy = origin.proxy
        where = f"{origin.host}:{origin.port}"
        if proxy is not None:
            where += f" through the proxy {proxy.shown} ({proxy.variable})"
            if proxy.error is not None:
                raise HttpConnectError(f"could not connect to {origin.host}:{origin.port}: {proxy.error}")
        try:
            tls = self.tls_context() if origin.tls or (proxy is not None and proxy.tls) else None
        except ssl.SSLError as exc:
            raise HttpConnectError(f"could not connect to {where}: {exc}") from exc
        try:
            async with asyncio.timeout(within):
                if proxy is None:
                    conn = await self._open_direct(origin, tls)
                elif not origin.tls:
                    conn = await self._open_direct(origin, tls, proxy)  # forwarded in absolute form
                else:
                    assert tls is not None
                    conn = await self._open_tunnel(origin, proxy, tls)
        except TimeoutError:
            raise HttpConnectError(f"could not connect to {where} within {within:g}s") from None
        except ssl.SSLCertVerificationError as exc:
            raise self._untrusted(where, "the provider's", exc) from exc
        except HttpConnectError:
            raise
        except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError), a broken tunnel
            raise HttpConnectError(f"could not connect to {where}: {exc}") from exc
        self._open.add(conn)
        return conn

    async def _open_direct(self, origin: _Origin, tls: ssl.SSLContext | None, proxy: Proxy | None = None) -> _Connection:
        loop = asyncio.get_running_loop()
        if proxy is None:
            host, port, tls_name = origin.host, origin.port, origin.host
        else:
            host, port, tls_name = proxy.host, proxy.port, proxy.host
            tls = tls if proxy.tls else None
        try:
            _, conn = await loop.create_connection(
                lambda: _Connection(self, origin.key), host, port, ssl=tls,
                server_hostname=tls_name if tls else None, **_happy_eyeballs(loop))
        except ssl.SSLCertVerificationError as exc:
            if proxy is None:
                raise
            raise self._untrusted(f"the proxy {proxy.shown} ({proxy.variable})", "its", exc) from exc
        return conn

    async def _open_tunnel(self, origin: _Origin, proxy: Proxy, tls: ssl.SSLContext) -> _Connection:
        """``CONNECT`` through the proxy, then TLS with the provider inside the tunnel."""
        loop = asyncio.get_running_loop()
        try:
            transport, tunnel = await loop.create_connection(
                _Tunnel, proxy.host, proxy.port, ssl=tls if proxy.tls else None,
                server_hostname=proxy.host if proxy.tls else None, **_happy_eyeballs(loop))
        except ssl.SSLCertVerificationError as exc:
            raise self._untrusted(f"the proxy {proxy.shown} ({proxy.variable})", "its", exc) from exc
        try:
            authority = origin.authority
            auth = f"proxy-authorization: {proxy.authorization}\r\n" if proxy.authorization else ""
            transport.write(f"CONNECT {authority} HTTP/1.1\r\nhost: {authority}\r\n{auth}\r\n".encode("latin-1"))
            head = await tunnel.answered
            status_line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
            parts = status_line.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                raise HttpProtocolError(f"the proxy {proxy.shown} ({proxy.variable}) answered CONNECT with "
                                        f"something that is not HTTP: {status_line[:100]!r}")
            if not 200 <= int(parts[1]) < 300:
                hint = (" (it wants credentials: put them in the proxy URL, http://user:password@host:port)"
                        if parts[1] == "407" else "")
                raise HttpConnectError(f"the proxy {proxy.shown} ({proxy.variable}) refused to open a tunnel "
                                       f"to {authority}: {status_line.partition(' ')[2]}{hint}")
            conn = _Connection(self, origin.key)
            tls_transport = await loop.start_tls(transport, conn, tls, server_hostname=origin.host)
            if tls_transport is None:
                raise HttpProtocolError(f"the tunnel to {authority} closed during the TLS handshake")
        except BaseException:
            transport.close()
            raise
        conn.connection_made(tls_transport)
        return conn

    def _untrusted(self, where: str, whose: str, exc: ssl.SSLCertVerificationError) -> HttpConnectError:
        return HttpConnectError(
            f"could not connect to {where}: {whose} TLS certificate is not trusted ({exc.verify_message}); the "
            f"trusted CAs come from {self.trust.describe()}: add the CA that signed it there (SSL_CERT_FILE names "
            "a PEM bundle)")

    def tls_context(self) -> ssl.SSLContext:
        """The client TLS context (trusted CAs loaded once); ``ssl.SSLError`` naming the variable when
        ``SSL_CERT_FILE``/``SSL_CERT_DIR`` cannot be read."""
        if self._tls is None:
            self._tls = self.trust.context()
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
