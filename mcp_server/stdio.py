"""The stdio transport with one fix: a line that is not a JSON-RPC message gets an error reply.

The SDK's stdio transport drops such a line with a debug log, leaving a client waiting for an answer
that never comes. JSON-RPC 2.0 says: a parse error (-32700, id null) for invalid JSON, an invalid
request (-32600, with the id when one can be read) for valid JSON that is not a message. A request
whose id is not a string or a number (the SDK would read it as a notification and never answer) is
an invalid request with the null id; a line shaped as a notification gets no answer, even when invalid.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import anyio
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError


def error_for(exc: Exception) -> JSONRPCError | None:
    """The JSON-RPC error answering a line the transport could not turn into a message (None for a
    notification, which is never answered)."""
    if isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors()):
        return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error: invalid JSON"))
    request_id: Any = None
    if isinstance(exc, ValidationError):
        inputs = [error.get("input") for error in exc.errors()]
        top = next((c for c in inputs if isinstance(c, dict) and "jsonrpc" in c), None)
        if top is not None and "method" in top and "id" not in top:
            return None
        for candidate in inputs:
            if isinstance(candidate, dict) and isinstance(candidate.get("id"), str | int):
                request_id = candidate["id"]
                break
    message = "Invalid Request: not a JSON-RPC 2.0 message (check jsonrpc, id, method and that params is an object)"
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=INVALID_REQUEST, message=message))


_BAD_ID = JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(
    code=INVALID_REQUEST, message="Invalid Request: an id must be a string or a number"))


def _unusable_id(line: str) -> bool:
    """A request whose id no answer could carry (an object, an array, null, a boolean)."""
    if '"id"' not in line:
        return False
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return False  # the SDK's reader answers it as a parse error
    if not isinstance(message, dict) or "method" not in message or "id" not in message:
        return False
    request_id = message["id"]
    return not isinstance(request_id, str | int | float) or isinstance(request_id, bool)


class _Lines:
    """stdin's lines for the SDK's reader, less the requests with an unusable id (answered by ``serve_stdio``)."""

    def __init__(self, refused: Any) -> None:
        self._stdin = anyio.wrap_file(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace"))
        self._refused = refused

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        async for line in self._stdin:
            if _unusable_id(line):
                await self._refused.send(SessionMessage(_BAD_ID))
            else:
                yield line


async def serve_stdio(lowlevel: Any) -> None:
    """Run the low-level server on stdin/stdout, answering malformed lines instead of dropping them."""
    refused, refusals = anyio.create_memory_object_stream[SessionMessage](16)
    async with stdio_server(stdin=_Lines(refused)) as (read_stream, write_stream):  # type: ignore[arg-type]
        messages, inbox = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def screen() -> None:
            async with messages:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        if (error := error_for(item)) is not None:
                            await write_stream.send(SessionMessage(error))
                    else:
                        await messages.send(item)

        async def answer_refusals() -> None:
            async with refusals:
                async for error in refusals:
                    await write_stream.send(error)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(screen)
            tasks.start_soon(answer_refusals)
            await lowlevel.run(inbox, write_stream, lowlevel.create_initialization_options())
            tasks.cancel_scope.cancel()
