"""The bridge's daemon-facing half: the link, the completion engine and the evidence they share.

Kept apart from ``lsp.server`` (pygls) so that it loads without pygls: ``lsp.prelude`` serves the
editor's first completions with it while pygls is still loading.
"""

from __future__ import annotations

import asyncio

from lsp.completion import CompletionEngine
from lsp.evidence import Evidence
from lsp.link import DaemonLink
from lsp.status import StatusReporter


class Bridge:
    """What the language server talks to the daemon through."""

    def __init__(self, status: StatusReporter, socket: str | None, data_dir: str | None, *, autostart: bool) -> None:
        self.link = DaemonLink(status, socket, data_dir=data_dir, autostart=autostart)
        self.evidence = Evidence(self.link.feedback)
        self.engine = CompletionEngine(self.link, status, self.evidence)
        self._connecting: asyncio.Task[None] | None = None

    def connect(self) -> asyncio.Task[None]:
        """Connect to (or start) the daemon, once: the first caller starts it, later ones await the same."""
        if self._connecting is None:
            self._connecting = asyncio.get_running_loop().create_task(self.link.connect())
        return self._connecting
