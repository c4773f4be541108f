"""The one status line: is the dashboard live, what is it showing, and is it the demo."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rich.text import Text
from textual.widget import Widget

State = Literal["connecting", "live", "disconnected"]


@dataclass(frozen=True)
class LineState:
    """Everything the status line says."""

    state: State = "connecting"
    detail: str = ""
    developer: str = ""
    everyone: bool = False
    window: str = "24h"
    paused: bool = False
    pending: int = 0
    filters: str = ""
    simulated: bool = False
    demo_workload: bool = False
    attached_pid: int | None = None
    """Set when ``make run`` attached to a daemon it did not start (that daemon's pid)."""
    usable_models: int | None = None


class ConnectionLine(Widget):
    """``● live · alice (all developers) · 24h · [DEMO: simulated providers]``."""

    DEFAULT_CSS = """
    ConnectionLine { height: 1; background: $boost; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.line = LineState()

    def set(self, **changes: object) -> None:
        """Change some of what the line says."""
        self.line = replace(self.line, **changes)  # type: ignore[arg-type]
        self.refresh()

    def render(self) -> Text:
        s = self.line
        text = Text("Switchboard ", "bold", no_wrap=True, overflow="ellipsis")
        if s.state == "live":
            text.append("● live", "bold green")
        elif s.state == "connecting":
            text.append("◌ connecting", "bold yellow")
        else:
            text.append("✖ disconnected", "bold white on red")
        if s.detail:
            text.append(f" {s.detail}", "dim" if s.state == "live" else "red")
        if s.paused:
            text.append(f"  ⏸ paused (+{s.pending})", "bold yellow")
        if s.developer:
            text.append(f" · {s.developer}")
            if s.everyone:
                text.append(" (all developers)", "dim")
        text.append(f" · {s.window}", "bold cyan")
        if s.filters:
            text.append(f" · filter {s.filters}", "yellow")
        if s.simulated or s.demo_workload:
            label = " DEMO: simulated providers" + (", demo workload running " if s.demo_workload else " ")
            text.append(" ")
            text.append(label, "bold black on yellow")
        elif s.state == "live" and s.usable_models == 0:
            text.append(" ")
            text.append(" NO USABLE MODEL: set a provider key ", "bold white on red")
        if s.attached_pid is not None:
            # make run found this daemon running: it did not start it, and quitting leaves it running.
            mode = "" if s.simulated else ", real providers"
            text.append(f" · attached to daemon pid {s.attached_pid}{mode}", "bold magenta")
        return text
