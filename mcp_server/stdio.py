"""The stdio transport with one fix: a line that is not a JSON-RPC message gets an error reply.

The SDK's stdio transport drops such a line with a debug log, leaving a client waiting for an answer
that never comes. JSON-RPC 2.0 says: a parse error (-32700, id null) for invalid JSON, an invalid
request (-32600, with the id when one can be read) for valid JSON that is not a message.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError


def error_for(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error answering a line the transport could not turn into a message."""
    if isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors()):
        return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error: invalid JSON"))
    request_id: Any = None
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            candidate = error.get("input")
            if isinstance(candidate, dict) and isinstance(candidate.get("id"), str | int):
                request_id = candidate["id"]
                break
    message = "Invalid Request: not a JSON-RPC 2.0 message (check jsonrpc, id, method and that params is an object)"
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=INVALID_REQUEST, message=message))


async def serve_stdio(lowlevel: Any) -> None:
    """Run the low-level server on stdin/stdout, answering malformed lines instead of dropping them."""
    async with stdio_server() as (read_stream, write_stream):
        messages, inbox = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def screen() -> None:
            async with messages:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        await write_stream.send(SessionMessage(error_for(item)))
                    else:
                        await messages.send(item)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(screen)
            await lowlevel.run(inbox, write_stream, lowlevel.create_initialization_options())
            tasks.cancel_scope.cancel()
