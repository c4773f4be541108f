"""``switchboard report``: what routing saved, as text for a terminal and as an HTML page to share.

Pure renderers of a ``Savings`` value. The HTML page is one self-contained file (inline CSS and
SVG plots, no script, nothing fetched), so it opens anywhere and can be mailed as is.
"""

from __future__ import annotations

import html
import time

from daemon.client.figures import savings_text, usd
from daemon.wire import ModelValue, Savings, SavingsGroup


def _quality(value: float | None, rated: int) -> str:
    return "–" if value is None else f"{value:.2f} ({rated})"


def _group_rows(title: str, groups: list[SavingsGroup], baseline: str) -> list[str]:
    head = f"  {title:<20} {'requests':>8} {'spent':>10} {'if ' + baseline:>16} {'saved':>10}  quality (rated)"
    lines = [head]
    for g in groups:
        lines.append(f"  {g.key[:20]:<20} {g.requests:>8} {usd(g.spend_usd):>10} {usd(g.baseline_usd):>16} "
                     f"{usd(g.baseline_usd - g.spend_usd):>10}  {_quality(g.quality, g.rated)}")
    return lines


def _model_rows(models: list[ModelValue]) -> list[str]:
    lines = [f"  {'model':<20} {'requests':>8} {'spent':>10} {'quality (rated)':>16} {'$ per quality point':>20}"]
    for m in models:
        lines.append(f"  {m.model[:20]:<20} {m.requests:>8} {usd(m.spend_usd):>10} {_quality(m.quality, m.rated):>16} "
                     f"{usd(m.cost_per_quality_point):>20}")
    return lines


def report_text(s: Savings, *, whose: str) -> str:
    """The report for a terminal."""
    since = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.since))
    lines = [f"Switchboard report: {whose}, the last {s.window} (since {since})"]
    if not s.requests:
        lines.append(f"  No answered requests in this window: nothing to compare with {s.baseline_model} yet.")
        return "\n".join(lines)
    money, evidence = savings_text(s)
    lines += [f"  {s.requests} answered requests: {money}.", f"  {evidence[0].upper()}{evidence[1:]}.", ""]
    for title, groups in (("by day", s.by_day), ("by surface", s.by_surface), ("by developer", s.by_developer)):
        lines += [*_group_rows(title, groups, s.baseline_model), ""]
    lines += _model_rows(s.by_model)
    lines.append("")
    lines.append(f"  The counterfactual is each answered request's own tokens at {s.baseline_model}'s prices; "
                 "quality is the mean score of rated answers (editor accepts, ratings, reviews, the judge).")
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------------

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1d2733; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.headline { font-size: 1.25rem; margin: 1rem 0 .3rem; } .saved { color: #1b7f3b; font-weight: 600; }
.overspent { color: #b3261e; font-weight: 600; } .muted { color: #5b6673; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: right; padding: .25rem .6rem; border-bottom: 1px solid #e3e7ec; }
th:first-child, td:first-child { text-align: left; }
figure { margin: .5rem 0 1rem; } figcaption { color: #5b6673; font-size: .9rem; }
.legend span { display: inline-block; margin-right: 1rem; } .swatch { display: inline-block; width: .8rem;
height: .8rem; margin-right: .3rem; vertical-align: -1px; }
"""
SPENT, BASELINE, QUALITY = "#2f6fdb", "#c9ced6", "#8a4fd6"


def _bars(groups: list[SavingsGroup], caption: str, plot_id: str) -> str:
    """Grouped bars: spent vs the counterfactual, one pair per group, as an inline SVG."""
    if not groups:
        return ""
    peak = max(max(g.baseline_usd, g.spend_usd) for g in groups) or 1.0
    label_w, bar_h, gap, width = 150, 12, 10, 640
    height = len(groups) * (2 * bar_h + gap) + 10
    parts = [f'<svg id="{plot_id}" class="plot" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    scale = (width - label_w - 90) / peak
    for i, g in enumerate(groups):
        y = 5 + i * (2 * bar_h + gap)
        key = html.escape(g.key)
        parts.append(f'<text x="0" y="{y + bar_h + 4}" font-size="12">{key}</text>')
        for j, (value, colour, name) in enumerate(((g.spend_usd, SPENT, "spent"), (g.baseline_usd, BASELINE, "baseline"))):
            w = max(1.0, value * scale)
            parts.append(f'<rect class="bar {name}" x="{label_w}" y="{y + j * bar_h}" width="{w:.1f}" '
                         f'height="{bar_h - 2}" fill="{colour}"><title>{key} {name} {usd(value)}</title></rect>')
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + j * bar_h + bar_h - 3}" font-size="11">'
                         f'{usd(value)}</text>')
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _cpq_bars(models: list[ModelValue]) -> str:
    rated = [m for m in models if m.cost_per_quality_point is not None]
    if not rated:
        return '<p class="muted">No rated answers yet: cost per quality point needs ratings.</p>'
    peak = max(m.cost_per_quality_point or 0.0 for m in rated) or 1.0
    width, bar_h = 640, 18
    height = len(rated) * (bar_h + 6) + 6
    parts = [f'<svg id="plot-cost-per-quality" class="plot" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, m in enumerate(rated):
        y = 4 + i * (bar_h + 6)
        w = max(1.0, (m.cost_per_quality_point or 0.0) / peak * (width - 400))  # room for the label
        parts.append(f'<text x="0" y="{y + bar_h - 5}" font-size="12">{html.escape(m.model)}</text>')
        parts.append(f'<rect class="bar cpq" x="150" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{QUALITY}">'
                     f'<title>{html.escape(m.model)} {usd(m.cost_per_quality_point)}</title></rect>')
        parts.append(f'<text x="{154 + w:.1f}" y="{y + bar_h - 5}" font-size="11">{usd(m.cost_per_quality_point)} '
                     f'(quality {m.quality:.2f}, {m.rated} rated)</text>')
    parts.append("</svg>")
    return (f"<figure>{''.join(parts)}<figcaption>Cost per quality point per model: spend of its rated answers "
            "divided by the scores they earned (lower is better value).</figcaption></figure>")


def _table(title: str, groups: list[SavingsGroup], baseline: str) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(g.key)}</td><td>{g.requests}</td><td>{usd(g.spend_usd)}</td><td>{usd(g.baseline_usd)}</td>"
        f"<td>{usd(g.baseline_usd - g.spend_usd)}</td><td>{_quality(g.quality, g.rated)}</td></tr>" for g in groups)
    return (f"<table><tr><th>{html.escape(title)}</th><th>requests</th><th>spent</th><th>if {html.escape(baseline)}</th>"
            f"<th>saved</th><th>quality (rated)</th></tr>{rows}</table>")


def report_html(s: Savings, *, whose: str) -> str:
    """The report as one self-contained HTML page with its plots."""
    since = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.since))
    title = f"Switchboard report: {whose}, the last {s.window}"
    body = [f"<h1>{html.escape(title)}</h1>", f'<p class="muted">Since {since}; compared with sending every '
            f"answered request to <b>{html.escape(s.baseline_model)}</b>.</p>"]
    if not s.requests:
        body.append('<p class="headline">No answered requests in this window yet.</p>')
    else:
        money, evidence = savings_text(s)
        cls = "saved" if s.saved_usd >= 0 else "overspent"
        body += [f'<p class="headline" id="headline"><span class="{cls}">{html.escape(money)}</span></p>',
                 f'<p id="quality">{html.escape(evidence[0].upper() + evidence[1:])}.</p>',
                 f'<p class="legend"><span><i class="swatch" style="background:{SPENT}"></i>spent (routed)</span>'
                 f'<span><i class="swatch" style="background:{BASELINE}"></i>if everything had gone to '
                 f"{html.escape(s.baseline_model)}</span></p>"]
        for heading, groups, plot_id in (("By day", s.by_day, "plot-by-day"), ("By surface", s.by_surface,
                                         "plot-by-surface"), ("By developer", s.by_developer, "plot-by-developer")):
            body += [f"<h2>{heading}</h2>", _bars(groups, f"{heading}: spent vs {s.baseline_model}", plot_id),
                     _table(heading.lower(), groups, s.baseline_model)]
        rows = "".join(f"<tr><td>{html.escape(m.model)}</td><td>{m.requests}</td><td>{usd(m.spend_usd)}</td>"
                       f"<td>{_quality(m.quality, m.rated)}</td><td>{usd(m.cost_per_quality_point)}</td></tr>"
                       for m in s.by_model)
        body += ["<h2>Per model</h2>", _cpq_bars(s.by_model),
                 "<table><tr><th>model</th><th>requests</th><th>spent</th><th>quality (rated)</th>"
                 f"<th>$ per quality point</th></tr>{rows}</table>",
                 f'<p class="muted">The counterfactual is each answered request\'s own tokens at '
                 f"{html.escape(s.baseline_model)}'s prices. Quality is the mean score of rated answers (editor "
                 "accepts, agent ratings, review choices, the judge).</p>"]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
            f"<body>{''.join(body)}</body></html>\n")
