"""Driving ``switchboard lsp`` (``python -m lsp``) with pytest-lsp against a real daemon subprocess.

The editor is pytest-lsp's client with the captured capabilities of a real editor; the daemon is a
real subprocess on the simulated providers (the only fake). Used by tests/e2e/test_lsp_*.py and
bench/lsp_latency.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support import REPO, DaemonProcess, SimServer, sim_config, start_daemon, write_config

STATUS = "switchboard/status"


def inline_capabilities() -> types.ClientCapabilities:
    """A current VS Code's capabilities plus LSP 3.18 inline completion."""
    caps = client_capabilities("visual_studio_code")
    assert caps.text_document is not None
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    return caps


def older_capabilities() -> types.ClientCapabilities:
    """An older editor: Neovim 0.6 (no inline completion)."""
    return client_capabilities("neovim@v0.6.1")


def emacs_capabilities() -> types.ClientCapabilities:
    """Emacs 29 (no ``codeAction/resolve``: actions must carry a command)."""
    return client_capabilities("emacs@v29.1")


def server_env(socket: Path, **extra: str) -> dict[str, str]:
    """The environment of the bridge: the test daemon's socket, and logs at warning level."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update({"SWITCHBOARD_SOCKET": str(socket), "PYTHONPATH": str(REPO), "SWITCHBOARD_LSP_LOG": "WARNING"})
    env.update(extra)
    return env


async def quick_stop(daemon: DaemonProcess, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds (these tests do not check the daemon's drain)."""
    if daemon.process.poll() is None:
        daemon.process.terminate()
        try:
            await daemon.wait_exit(grace)
        except TimeoutError:
            daemon.process.kill()
            daemon.process.wait()


@contextlib.asynccontextmanager
async def sim_daemon(tmp: Path, *, env: dict[str, str] | None = None) -> AsyncIterator[tuple[SimServer, DaemonProcess]]:
    """The simulated providers and a real daemon subprocess routing to them."""
    async with SimServer() as sim:
        config = write_config(tmp / "config.toml", sim_config(sim.url))
        daemon = await start_daemon(config, env=env)
        try:
            yield sim, daemon
        finally:
            await quick_stop(daemon)


class StatusLog:
    """The ``switchboard/status`` notifications and ``window/showMessage`` messages a client received."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.statuses: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._message: asyncio.Future[Any] | None = None

        @client.feature(STATUS)
        def on_status(params: Any) -> None:
            self.statuses.append(_plain(params))
            self._changed.set()

    async def wait_status(self, state: str, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The first status notification in ``state`` (waiting for it)."""
        return await self._wait(lambda: next((s for s in self.statuses if s.get("state") == state), None), timeout)

    async def wait_message(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:  # noqa: ASYNC109
        """The first shown message whose text matches."""
        return await self._wait(
            lambda: next((m.message for m in self.client.messages if predicate(m.message)), None), timeout)

    async def _wait(self, find: Callable[[], Any], timeout: float) -> Any:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                # Registered before looking, with no await in between, so no message can slip past.
                # (Never cancelled: pytest-lsp would set a result on a cancelled future.)
                if self._message is None or self._message.done():
                    self._message = self.client.protocol.wait_for_notification_async(types.WINDOW_SHOW_MESSAGE)
                if (found := find()) is not None:
                    return found
                status = asyncio.ensure_future(self._changed.wait())
                try:
                    await asyncio.wait({status, self._message}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    status.cancel()


def _plain(params: Any) -> dict[str, Any]:
    if isinstance(params, dict):
        return params
    return {k: getattr(params, k) for k in ("state", "message", "model", "latency_ms") if hasattr(params, k)}


@contextlib.asynccontextmanager
async def lsp_session(
    socket: Path, *, capabilities: types.ClientCapabilities | None = None,
    options: dict[str, Any] | None = None, env: dict[str, str] | None = None, root: Path | None = None,
    command: list[str] | None = None,
) -> AsyncIterator[tuple[LanguageClient, StatusLog]]:
    """A started, initialised bridge talking to the daemon on ``socket``; shut down afterwards."""
    config = ClientServerConfig(server_command=command or [sys.executable, "-m", "lsp"],
                                server_env=server_env(socket, **(env or {})))
    client = await config.start()
    status = StatusLog(client)
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=capabilities or inline_capabilities(),
            initialization_options={"debounce_ms": 0, **(options or {})},
            root_uri=root.as_uri() if root else None,
        ))
        yield client, status
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(10):
                await client.shutdown_session()
        await client.stop()


def open_document(client: LanguageClient, path: Path, text: str, language: str = "python") -> str:
    """Open ``text`` as the document at ``path``; returns its URI."""
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    return uri


def end_of(text: str) -> types.Position:
    """The position after the last character of ``text`` (ASCII text)."""
    lines = text.split("\n")
    return types.Position(line=len(lines) - 1, character=len(lines[-1]))


async def inline_completion(client: LanguageClient, uri: str, position: types.Position, *,
                            invoked: bool = True) -> types.InlineCompletionList | None:
    """Ask for ghost text at ``position``."""
    kind = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
    result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        context=types.InlineCompletionContext(trigger_kind=kind),
        text_document=types.TextDocumentIdentifier(uri=uri), position=position))
    if isinstance(result, list):
        return types.InlineCompletionList(items=result)
    return result
