"""Sending a reply on the wire, with the model's pacing and the scripted fault.

This is the only module that knows how faults look on a socket. The wire modules turn a reply
into bytes (`StreamPlan` for streams); this one decides when, how much, and how the connection
ends. With no latency, no pacing and no fault it writes a stream in one call: the gateway
benchmark uses the sim as an "instant" provider, so that path does as little as possible.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from daemon.sim.faults import Fault
from daemon.sim.log import RequestLog, RequestRecord
from daemon.sim.profiles import ModelProfile
from daemon.sim.turns import Reply, SimError, Turn

_STREAM_FAULTS = frozenset({"cut", "stall", "malformed_chunk", "no_done", "late_end"})
_MALFORMED_BODY = b'{"id": "broken", "choices": [{"index": 0, "message": {"content": "tru'


@dataclass(slots=True)
class StreamPlan:
    """A whole stream as SSE event bytes: framing before and after the content chunks."""

    head: list[bytes]
    body: list[bytes]
    """One event per content chunk; `after_chunks` counts these."""
    tail: list[bytes]
    done: bytes | None
    """The terminator a `no_done` fault leaves out ([DONE] / message_stop)."""
    malformed: bytes
    """A garbage event for the `malformed_chunk` fault."""


class Codec(Protocol):
    """What a wire format provides to render replies and errors."""

    wire: str
    request_id_header: str
    id_prefix: str

    @staticmethod
    def parse(body: dict[str, Any]) -> Turn: ...

    def error_body(self, error: SimError) -> dict[str, Any]: ...
    def render(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> dict[str, Any]: ...
    def stream(self, turn: Turn, reply: Reply, rid: str, profile: ModelProfile) -> StreamPlan: ...


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # one encoder: json.dumps(separators=...) builds one per call


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes."""
    return _ENCODER.encode(obj).encode()


def fault_error(fault: Fault, turn: Turn, profile: ModelProfile) -> SimError:
    """The error a scripted error fault answers with."""
    status = fault.error_status or 500
    detail: dict[str, Any] = {"retry_after": fault.retry_after}
    if fault.kind == "context_length":
        detail = {"tokens": max(turn.input_tokens, profile.context_window + 1), "limit": profile.context_window}
    # Error fault kinds are named like the SimError kinds they raise.
    return SimError(fault.kind, status, detail=detail)  # type: ignore[arg-type]


def error_response(codec: Codec, error: SimError, rid: str) -> web.Response:
    """An error in `codec`'s wire shape, with Retry-After when the error carries one."""
    headers = {codec.request_id_header: rid}
    retry_after = error.detail.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
        headers["retry-after-ms"] = str(int(retry_after * 1000))
    return web.Response(
        status=error.status, body=dumps(codec.error_body(error)), headers=headers, content_type="application/json"
    )


class Responder:
    """Writes one generation response for one request, honouring pacing and the fault."""

    def __init__(self, request: web.Request, record: RequestRecord, log: RequestLog, stopping: asyncio.Event) -> None:
        self.request = request
        self.record = record
        self.log = log
        self.stopping = stopping

    async def send(
        self, codec: Codec, turn: Turn, profile: ModelProfile, fault: Fault | None, reply: Reply, rid: str
    ) -> web.StreamResponse | None:
        """Send `reply` (or the fault's error); None when the connection was dropped on purpose."""
        kind = fault.kind if fault else None
        latency, tps = profile.latency_ms, profile.tokens_per_second
        if fault is not None and kind == "slow":
            latency = fault.latency_ms if fault.latency_ms is not None else latency
            tps = fault.tokens_per_second if fault.tokens_per_second is not None else tps
        if fault is not None and kind == "slow_first_token":
            latency += fault.delay_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        if not turn.stream:
            return await self._send_body(codec.render(turn, reply, rid, profile), codec, kind, reply, tps)
        pacing = profile.chunk_tokens / tps if tps else 0.0
        return await self._send_stream(codec.stream(turn, reply, rid, profile), codec, rid, fault, pacing)

    def drop(self, *, reset: bool) -> None:
        """Close the connection now; `reset` sends a TCP RST instead of a FIN."""
        self.log.finish(self.record)
        transport = self.request.transport
        if transport is None:
            return
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER 0 turns close() into a RST: the client sees "connection reset by peer".
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()

    async def hold(self) -> None:
        """Keep the request open until the client leaves (cancellation) or the sim stops."""
        await self.stopping.wait()

    async def _interrupt(self, kind: str) -> None:
        """End a response early: `stall` first holds the connection open, `cut` closes it at once."""
        if kind == "stall":
            await self.hold()
        self.drop(reset=False)

    async def _send_body(
        self, body: dict[str, Any], codec: Codec, kind: str | None, reply: Reply, tps: float
    ) -> web.StreamResponse | None:
        data = dumps(body)
        if kind == "malformed_chunk":
            data = _MALFORMED_BODY
        if tps and reply.output_tokens:
            await asyncio.sleep(reply.output_tokens / tps)
        headers = {codec.request_id_header: body.get("id", "")}
        if kind in ("cut", "stall"):
            resp = web.StreamResponse(status=200, headers=headers)
            resp.content_type = "application/json"
            resp.content_length = len(data)
            await self._prepare(resp)
            await self._write(resp, data[: len(data) // 2])
            await self._interrupt(kind)
            return None
        resp = web.Response(status=200, body=data, headers=headers, content_type="application/json")
        await self._prepare(resp)
        await resp.write_eof()
        self.record.bytes_sent += len(data)
        self.log.finish(self.record, completed=True)
        return resp

    async def _send_stream(
        self, plan: StreamPlan, codec: Codec, rid: str, fault: Fault | None, pacing: float
    ) -> web.StreamResponse | None:
        resp = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                codec.request_id_header: rid,
            },
        )
        await self._prepare(resp)
        kind = fault.kind if fault and fault.kind in _STREAM_FAULTS else None
        if kind is None and not pacing:
            # The instant path: one write for the whole stream.
            await self._write(resp, b"".join([*plan.head, *plan.body, *plan.tail, plan.done or b""]))
            self.record.chunks_sent = len(plan.body)
            return await self._end(resp)
        await self._write(resp, b"".join(plan.head))
        at = fault.after_chunks if fault else 0
        for index, chunk in enumerate(plan.body):
            if index == at and kind in ("cut", "stall", "malformed_chunk"):
                if kind != "malformed_chunk":
                    await self._interrupt(kind)
                    return None
                await self._write(resp, plan.malformed)
            if index and pacing:
                await asyncio.sleep(pacing)
            await self._write(resp, chunk)
            self.record.chunks_sent += 1
        if kind == "malformed_chunk" and at >= len(plan.body):
            await self._write(resp, plan.malformed)
        elif kind in ("cut", "stall"):
            # Fewer chunks than `after_chunks`: still never finish the stream.
            await self._interrupt(kind)
            return None
        await self._write(resp, b"".join(plan.tail))
        if kind != "no_done" and plan.done:
            await self._write(resp, plan.done)
        if kind == "late_end" and fault is not None:
            await asyncio.sleep(fault.delay_ms / 1000)
        return await self._end(resp)

    async def _prepare(self, resp: web.StreamResponse) -> None:
        self.record.status = resp.status
        await resp.prepare(self.request)

    async def _write(self, resp: web.StreamResponse, data: bytes) -> None:
        await resp.write(data)
        self.record.bytes_sent += len(data)
        self.log.changed()

    async def _end(self, resp: web.StreamResponse) -> web.StreamResponse:
        await resp.write_eof()
        self.log.finish(self.record, completed=True)
        return resp
