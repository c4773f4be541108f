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

import json
from typing import Any, BinaryIO

from daemon import __version__

ACCEPT_COMMAND = "switchboard.acceptCompletion"
RUN_ACTION_COMMAND = "switchboard.runCodeAction"
TRIGGER_CHARACTERS = [".", "(", "[", "{", ",", ":", "=", " "]
SUPPORTED_ENCODINGS = ("utf-8", "utf-16", "utf-32")
SERVER_NOT_INITIALIZED = -32002


def read_message(stream: BinaryIO) -> bytes | None:
    """One ``Content-Length``-framed message body (None at the end of the stream)."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii", errors="replace").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        return None
    body = b""
    while len(body) < length:  # an unbuffered pipe may hand the body over in pieces
        piece = stream.read(length - len(body))
        if not piece:
            break
        body += piece
    return body


def write_message(stream: BinaryIO, payload: dict[str, Any]) -> None:
    """Write one framed message and flush it."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stream.flush()


def position_encoding(params: dict[str, Any]) -> str:
    """The encoding pygls would choose: the client's first supported preference, else UTF-16."""
    encodings = ((params.get("capabilities") or {}).get("general") or {}).get("positionEncodings") or []
    return next((e for e in encodings if e in SUPPORTED_ENCODINGS), "utf-16")


def capabilities(params: dict[str, Any]) -> dict[str, Any]:
    """The server's capabilities, as pygls computes them from the registered features."""
    sync: dict[str, Any] = {"openClose": True, "change": 2, "save": False}
    client_sync = ((params.get("capabilities") or {}).get("textDocument") or {}).get("synchronization") or {}
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
    notifications dropped). None when the stream ends first.
    """
    while True:
        body = read_message(stdin)
        if body is None:
            return None
        message = json.loads(body)
        if message.get("method") == "initialize":
            write_message(stdout, {"jsonrpc": "2.0", "id": message["id"],
                                   "result": initialize_result(message.get("params") or {})})
            return message
        if "id" in message and "method" in message:
            write_message(stdout, {"jsonrpc": "2.0", "id": message["id"], "error": {
                "code": SERVER_NOT_INITIALIZED, "message": "the server is not initialized: send `initialize` first"}})
