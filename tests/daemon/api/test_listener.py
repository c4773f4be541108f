"""The TCP listener's connections: strangers get a bounded share and bounded time, keyed clients are served.

Driven with raw sockets against the daemon's own TCP listener (``daemon.app.server.tcp_server``) in front of
the sim. Times are asserted as ratios of the configured timeouts, never as wall-clock constants.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import SimServer

SHARE = 8
"""max_unauthenticated_connections in these tests."""
TOTAL = 16
"""max_connections in these tests."""
LONG = 60.0
"""A timeout these tests never reach."""
SHORT = 0.4
"""The timeout under test, where one is."""
SLACK = 10
"""A loaded two-core machine may run this many times late; a connection never closed fails anyway."""


@contextlib.asynccontextmanager
async def listener(sim: SimServer, folder: Path, **daemon: Any) -> AsyncIterator[Served]:
    limits = {"max_connections": TOTAL, "max_unauthenticated_connections": SHARE, "header_timeout": LONG,
              "body_timeout": LONG, "idle_timeout": LONG, **daemon}
    async with serve_daemon(sim, folder, {"daemon": limits}) as served:
        yield served


class Raw:
    """One raw TCP connection to the listener."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, served: Served) -> Raw:
        url = urlsplit(served.url)
        return cls(*await asyncio.open_connection(url.hostname, url.port))

    async def request(self, key: str | None, path: str = "/api/status") -> tuple[int, bytes]:
        """One keep-alive GET on this connection: (status, body)."""
        auth = f"authorization: Bearer {key}\r\n" if key else ""
        self.writer.write(f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{auth}\r\n".encode())
        return await self.response()

    async def response(self) -> tuple[int, bytes]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(v) for k, _, v in (line.partition(": ") for line in lines) if k.lower() == "content-length")
        return int(lines[0].split()[1]), await asyncio.wait_for(self.reader.readexactly(length), 10)

    async def closed_within(self, seconds: float) -> float | None:
        """Seconds until the server closes this connection (what it sent first is read and dropped)."""
        start = time.monotonic()
        try:
            async with asyncio.timeout(seconds):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return None
        except ConnectionError:
            pass
        return time.monotonic() - start

    async def is_open(self) -> bool:
        """Whether the server still holds this connection (nothing to read, no end of stream)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.05):
                return bool(await self.reader.read(1))
        return True

    def close(self) -> None:
        self.writer.close()


async def test_idle_strangers_hold_only_their_share_and_a_keyed_client_is_served(sim: SimServer, tmp_path: Path):
    async with listener(sim, tmp_path) as served:
        keyed = [await Raw.open(served) for _ in range(TOTAL - SHARE)]
        for connection in keyed:
            assert (await connection.request(served.key))[0] == 200  # proven: never gives way to strangers
        strangers = [await Raw.open(served) for _ in range(3 * TOTAL)]
        fresh = await Raw.open(served)  # a keyed client's new connection while strangers keep coming
        status, body = await fresh.request(served.key)
        still_open = [s for s in strangers if await s.is_open()]
        again = [(await c.request(served.key))[0] for c in keyed]
        for connection in [*keyed, *strangers, fresh]:
            connection.close()
    assert status == 200 and b'"developer":"tester"' in body
    assert again == [200] * len(keyed)
    assert len(still_open) <= SHARE  # the others were closed to make room, oldest first
    assert still_open == strangers[-len(still_open):]


async def test_an_unauthenticated_request_does_not_prove_its_connection(sim: SimServer, tmp_path: Path):
    async with listener(sim, tmp_path) as served:
        refused = await Raw.open(served)
        assert (await refused.request(None))[0] == 401
        wrong = await Raw.open(served)
        assert (await wrong.request("sb-not-a-key"))[0] == 401
        crowd = [await Raw.open(served) for _ in range(SHARE)]
        assert not await refused.is_open() and not await wrong.is_open()  # still strangers: they gave way
        for connection in [refused, wrong, *crowd]:
            connection.close()


async def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(sim: SimServer, tmp_path: Path):
    async with listener(sim, tmp_path, header_timeout=SHORT) as served:
        silent = await Raw.open(served)
        waited = await silent.closed_within(SHORT * SLACK)
        silent.close()
    assert waited is not None, "a silent connection was never closed"
    assert waited >= SHORT * 0.8


async def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_header_timeout(sim: SimServer, tmp_path: Path):
    async with listener(sim, tmp_path, header_timeout=SHORT) as served:
        slow = await Raw.open(served)
        slow.writer.write(b"GET /api/status HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        start = time.monotonic()
        closed = False
        while time.monotonic() - start < SHORT * SLACK:  # one header byte every tenth of the timeout
            try:
                slow.writer.write(b"x")
                await slow.writer.drain()
            except ConnectionError:
                closed = True
                break
            if not await slow.is_open():
                closed = True
                break
            await asyncio.sleep(SHORT / 10)
        waited = time.monotonic() - start
        slow.close()
    assert closed, "a slowloris connection outlived ten header timeouts"
    assert waited >= SHORT * 0.8


async def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(sim: SimServer, tmp_path: Path):
    async with listener(sim, tmp_path, idle_timeout=SHORT) as served:
        connection = await Raw.open(served)
        assert (await connection.request(served.key))[0] == 200
        waited = await connection.closed_within(SHORT * SLACK)
        connection.close()
    assert waited is not None and waited >= SHORT * 0.8


async def test_a_body_that_stops_arriving_is_cut_off_at_the_body_timeout(sim: SimServer, tmp_path: Path):
    async with listener(sim, tmp_path, body_timeout=SHORT) as served:
        connection = await Raw.open(served)
        connection.writer.write(f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                                f"authorization: Bearer {served.key}\r\ncontent-type: application/json\r\n"
                                f"content-length: 1000\r\n\r\n{{\"model\": ".encode())
        waited = await connection.closed_within(SHORT * SLACK)
        connection.close()
        async with served.client() as client:  # and the daemon goes on serving
            after = await client.post("/v1/chat/completions",
                                      json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]})
    assert waited is not None and waited >= SHORT * 0.8
    assert after.status_code == 200


@pytest.mark.parametrize("header_bytes", [80_000])
async def test_oversized_headers_are_refused_with_431(sim: SimServer, tmp_path: Path, header_bytes: int):
    async with listener(sim, tmp_path, max_header_bytes=65_536) as served:
        connection = await Raw.open(served)
        connection.writer.write(b"GET /api/status HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        for _ in range(header_bytes // 1000):
            connection.writer.write(b"x-filler: " + b"a" * 988 + b"\r\n")
        with contextlib.suppress(ConnectionError):
            await connection.writer.drain()
        status, body = await connection.response()
        closed = await connection.closed_within(SLACK)
        connection.close()
    assert status == 431 and b"too large" in body
    assert closed is not None
