"""The editor's first completion, sent the moment ``initialize`` is answered, is answered before pygls
has loaded (``lsp.prelude``), from the text the editor sent, and pygls then takes over the documents.

Real parts: ``python -m lsp`` over pipes, a real daemon on the simulated providers. The editor's
messages go in one write right after the ``initialize`` answer, as Neovim and VS Code send them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from tests.lsp.harness import server_env, sim_daemon
from tests.lsp.test_stdio import _answer, _frame
from tests.support import REPO

FACE = "\U0001F600"
SOURCE = "import math\n\ndef circle_area(radius):\n    return "


class Bridge:
    """``python -m lsp`` over pipes, initialised as an editor does; ``send`` writes messages in one go."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process, self.stdin, self.stdout = process, process.stdin, process.stdout

    @classmethod
    async def start(cls, socket: Path, initialization_options: dict) -> Bridge:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lsp", stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO,
            env=server_env(socket))
        bridge = cls(process)
        bridge.send({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "processId": None, "capabilities": {"textDocument": {"inlineCompletion": {}}},
            "initializationOptions": initialization_options}})
        await bridge.answer("init")
        return bridge

    def send(self, *messages: dict) -> None:
        self.stdin.write(b"".join(_frame(message) for message in messages))

    async def answer(self, request_id: object) -> dict:
        async with asyncio.timeout(60):
            return await _answer(self.stdout, request_id)

    async def close(self) -> None:
        self.send({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"})
        await self.answer("bye")
        self.send({"jsonrpc": "2.0", "method": "exit"})
        async with asyncio.timeout(30):
            assert await self.process.wait() == 0


def _open(uri: str, text: str) -> dict:
    return {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}}}


def _inline(request_id: int, uri: str) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": "textDocument/inlineCompletion", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 3, "character": 11}, "context": {"triggerKind": 1}}}


async def test_first_completion_is_answered_before_pygls_loads_from_the_changed_text(tmp_path: Path) -> None:
    async with sim_daemon(tmp_path) as (sim, daemon):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lsp", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=REPO, env=server_env(daemon.socket, SWITCHBOARD_LSP_LOG="DEBUG"))
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        stderr = asyncio.ensure_future(process.stderr.read())
        uri = (tmp_path / "shapes.py").as_uri()
        text = f"import math\n\nICON = '{FACE}'\ndef circle_area(radius):\n    return "
        typed = {"range": {"start": {"line": 2, "character": 11}, "end": {"line": 2, "character": 11}},
                 "text": "  # smile"}  # after the face and its quote: 11 UTF-16 units in
        async with asyncio.timeout(60):
            process.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "processId": None, "capabilities": {"textDocument": {"inlineCompletion": {}}},
                "initializationOptions": {"debounce_ms": 0}}}))
            await _answer(process.stdout, 1)
            process.stdin.write(b"".join(_frame(message) for message in (
                {"jsonrpc": "2.0", "method": "initialized", "params": {}},
                {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
                    "uri": uri, "languageId": "python", "version": 1, "text": text}}},
                {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": uri, "version": 2}, "contentChanges": [typed]}},
                {"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion", "params": {
                    "textDocument": {"uri": uri}, "position": {"line": 4, "character": 11},
                    "context": {"triggerKind": 1}}},
            )))
            first = await _answer(process.stdout, 2)
            # After pygls has taken over: a code action on the document the prelude tracked is offered.
            process.stdin.write(_frame({"jsonrpc": "2.0", "id": 3, "method": "textDocument/codeAction", "params": {
                "textDocument": {"uri": uri}, "range": {"start": {"line": 3, "character": 0},
                                                        "end": {"line": 4, "character": 11}},
                "context": {"diagnostics": []}}}))
            actions = await _answer(process.stdout, 3)
            process.stdin.write(_frame({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}))
            await _answer(process.stdout, 4)
            process.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
            assert await process.wait() == 0
        log = (await stderr).decode(errors="replace")

    items = first["result"]["items"]
    assert items and items[0]["insertText"].strip(), first
    assert items[0]["command"]["command"] == "switchboard.acceptCompletion"
    prompt = json.dumps([record.body for record in sim.requests], ensure_ascii=False)
    assert f"ICON = '{FACE}'  # smile" in prompt, prompt[:2000]
    assert "1 completions were taken before it" in log, log[-2000:]
    assert [a["title"] for a in actions["result"]], actions



async def test_a_configuration_change_before_the_first_completion_is_applied_before_it(tmp_path: Path) -> None:
    """Completions disabled by ``didChangeConfiguration`` right after ``initialized``: the prelude holds
    the completion behind it (in order), so it is answered with completions off, and never asks the daemon."""
    async with sim_daemon(tmp_path) as (sim, daemon):
        bridge = await Bridge.start(daemon.socket, {"debounce_ms": 0})
        uri = (tmp_path / "off.py").as_uri()
        bridge.send({"jsonrpc": "2.0", "method": "initialized", "params": {}}, _open(uri, SOURCE),
                    {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
                     "params": {"settings": {"enable": False}}},
                    _inline(2, uri))
        answered = await bridge.answer(2)
        await bridge.close()
        assert answered["result"]["items"] == []
        assert sim.requests == []


async def test_cancelling_a_completion_the_prelude_took_stops_it(tmp_path: Path) -> None:
    async with sim_daemon(tmp_path) as (sim, daemon):
        for profile in sim.profiles.values():  # an answer that would take 30 s
            sim.set_profile(profile.model_copy(update={"latency_ms": 30_000}))
        bridge = await Bridge.start(daemon.socket, {"debounce_ms": 0})
        uri = (tmp_path / "slow.py").as_uri()
        bridge.send({"jsonrpc": "2.0", "method": "initialized", "params": {}}, _open(uri, SOURCE), _inline(2, uri))
        await sim.wait_for_request(lambda record: True, timeout=30)
        bridge.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 2}})
        answered = await bridge.answer(2)
        assert answered["error"]["code"] == -32800, answered
        await sim.log.wait_for(lambda record: record.client_disconnected, timeout=10)  # the provider call stopped
        await bridge.close()
