"""Where the requests went: share per model (with its tier), per tier and per surface."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widget import Widget

from daemon.wire import Metrics
from tui.format import pct

SURFACES = ("api", "mcp", "lsp", "cli")
TIER_STYLE = {"small": "green", "medium": "cyan", "frontier": "magenta"}


def share_bar(share: float, width: int, style: str) -> Text:
    """A left-aligned bar of ``share`` × ``width`` cells, with eighths for the fraction."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, rest = divmod(eighths, 8)
    text = Text("█" * full, style)
    if rest:
        text.append(" ▏▎▍▌▋▊▉"[rest], style)
    text.append(" " * max(0, width - full - (1 if rest else 0)))
    return text


def counts_line(label: str, counts: dict[str, int], order: tuple[str, ...] = (), width: int = 200) -> Text:
    """``label  a 12% · b 30% …`` in a fixed key order; tighter forms when ``width`` is small."""
    total = sum(counts.values()) or 1
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    if not keys:
        return Text.assemble((f"{label} ", "bold"), ("–", "dim"))
    forms = (
        (" · ", lambda k: k, lambda v: f" {pct(v, 0)}", ""),
        (" ", lambda k: k[:3], lambda v: f" {v * 100:.0f}", "%"),
        (" ", lambda k: k[:1], lambda v: f"{v * 100:.0f}", "%"),
    )
    for separator, name, value, unit in forms:
        text = Text(f"{label}{unit} ", "bold")
        for i, key in enumerate(keys):
            if i:
                text.append(separator, "dim")
            text.append(name(key), TIER_STYLE.get(key, ""))
            text.append(value(counts[key] / total))
        if text.cell_len <= width:
            break
    return text


class Distribution(Widget):
    """The routing distribution of the chosen window."""

    DEFAULT_CSS = """
    Distribution { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._metrics: Metrics | None = None

    def show(self, metrics: Metrics) -> None:
        """Show the distribution of these metrics."""
        self._metrics = metrics
        self.refresh()

    def render(self) -> RenderableType:
        m = self._metrics
        if m is None:
            return Text("…", style="dim")
        width = self.content_size.width
        name_width = min(16, max((len(x.model) for x in m.by_model), default=4))
        bar_width = max(3, width - name_width - 6)
        lines: list[Text] = []
        models = sorted(m.by_model, key=lambda x: -x.requests)
        room = max(1, self.content_size.height - 2 - (1 if m.refused else 0))
        for model in models[:room]:
            line = Text(f"{model.model[:name_width]:<{name_width}} ", TIER_STYLE.get(model.tier or "", ""))
            line.append_text(share_bar(model.share, bar_width, TIER_STYLE.get(model.tier or "", "white")))
            line.append(f"{model.share * 100:4.0f}%")
            lines.append(line)
        if len(models) > room:
            lines[-1] = Text(f"… {len(models) - room + 1} more models", "dim")
        if m.refused:  # refused requests reached no model: their share completes the 100%
            line = Text(f"{'refused':<{name_width}} ", "magenta")
            line.append_text(share_bar(m.refusal_rate, bar_width, "magenta"))
            line.append(f"{m.refusal_rate * 100:4.0f}%")
            lines.append(line)
        if not models:
            lines.append(Text("no requests in this window", "dim"))
        lines.append(counts_line("tier", m.by_tier, tuple(TIER_STYLE), width))
        lines.append(counts_line("via", m.by_surface, SURFACES, width))
        for line in lines:
            line.no_wrap, line.overflow = True, "ellipsis"
        return Group(*lines)
