"""A status the developer can see: busy, slow, budget stepped down, budget exhausted, daemon offline.

Every change, and every answer, goes out as the custom notification ``switchboard/status``
(``{"state", "message", "model", "latency_ms"}``, the last two from the latest answer) for a
status-line integration (``busy`` only once a request has run ``BUSY_AFTER_S``). Conditions that
need the developer's attention are also shown with ``window/showMessage`` — once per episode, never
on every keystroke: the daemon going offline (and coming back), the budget stepping down to cheaper
models, the budget refusing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal

State = Literal["ready", "busy", "slow", "stepped_down", "budget_exceeded", "offline", "error"]

STATUS_NOTIFICATION = "switchboard/status"

Notify = Callable[[str, dict[str, object]], None]
"""Send a custom notification: ``notify(method, params)``."""
Show = Callable[[Literal["error", "warning", "info"], str], None]
"""Show a message to the developer."""

log = logging.getLogger(__name__)

BUSY_AFTER_S = 0.2
"""A request shows as busy once it has run this long. A completion answered sooner would only make
the status line flicker, and the notification is work for the editor while it waits for the answer
(~0.4 ms of each completion in ``bench/lsp_latency.py``)."""


class StatusReporter:
    """Tracks the bridge's state and tells the editor when it changes."""

    def __init__(self, notify: Notify, show: Show, *, busy_after: float = BUSY_AFTER_S) -> None:
        self._notify = notify
        self._show = show
        self.busy_after = busy_after
        self._busy_timer: asyncio.TimerHandle | None = None
        self.state: State = "ready"
        self.message = "Switchboard ready"
        self.model: str | None = None
        self.latency_ms: float | None = None
        self._in_flight = 0
        self._offline = False
        self._stepped_down = False
        self._budget_shown = False
        self._errors_shown: set[str] = set()

    def _set(self, state: State, message: str, *, always: bool = False) -> None:
        if (state, message) == (self.state, self.message) and not always:
            return
        self.state, self.message = state, message
        self._notify(STATUS_NOTIFICATION, {"state": state, "message": message, "model": self.model,
                                           "latency_ms": self.latency_ms})

    def busy(self) -> None:
        """A request went out."""
        self._in_flight += 1
        if self._offline or self.state == "busy" or self._busy_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self.busy_after <= 0:
            self._set("busy", "Switchboard: asking…")
        else:
            self._busy_timer = loop.call_later(self.busy_after, self._still_busy)

    def _still_busy(self) -> None:
        self._busy_timer = None
        if self._in_flight and not self._offline:
            self._set("busy", "Switchboard: asking…")

    def idle(self) -> None:
        """A request is over (whatever its outcome)."""
        self._in_flight = max(0, self._in_flight - 1)
        if self._in_flight == 0:
            if self._busy_timer is not None:
                self._busy_timer.cancel()
                self._busy_timer = None
            if self.state == "busy":
                self._set("ready", "Switchboard ready")

    def answered(self, model: str, latency_ms: float, slow_ms: float, *, stepped_down: bool) -> None:
        """A model answered: clears offline and budget episodes, reports slow or stepped down."""
        self.model, self.latency_ms = model, round(latency_ms, 2)
        if self._offline:
            self._offline = False
            self._show("info", "Switchboard: the daemon is back; completions resume.")
        self._budget_shown = False
        self._errors_shown.clear()
        if stepped_down and not self._stepped_down:
            self._show("warning", "Switchboard: your budget is past its soft limit; completions use cheaper models.")
        self._stepped_down = stepped_down
        if stepped_down:
            self._set("stepped_down", f"Switchboard: budget stepped down ({model})", always=True)
        elif latency_ms > slow_ms:
            self._set("slow", f"Switchboard: slow ({model}, {latency_ms:.0f} ms)", always=True)
        else:
            self._set("ready", f"Switchboard: {model} · {latency_ms:.0f} ms", always=True)

    def offline(self, reason: str) -> None:
        """The daemon does not answer; shown once per outage."""
        if not self._offline:
            self._offline = True
            self._show("warning", f"Switchboard: the daemon is offline ({reason}). "
                                  "Completions pause until it is back; it is being restarted.")
        self._set("offline", "Switchboard: daemon offline")

    def online(self) -> None:
        """The daemon answers again."""
        if self._offline:
            self._offline = False
            self._show("info", "Switchboard: the daemon is back; completions resume.")
        if self.state == "offline":
            self._set("ready", "Switchboard ready")

    @property
    def is_offline(self) -> bool:
        """Whether the daemon is known to be down."""
        return self._offline

    def budget_exceeded(self, message: str) -> None:
        """The budget refused a request; shown once until a request succeeds again."""
        if not self._budget_shown:
            self._budget_shown = True
            self._show("error", f"Switchboard: {message}")
        self._set("budget_exceeded", "Switchboard: budget exhausted")

    def failed(self, code: str, message: str) -> None:
        """Another error: shown once per error code until a request succeeds again."""
        log.warning("request failed: %s: %s", code, message)
        if code not in self._errors_shown:
            self._errors_shown.add(code)
            self._show("warning", f"Switchboard: {message}")
        self._set("error", f"Switchboard: {code}")
