"""What the developer did with a suggestion, as quality evidence for the routing matrix.

A suggestion that was shown is pending until it is accepted (the item's command runs: score 1) or
dropped (the user typed something else, or closed the document: score 0). Each trace gets one
signal. Signals are sent off the request path; a failure to send is logged, never raised into a
keystroke.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

ACCEPTED_SCORE = 1.0
REJECTED_SCORE = 0.0

Send = Callable[[str, float, str], Awaitable[object]]
"""``send(trace_id, score, comment)``: post a feedback signal to the daemon."""

log = logging.getLogger(__name__)


class Evidence:
    """Pending shown suggestions per document, and the signals they turn into."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._pending: dict[str, set[str]] = {}
        self._signalled: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def shown(self, uri: str, trace_id: str) -> None:
        """A suggestion of ``trace_id`` is on screen in ``uri``."""
        if trace_id and trace_id not in self._signalled:
            self._pending.setdefault(uri, set()).add(trace_id)

    def still_shown(self, uri: str, trace_id: str) -> None:
        """The user typed through a suggestion: it stays pending, the others in ``uri`` are dropped."""
        for other in list(self._pending.get(uri, ())):
            if other != trace_id:
                self._signal(uri, other, REJECTED_SCORE, "shown in the editor, not accepted")

    def dropped(self, uri: str) -> None:
        """Every suggestion pending in ``uri`` was not accepted (the user moved on)."""
        for trace_id in list(self._pending.get(uri, ())):
            self._signal(uri, trace_id, REJECTED_SCORE, "shown in the editor, not accepted")

    def accepted(self, trace_id: str) -> None:
        """The user accepted the suggestion of ``trace_id``."""
        uri = next((u for u, ids in self._pending.items() if trace_id in ids), "")
        self._signal(uri, trace_id, ACCEPTED_SCORE, "accepted in the editor")

    def _signal(self, uri: str, trace_id: str, score: float, comment: str) -> None:
        self._pending.get(uri, set()).discard(trace_id)
        if trace_id in self._signalled:
            return
        self._signalled.add(trace_id)
        task = asyncio.get_running_loop().create_task(self._post(trace_id, score, comment))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, trace_id: str, score: float, comment: str) -> None:
        try:
            await self._send(trace_id, score, comment)
        except Exception as exc:  # a lost signal must not break the editor; it is logged with its reason
            log.warning("could not record feedback for trace %s: %s", trace_id, exc)

    async def flush(self) -> None:
        """Wait for the signals being sent (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
