"""The TCP listener's connections: how many, for how long, and who gives way.

uvicorn bounds none of this on its own: a connection that never sends a byte, or sends its headers
a byte at a time, is kept for ever, and enough of them take every file descriptor the daemon has,
after which nobody is answered. Here each TCP connection (uvicorn's httptools protocol, subclassed)

- has ``header_timeout`` seconds from its opening (or from the first byte of a later request) to
  the end of its headers, at most ``max_header_bytes`` of them (431 past that), then
  ``body_timeout`` seconds to deliver its body, and is closed after ``idle_timeout`` seconds idle
  between requests (uvicorn's keep-alive timeout);
- counts against ``max_connections``; a connection counts as *unproven* until one of its requests
  carried a valid developer key (the auth middleware says so through ``CONNECTION_KEY``). Unproven
  connections share ``max_unauthenticated_connections`` places: a new one past that pushes out the
  oldest unproven one, and so does a new connection when every place is taken. So strangers can
  hold only their share, only briefly, and never a keyed client's place: a keyed client's new
  connection is the newest stranger for the moment it takes to send its first request.

The limits are read from the live config for each new connection, so a reload applies to the next
ones. The Unix socket (its owner only) is served by plain uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from daemon.config import DaemonSettings

log = logging.getLogger("switchboard.daemon")

CONNECTION_KEY = "switchboard.connection"
"""The scope key of the request's connection on the TCP listener (``GatedConnection``)."""
FD_HEADROOM = 256
"""File descriptors kept free of client connections: the store, provider connections, the socket, logs."""


class ConnectionGate:
    """Every open connection of one listener, the unproven ones oldest first, and the limits in force."""

    def __init__(self, settings: Callable[[], DaemonSettings], fd_cap: int | None = None) -> None:
        self.settings = settings
        self.fd_cap = fd_cap
        """The most connections the process's file-descriptor limit leaves room for (None: not bounded by it)."""
        self.open: set[GatedConnection] = set()
        self.unproven: dict[GatedConnection, None] = {}  # insertion order: the oldest first
        self.evicted = 0
        self.refused = 0

    def max_connections(self) -> int:
        """The cap in force: the configured one, lowered to what the fd limit leaves room for."""
        configured = self.settings().max_connections
        return configured if self.fd_cap is None else min(configured, self.fd_cap)

    def admit(self, connection: GatedConnection) -> bool:
        """Take a new connection, making room by closing the oldest unproven ones; False when there is none."""
        share = self.settings().max_unauthenticated_connections
        while len(self.unproven) >= share:
            self._evict_oldest()
        if len(self.open) >= self.max_connections():
            if not self.unproven:
                self.refused += 1
                return False
            self._evict_oldest()
        self.open.add(connection)
        self.unproven[connection] = None
        return True

    def proven(self, connection: GatedConnection) -> None:
        """One of the connection's requests carried a valid key: it no longer gives way to strangers."""
        self.unproven.pop(connection, None)

    def closed(self, connection: GatedConnection) -> None:
        """The connection is gone."""
        self.open.discard(connection)
        self.unproven.pop(connection, None)

    def _evict_oldest(self) -> None:
        oldest = next(iter(self.unproven))
        self.closed(oldest)
        self.evicted += 1
        oldest.transport.close()


class GatedConnection(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with the gate's place, deadlines and header cap (see the module)."""

    gate: ConnectionGate  # set on the subclass ``gated_protocol`` makes for a listener

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        limits = self.gate.settings()
        self.limits = limits
        self.timeout_keep_alive = limits.idle_timeout  # uvicorn arms it after each response
        self._deadline: asyncio.TimerHandle | None = None
        self._in_headers = True
        self._awaiting_body = False
        self._header_bytes = 0

    # -- the connection ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self.gate.admit(self):
            log.warning("TCP listener full (%d connections, all keyed): refusing a new connection",
                        len(self.gate.open))
            transport.close()
            return
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.gate.closed(self)
        super().connection_lost(exc)

    def proven(self) -> None:
        """Called by the auth middleware for a request with a valid developer key."""
        self.gate.proven(self)

    # -- deadlines -----------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._in_headers and (self.cycle is None or self.cycle.response_complete):
            self._answer_and_close(408, b"the request headers did not arrive in time")
        else:
            self.transport.close()  # mid-body: the handler sees the caller go away

    def _answer_and_close(self, status: int, message: bytes) -> None:
        phrase = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (status, phrase, len(message), message))
        self.transport.close()

    # -- parser events -------------------------------------------------------------------------
    # A request that arrives in one read (nearly all of them) costs no timer at all: the deadlines
    # are armed only when a read leaves headers or a body unfinished.

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._in_headers:
            if self._header_bytes > self.limits.max_header_bytes:
                self._answer_and_close(431, b"the request headers are too large")
            elif self._header_bytes and self._deadline is None:
                self._arm(self.limits.header_timeout)
        elif self._awaiting_body and self._deadline is None:
            self._arm(self.limits.body_timeout)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._awaiting_body = True
        self._disarm()
        self.scope[CONNECTION_KEY] = self  # type: ignore[literal-required]
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_headers = True
        self._awaiting_body = False
        self._header_bytes = 0
        super().on_message_complete()


def gated_protocol(gate: ConnectionGate) -> type[GatedConnection]:
    """The protocol class for one listener, bound to its gate (uvicorn builds one per connection)."""
    return type("GatedConnection", (GatedConnection,), {"gate": gate})


def fd_room(wanted_connections: int) -> int | None:
    """Raise the soft file-descriptor limit toward what ``wanted_connections`` needs (never past the hard
    limit); the connections the limit then leaves room for, or None when it is no constraint."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return None
    needed = wanted_connections + FD_HEADROOM
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    room = max(1, soft - FD_HEADROOM)
    log.warning("the file-descriptor limit (%d) leaves room for %d TCP connections, fewer than "
                "daemon.max_connections (%d); raise `ulimit -n` to allow more", soft, room, wanted_connections)
    return room
