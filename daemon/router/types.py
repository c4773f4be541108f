"""The router's values: what comes in (a request, candidates, budget state) and what goes out (a decision).

Everything here is a frozen dataclass or an enum, so a decision can be logged, compared in a test
and replayed without surprises. The daemon builds these from its config and live state; the router
never reaches for anything that is not passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import repeat
from typing import Any, Literal

Surface = Literal["api", "mcp", "lsp", "cli"]
Priority = Literal["normal", "critical"]

CHARS_PER_TOKEN = 4
"""Rough token estimate used when the caller gives none: about four characters a token in English and code."""


class TaskType(StrEnum):
    """What the request asks for; the first key of the routing matrix."""

    CODE_COMPLETION = "code_completion"
    CODE_EDIT = "code_edit"
    CODE_EXPLAIN = "code_explain"
    PROSE = "prose"
    DATA = "data"
    MATH = "math"
    CHAT = "chat"
    EXTRACTION = "extraction"


class Tier(StrEnum):
    """Price/capability class of a model, from cheapest to strongest."""

    SMALL = "small"
    MEDIUM = "medium"
    FRONTIER = "frontier"

    @property
    def rank(self) -> int:
        """0 for small, 1 for medium, 2 for frontier: step-downs compare ranks."""
        return _TIER_RANK[self]


_TIER_RANK = {Tier.SMALL: 0, Tier.MEDIUM: 1, Tier.FRONTIER: 2}


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message reduced to what routing needs: who said it and its text."""

    role: str
    text: str


def estimate_tokens(text: str) -> int:
    """Token estimate from characters (see ``CHARS_PER_TOKEN``); never below 1 for non-empty text."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """A request as the router sees it. ``messages`` accepts ``Message`` or ``(role, text)`` pairs."""

    messages: tuple[Message, ...]
    surface: Surface = "api"
    policy: str | None = None
    """Named policy (``auto:<name>`` without the prefix); None means the surface's default."""
    max_output_tokens: int | None = None
    has_tools: bool = False
    wants_json: bool = False
    is_fim: bool = False
    priority: Priority = "normal"
    task_hint: TaskType | None = None
    """A caller's statement of the task (an LSP completion is code completion); trusted over the classifier."""
    required_capabilities: frozenset[str] = frozenset()
    input_tokens: int | None = None
    """Estimated prompt tokens; None means estimate from the text."""
    pinned_model: str | None = None
    request_id: str | None = None
    """Seeds bounded exploration so the same request always gets the same decision."""
    requested_model: str | None = None
    """The model name the client sent, as it sent it (``claude-haiku-4-5-20251001``, ``auto``, a configured
    name); ``policy`` and ``pinned_model`` say what it resolved to."""
    model_hint: Literal["light", "heavy"] | None = None
    """What the requested name says about the ask, from the alias that matched it (``[aliases]``):
    ``light`` for an agent's small/background model (a cheap, fast answer will do), ``heavy`` for a name
    asking for the strongest model; None when the name says nothing."""
    tool_count: int = 0
    """How many tools the request offers (context, not the ask)."""

    def __post_init__(self) -> None:
        # Accept (role, text) pairs and lists so callers and tests stay terse; store one canonical form.
        # The daemon already passes that form, so the (per-request) rebuild is skipped when it would
        # change nothing.
        msgs = self.messages
        if msgs.__class__ is not tuple or not all(map(isinstance, msgs, repeat(Message))):
            msgs = tuple(m if isinstance(m, Message) else Message(str(m[0]), str(m[1])) for m in msgs)
            object.__setattr__(self, "messages", msgs)
        if self.required_capabilities.__class__ is not frozenset:
            object.__setattr__(self, "required_capabilities", frozenset(self.required_capabilities))
        if self.task_hint is not None and not isinstance(self.task_hint, TaskType):
            object.__setattr__(self, "task_hint", TaskType(self.task_hint))
        if self.input_tokens is None:
            object.__setattr__(self, "input_tokens", sum(estimate_tokens(m.text) for m in msgs) + 4 * len(msgs))

    @classmethod
    def from_prompt(cls, prompt: str, **kwargs: Any) -> RouteRequest:
        """A one-message user request: the shape of ``switchboard route "PROMPT"`` and batch lines."""
        return cls(messages=(Message("user", prompt),), **kwargs)

    @property
    def prompt_tokens(self) -> int:
        """``input_tokens`` as an int (it is always filled in after construction)."""
        return int(self.input_tokens or 0)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A configured model as the router sees it, with what only the daemon knows (health, keys, limits)."""

    name: str
    tier: Tier
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    context_window: int
    capabilities: frozenset[str] = frozenset({"chat", "stream"})
    excluded_reason: str | None = None
    """Set by the daemon: "disabled", "API key env OPENAI_API_KEY is not set", "circuit open", ..."""
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    quality_prior: float | None = None
    """Config hint in [0, 1]; overrides the tier prior when the matrix has little evidence."""
    fallbacks: tuple[str, ...] = ()
    provider: str = ""
    """Provider prefix (openai, anthropic, ...); consensus prefers models from different providers."""

    def __post_init__(self) -> None:
        if not isinstance(self.tier, Tier):
            object.__setattr__(self, "tier", Tier(self.tier))
        object.__setattr__(self, "capabilities", frozenset(self.capabilities))
        object.__setattr__(self, "fallbacks", tuple(self.fallbacks))


@dataclass(frozen=True, slots=True)
class BudgetState:
    """The worst budget the request counts toward, reduced to what the router needs."""

    fraction_used: float = 0.0
    """(settled + reserved) / limit of the tightest budget."""
    soft_threshold: float = 0.8
    critical_only_threshold: float | None = 0.95
    hard_exceeded: bool = False
    budget_name: str = ""
    remaining_usd: float | None = None

    @classmethod
    def unlimited(cls) -> BudgetState:
        """No budget applies: nothing steps down and nothing is refused."""
        return NO_BUDGET


NO_BUDGET = BudgetState(fraction_used=0.0, soft_threshold=1.0, critical_only_threshold=None, budget_name="none")


@dataclass(frozen=True, slots=True)
class Classification:
    """Task type and complexity, with the features that drove them (for the trace and the reason)."""

    task_type: TaskType
    complexity: float
    features: Mapping[str, float] = field(default_factory=dict)
    difficulty: float | None = None
    """Logit of complexity (``daemon.router.difficulty``); derived from it when not given."""
    embedding: Any = field(default=None, compare=False, repr=False)
    """The ask's embedding (a unit float32 vector), or None without the embedder; never serialised."""
    drivers: tuple[tuple[str, float], ...] = ()
    """The features that moved the difficulty most, with their contributions."""

    def __post_init__(self) -> None:
        if self.difficulty is None:
            c = min(1.0 - 1e-4, max(1e-4, self.complexity))
            object.__setattr__(self, "difficulty", math.log(c / (1.0 - c)))


@dataclass(slots=True)
class CandidateScore:
    """One candidate's predictions for this request and why it was or was not eligible.

    Read-only by convention, not frozen: every decision makes one per configured model, and a frozen
    dataclass costs several times more to construct (a guarded ``object.__setattr__`` per field).
    """

    model: str
    tier: Tier
    predicted_quality: float | None
    """None (as the latency and cost) for a model the request did not ask for when it named another."""
    predicted_latency_ms: float | None
    predicted_cost_usd: float | None
    eligible: bool
    excluded_reason: str | None = None
    score: float = 0.0
    evidence: float = 0.0
    """Matrix evidence behind ``predicted_quality`` (0 means prior only)."""


@dataclass(frozen=True, slots=True)
class Escalation:
    """Cascade data: if the first answer's confidence is below ``confidence_threshold``, ask ``model``."""

    model: str
    confidence_threshold: float


@dataclass(frozen=True, slots=True)
class Decision:
    """The router's answer: which model, what to fall back to, and why, as a loggable value."""

    model: str
    fallbacks: tuple[str, ...]
    candidates: tuple[CandidateScore, ...]
    policy: str
    policy_kind: str
    matrix_version: int
    classification: Classification
    reason: str
    stepped_down: bool = False
    explored: bool = False
    escalation: Escalation | None = None
    consensus_models: tuple[str, ...] = ()
    tiebreaker: str | None = None

    def candidate(self, name: str) -> CandidateScore:
        """The score row of one model (KeyError if it was not configured)."""
        for row in self.candidates:
            if row.model == name:
                return row
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form for ``switchboard route --json``, traces and the API."""
        return {
            "model": self.model,
            "fallbacks": list(self.fallbacks),
            "policy": self.policy,
            "policy_kind": self.policy_kind,
            "matrix_version": self.matrix_version,
            "task_type": str(self.classification.task_type),
            "complexity": _round4(self.classification.complexity),
            "features": dict(self.classification.features),
            "drivers": [list(d) for d in self.classification.drivers],
            "reason": self.reason,
            "stepped_down": self.stepped_down,
            "explored": self.explored,
            "escalation": (
                {"model": self.escalation.model, "confidence_threshold": self.escalation.confidence_threshold}
                if self.escalation
                else None
            ),
            "consensus_models": list(self.consensus_models),
            "tiebreaker": self.tiebreaker,
            "candidates": [_score_dict(c) for c in self.candidates],
        }


def _score_dict(c: CandidateScore) -> dict[str, Any]:
    return {
        "model": c.model,
        "tier": str(c.tier),
        "predicted_quality": None if c.predicted_quality is None else _round4(c.predicted_quality),
        "predicted_latency_ms": None if c.predicted_latency_ms is None else _round1(c.predicted_latency_ms),
        "predicted_cost_usd": c.predicted_cost_usd,
        "eligible": c.eligible,
        "excluded_reason": c.excluded_reason,
        "score": _round6(c.score),
        "evidence": _round2(c.evidence),
    }


_ROUNDER_MEMO_LIMIT = 4096


def rounder(ndigits: int) -> Callable[[float], float]:
    """``round(value, ndigits)``, bit for bit, at a fraction of its cost.

    ``round`` with digits formats and re-parses the number (~0.5 us), and a decision rounds ~40 values.
    Most are whole numbers (latencies, zero scores and evidence), which round to themselves; the
    rest repeat a lot (candidates sharing a prior, discrete feature values), so results are memoized
    in a bounded dict. Only exact floats take the shortcuts: ``round`` keeps an int an int.
    """
    memo: dict[float, float] = {}

    def rounded(value: float) -> float:
        if value.__class__ is not float:
            return round(value, ndigits)
        if value.is_integer():  # also keeps the sign of -0.0, which a memo keyed by 0.0 would not
            return value
        result = memo.get(value)
        if result is None:
            if len(memo) >= _ROUNDER_MEMO_LIMIT:
                memo.clear()
            result = memo[value] = round(value, ndigits)
        return result

    return rounded


_round1, _round2, _round4, _round6 = rounder(1), rounder(2), rounder(4), rounder(6)


def messages_from(pairs: Iterable[tuple[str, str]]) -> tuple[Message, ...]:
    """Build messages from ``(role, text)`` pairs (a convenience for the daemon's adapters)."""
    return tuple(Message(role, text) for role, text in pairs)
