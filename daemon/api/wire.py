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

    model_config = ConfigDict(extra="forbid")


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
    pid: int
    started_at: float
    socket: str
    http: str | None
    """The loopback address really listening (``host:port``), or None when TCP is off."""
    data_dir: str
    config_path: str | None
    config_loaded_at: float
    config_error: str | None = None
    """The last live reload that was refused (the previous config stays in force)."""
    simulated: bool = False
    developer: str
    is_admin: bool
    models: list[ModelInfo]


class DeveloperCreate(Wire):
    """``POST /api/developers``."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    admin: bool = False


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


class AskRequest(Wire):
    """``POST /api/ask``: route and run one prompt."""

    prompt: str = Field(min_length=1)
    system: str | None = None
    model: str = "auto"
    """``auto``, ``auto:<policy>``, or a configured model name."""
    max_tokens: int | None = Field(None, gt=0)
    priority: Priority = "normal"
    surface: Surface = "cli"


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


class TraceList(Wire):
    """``GET /api/traces``."""

    traces: list[TraceSummary]


class TraceDetail(TraceSummary):
    """``GET /api/traces/{id}``: the decision, every attempt, and what was kept of the text."""

    policy: str | None = None
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
