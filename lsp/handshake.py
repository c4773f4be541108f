"""Answer ``initialize`` before pygls is loaded.

Loading pygls means loading ``lsprotocol.types`` (some 600 attrs classes), most of a second of CPU
before the server can say a word; editors wait for the ``initialize`` answer before they show the
server as ready. The answer only depends on the client's position encodings (our capabilities are
fixed), so this module reads the first message with the standard library alone, answers it at
once, and hands the message over to pygls (``lsp.server.replay_initialize``) once it is loaded,
so pygls sets up its workspace exactly as if it had answered. ``tests/lsp/test_handshake.py``
checks that the answer is the one pygls would give.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from daemon import __version__
from lsp.framing import (
    INVALID_REQUEST,
    MAX_HEADER_LINE,
    HeaderBlock,
    decode,
    error_response,
    frame,
    id_of,
    not_a_message,
    parse_error,
)

ACCEPT_COMMAND = "switchboard.acceptCompletion"
RUN_ACTION_COMMAND = "switchboard.runCodeAction"
TRIGGER_CHARACTERS = [".", "(", "[", "{", ",", ":", "=", " "]
SUPPORTED_ENCODINGS = ("utf-8", "utf-16", "utf-32")
SERVER_NOT_INITIALIZED = -32002


def header_line(stream: BinaryIO) -> bytes | None:
    """One header line; None for a line over ``MAX_HEADER_LINE`` (read to its end and dropped)."""
    line = stream.readline(MAX_HEADER_LINE + 1)
    if len(line) <= MAX_HEADER_LINE or line.endswith(b"\n"):
        return line
    while (rest := stream.readline(MAX_HEADER_LINE)) and not rest.endswith(b"\n"):
        pass
    return None


def read_message(stream: BinaryIO) -> bytes | str | None:
    """One ``Content-Length``-framed message body, why the next message cannot be read (a string),
    or None at the end of the stream."""
    block = HeaderBlock()
    while True:
        line = header_line(stream)
        if line == b"":
            return None
        if block.feed(line):
            break
    problem = block.error()
    if problem is not None:
        return problem
    assert block.length is not None
    body = b""
    while len(body) < block.length:  # an unbuffered pipe may hand the body over in pieces
        piece = stream.read(block.length - len(body))
        if not piece:
            return None
        body += piece
    return body


def write_message(stream: BinaryIO, payload: dict[str, Any]) -> None:
    """Write one framed message and flush it."""
    stream.write(frame(payload))
    stream.flush()


def _table(value: Any, *keys: str) -> dict[str, Any]:
    """``value[k1][k2]...`` when each step is an object, else an empty one (params are the client's)."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def position_encoding(params: dict[str, Any]) -> str:
    """The encoding pygls would choose: the client's first supported preference, else UTF-16."""
    encodings = _table(params, "capabilities", "general").get("positionEncodings")
    return next((e for e in encodings if e in SUPPORTED_ENCODINGS), "utf-16") if isinstance(encodings, list) else "utf-16"


def capabilities(params: dict[str, Any]) -> dict[str, Any]:
    """The server's capabilities, as pygls computes them from the registered features."""
    sync: dict[str, Any] = {"openClose": True, "change": 2, "save": False}
    client_sync = _table(params, "capabilities", "textDocument", "synchronization")
    for key in ("willSave", "willSaveWaitUntil"):  # pygls answers false when the client states either
        if client_sync.get(key) is not None:
            sync[key] = False
    return {
        "positionEncoding": position_encoding(params),
        "textDocumentSync": sync,
        "completionProvider": {"triggerCharacters": TRIGGER_CHARACTERS},
        "codeActionProvider": {"codeActionKinds": ["refactor.rewrite"], "resolveProvider": True},
        "executeCommandProvider": {"commands": [ACCEPT_COMMAND, RUN_ACTION_COMMAND]},
        "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True},
                      "fileOperations": {}},
        "inlineCompletionProvider": {},
    }


def initialize_result(params: dict[str, Any]) -> dict[str, Any]:
    """The ``initialize`` answer for these params."""
    return {"capabilities": capabilities(params),
            "serverInfo": {"name": "switchboard", "version": __version__}}


def answer_initialize(stdin: BinaryIO, stdout: BinaryIO) -> dict[str, Any] | None:
    """Read messages until ``initialize``, answer it, and return it for pygls to replay.

    Anything before it is refused as the protocol says (``ServerNotInitialized`` for requests,
    notifications dropped); input that is not a message gets a JSON-RPC error (``lsp.framing``) and
    the server reads on. None when the stream ends first.
    """
    while True:
        body = read_message(stdin)
        if body is None:
            return None
        if isinstance(body, str):
            write_message(stdout, parse_error(body))
            continue
        message, error = decode(body)
        error = error or not_a_message(message)
        if error is not None:
            write_message(stdout, error)
            continue
        request_id = id_of(message)
        if message.get("method") == "initialize":
            if request_id is None or not isinstance(message.get("params", {}), dict):
                write_message(stdout, error_response(request_id, INVALID_REQUEST, "Invalid Request: `initialize` "
                                                     "needs a string or number id and params that are an object"))
                continue
            write_message(stdout, {"jsonrpc": "2.0", "id": request_id,
                                   "result": initialize_result(message.get("params") or {})})
            return message
        if "id" in message and "method" in message:
            write_message(stdout, {"jsonrpc": "2.0", "id": request_id, "error": {
                "code": SERVER_NOT_INITIALIZED, "message": "the server is not initialized: send `initialize` first"}})
