"""Typed wire models of the local control API (``/api/...``), shared by the daemon and its clients.

Only pydantic here: the MCP server, the LSP bridge and the TUI import this module, and must start fast.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Surface = Literal["api", "mcp", "lsp", "cli"]
Priority = Literal["normal", "critical"]


class Wire(BaseModel):
    """Base of every wire model: unknown fields are refused so typos fail loudly."""

    # Built on first use: the thin clients import every wire model but use a few, and must start fast.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ErrorBody(Wire):
    """The body of every error: a stable code and a message that says what to do."""

    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorResponse(Wire):
    """``{"error": {...}}``."""

    error: ErrorBody


class Health(Wire):
    """``GET /api/health``."""

    status: Literal["ok"] = "ok"
    version: str
    simulated: bool = False
    """True when the daemon runs on the simulated providers (demo mode)."""


class ModelInfo(Wire):
    """A configured model and whether the router may use it now."""

    name: str
    litellm_model: str
    tier: str
    available: bool
    excluded_reason: str | None = None
    simulated: bool = False
    input_usd_per_mtok: float = 0.0
    output_usd_per_mtok: float = 0.0


class Status(Wire):
    """``GET /api/status``: what this daemon is and how it is configured."""

    version: str
    pid: int | None = None
    """The daemon's process id (None for a developer who is not an admin: pids, paths and the config's
    contents are the owner's business)."""
    started_at: float
    socket: str | None = None
    http: str | None
    """The loopback address really listening (``host:port``), or None when TCP is off."""
    data_dir: str | None = None
    config_path: str | None
    config_loaded_at: float
    config_error: str | None = None
    """The last live reload that was refused (the previous config stays in force)."""
    store_error: str | None = None
    """Set when the database file was deleted or replaced under the running daemon (what it records
    now is lost when it stops), with what to do."""
    simulated: bool = False
    developer: str
    is_admin: bool
    models: list[ModelInfo]


class DeveloperCreate(Wire):
    """``POST /api/developers``."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    admin: bool = False


class KeysRevoked(Wire):
    """``DELETE /api/developers/{name}/keys``: every key of the developer revoked."""

    developer: str
    revoked: int
    """How many live keys were revoked (0: they had none)."""


class DeveloperInfo(Wire):
    """A developer as the API shows it (never with a key)."""

    id: int
    name: str
    team: str | None = None
    is_admin: bool
    created_at: float


class DeveloperCreated(Wire):
    """The answer to ``dev add``: the only time the key is ever shown."""

    developer: DeveloperInfo
    key: str


TaskTypeName = Literal[
    "code_completion", "code_edit", "code_explain", "prose", "data", "math", "chat", "extraction"
]


class ContextFile(Wire):
    """A file (or excerpt) given as context to a task."""

    path: str
    content: str


class AskRequest(Wire):
    """``POST /api/ask``: route and run one prompt.

    With ``stream=true`` the answer is server-sent events: ``{"type": "delta", "text"}`` chunks,
    then one ``{"type": "done", ...AskResponse}`` (or ``{"type": "error", "error": {...}}``).
    Closing the connection cancels the request and stops the provider call.
    """

    prompt: str = Field(min_length=1, max_length=2_000_000)
    system: str | None = None
    model: str = "auto"
    """``auto``, ``auto:<policy>``, or a configured model name."""
    max_tokens: int | None = Field(None, gt=0)
    priority: Priority = "normal"
    surface: Surface = "cli"
    task_type: TaskTypeName | None = None
    """A hint; the classifier decides when absent."""
    files: list[ContextFile] = []
    """Extra context, sent ahead of the prompt."""
    max_cost_usd: float | None = Field(None, gt=0)
    """Refuse (before calling) when the worst-case cost is above this."""
    stream: bool = False


class AskResponse(Wire):
    """The answer and what it cost."""

    trace_id: str
    answer: str
    model: str
    """The model that really answered."""
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    reason: str | None = None
    simulated: bool = False


class AttemptInfo(Wire):
    """One provider call of a request."""

    seq: int
    model: str
    status: str
    latency_ms: float
    ttft_ms: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class TraceSummary(Wire):
    """One line of ``switchboard traces``."""

    id: str
    created_at: float
    developer: str
    surface: str
    outcome: str
    requested_model: str | None = None
    model: str | None = None
    task_type: str | None = None
    complexity: float | None = None
    latency_ms: float
    ttft_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    reason: str | None = None
    error_code: str | None = None
    fallback_used: bool = False
    escalated: bool = False
    policy: str | None = None
    """The routing policy that decided (``pinned`` when the caller named the model)."""


class TraceList(Wire):
    """``GET /api/traces``."""

    traces: list[TraceSummary]


class TraceDetail(TraceSummary):
    """``GET /api/traces/{id}``: the decision, every attempt, and what was kept of the text."""

    matrix_version: int | None = None
    decision: dict[str, Any] | None = None
    attempts: list[AttemptInfo] = []
    prompt: str | None = None
    prompt_hash: str | None = None
    prompt_chars: int = 0
    answer: str | None = None
    answer_hash: str | None = None
    answer_chars: int = 0
    guard: dict[str, Any] | None = None
    error_message: str | None = None
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    feedback: list[dict[str, Any]] = []


# -- routing ---------------------------------------------------------------------------------------


class RouteRequest(Wire):
    """``POST /api/route``: which model would serve this, and why (no model is called)."""

    prompt: str = Field(min_length=1, max_length=2_000_000)
    system: str | None = None
    model: str = "auto"
    max_tokens: int | None = Field(None, gt=0)
    priority: Priority = "normal"
    surface: Surface = "cli"
    task_type: TaskTypeName | None = None
    files: list[ContextFile] = []


class CandidateInfo(Wire):
    """One model as the router scored it."""

    model: str
    tier: str | None = None
    eligible: bool
    excluded_reason: str | None = None
    predicted_quality: float | None = None
    predicted_latency_ms: float | None = None
    predicted_cost_usd: float | None = None
    score: float | None = None
    evidence: float = 0.0
    """Outcomes' worth of evidence behind ``predicted_quality`` (0: the prior alone)."""


class DecisionInfo(Wire):
    """A routing decision as a value: the answer to ``/api/route`` and part of every trace."""

    model: str
    fallbacks: list[str] = []
    policy: str
    policy_kind: str
    matrix_version: int = 0
    task_type: str
    complexity: float
    features: dict[str, float | int | str | bool] = {}
    drivers: list[tuple[str, float]] = []
    """The features that moved the complexity most, with their contributions (logit scale)."""
    reason: str
    stepped_down: bool = False
    candidates: list[CandidateInfo] = []
    escalation_model: str | None = None
    confidence_threshold: float | None = None
    consensus_models: list[str] = []
    tiebreaker: str | None = None


class ConsensusRequest(Wire):
    """``POST /api/consensus``: several models answer the same prompt; the answers are compared."""

    prompt: str = Field(min_length=1, max_length=2_000_000)
    system: str | None = None
    models: list[str] = []
    """Named models; empty lets the router choose ``n`` diverse strong ones."""
    n: int = Field(3, ge=2, le=7)
    stances: list[str] = []
    """Optional stance per model (e.g. "argue for", "argue against"), added to its system prompt."""
    max_tokens: int | None = Field(None, gt=0)
    priority: Priority = "normal"
    surface: Surface = "cli"


class ConsensusAnswer(Wire):
    """One model's answer in a consensus."""

    model: str
    answer: str | None = None
    error: str | None = None
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    group: int | None = None


class ConsensusResponse(Wire):
    """The answers, how much they agree, and the verdict."""

    trace_id: str
    answers: list[ConsensusAnswer]
    agreement: float
    """Share of answers in the largest agreeing group, in [0, 1]."""
    verdict: Literal["agree", "disagree", "failed"]
    answer: str | None = None
    """The majority answer on agreement; the tiebreaker's answer on disagreement."""
    tiebreaker: str | None = None
    review_id: int | None = None
    """Set when the disagreement was queued for a person."""
    cost_usd: float = 0.0


class FeedbackRequest(Wire):
    """``POST /api/feedback``: a quality signal for a trace, feeding the routing matrix."""

    trace_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0, le=1)
    source: Literal["agent", "editor", "user", "verifier", "consensus", "judge"] = "user"
    comment: str | None = Field(None, max_length=4000)


class FeedbackResponse(Wire):
    """What the signal changed."""

    trace_id: str
    matrix_version: int


class MatrixCellInfo(Wire):
    """One (task type, complexity band, model) cell."""

    task_type: str
    band: int
    model: str
    quality: float
    evidence: float
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    mean_cost_usd: float | None = None
    updated_at: float | None = None


class MatrixQuality(Wire):
    """The quality the router would use for one (task type, band, model): its own matrix lookup,
    the cell blended with the model's record on the task type and overall, then with its prior."""

    task_type: str
    band: int
    model: str
    quality: float
    """What a decision at this band's middle complexity reads (not the raw cell)."""
    evidence: float = 0.0
    """Outcomes behind this very cell (decayed); 0 when the estimate backs off."""
    prior: float
    """The model's prior here (its config ``quality`` or tier prior, lowered as complexity rises)."""
    source: Literal["cell", "task type", "model", "prior"] = "prior"
    """The finest level with evidence behind the estimate."""


class MatrixInfo(Wire):
    """``GET /api/matrix?task_type=&model=``."""

    version: int
    bands: list[float] = []
    """Upper edges of the complexity bands."""
    cells: list[MatrixCellInfo]
    """The raw cells with evidence (what ``matrix export`` writes)."""
    models: list[str] = []
    """The usable models, in config order (the grid's columns)."""
    grid: list[MatrixQuality] = []
    """Every (task type, band, usable model): the quality the router would use, with its evidence."""


class ReviewInfo(Wire):
    """A consensus disagreement waiting for a person (``GET /api/reviews``)."""

    id: int
    trace_id: str
    developer: str
    status: str
    prompt: str | None = None
    answers: list[ConsensusAnswer]
    chosen_index: int | None = None
    created_at: float


class ReviewResolve(Wire):
    """``POST /api/reviews/{id}``: pick an answer (its model gets the credit) or dismiss (null)."""

    chosen_index: int | None = None


class EvalRequest(Wire):
    """``POST /api/eval``: score a sample of recent traces now."""

    sample: int = Field(20, ge=1, le=1000)
    since_hours: float = Field(24.0, gt=0)


class EvalResult(Wire):
    """What an evaluation run did."""

    scored: int
    judged: int
    cost_usd: float
    """Everything the run spent (judge and shadow answers), from the evaluation's own budget."""
    matrix_version: int
    shadow_compared: int = 0
    """Traces whose request a second model also answered and the judge compared pairwise."""
    shadow_cost_usd: float = 0.0
    """The part of ``cost_usd`` the shadow comparisons cost (second answers and their judging)."""
    outcomes_learned: int = 0
    """Outcomes the router's memory learned (grades of traces that kept their ask's vector)."""


# -- budgets, metrics, events -----------------------------------------------------------------------


class BudgetInfo(Wire):
    """One budget and where it stands in its current period."""

    scope: Literal["developer", "team", "eval"]
    name: str
    period: Literal["day", "week", "month"]
    limit_usd: float
    spent_usd: float
    """Settled spend this period."""
    reserved_usd: float
    """Open reservations of in-flight requests."""
    fraction_used: float
    soft_threshold: float
    critical_only_threshold: float | None = None
    period_start: float
    resets_at: float
    state: Literal["ok", "stepped_down", "critical_only", "exhausted"]
    next_action: str
    """What the router will do with the next request, in words."""
    remaining_usd: float = 0.0
    """Limit minus spent minus reserved (never negative): what the next reservations may take."""
    burn_usd_per_hour: float = 0.0
    """Spend per hour over the recent window (``burn_since`` until now)."""
    burn_since: float | None = None
    """Start of the window the burn rate is measured over: the last hour, or less early in a period."""
    projected_usd: float | None = None
    """Spent + reserved at the reset if the recent burn rate goes on (None: too little time to tell)."""
    limit_reached_at: float | None = None
    """When the limit is reached at the recent burn rate, if that is before the reset."""


class DeveloperSpend(Wire):
    """What one developer spent this month, whether or not a budget limits them."""

    developer: str
    spent_usd: float
    """Cost of their requests since the month began (in the budgets' time zone), from their traces."""
    requests: int
    limited: bool
    """Whether a budget of their own (or their team's) applies to them."""
    period_start: float
    resets_at: float


class BudgetStatus(Wire):
    """``GET /api/budget`` (mine; ``?all=1`` or ``?developer=NAME`` for an admin)."""

    budgets: list[BudgetInfo]
    spend: list[DeveloperSpend] = []
    """Every developer the caller may see, with their spend this month (budget or not)."""


class BudgetSet(Wire):
    """``PUT /api/budget``: set a developer's or team's limit (admin)."""

    developer: str | None = None
    team: str | None = None
    period: Literal["day", "week", "month"] = "month"
    limit_usd: float = Field(ge=0)
    soft_threshold: float | None = Field(None, gt=0, le=1)
    critical_only_threshold: float | None = Field(None, gt=0, le=1)
    members: list[str] | None = None
    """With ``team``: developers to put in the team (each belongs to at most one; others are left as they are)."""


class ModelMetrics(Wire):
    """Per-model figures over a window."""

    model: str
    tier: str | None = None
    requests: int
    share: float
    spend_usd: float
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    error_rate: float = 0.0
    rated: int = 0
    """How many of its answers carry a quality score."""
    quality_mean: float | None = None
    """Mean quality score of its rated answers."""
    cost_per_quality_point: float | None = None
    """Spend of its rated answers divided by the sum of their scores."""


class Metrics(Wire):
    """``GET /api/metrics?window=1h|24h|7d|30d``: the numbers a dashboard shows at a glance."""

    window: Literal["1h", "24h", "7d", "30d"]
    since: float
    requests: int
    spend_usd: float
    spend_by_developer: dict[str, float] = {}
    spend_by_team: dict[str, float] = {}
    by_model: list[ModelMetrics] = []
    by_tier: dict[str, int] = {}
    by_surface: dict[str, int] = {}
    by_task_type: dict[str, int] = {}
    fallback_rate: float = 0.0
    escalation_rate: float = 0.0
    error_rate: float = 0.0
    refused: int = 0
    """Requests refused before any model was called (budget exhausted, guard, no route)."""
    refusal_rate: float = 0.0
    error_rate_by_model: dict[str, float] = {}
    cost_per_quality_point: float | None = None
    """Spend divided by the sum of quality scores of rated requests (None when nothing is rated)."""
    series: dict[str, list[float]] = {}
    """Per-bucket series over the window: spend, requests, fallback_rate, escalation_rate, error_rate,
    refusal_rate."""


class SavingsGroup(Wire):
    """Spend against the counterfactual for one day, surface or developer."""

    key: str
    requests: int
    spend_usd: float
    baseline_usd: float
    """The same requests' tokens at the baseline model's prices."""
    rated: int = 0
    quality: float | None = None
    """Mean quality score of the rated answers in the group."""


class ModelValue(Wire):
    """What one model's answers cost and earned."""

    model: str
    requests: int
    spend_usd: float
    rated: int = 0
    quality: float | None = None
    cost_per_quality_point: float | None = None
    """Spend of its rated answers divided by the sum of their scores."""


class Savings(Wire):
    """``GET /api/savings?window=&baseline=``: what routing spent against sending every answered request
    to one model, with the quality evidence beside it (``switchboard report``, the dashboard's savings line)."""

    window: Literal["1h", "24h", "7d", "30d"]
    since: float
    baseline_model: str
    requests: int
    """Answered requests (failed, refused and cancelled ones bought nothing and are left out)."""
    spend_usd: float
    baseline_usd: float
    saved_usd: float
    rated: int = 0
    quality: float | None = None
    """Mean quality score of the routed answers that were rated."""
    baseline_quality_observed: float | None = None
    """Mean score of the baseline model's own rated answers in the window (``baseline_rated`` of them)."""
    baseline_rated: int = 0
    baseline_quality_estimated: float | None = None
    """The router's matrix estimate for the baseline model on the same rated requests."""
    by_day: list[SavingsGroup] = []
    by_surface: list[SavingsGroup] = []
    by_developer: list[SavingsGroup] = []
    by_model: list[ModelValue] = []


class DemoFaults(Wire):
    """``POST /api/demo/faults``: queue faults on a simulated model (demo mode only; see ``daemon.sim.faults``)."""

    model: str
    faults: list[dict[str, Any]]


class DemoProfile(Wire):
    """``POST /api/demo/profiles``: change how a simulated model behaves (demo mode only), e.g.
    ``{"dissent": 0.6, "confidence_spread": 0.15}`` (see ``daemon.sim.profiles``)."""

    model: str
    changes: dict[str, Any]


class Event(Wire):
    """One server-sent event of ``GET /api/events`` (``event: <type>``, ``data: <this as JSON>``)."""

    type: Literal["trace", "budget", "circuit", "review", "matrix", "config", "store", "hello"]
    at: float
    data: dict[str, Any]


# -- editor completions -----------------------------------------------------------------------------


class CompleteRequest(Wire):
    """``POST /api/complete``: a code completion for the editor (fill-in-the-middle when the model can).

    With ``stream=true``: server-sent events as for ``/api/ask``. Closing the connection cancels it.
    """

    prefix: str = Field(max_length=400_000)
    suffix: str = Field("", max_length=400_000)
    language: str | None = None
    path: str | None = None
    context: str | None = Field(None, max_length=200_000)
    """Cheap extra context (imports, the enclosing definition, recent edits)."""
    multiline: bool = False
    max_tokens: int = Field(128, gt=0, le=4096)
    model: str = "auto"
    stream: bool = False


class CompleteResponse(Wire):
    """The completion text (cleaned: no echo of the prefix, no repeated suffix, no fences)."""

    trace_id: str
    text: str
    model: str
    latency_ms: float
    cost_usd: float | None = 0.0
    """None when the answer was cut at the end of its line and is still being read: the trace has the cost."""
    stepped_down: bool = False
