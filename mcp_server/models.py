"""What each tool returns: the output schema agents see, and the size limits that keep it small.

Where the daemon's wire model already says the right thing (a routing decision, a budget, a
feedback receipt) the tool returns it as is; the others wrap it with the fields an agent needs
(``truncated``, totals) so a large answer or matrix never floods the agent's context.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from daemon.wire import (
    AttemptInfo,
    ConsensusAnswer,
    MatrixCellInfo,
    TraceSummary,
)

MAX_PROMPT_CHARS = 400_000
"""The largest prompt (plus context files) a tool accepts; agents should send excerpts, not repositories."""
MAX_FILES = 50
MAX_ANSWER_CHARS = 60_000
"""Answers longer than this are cut (``truncated``); the full text stays in the trace."""
MAX_MATRIX_CELLS = 200
MAX_TRACES = 50
MAX_TEXT_EXCERPT = 4_000
"""How much of a trace's prompt and answer ``explain_trace`` shows."""


class ToolOutput(BaseModel):
    """Base of the tool outputs: strict, so the published schema is exactly what is sent."""

    model_config = ConfigDict(extra="forbid")


class RunTaskResult(ToolOutput):
    """The answer of a delegated task and what it cost."""

    trace_id: str = Field(description="Pass to rate_result or explain_trace.")
    answer: str
    truncated: bool = Field(False, description="True when the answer was cut to fit; the full text is in the trace.")
    answer_chars: int
    model: str = Field(description="The model that really answered.")
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    reason: str | None = Field(None, description="Why the router chose this model.")
    simulated: bool = False


class ConsensusResult(ToolOutput):
    """Several models' answers to one prompt, how much they agree, and the verdict."""

    trace_id: str
    verdict: Literal["agree", "disagree", "failed"]
    agreement: float = Field(description="Share of answers in the largest agreeing group, 0..1.")
    answer: str | None = Field(None, description="The majority answer, or the tiebreaker's on disagreement.")
    answers: list[ConsensusAnswer]
    truncated: bool = False
    tiebreaker: str | None = None
    review_id: int | None = Field(None, description="Set when the disagreement was queued for a person.")
    cost_usd: float = 0.0


class MatrixResult(ToolOutput):
    """The routing matrix (or the filtered part of it)."""

    version: int
    bands: list[float] = Field(default_factory=list, description="Upper edges of the complexity bands.")
    cells: list[MatrixCellInfo]
    total_cells: int
    truncated: bool = False


class TraceExplanation(ToolOutput):
    """What happened to one request, in words and in data."""

    explanation: str
    trace: TraceSummary
    policy: str | None = None
    matrix_version: int | None = None
    attempts: list[AttemptInfo] = Field(default_factory=list)
    prompt_excerpt: str | None = None
    answer_excerpt: str | None = None
    feedback: list[dict[str, object]] = Field(default_factory=list)


class TraceListResult(ToolOutput):
    """The most recent requests, newest first."""

    traces: list[TraceSummary]
    count: int
