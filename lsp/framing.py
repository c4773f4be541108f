"""LSP's base protocol (``Content-Length`` headers, then a JSON body), read so that bad input gets an
answer and never stops or wedges the server.

What the editor sends is read a header block at a time. A block without a usable ``Content-Length``
(missing, not a number, a header line over ``MAX_HEADER_LINE``) is answered with a JSON-RPC parse error
(-32700) and skipped; since the length of its body is unknown, reading resumes at the next
``Content-Length:`` header, which the next message starts with (what comes before it is dropped). A body that is not UTF-8 JSON is a
parse error; JSON that is not one message object (an array, a number, an object without
``jsonrpc: "2.0"``) is an invalid request (-32600), with the request's id when it has one.

Used by the ``initialize`` handshake (blocking reads, before the event loop) and by the read loop
after it (``lsp.stdio``), through the same ``HeaderBlock``.
"""

from __future__ import annotations

import json
from typing import Any

MAX_HEADER_LINE = 64 * 1024
"""A header line longer than this is not LSP (bodies are read by length, whatever their size)."""
PARSE_ERROR, INVALID_REQUEST = -32700, -32600
_CONTENT_LENGTH = b"content-length:"


class HeaderBlock:
    """One message's header lines, fed as they are read; ``problem`` says why the block is unusable."""

    __slots__ = ("length", "problem", "started")

    def __init__(self) -> None:
        self.length: int | None = None
        self.problem: str | None = None
        self.started = False

    def feed(self, line: bytes | None) -> bool:
        """Take one line (None: a line over ``MAX_HEADER_LINE``, already skipped); True at the blank
        line that ends the block."""
        if line is None:
            self.started = True
            self.problem = self.problem or f"a header line is longer than {MAX_HEADER_LINE} bytes"
            return False
        text = line.rstrip(b"\r\n")
        if not text:
            return self.started  # blank lines between messages are not a block
        self.started = True
        at = text.lower().find(_CONTENT_LENGTH)
        if at >= 0 and self.length is None:
            # A message starts here. Lines before it are the unread body of a block that had no usable
            # length (already answered), which runs into this header: dropped, not answered twice.
            text = text[at:]
            self.problem = None
        name, colon, value = text.partition(b":")
        if not colon:
            self.problem = self.problem or f"{_shown(text)} is not a header line"
        elif name.strip().lower() == b"content-length":
            number = value.strip()
            if number.isdigit():
                self.length = int(number)
            else:
                self.problem = self.problem or f"Content-Length {_shown(number)} is not a number"
        return False

    def error(self) -> str | None:
        """Why this block's message cannot be read, or None when it can."""
        if self.problem is not None:
            return self.problem
        if self.length is None:
            return "the message has no Content-Length header"
        return None


def _shown(raw: bytes) -> str:
    return repr(raw[:60].decode("utf-8", errors="replace"))


def error_response(request_id: Any, code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC error response."""
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def parse_error(why: str) -> dict[str, Any]:
    """The answer to input that could not be read as a message (its id cannot be known)."""
    return error_response(None, PARSE_ERROR, f"Parse error: {why}; send Content-Length-framed UTF-8 JSON-RPC messages")


def id_of(raw: Any) -> Any:
    """A message's id when it has a usable one (a string or a number), else None."""
    request_id = raw.get("id") if isinstance(raw, dict) else None
    return request_id if isinstance(request_id, str | int) and not isinstance(request_id, bool) else None


def not_a_message(raw: Any) -> dict[str, Any] | None:
    """The invalid-request answer for parsed JSON that is not one JSON-RPC 2.0 message, else None."""
    if isinstance(raw, dict) and raw.get("jsonrpc") == "2.0":
        return None
    what = "a JSON array (batches are not part of LSP)" if isinstance(raw, list) else (
        "an object without \"jsonrpc\": \"2.0\"" if isinstance(raw, dict) else "not a JSON object")
    return error_response(id_of(raw), INVALID_REQUEST, f"Invalid Request: the message is {what}")


def decode(body: bytes) -> tuple[Any, dict[str, Any] | None]:
    """A body as JSON, or the error that answers it."""
    try:
        return json.loads(body), None
    except UnicodeDecodeError:
        return None, parse_error("the body is not UTF-8")
    except (ValueError, RecursionError):
        return None, parse_error("the body is not valid JSON (or is nested too deeply)")


def frame(payload: dict[str, Any]) -> bytes:
    """One message with its header."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body
