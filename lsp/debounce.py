"""When to ask, and what to stop asking for.

``TypingRhythm`` turns the recent keystroke intervals into a debounce delay: a fast typist waits a
little longer than their usual interval (so a request goes out at a pause, not between two keys),
a slow one waits the base delay. ``Superseder`` keeps one live completion per document: a newer
request cancels the older one, whose stream to the daemon (and so to the provider) is closed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

PAUSE_S = 1.0
"""An interval longer than this is a pause, not typing; it does not feed the rhythm."""

UNWIND_S = 0.05
"""Longest wait for a superseded request to close its stream before the new one starts."""

SMOOTHING = 0.3
"""Weight of the newest interval in the moving average."""


class TypingRhythm:
    """The typing speed of one document, as a moving average of keystroke intervals."""

    def __init__(self) -> None:
        self._last: float | None = None
        self._mean: float | None = None

    def keystroke(self, now: float | None = None) -> None:
        """Record an edit."""
        now = time.monotonic() if now is None else now
        if self._last is not None:
            interval = now - self._last
            if interval < PAUSE_S:
                self._mean = interval if self._mean is None else (1 - SMOOTHING) * self._mean + SMOOTHING * interval
        self._last = now

    def delay(self, base_s: float) -> float:
        """Seconds to wait before asking: at least ``base_s``, at most three times it."""
        if base_s <= 0:
            return 0.0
        if self._mean is None:
            return base_s
        return min(max(base_s, self._mean * 1.3), base_s * 3)

    def since_last(self, now: float | None = None) -> float:
        """Seconds since the last edit (infinite when there was none)."""
        if self._last is None:
            return float("inf")
        return (time.monotonic() if now is None else now) - self._last


@dataclass
class Ticket:
    """One completion request's claim on its document."""

    key: str
    task: asyncio.Task[object] | None
    superseded: bool = False
    superseded_at: float | None = field(default=None, repr=False)
    replaced: asyncio.Task[object] | None = field(default=None, repr=False)
    """The request this one superseded, while it unwinds."""


class Superseder:
    """One live request per key (a document): claiming a key cancels the request holding it."""

    def __init__(self) -> None:
        self._live: dict[str, Ticket] = {}

    def claim(self, key: str) -> Ticket:
        """Take ``key`` for the current task; the previous holder is cancelled as superseded."""
        previous = self._live.get(key)
        ticket = Ticket(key, asyncio.current_task())
        self._live[key] = ticket
        if previous is not None and previous.task is not None and not previous.task.done():
            previous.superseded = True
            previous.superseded_at = time.monotonic()
            previous.task.cancel("superseded by a newer completion request")
            ticket.replaced = previous.task
        return ticket

    @staticmethod
    async def unwound(ticket: Ticket) -> None:
        """Wait (briefly) for the request ``ticket`` replaced to unwind, so that its stream is closed
        before the new request opens one: the daemon sees the disconnect first and stops that
        provider call first."""
        if ticket.replaced is not None and not ticket.replaced.done():
            await asyncio.wait({ticket.replaced}, timeout=UNWIND_S)

    def release(self, ticket: Ticket) -> None:
        """Give the key back when the request is over (if it still holds it)."""
        if self._live.get(ticket.key) is ticket:
            del self._live[ticket.key]

    def cancel(self, key: str) -> None:
        """Cancel the live request of ``key`` (the document changed under it, or was closed)."""
        ticket = self._live.pop(key, None)
        if ticket is not None and ticket.task is not None and not ticket.task.done():
            ticket.superseded = True
            ticket.task.cancel("the document changed")

    def cancel_all(self) -> None:
        """Cancel every live request (shutdown)."""
        for key in list(self._live):
            self.cancel(key)
