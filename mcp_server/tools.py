"""The tools an agent calls. Each docstring is the description the agent reads to choose a tool.

Every tool is a thin call of the daemon as the developer behind the request (``SwitchboardState``);
daemon errors come back as ``is_error`` results that say what to do next (``mcp_server.errors``),
and every result carries structured content (checked against the tool's output schema) plus a
readable text version (``mcp_server.render``).
"""

from __future__ import annotations

import contextlib
import inspect
import time
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from daemon.errors import SwitchboardError, error_from_payload
from daemon.wire import (
    AskRequest,
    AskResponse,
    BudgetStatus,
    ConsensusRequest,
    ContextFile,
    DecisionInfo,
    FeedbackRequest,
    FeedbackResponse,
    Priority,
    RouteRequest,
    TaskTypeName,
    TraceSummary,
)
from mcp_server import render
from mcp_server.errors import refusal, tool_error
from mcp_server.models import (
    MAX_ANSWER_CHARS,
    MAX_FILES,
    MAX_MATRIX_CELLS,
    MAX_PROMPT_CHARS,
    MAX_TEXT_EXCERPT,
    MAX_TRACES,
    ConsensusResult,
    MatrixResult,
    RunTaskResult,
    TraceExplanation,
    TraceListResult,
)
from mcp_server.resources import BUDGET_URI, MATRIX_URI, TRACES_URI, trace_uri
from mcp_server.state import SwitchboardState

PROGRESS_INTERVAL = 0.25
"""Seconds between progress notifications while an answer streams in."""

Prompt = Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_CHARS,
                              description="The task, self-contained: the model sees nothing else but the files.")]
Files = Annotated[list[ContextFile] | None, Field(
    max_length=MAX_FILES, description="Context files or excerpts ({path, content}) sent ahead of the prompt.")]
TaskHint = Annotated[TaskTypeName | None, Field(description="Task type hint; leave empty to let the classifier decide.")]
PriorityArg = Annotated[Priority, Field(description="'critical' keeps the frontier tier even when the budget is tight.")]
ModelArg = Annotated[str, Field(max_length=200, description="'auto' (route), 'auto:<policy>', or a configured model name.")]
TraceId = Annotated[str, Field(min_length=1, max_length=64, description="A trace id from run_task, consensus or recent_traces.")]


def _state(ctx: Context) -> SwitchboardState:
    return ctx.request_context.lifespan_context


def _client(ctx: Context):
    return _state(ctx).client(ctx.request_context.request)


def _result(model: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=model.model_dump(mode="json"))


def _too_big(prompt: str, files: list[ContextFile] | None) -> CallToolResult | None:
    size = len(prompt) + sum(len(f.content) + len(f.path) for f in files or ())
    if size > MAX_PROMPT_CHARS:
        return refusal(f"the prompt and files hold {size} characters, over the {MAX_PROMPT_CHARS} limit",
                       "Send the relevant excerpts of the files, not whole files, and call again.")
    return None


def _cut(text: str | None, limit: int) -> tuple[str | None, bool]:
    if text is None or len(text) <= limit:
        return text, False
    return text[:limit], True


async def route_task(
    prompt: Prompt,
    ctx: Context,
    files: Files = None,
    task_type: TaskHint = None,
    priority: PriorityArg = "normal",
    model: ModelArg = "auto",
) -> Annotated[CallToolResult, DecisionInfo]:
    """Ask which model Switchboard would use for a task, and why, without running it (free, instant).

    Use it to preview a delegation: the chosen model, its fallbacks, the task type and complexity the
    classifier saw, every candidate's predicted quality and cost, and whether the budget stepped the
    request down. To actually run the task, call run_task.
    """
    if refused := _too_big(prompt, files):
        return refused
    request = RouteRequest(prompt=prompt, files=files or [], task_type=task_type, priority=priority,
                           model=model, surface="mcp")
    try:
        decision = await _client(ctx).route(request)
    except SwitchboardError as exc:
        return tool_error(exc)
    decision = decision.model_copy(update={"candidates": decision.candidates[:20]})
    return _result(decision, render.decision(decision))


async def run_task(
    prompt: Prompt,
    ctx: Context,
    files: Files = None,
    task_type: TaskHint = None,
    priority: PriorityArg = "normal",
    max_cost_usd: Annotated[float | None, Field(gt=0, description="Refuse before calling if the worst case costs more.")] = None,
    model: ModelArg = "auto",
    system: Annotated[str | None, Field(max_length=20_000, description="Optional system prompt.")] = None,
    max_tokens: Annotated[int | None, Field(gt=0, le=200_000, description="Cap on the answer's tokens.")] = None,
) -> Annotated[CallToolResult, RunTaskResult]:
    """Delegate a self-contained subtask to the model Switchboard picks (cheapest one good enough), and get the answer.

    Use it for work a smaller or specialised model can do as well as you: drafting tests or docs,
    explaining or summarising code, boilerplate edits, data extraction, quick questions. Put everything
    the model needs in the prompt and files (it sees nothing else). Returns the answer, the model that
    answered, tokens, cost and a trace id (rate it later with rate_result). Reports progress while the
    answer streams; cancelling the call stops the provider call (only what already streamed is billed).
    """
    if refused := _too_big(prompt, files):
        return refused
    request = AskRequest(prompt=prompt, files=files or [], task_type=task_type, priority=priority,
                         max_cost_usd=max_cost_usd, model=model, system=system, max_tokens=max_tokens, surface="mcp")
    state = _state(ctx)
    try:
        answer = await _stream_answer(state.client(ctx.request_context.request), request, ctx)
    except SwitchboardError as exc:
        return tool_error(exc)
    text, truncated = _cut(answer.answer, MAX_ANSWER_CHARS)
    result = RunTaskResult(
        trace_id=answer.trace_id, answer=text or "", truncated=truncated, answer_chars=len(answer.answer),
        model=answer.model, input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
        cost_usd=answer.cost_usd, latency_ms=answer.latency_ms, reason=answer.reason, simulated=answer.simulated,
    )
    await state.watch.changed(TRACES_URI)
    await state.watch.changed(BUDGET_URI)
    return _result(result, render.run(result))


async def _stream_answer(client: Any, request: AskRequest, ctx: Context) -> AskResponse:
    """Run ``request`` as a stream, reporting progress; leaving early closes the stream (and the provider call)."""
    await ctx.report_progress(0, None, "Switchboard is routing the task")
    received, last_report = 0, time.monotonic()
    async with contextlib.aclosing(client.ask_stream(request)) as events:
        async for kind, data in events:
            if kind == "delta":
                received += len(data.get("text", ""))
                now = time.monotonic()
                if now - last_report >= PROGRESS_INTERVAL:
                    last_report = now
                    await ctx.report_progress(received, None, f"{received} characters received")
            elif kind == "done":
                return AskResponse.model_validate({k: v for k, v in data.items() if k != "type"})
            elif kind == "error":
                raise error_from_payload(data)
    raise SwitchboardError("the daemon ended the answer stream without a result; see the daemon log")


async def consensus(
    prompt: Prompt,
    ctx: Context,
    models: Annotated[list[Annotated[str, Field(max_length=200)]] | None, Field(
        max_length=7, description="Models to ask by name; empty lets the router pick diverse strong ones.")] = None,
    n: Annotated[int, Field(ge=2, le=7, description="How many models when the router picks.")] = 3,
    stances: Annotated[list[Annotated[str, Field(max_length=500)]] | None, Field(
        max_length=7, description="Optional stance per model, e.g. 'argue for', 'argue against'.")] = None,
    system: Annotated[str | None, Field(max_length=20_000)] = None,
    priority: PriorityArg = "normal",
) -> Annotated[CallToolResult, ConsensusResult]:
    """Get independent second and third opinions before an irreversible or risky step.

    Use it before a destructive migration, a security-sensitive change, a public API decision or any
    answer you cannot easily verify. Several models answer the same prompt in parallel; you get each
    answer, an agreement score (0..1) and a verdict. On disagreement the tiebreaker's answer is given
    and the case is queued for a person to review. It costs several model calls: do not use it for
    routine work.
    """
    request = ConsensusRequest(prompt=prompt, models=models or [], n=n, stances=stances or [], system=system,
                               priority=priority, surface="mcp")
    state = _state(ctx)
    try:
        response = await state.client(ctx.request_context.request).consensus(request)
    except SwitchboardError as exc:
        return tool_error(exc)
    per_answer = MAX_ANSWER_CHARS // max(1, len(response.answers) + 1)
    truncated = False
    answers = []
    for a in response.answers:
        text, cut = _cut(a.answer, per_answer)
        truncated |= cut
        answers.append(a.model_copy(update={"answer": text}))
    answer, cut = _cut(response.answer, per_answer)
    result = ConsensusResult(
        trace_id=response.trace_id, verdict=response.verdict, agreement=response.agreement, answer=answer,
        answers=answers, truncated=truncated or cut, tiebreaker=response.tiebreaker, review_id=response.review_id,
        cost_usd=response.cost_usd,
    )
    await state.watch.changed(BUDGET_URI)
    return _result(result, render.consensus(result))


async def budget_status(ctx: Context) -> Annotated[CallToolResult, BudgetStatus]:
    """Check your spend against your budget, and what the router will do with your next request.

    Use it before a run of delegations, when run_task reports a step-down or a refusal, or when the
    user asks about cost. Shows spend and reservations this period, the limit, the soft and
    critical-only thresholds, when it resets, and the router's next action in words.
    """
    try:
        status = await _client(ctx).budget()
    except SwitchboardError as exc:
        return tool_error(exc)
    return _result(status, render.budget(status))


async def routing_matrix(
    ctx: Context,
    task_type: TaskHint = None,
    model: Annotated[str | None, Field(max_length=200, description="Only this model's cells.")] = None,
) -> Annotated[CallToolResult, MatrixResult]:
    """See what Switchboard has learned: each model's quality per task type and complexity band.

    Use it to choose a model to name in run_task or consensus, or to understand a routing decision.
    Filter by task type or model to keep the answer short.
    """
    try:
        info = await _client(ctx).matrix(task_type=task_type, model=model)
    except SwitchboardError as exc:
        return tool_error(exc)
    result = MatrixResult(version=info.version, bands=info.bands, cells=info.cells[:MAX_MATRIX_CELLS],
                          total_cells=len(info.cells), truncated=len(info.cells) > MAX_MATRIX_CELLS)
    return _result(result, render.matrix(result))


async def rate_result(
    trace_id: TraceId,
    score: Annotated[float, Field(ge=0, le=1, description="0 = wrong or useless, 1 = exactly right.")],
    ctx: Context,
    comment: Annotated[str | None, Field(max_length=4000, description="What was right or wrong, briefly.")] = None,
) -> Annotated[CallToolResult, FeedbackResponse]:
    """Rate the result of a run_task or consensus call you were able to verify; it teaches the router.

    Use it after you checked an answer (tests passed, the code compiled, the explanation was right or
    wrong). Only rate what you verified: the score moves that model's quality in the routing matrix.
    """
    request = FeedbackRequest(trace_id=trace_id, score=score, comment=comment, source="agent")
    state = _state(ctx)
    try:
        receipt = await state.client(ctx.request_context.request).feedback(request)
    except SwitchboardError as exc:
        return tool_error(exc)
    await state.watch.changed(MATRIX_URI)
    await state.watch.changed(trace_uri(trace_id))
    return _result(receipt, render.feedback(receipt))


async def explain_trace(trace_id: TraceId, ctx: Context) -> Annotated[CallToolResult, TraceExplanation]:
    """Explain what happened to one request: why that model, each attempt, fallbacks, tokens, cost, ratings.

    Use it when a run_task answer was surprising, slow, expensive or failed, before retrying.
    """
    try:
        detail = await _client(ctx).trace(trace_id)
    except SwitchboardError as exc:
        return tool_error(exc)
    result = TraceExplanation(
        explanation=render.explain(detail),
        trace=TraceSummary.model_validate(detail.model_dump(include=set(TraceSummary.model_fields))),
        policy=detail.policy, matrix_version=detail.matrix_version, attempts=detail.attempts[:20],
        prompt_excerpt=_cut(detail.prompt, MAX_TEXT_EXCERPT)[0], answer_excerpt=_cut(detail.answer, MAX_TEXT_EXCERPT)[0],
        feedback=detail.feedback[:20],
    )
    return _result(result, result.explanation)


async def recent_traces(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=MAX_TRACES, description="How many, newest first.")] = 10,
    outcome: Annotated[Literal["ok", "error", "refused", "cancelled"] | None, Field(
        description="Only requests that ended this way.")] = None,
    model: Annotated[str | None, Field(max_length=200, description="Only requests this model answered.")] = None,
) -> Annotated[CallToolResult, TraceListResult]:
    """List your most recent requests through Switchboard (any surface), newest first.

    Use it to find a trace id to rate or explain, or to see what recent delegations cost.
    """
    try:
        listing = await _client(ctx).traces(limit=limit, outcome=outcome, model=model)
    except SwitchboardError as exc:
        return tool_error(exc)
    result = TraceListResult(traces=listing.traces[:limit], count=len(listing.traces[:limit]))
    return _result(result, render.traces(result))


_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_SPENDS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)

TOOLS: list[tuple[Any, str, ToolAnnotations]] = [
    (route_task, "Preview the routing of a task", _READ_ONLY),
    (run_task, "Delegate a task to the right model", _SPENDS),
    (consensus, "Ask several models and compare", _SPENDS),
    (budget_status, "My Switchboard budget", _READ_ONLY),
    (routing_matrix, "The routing matrix", _READ_ONLY),
    (rate_result, "Rate a delegated result",
     ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)),
    (explain_trace, "Explain a request", _READ_ONLY),
    (recent_traces, "My recent requests", _READ_ONLY),
]


def register_tools(server: MCPServer[Any]) -> None:
    """Add every tool to ``server``."""
    for fn, title, hints in TOOLS:
        server.add_tool(fn, title=title, description=inspect.cleandoc(fn.__doc__ or ""), annotations=hints)
