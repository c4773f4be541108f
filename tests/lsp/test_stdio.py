"""The bridge's stdio: a pipe is read on the event loop; one socket both ways falls back to pygls'
reader; both answer an editor's conversation."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from lsp.stdio import own_pipe
from tests.support import REPO, short_dir


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _read_message(reader: asyncio.StreamReader) -> dict:
    fields = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    return json.loads(await reader.readexactly(int(fields[b"content-length"])))


async def _answer(reader: asyncio.StreamReader, request_id: int) -> dict:
    """The response to ``request_id`` (notifications before it are skipped)."""
    while True:
        message = await _read_message(reader)
        if message.get("id") == request_id and "method" not in message:
            return message


async def _converse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> list[dict]:
    """What an editor does: initialize, a request, shutdown, exit — each answer awaited."""
    answers = []
    async with asyncio.timeout(60):
        writer.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "capabilities": {}, "processId": None,
            # No daemon is needed here, and none may be started.
            "initializationOptions": {"autostart": False}}}))
        answers.append(await _answer(reader, 1))
        writer.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}})
                     + _frame({"jsonrpc": "2.0", "id": 2, "method": "switchboard/noSuchMethod", "params": {}}))
        answers.append(await _answer(reader, 2))
        writer.write(_frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
        answers.append(await _answer(reader, 3))
        writer.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        await writer.drain()
    return answers


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update({"SWITCHBOARD_SOCKET": str(tmp / "none.sock"), "SWITCHBOARD_DATA_DIR": str(tmp / "data"),
                "PYTHONPATH": str(REPO), "SWITCHBOARD_LSP_LOG": "ERROR"})
    return env


def _check(answers: list[dict]) -> None:
    initialize, unknown, shutdown = answers
    assert initialize["result"]["capabilities"]["inlineCompletionProvider"] is not None
    assert unknown["error"]["code"] == -32601  # read and answered after the handshake: method not found
    assert shutdown["result"] is None


def test_a_pipe_is_read_on_the_loop_and_anything_shared_or_not_a_pipe_is_not(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    other_read, other_write = os.pipe()
    left, right = socket.socketpair()
    regular = open(tmp_path / "input", "wb+")  # noqa: SIM115 - closed below
    try:
        with open(read_end, "rb", closefd=False) as stdin, open(other_write, "wb", closefd=False) as stdout:
            assert own_pipe(stdin, stdout)
        with open(left.fileno(), "rb", closefd=False) as stdin, open(left.fileno(), "wb", closefd=False) as stdout:
            assert not own_pipe(stdin, stdout)  # one socket both ways: non-blocking reads would touch writes
        with open(other_write, "wb", closefd=False) as stdout:
            assert not own_pipe(regular, stdout)
    finally:
        for fd in (read_end, write_end, other_read, other_write):
            os.close(fd)
        left.close()
        right.close()
        regular.close()


async def test_over_pipes_the_bridge_reads_on_its_loop_and_answers_an_editor() -> None:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "lsp", stdin=subprocess.PIPE,
                                                   stdout=subprocess.PIPE, cwd=REPO, env=_env(short_dir()))
    assert process.stdin is not None and process.stdout is not None
    _check(await _converse(process.stdout, process.stdin))
    async with asyncio.timeout(30):
        assert await process.wait() == 0


async def test_over_one_socket_both_ways_the_bridge_falls_back_and_answers_the_same() -> None:
    ours, theirs = socket.socketpair()
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "lsp", stdin=theirs, stdout=theirs,
                                                   cwd=REPO, env=_env(short_dir()))
    theirs.close()
    reader, writer = await asyncio.open_connection(sock=ours)
    try:
        _check(await _converse(reader, writer))
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        writer.close()
