"""The bridge's link to the daemon, with explicit states: online, offline (reconnecting).

Two clients of the same socket: completions and quality signals go through one that never starts
the daemon (a keystroke must not wait for a daemon to boot), everything else through one with
``autostart=True``. When the daemon stops answering, the link goes offline, says so once, and a
single background task brings it back (starting the daemon when the options allow it, else
waiting for it), while keystrokes get empty answers at once instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from daemon.client import DaemonClient
from daemon.errors import DaemonUnavailableError, error_from_payload
from daemon.wire import AskRequest, AskResponse, CompleteRequest, FeedbackRequest, FeedbackResponse
from lsp.status import StatusReporter

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.2
RETRY_MAX_S = 2.0


class DaemonLink:
    """Typed calls to the daemon plus the online/offline state machine."""

    def __init__(self, status: StatusReporter, socket: str | None = None, *, data_dir: str | None = None,
                 autostart: bool = True) -> None:
        self.status = status
        self.control = DaemonClient(socket, autostart=autostart, data_dir=data_dir)
        self.streams = DaemonClient(socket, autostart=False)
        self._reconnect: asyncio.Task[None] | None = None

    @property
    def autostart(self) -> bool:
        """Whether the link may start the daemon (the ``autostart`` option)."""
        return self.control.autostart

    @autostart.setter
    def autostart(self, value: bool) -> None:
        self.control.autostart = value

    @property
    def online(self) -> bool:
        """Whether requests should be tried now (false while a reconnect is under way)."""
        return not self.status.is_offline

    async def connect(self) -> None:
        """Make sure a daemon answers (starting it when allowed); reports offline when none does."""
        try:
            if self.autostart:
                await self.control.ensure_daemon()
            elif not await self.control.is_running():
                raise DaemonUnavailableError(f"no daemon answers on {self.control.socket}")
        except DaemonUnavailableError as exc:
            self.went_offline(exc.message)
            return
        # Open the completions' own connection now, so the first completion does not pay for it.
        await self.streams.is_running()

    def went_offline(self, reason: str) -> None:
        """The daemon stopped answering: tell the user once and reconnect in the background."""
        self.status.offline(reason.splitlines()[0][:200])
        if self._reconnect is None or self._reconnect.done():
            self._reconnect = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            try:
                if self.autostart:
                    await self.control.ensure_daemon()
                    break
                if await self.control.is_running():
                    break
            except DaemonUnavailableError as exc:
                log.info("daemon still unavailable: %s", exc.message)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
        self.status.online()

    async def complete_stream(self, request: CompleteRequest) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Stream a completion; an ``error`` event is raised as its exception class.

        Closing this iterator (or cancelling its consumer) closes the HTTP connection, which
        cancels the provider stream at the daemon.
        """
        # Over the socket the client maps every connection failure to ``DaemonUnavailableError``.
        stream = self.streams.complete_stream(request)
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for kind, data in stream:
                if kind == "error":
                    raise error_from_payload(data)
                yield kind, data

    async def ask(self, request: AskRequest) -> AskResponse:
        """Route and run one prompt (code actions)."""
        return await self.control.ask(request)

    async def feedback(self, trace_id: str, score: float, comment: str) -> FeedbackResponse:
        """Record a quality signal from the editor (never starts the daemon: a signal sent while the
        editor closes must not leave a daemon behind)."""
        return await self.streams.feedback(FeedbackRequest(trace_id=trace_id, score=score, source="editor",
                                                           comment=comment))

    async def aclose(self) -> None:
        """Stop reconnecting and close both connection pools."""
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        await self.streams.aclose()
        await self.control.aclose()


__all__ = ["DaemonLink"]
