"""Readable text for each tool result: the fallback a client shows when it ignores structured content."""

from __future__ import annotations

from daemon.wire import BudgetStatus, DecisionInfo, FeedbackResponse, TraceDetail, TraceSummary
from mcp_server.models import ConsensusResult, MatrixResult, RunTaskResult, TraceListResult


def usd(value: float | None) -> str:
    """Dollars with enough digits for sub-cent calls."""
    return "-" if value is None else f"${value:.6f}"


def decision(d: DecisionInfo) -> str:
    """route_task."""
    lines = [f"Switchboard would send this to {d.model} ({d.reason})",
             f"task type {d.task_type}, complexity {d.complexity:.2f}, policy {d.policy}, matrix v{d.matrix_version}"]
    if d.fallbacks:
        lines.append("fallbacks: " + ", ".join(d.fallbacks))
    if d.stepped_down:
        lines.append("the budget stepped this request down to a cheaper tier")
    for c in d.candidates[:10]:
        if c.eligible:
            lines.append(f"  {c.model:<20} quality {c.predicted_quality or 0:.2f}  cost {usd(c.predicted_cost_usd)}  "
                         f"score {c.score if c.score is not None else '-'}")
        else:
            lines.append(f"  {c.model:<20} excluded: {c.excluded_reason}")
    return "\n".join(lines)


def run(r: RunTaskResult) -> str:
    """run_task: the answer first, then one line of accounting."""
    cut = f"\n[answer cut at {len(r.answer)} of {r.answer_chars} characters; the trace keeps it all]" if r.truncated else ""
    return (f"{r.answer}{cut}\n\n— {r.model}{' (simulated)' if r.simulated else ''} · "
            f"{r.input_tokens}+{r.output_tokens} tokens · {usd(r.cost_usd)} · {r.latency_ms:.0f} ms · trace {r.trace_id}")


def consensus(r: ConsensusResult) -> str:
    """consensus: verdict, agreement, then each model's answer."""
    head = f"Verdict: {r.verdict} (agreement {r.agreement:.0%}, cost {usd(r.cost_usd)}, trace {r.trace_id})"
    if r.review_id is not None:
        head += f"\nThe disagreement is queued for review as #{r.review_id}."
    parts = [head]
    if r.answer:
        parts.append(f"Answer{' (tiebreaker ' + r.tiebreaker + ')' if r.tiebreaker else ''}:\n{r.answer}")
    for a in r.answers:
        body = a.answer if a.answer is not None else f"failed: {a.error}"
        parts.append(f"--- {a.model} (group {a.group if a.group is not None else '-'}):\n{body}")
    return "\n\n".join(parts)


def budget(b: BudgetStatus) -> str:
    """budget_status."""
    if not b.budgets:
        return "No budget is set for you: requests are not limited by spend."
    lines = []
    for x in b.budgets:
        lines.append(f"{x.scope} {x.name}: {usd(x.spent_usd)} spent + {usd(x.reserved_usd)} reserved of "
                     f"{usd(x.limit_usd)} this {x.period} ({x.fraction_used:.0%}, state {x.state}); {x.next_action}")
    return "\n".join(lines)


def matrix(m: MatrixResult) -> str:
    """routing_matrix."""
    lines = [f"Routing matrix v{m.version}: {m.total_cells} cells" + (f", showing {len(m.cells)}" if m.truncated else "")]
    for c in m.cells:
        lines.append(f"  {c.task_type:<16} band {c.band}  {c.model:<20} quality {c.quality:.2f} "
                     f"(evidence {c.evidence:.0f})")
    return "\n".join(lines)


def feedback(f: FeedbackResponse) -> str:
    """rate_result."""
    return f"Recorded your rating of trace {f.trace_id}; the routing matrix is now v{f.matrix_version}."


def trace_line(t: TraceSummary) -> str:
    """One trace on one line."""
    return (f"{t.id}  {t.outcome:<9} {(t.model or '-'):<20} {t.task_type or '-':<15} "
            f"{t.latency_ms:>7.0f} ms  {usd(t.cost_usd)}  via {t.surface}")


def traces(r: TraceListResult) -> str:
    """recent_traces."""
    if not r.traces:
        return "No traces yet."
    return "\n".join(trace_line(t) for t in r.traces)


def explain(t: TraceDetail) -> str:
    """The story of one request, in words."""
    parts = [f"Request {t.id} from {t.developer} via {t.surface} ended {t.outcome}."]
    if t.task_type:
        complexity = f", complexity {t.complexity:.2f}" if t.complexity is not None else ""
        parts.append(f"It was classified as {t.task_type}{complexity}.")
    if t.reason:
        parts.append(f"The router ({t.policy or 'default policy'}, matrix v{t.matrix_version or 0}) chose "
                     f"{t.requested_model if t.requested_model and t.requested_model != 'auto' else 'a model'}: {t.reason}.")
    for a in t.attempts:
        what = f"failed with {a.error_code}: {a.error_message}" if a.error_code else a.status
        parts.append(f"Attempt {a.seq} on {a.model}: {what} after {a.latency_ms:.0f} ms ({usd(a.cost_usd)}).")
    if t.fallback_used:
        parts.append("A fallback model answered.")
    if t.escalated:
        parts.append("The cascade escalated to a stronger model.")
    if t.model:
        parts.append(f"{t.model} answered with {t.input_tokens}+{t.output_tokens} tokens in {t.latency_ms:.0f} ms "
                     f"for {usd(t.cost_usd)}.")
    if t.error_code:
        parts.append(f"Error {t.error_code}: {t.error_message or ''}".rstrip())
    for f in t.feedback:
        parts.append(f"Rated {f.get('score')} by {f.get('source')}" + (f": {f.get('comment')}" if f.get("comment") else "."))
    return " ".join(parts)
