"""Typed rows the store hands out and takes in. Plain frozen dataclasses: no driver types leak."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MICROS_PER_USD = 1_000_000


def usd_to_micros(usd: float) -> int:
    """Money is kept as integer micro-dollars so sums are exact to the cent and below."""
    return round(usd * MICROS_PER_USD)


CHARGED_IN_FLIGHT = (
    "the daemon stopped while this request was in flight; what it reserved is charged, as its provider "
    "may have answered and billed it"
)
"""The error message of the stub trace of a request a crash left open (its reservation is charged)."""


def carried_id(budget_id: int, period_start: float) -> str:
    """The ledger's trace id for spend made before a budget existed in its period (no trace has it)."""
    return f"carried:{budget_id}:{period_start:.0f}"


def micros_to_usd(micros: int) -> float:
    """Back to dollars for display and the wire."""
    return micros / MICROS_PER_USD


@dataclass(frozen=True)
class Developer:
    """A person (or a bot) whose requests are routed, budgeted and traced."""

    id: int
    name: str
    os_user: str | None
    team_id: int | None
    is_admin: bool
    created_at: float


@dataclass(frozen=True)
class Team:
    """A group of developers sharing a budget."""

    id: int
    name: str
    created_at: float


@dataclass(frozen=True)
class Budget:
    """A limit in USD per calendar period for a developer, a team, or the evaluation job."""

    id: int
    scope: str  # "developer" | "team" | "eval"
    scope_id: int
    period: str  # "day" | "week" | "month"
    limit_micros: int
    soft_threshold: float | None
    critical_only_threshold: float | None


@dataclass(frozen=True)
class Reservation:
    """An open claim on one or more budgets for one in-flight request."""

    trace_id: str
    budget_ids: tuple[int, ...]
    reserved_micros: int


@dataclass(slots=True)
class AttemptRecord:
    """One call to one deployment within a request (read-only by convention, like ``TraceRecord``)."""

    seq: int
    model: str
    status: str  # "ok" | "error" | "cancelled"
    started_at: float
    latency_ms: float
    ttft_ms: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micros: int = 0


@dataclass(slots=True)
class TraceRecord:
    """Everything Switchboard knows about one request once it has finished.

    Read-only by convention, not frozen: one is built per request, and a frozen dataclass of this
    many fields costs several times more to construct (a guarded ``object.__setattr__`` per field).
    """

    id: str
    developer_id: int
    surface: str
    created_at: float
    outcome: str  # "ok" | "error" | "refused" | "cancelled"
    latency_ms: float
    requested_model: str | None = None
    chosen_model: str | None = None
    answered_model: str | None = None
    task_type: str | None = None
    complexity: float | None = None
    policy: str | None = None
    matrix_version: int | None = None
    reason: str | None = None
    decision: dict[str, Any] | None = None
    ttft_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_micros: int = 0
    error_code: str | None = None
    error_message: str | None = None
    prompt: str | None = None
    prompt_hash: str | None = None
    prompt_chars: int = 0
    answer: str | None = None
    answer_hash: str | None = None
    answer_chars: int = 0
    guard: dict[str, Any] | None = None
    fallback_used: bool = False
    escalated: bool = False
    host: str | None = None
    embedding: bytes | None = None
    """The ask's memory vector (``MEMORY_DIMS`` float16, 128 bytes), kept so that a quality signal
    arriving later becomes a learned outcome; None without the embedder, and in rows older than it."""
    difficulty: float | None = None
    """The ask's difficulty at decision time (the logit of its complexity)."""
    attempts: tuple[AttemptRecord, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TraceQuery:
    """Filters for listing traces. ``developer_id=None`` means every developer (admins only)."""

    developer_id: int | None = None
    model: str | None = None
    surface: str | None = None
    outcome: str | None = None
    since: float | None = None
    limit: int = 50


@dataclass(frozen=True)
class Feedback:
    """A quality signal for a trace: editor accept/reject, agent rating, consensus, verifier, judge."""

    id: int
    trace_id: str
    developer_id: int | None
    source: str
    score: float
    comment: str | None
    created_at: float


@dataclass(frozen=True)
class ReviewItem:
    """A consensus disagreement waiting for a person."""

    id: int
    trace_id: str
    developer_id: int
    status: str  # "open" | "resolved" | "dismissed"
    answers: tuple[dict[str, Any], ...]
    chosen_index: int | None
    created_at: float
    resolved_at: float | None


@dataclass(frozen=True)
class MatrixRow:
    """One cell of the routing matrix as stored: (task type, complexity band, model) → estimates."""

    task_type: str
    band: int
    model: str
    quality: float
    evidence: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    mean_cost_usd: float | None
    updated_at: float


@dataclass(frozen=True)
class OutcomeRecord:
    """One learned outcome as stored: a prompt (as its memory vector), a model, and how well it did.

    Every quality signal on a trace that kept its vector becomes one (a shadow comparison makes one
    per model compared); the router's outcome memory is rebuilt from the newest of them at start."""

    model: str
    quality: float
    """In [0, 1]."""
    weight: float
    """How much it counts (a person's verdict more than a verifier's)."""
    source: str
    """Where the signal came from: user, agent, editor, consensus, review, verifier, judge, shadow."""
    task_type: str
    difficulty: float
    embedding: bytes
    """The ask's leading ``MEMORY_DIMS`` embedding dimensions as float16 (128 bytes)."""
    created_at: float
    trace_id: str | None = None
    """The trace it came from (kept after retention deletes the trace)."""
    id: int = 0
