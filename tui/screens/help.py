"""``?``: what the keys do and what the figures mean, for the screen it was opened on."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EVERYWHERE = (
    ("o / r / m", "overview, review queue, routing matrix"),
    ("?", "this help (esc closes it)"),
    ("ctrl+p", "command palette: every action by name"),
    ("q", "quit (make run also stops the daemon and demo workload it started)"),
)

KEYS = {
    "overview": (
        ("1 2 3 4", "figures over the last 1h, 24h, 7d, 30d"),
        ("↑ ↓ pgup pgdn", "move in the tail; the tail stops following and counts what arrives below"),
        ("end / esc", "follow the newest trace again"),
        ("enter", "open the highlighted trace"),
        ("p", "pause the tail (new traces are held and counted) / resume"),
        ("f", "filter the tail: developer, model, surface, outcome (ok, error, refused, fallback, escalated…)"),
        ("a", "admins: my figures / every developer's"),
    ),
    "trace": (("1-5", "rate this answer 0, .25, .5, .75, 1 (feeds the routing matrix)"), ("esc", "back")),
    "reviews": (("↑ ↓", "choose a disagreement"), ("1-7", "pick that answer: its model gets the credit"),
                ("d", "dismiss"), ("ctrl+r", "reload")),
    "matrix": (("arrows", "move; the table scrolls sideways when models do not fit"), ("ctrl+r", "reload")),
}

MEANING = {
    "overview": (
        "Spend: █ spent, ▒ reserved by requests in flight, ┃ soft and critical thresholds, ◆ where the last hour's "
        "burn rate leads by the reset (» past the limit). The percentage is of spent + reserved, as the budget checks.",
        "Routing: share of requests per model; 'refused' ones (budget, guard, no route) reached no model.",
        "Rates: fallback (a fallback model answered), escalate (cascade asked a stronger model), error, refused.",
        "Savings: what was spent against sending everything to the comparison model, with the quality evidence.",
        "Tail colours: yellow fallback, cyan escalation, red error or refusal. Columns: dev = developer, "
        "policy = the routing policy that decided (pin = the caller named the model).",
    ),
    "matrix": (
        "Each figure is the quality the router uses for that band: its own lookup, where a cell's outcomes are "
        "blended with the model's record and its prior. (n) outcomes behind the cell; ~ backed off to the model's "
        "wider record; · prior only. ● changed since you last looked.",
    ),
    "reviews": ("Consensus disagreements: the models answered differently, so a person decides.",),
    "trace": ("The decision, every attempt, tokens and cost, guard findings and the quality signals of one request.",),
}


class HelpScreen(ModalScreen[None]):
    """Keys and meanings for one screen; any of escape, ? or q closes it."""

    BINDINGS = [Binding("escape", "dismiss_help", "Close"), Binding("question_mark", "dismiss_help", "Close"),
                Binding("q", "dismiss_help", "Close")]

    def __init__(self, screen: str) -> None:
        super().__init__()
        self.screen_name = screen

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in (*KEYS.get(self.screen_name, ()), *EVERYWHERE):
            table.add_row(key, what)
        with VerticalScroll(id="help-dialog", classes="panel") as dialog:
            dialog.border_title = f"Help · {self.screen_name}"
            dialog.border_subtitle = "esc: close"
            yield Static(table)
            for line in MEANING.get(self.screen_name, ()):
                yield Static(Text(line, "dim"), classes="help-meaning")

    def action_dismiss_help(self) -> None:
        """Close the help."""
        self.dismiss(None)
