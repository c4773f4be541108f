"""The bridge before pygls has loaded: completions answered while ``lsprotocol.types`` loads in a thread.

Loading pygls costs most of a second of CPU (``lsprotocol.types`` alone is ~600 attrs classes), and
an editor sends ``initialized``, ``didOpen`` and often its first completion the moment ``initialize``
is answered. Had they waited for pygls, the first completion took ~600 ms more than later ones. So
until pygls is loaded, this module serves the messages a completion needs, with the standard library
and the bridge's own engine (``lsp.bridge``, loaded before ``initialize`` is answered):

- ``initialized`` starts the daemon connection at once;
- ``didOpen``/``didChange``/``didClose`` keep a copy of each document's text;
- ``textDocument/inlineCompletion`` and ``textDocument/completion`` are answered from that copy, and
  ``$/cancelRequest`` cancels them.

Every message not answered here is held, in order, and replayed to pygls when it is loaded (the
document notifications too, so pygls builds its workspace exactly as if it had read them itself).
Once a message of any other kind has been held (a configuration change, a code action, shutdown),
completions are held after it as well, so nothing is answered out of order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

# The HTTP client loads its transport (httpcore, h11/h2, anyio's asyncio backend) on its first request:
# loaded here, before ``initialize`` is answered, so the first completion does not load it.
import anyio._backends._asyncio  # noqa: F401
import httpcore._backends.anyio  # noqa: F401

from daemon.errors import SwitchboardError
from lsp.bridge import Bridge
from lsp.completion import Completion, completion_item_fields
from lsp.context import Doc
from lsp.framing import decode, id_of, not_a_message
from lsp.handshake import ACCEPT_COMMAND, position_encoding
from lsp.options import is_ignored, parse_options
from lsp.status import StatusReporter

if TYPE_CHECKING:
    from lsp.server import SwitchboardServer

log = logging.getLogger(__name__)

REQUEST_CANCELLED = -32800
_DOCUMENT_NOTIFICATIONS = frozenset({"textDocument/didOpen", "textDocument/didChange", "textDocument/didClose"})
_COMPLETIONS = frozenset({"textDocument/inlineCompletion", "textDocument/completion"})
_MESSAGE_TYPES = {"error": 1, "warning": 2, "info": 3}


def _units(char: str, encoding: str) -> int:
    if encoding == "utf-16":
        return 2 if ord(char) > 0xFFFF else 1
    if encoding == "utf-8":
        return len(char.encode("utf-8"))
    return 1


def to_code_points(line: str, character: int, encoding: str) -> int:
    """A position's character (in the client's units) as an index into ``line``."""
    if encoding == "utf-32":
        return min(character, len(line))
    count = 0
    for index, char in enumerate(line):
        if count >= character:
            return index
        count += _units(char, encoding)
    return len(line)


def _offset(text: str, position: dict[str, Any], encoding: str) -> int:
    line, character = int(position.get("line", 0)), int(position.get("character", 0))
    start = 0
    for _ in range(line):
        found = text.find("\n", start)
        if found < 0:
            return len(text)
        start = found + 1
    end = text.find("\n", start)
    current = text[start: len(text) if end < 0 else end]
    return start + to_code_points(current, character, encoding)


def apply_change(text: str, change: dict[str, Any], encoding: str) -> str:
    """``text`` after one ``contentChanges`` entry (a whole new text, or a range replaced)."""
    new = str(change.get("text", ""))
    edit_range = change.get("range")
    if not isinstance(edit_range, dict):
        return new
    start = _offset(text, edit_range.get("start") or {}, encoding)
    end = _offset(text, edit_range.get("end") or {}, encoding)
    return text[:start] + new + text[max(start, end):]


def fs_path(uri: str) -> str | None:
    """The file system path of a ``file:`` URI (None for other schemes)."""
    parts = urlsplit(uri)
    return unquote(parts.path) if parts.scheme == "file" else None


class Outlet:
    """Notifications and messages to the editor: written directly until pygls has loaded, then
    through the server (so both never write at once)."""

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        self.write = write
        self.server: SwitchboardServer | None = None

    def notify(self, method: str, params: dict[str, object]) -> None:
        if self.server is not None:
            self.server.protocol.notify(method, params)
        else:
            self.write({"jsonrpc": "2.0", "method": method, "params": params})

    def show(self, kind: str, message: str) -> None:
        if self.server is not None:
            self.server.show(kind, message)
        else:
            self.notify("window/showMessage", {"type": _MESSAGE_TYPES[kind], "message": message})


class Prelude:
    """Serves completions until pygls is loaded; ``hand_over`` then gives everything to the server."""

    def __init__(self, initialize: dict[str, Any], write: Callable[[dict[str, Any]], None],
                 socket: str | None, data_dir: str | None) -> None:
        params = initialize.get("params") or {}
        self.initialize = initialize
        self.encoding = position_encoding(params)
        self.options, _ = parse_options(params.get("initializationOptions"))  # pygls' handler reports problems
        text_caps = ((params.get("capabilities") or {}).get("textDocument") or {})
        self.inline_client = isinstance(text_caps, dict) and text_caps.get("inlineCompletion") is not None
        self.write = write
        self.outlet = Outlet(write)
        self.status = StatusReporter(self.outlet.notify, self.outlet.show)
        self.bridge = Bridge(self.status, socket, data_dir, autostart=self.options.autostart)
        self.documents: dict[str, tuple[str, str]] = {}
        """uri -> (language id, text), as the document notifications left it."""
        self.held: list[bytes] = []
        self.in_order = False
        """A message other than a document notification was held: hold the completions after it too."""
        self.running: dict[str | int, asyncio.Task[None]] = {}
        self.taken = 0
        """Completions this prelude took (answered, or still being answered when pygls took over)."""
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Done once the daemon connection started by ``initialized`` has come up (or failed)."""

    def dispatch(self, body: bytes) -> dict[str, Any] | None:
        """Take one message body; the error that answers it when it is not a message."""
        message, error = decode(body)
        error = error or not_a_message(message)
        if error is not None:
            return error
        method = message.get("method")
        params = message.get("params")
        if method in _COMPLETIONS and not self.in_order and isinstance(params, dict) and "id" in message:
            request_id = id_of(message)
            if request_id is not None and self._start_completion(request_id, method, params):
                return None
        if method == "$/cancelRequest" and isinstance(params, dict) and params.get("id") in self.running:
            self.running[params["id"]].cancel()
            return None
        if method == "initialized":
            self.bridge.connect().add_done_callback(lambda _: self.connected.done() or self.connected.set_result(None))
        elif method in _DOCUMENT_NOTIFICATIONS and isinstance(params, dict):
            self._track(method, params)
        else:
            self.in_order = True
        self.held.append(body)
        return None

    def _track(self, method: str, params: dict[str, Any]) -> None:
        document = params.get("textDocument")
        if not isinstance(document, dict) or not isinstance(document.get("uri"), str):
            return
        uri = document["uri"]
        if method == "textDocument/didOpen":
            self.documents[uri] = (str(document.get("languageId", "")), str(document.get("text", "")))
        elif method == "textDocument/didClose":
            self.documents.pop(uri, None)
            self.bridge.engine.closed(uri)
        elif uri in self.documents:
            language, text = self.documents[uri]
            for change in params.get("contentChanges") or ():
                if isinstance(change, dict):
                    text = apply_change(text, change, self.encoding)
            self.documents[uri] = (language, text)

    def _start_completion(self, request_id: str | int, method: str, params: dict[str, Any]) -> bool:
        document, position = params.get("textDocument"), params.get("position")
        if not isinstance(document, dict) or not isinstance(position, dict):
            return False
        uri = document.get("uri")
        if not isinstance(uri, str) or uri not in self.documents:
            return False  # pygls will answer it (an unknown document gets an empty answer there too)
        task = asyncio.get_running_loop().create_task(self._complete(request_id, method, uri, position, params))
        self.running[request_id] = task
        self.taken += 1
        return True

    async def _complete(self, request_id: str | int, method: str, uri: str, position: dict[str, Any],
                        params: dict[str, Any]) -> None:
        context = params.get("context") if isinstance(params.get("context"), dict) else {}
        inline = method == "textDocument/inlineCompletion"
        explicit = context.get("triggerKind") == 1  # Invoked, in both kinds of completion
        try:
            if not inline and self.inline_client and not explicit:
                result: dict[str, Any] = {"isIncomplete": False, "items": []}
            else:
                completion = await self._completion(uri, position, explicit)
                result = self._result(completion, inline, position)
            self.write({"jsonrpc": "2.0", "id": request_id, "result": result})
        except asyncio.CancelledError:
            self.write({"jsonrpc": "2.0", "id": request_id,
                        "error": {"code": REQUEST_CANCELLED, "message": "the request was cancelled"}})
        except Exception as exc:  # the engine turns failures into status: anything left is a bug, answered as one
            log.exception("completion failed before pygls loaded")
            message = exc.message if isinstance(exc, SwitchboardError) else f"{type(exc).__name__}: {exc}"
            self.write({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32603, "message": message}})
        finally:
            self.running.pop(request_id, None)

    async def _completion(self, uri: str, position: dict[str, Any], explicit: bool) -> Completion | None:
        language, text = self.documents[uri]
        path = fs_path(uri)
        if is_ignored(path or uri, self.options):
            return None
        lines = text.split("\n")
        line = min(int(position.get("line", 0)), len(lines) - 1)
        character = to_code_points(lines[line], int(position.get("character", 0)), self.encoding)
        return await self.bridge.engine.complete(Doc(uri, path, language, text), line, character,
                                                 explicit=explicit, options=self.options)

    def _result(self, completion: Completion | None, inline: bool, position: dict[str, Any]) -> dict[str, Any]:
        at = {"line": position.get("line", 0), "character": position.get("character", 0)}
        if completion is None:
            return {"items": []} if inline else {"isIncomplete": True, "items": []}
        command = {"title": f"Switchboard · {completion.model}", "command": ACCEPT_COMMAND,
                   "arguments": [completion.trace_id]}
        if inline:
            return {"items": [{"insertText": completion.text, "range": {"start": at, "end": at}, "command": command}]}
        fields = completion_item_fields(completion)
        start = {"line": at["line"], "character": max(0, int(at["character"]) - len(fields.word))}
        item = {"label": fields.label, "kind": 1, "detail": command["title"],
                "documentation": {"kind": "plaintext", "value": fields.new_text}, "filterText": fields.new_text,
                "sortText": "0", "insertTextFormat": 1,
                "textEdit": {"range": {"start": start, "end": at}, "newText": fields.new_text}, "command": command}
        return {"isIncomplete": True, "items": [item]}

    def cancels_running(self, body: bytes) -> bool:
        """After the hand-over: whether ``body`` cancels a completion this prelude is still answering
        (pygls does not know its id), which it then cancels. Costs nothing once none is running."""
        if not self.running or b"$/cancelRequest" not in body:
            return False
        message, _ = decode(body)
        if not isinstance(message, dict) or message.get("method") != "$/cancelRequest":
            return False
        params = message.get("params")
        task = self.running.get(params.get("id")) if isinstance(params, dict) else None
        if task is None:
            return False
        task.cancel()
        return True

    def hand_over(self, server: SwitchboardServer, writer: Any, handle: Callable[[bytes], dict[str, Any] | None]) -> None:
        """pygls is loaded: the server takes the bridge and the status, replays ``initialize``, writes
        through ``writer`` from then on, and handles every held message in order."""
        from lsp.server import replay_initialize

        server.status = self.status
        server._bridge = self.bridge
        replay_initialize(server, self.initialize)  # its answer (already given) goes nowhere
        server.protocol.set_writer(writer)
        self.outlet.server = server
        held, self.held = self.held, []
        for body in held:
            error = handle(body)
            if error is not None:
                self.write(error)
        log.debug("pygls loaded: %d completions were taken before it, %d messages replayed", self.taken, len(held))
