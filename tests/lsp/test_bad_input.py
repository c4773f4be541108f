"""``switchboard lsp`` over real pipes: input that is not a message gets a JSON-RPC error, before and
after ``initialize``, and the server goes on answering the editor (it neither exits nor wedges)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

from tests.lsp.test_stdio import _env, _frame, _read_message
from tests.support import REPO, short_dir

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, NOT_INITIALIZED = -32700, -32600, -32601, -32002
LONG_LINE = b"X-Filler: " + b"a" * (70 * 1024) + b"\r\n"


def _raw(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


BAD_INPUT: list[tuple[str, bytes, int]] = [
    ("a line that is not a header", b"this is not a header\r\n\r\n", PARSE_ERROR),
    ("a header line over 64 KiB", LONG_LINE + b"\r\n", PARSE_ERROR),
    ("invalid JSON", _raw(b'{"jsonrpc": "2.0", "id": '), PARSE_ERROR),
    ("invalid UTF-8", _raw(b'{"jsonrpc": "2.0", "method": "\xff\xfe"}'), PARSE_ERROR),
    ("JSON nested 100k deep", _raw(b"[" * 100_000 + b"]" * 100_000), PARSE_ERROR),
    ("a JSON array", _raw(b'[{"jsonrpc": "2.0", "id": 7, "method": "shutdown"}]'), INVALID_REQUEST),
    ("a JSON number", _raw(b"42"), INVALID_REQUEST),
    ("an object that is not JSON-RPC 2.0", _raw(b'{"id": 8, "method": "shutdown"}'), INVALID_REQUEST),
]


class Editor:
    """The editor's end of the pipes to a real ``python -m lsp``."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process, self.writer, self.reader = process, process.stdin, process.stdout

    @classmethod
    async def start(cls) -> Editor:
        return cls(await asyncio.create_subprocess_exec(sys.executable, "-m", "lsp", stdin=subprocess.PIPE,
                                                        stdout=subprocess.PIPE, cwd=REPO, env=_env(short_dir())))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self) -> dict[str, Any]:
        """The next response (notifications such as log messages are skipped)."""
        async with asyncio.timeout(30):
            while "method" in (message := await _read_message(self.reader)):
                pass
        return message

    async def alive(self, request_id: int) -> dict[str, Any]:
        """A request for a method nobody serves: answered (-32601) only by a server still reading."""
        await self.send(_frame({"jsonrpc": "2.0", "id": request_id, "method": "switchboard/noSuchMethod",
                                "params": {}}))
        return await self.answer()

    async def initialize(self) -> dict[str, Any]:
        await self.send(_frame({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "capabilities": {}, "processId": None, "initializationOptions": {"autostart": False}}}))
        answer = await self.answer()
        await self.send(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        return answer

    async def shut_down(self) -> int:
        await self.send(_frame({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"}))
        assert (await self.answer())["id"] == "bye"
        await self.send(_frame({"jsonrpc": "2.0", "method": "exit"}))
        async with asyncio.timeout(30):
            return await self.process.wait()


async def _each_bad_input_is_answered(editor: Editor, before_initialize: bool) -> None:
    for what, data, code in BAD_INPUT:
        await editor.send(data)
        answer = await editor.answer()
        assert answer["error"]["code"] == code, (what, answer)
        assert answer["id"] == (8 if b'"id": 8' in data else None), (what, answer)  # the id, when it can be read
    if before_initialize:  # a request before initialize is refused as the protocol says, with its id
        await editor.send(_frame({"jsonrpc": "2.0", "id": 5, "method": "textDocument/completion", "params": {}}))
        assert (await editor.answer())["error"]["code"] == NOT_INITIALIZED


async def test_bad_input_before_initialize_is_answered_and_the_handshake_still_works() -> None:
    editor = await Editor.start()
    await _each_bad_input_is_answered(editor, before_initialize=True)
    initialized = await editor.initialize()
    assert initialized["id"] == "init" and "capabilities" in initialized["result"]
    assert (await editor.alive(1))["error"]["code"] == METHOD_NOT_FOUND
    assert await editor.shut_down() == 0


async def test_bad_input_after_initialize_is_answered_and_the_server_reads_on() -> None:
    editor = await Editor.start()
    await editor.initialize()
    await _each_bad_input_is_answered(editor, before_initialize=False)
    assert (await editor.alive(1))["error"]["code"] == METHOD_NOT_FOUND
    await editor.send(_frame({"jsonrpc": "2.0", "id": {"an": "object"}, "method": "shutdown"}))
    object_id = await editor.answer()
    assert object_id["id"] is None and object_id["error"]["code"] < 0
    assert await editor.shut_down() == 0


async def test_a_non_numeric_content_length_does_not_wedge_the_reader() -> None:
    editor = await Editor.start()
    await editor.initialize()
    lost = json.dumps({"jsonrpc": "2.0", "id": 99, "method": "switchboard/noSuchMethod"}).encode()
    # The length is unknown, so its body cannot be skipped by count: the next message must still be read.
    await editor.send(b"Content-Length: abc\r\n\r\n" + lost + _frame({"jsonrpc": "2.0", "id": 2, "params": {},
                                                                       "method": "switchboard/noSuchMethod"}))
    refused = await editor.answer()
    after = await editor.answer()
    assert refused["error"]["code"] == PARSE_ERROR and "Content-Length 'abc'" in refused["error"]["message"]
    assert after["id"] == 2 and after["error"]["code"] == METHOD_NOT_FOUND
    assert await editor.shut_down() == 0


async def test_initialize_with_unreadable_capabilities_is_answered_and_served() -> None:
    editor = await Editor.start()
    await editor.send(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                              "params": {"capabilities": {"general": 5, "textDocument": []}, "processId": None,
                                         "initializationOptions": {"autostart": False}}}))
    answer = await editor.answer()
    await editor.send(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    assert answer["result"]["capabilities"]["positionEncoding"] == "utf-16"
    assert (await editor.alive(2))["error"]["code"] == METHOD_NOT_FOUND
    assert await editor.shut_down() == 0
