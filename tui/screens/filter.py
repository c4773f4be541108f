"""The filter dialog: show only one developer's, model's, surface's or outcome's traces in the tail."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label

from tui.widgets.tail import OUTCOMES, TailFilter

SURFACES = ["api", "mcp", "lsp", "cli"]


class FilterScreen(ModalScreen[TailFilter | None]):
    """Four fields; empty means everything. Enter applies, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: TailFilter, *, models: list[str], developers: list[str]) -> None:
        super().__init__()
        self.current = current
        self.models = models
        self.developers = developers

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-dialog", classes="panel") as dialog:
            dialog.border_title = "Filter the tail"
            yield Label("developer (admin)")
            yield Input(self.current.developer, id="filter-developer", suggester=SuggestFromList(self.developers))
            yield Label("model")
            yield Input(self.current.model, id="filter-model", suggester=SuggestFromList(self.models))
            yield Label("surface (api, mcp, lsp, cli)")
            yield Input(self.current.surface, id="filter-surface", suggester=SuggestFromList(SURFACES))
            yield Label(f"outcome ({', '.join(OUTCOMES)})")
            yield Input(self.current.outcome, id="filter-outcome", suggester=SuggestFromList(list(OUTCOMES)))
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", variant="primary", id="filter-apply")
                yield Button("Clear", id="filter-clear")

    def _value(self, name: str) -> str:
        return self.query_one(f"#filter-{name}", Input).value.strip()

    def _apply(self) -> None:
        surface = self._value("surface")
        if surface and surface not in SURFACES:
            self.notify(f"surface must be one of {', '.join(SURFACES)}", severity="error")
            return
        outcome = self._value("outcome")
        if outcome and outcome not in OUTCOMES:
            self.notify(f"outcome must be one of {', '.join(OUTCOMES)}", severity="error")
            return
        self.dismiss(TailFilter(developer=self._value("developer"), model=self._value("model"), surface=surface,
                                outcome=outcome))

    def on_input_submitted(self) -> None:
        self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "filter-clear":
            self.dismiss(TailFilter())
        else:
            self._apply()

    def action_cancel(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
