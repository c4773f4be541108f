"""A trace in full as Rich renderables: the decision, its candidates, every attempt, the signals."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from daemon.wire import CandidateInfo, DecisionInfo, TraceDetail
from tui.format import DASH, clock, decision_from_trace, ms, outcome_label, outcome_style, short, usd, when


def _heading(title: str) -> Text:
    return Text(f"\n{title}", "bold underline")


def _table(*columns: str, right: tuple[str, ...] = ()) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, header_style="bold dim", expand=False)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left", no_wrap=True,
                         overflow="ellipsis", max_width=40)
    return table


def summary(t: TraceDetail) -> Text:
    """The first lines: who, when, via what, and how it ended."""
    text = Text()
    text.append(f"trace {t.id}", "bold")
    text.append(f"  {when(t.created_at)} · {t.developer} via {t.surface}\n", "dim")
    text.append("outcome ", "bold")
    text.append(outcome_label(t), outcome_style(t) or "green")
    if t.error_message:
        text.append(f" — {t.error_message}", "red")
    text.append("\nanswered ", "bold")
    text.append(f"{t.model or DASH} in {ms(t.latency_ms)} (ttft {ms(t.ttft_ms)}) · ")
    text.append(f"{t.input_tokens}+{t.output_tokens} tokens")
    if t.cached_tokens or t.reasoning_tokens:
        text.append(f" ({t.cached_tokens} cached, {t.reasoning_tokens} reasoning)")
    text.append(f" · {usd(t.cost_usd)}", "bold")
    text.append("\nquality ", "bold")
    if t.feedback:
        text.append(", ".join(f"{f.get('source', '?')} {float(f.get('score', 0)):.2f}" for f in t.feedback[-3:]))
    else:
        text.append("not rated yet", "dim")
    text.append("  (rate: 1 bad … 5 great)", "dim")
    return text


def decision(t: TraceDetail) -> list[RenderableType]:
    """The policy, the reason and every candidate with its scores."""
    parts: list[RenderableType] = [_heading("Decision")]
    info: DecisionInfo | None = decision_from_trace(t.decision)
    text = Text()
    text.append("policy ", "bold")
    text.append(f"{(info.policy if info else t.policy) or DASH}")
    if info and info.policy_kind and info.policy_kind != info.policy:
        text.append(f" ({info.policy_kind})", "dim")
    text.append(f" · matrix v{(info.matrix_version if info else t.matrix_version) or 0}")
    task = info.task_type if info else t.task_type
    complexity = info.complexity if info else t.complexity
    text.append(f" · task {task or DASH}")
    if complexity is not None:
        text.append(f" · complexity {complexity:.2f}")
    text.append("\nreason ", "bold")
    text.append((info.reason if info else t.reason) or DASH, "italic")
    if info:
        if info.fallbacks:
            text.append("\nfallbacks ", "bold")
            text.append(" → ".join(info.fallbacks))
        if info.stepped_down:
            text.append("\nstepped down to a cheaper tier (budget)", "yellow")
        if t.decision and t.decision.get("explored"):
            text.append("\nexploration: a less-tried model was picked on purpose to learn about it", "cyan")
        if info.escalation_model:
            text.append(f"\nescalates to {info.escalation_model} below confidence {info.confidence_threshold}")
        if info.consensus_models:
            text.append(f"\nconsensus {', '.join(info.consensus_models)} (tiebreaker {info.tiebreaker or DASH})")
        if info.features:
            text.append("\nclassified by ", "bold")
            text.append(features_line(info.features), "dim")
    parts.append(text)
    if info and info.candidates:
        table = _table("model", "tier", "quality", "latency", "max cost", "rank", "why not",
                       right=("quality", "latency", "max cost", "rank"))
        chosen_info = next((c for c in info.candidates if c.model == info.model), None)
        floor = quality_floor(info.reason)
        for c in sorted(info.candidates, key=lambda c: (not c.eligible, -(c.score or 0))):
            chosen = c.model == info.model
            style = "bold green" if chosen else ("" if c.eligible else "dim")
            table.add_row(
                ("▶ " if chosen else "  ") + c.model, c.tier or DASH,
                f"{c.predicted_quality:.2f}" if c.predicted_quality is not None else DASH,
                ms(c.predicted_latency_ms), usd(c.predicted_cost_usd),
                f"{c.score:.3f}" if c.score is not None else DASH,
                "chosen" if chosen else why_not(c, chosen_info, floor), style=style,
            )
        parts.append(table)
        note = Text("quality: predicted for this request · max cost: a worst case, the prompt plus the full answer "
                    "budget (max_tokens) at the model's prices", "dim")
        if t.cost_usd and chosen_info is not None and chosen_info.predicted_cost_usd:
            note.append(f"; this one cost {usd(t.cost_usd)}", "dim")
        note.append(" · rank: the policy's score, highest wins", "dim")
        parts.append(note)
    elif t.decision and not info:
        parts.append(Text(short(json.dumps(t.decision), 2000), "dim"))
    return parts


def quality_floor(reason: str | None) -> float | None:
    """The quality floor the router's reason names (``… above floor 0.59 …``), if any."""
    match = re.search(r"floor (\d(?:\.\d+)?)", reason or "")
    return float(match.group(1)) if match else None


def why_not(c: CandidateInfo, chosen: CandidateInfo | None, floor: float | None) -> str:
    """Why a candidate did not serve: its exclusion, the quality floor, or what the chosen one beat it on."""
    if not c.eligible:
        return c.excluded_reason or "not eligible"
    if floor is not None and c.predicted_quality is not None and c.predicted_quality < floor:
        return f"below the quality floor {floor:.2f}"
    if chosen is None:
        return "ranked lower"
    if c.predicted_cost_usd is not None and chosen.predicted_cost_usd is not None and \
            c.predicted_cost_usd > chosen.predicted_cost_usd:
        return f"costs more than {chosen.model}"
    if c.predicted_quality is not None and chosen.predicted_quality is not None and \
            c.predicted_quality < chosen.predicted_quality:
        return f"lower quality than {chosen.model}"
    return f"ranked below {chosen.model}"


def features_line(features: dict[str, float | int | str | bool]) -> str:
    """The classifier's inputs that were present, as people read them (``code fence, 120 prompt tokens``)."""
    shown = []
    for key, value in features.items():
        if value is False or value == 0 or value == "":
            continue
        name = key.replace("_", " ")
        shown.append(name if value is True else f"{name} {value:.2f}" if isinstance(value, float) else f"{name} {value}")
    return short(", ".join(shown[:10]) + (f" (+{len(shown) - 10} more)" if len(shown) > 10 else ""), 300) or "no features"


def attempts(t: TraceDetail) -> list[RenderableType]:
    """Every provider call, in order."""
    if not t.attempts:
        return [_heading("Attempts"), Text("none (refused before any provider was called)", "dim")]
    table = _table("#", "model", "status", "latency", "ttft", "tokens", "cost",
                   right=("latency", "ttft", "tokens", "cost"))
    errors = Text()
    for a in t.attempts:
        style = "" if a.status in ("ok", "success") else "red"
        table.add_row(str(a.seq), a.model, a.status, ms(a.latency_ms), ms(a.ttft_ms),
                      f"{a.input_tokens}+{a.output_tokens}", usd(a.cost_usd), style=style)
        if a.error_code:
            errors.append(f"#{a.seq} {a.error_code}: {short(a.error_message, 300)}\n", "red")
    errors.rstrip()
    return [_heading("Attempts"), table, errors] if errors else [_heading("Attempts"), table]


def _findings(guard: dict[str, Any] | None) -> Text:
    if not guard:
        return Text("no findings", "dim")
    text = Text()
    for key, value in guard.items():
        if isinstance(value, list):
            value = ", ".join(str(v) if not isinstance(v, dict) else v.get("kind", json.dumps(v)) for v in value) or "none"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
        text.append(f"{key} ", "bold")
        text.append(f"{value}\n")
    text.rstrip()
    return text


def signals(t: TraceDetail) -> list[RenderableType]:
    """Redaction and guard findings, then the quality signals (ratings) received so far."""
    parts: list[RenderableType] = [_heading("Guard and redaction"), _findings(t.guard), _heading("Quality signals")]
    if t.feedback:
        table = _table("when", "source", "score", "comment", right=("score",))
        for f in t.feedback:
            at = f.get("at")
            table.add_row(clock(at) if isinstance(at, (int, float)) else DASH, str(f.get("source", DASH)),
                          f"{float(f.get('score', 0)):.2f}", short(f.get("comment"), 60))
        parts.append(table)
    else:
        parts.append(Text("not rated yet — rate it: 1 (bad) … 5 (great)", "dim"))
    return parts


def texts(t: TraceDetail) -> list[RenderableType]:
    """What was kept of the prompt and the answer (only a hash when text retention is off)."""
    parts: list[RenderableType] = [_heading("Prompt and answer")]
    for label, body, digest, chars in (("prompt", t.prompt, t.prompt_hash, t.prompt_chars),
                                       ("answer", t.answer, t.answer_hash, t.answer_chars)):
        line = Text(f"{label} ", "bold")
        if body:
            line.append(short(body, 600))
        else:
            line.append(f"not kept ({chars} chars, hash {(digest or DASH)[:12]})", "dim")
        parts.append(line)
    return parts


class TraceDetailView(Static):
    """One trace, every section, in a single scrollable renderable."""

    def show(self, trace: TraceDetail) -> None:
        """Render this trace."""
        self.update(Group(summary(trace), *decision(trace), *attempts(trace), *signals(trace), *texts(trace)))
