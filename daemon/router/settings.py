"""Routing settings: named policies, which surface uses which, priors, exploration and decay.

Nested under ``[routing]`` in the TOML config. Frozen with ``extra="forbid"`` so a typo in the
config is refused with its key path instead of silently changing nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from daemon.router.types import TaskType, Tier

PolicyKind = Literal["complexity", "cascade", "specialist", "latency", "consensus", "cheapest"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicySettings(_Frozen):
    """One named policy (``auto:<name>``): its kind and the knobs that kind reads."""

    kind: PolicyKind = "complexity"
    """complexity (floor rising with complexity, cheapest above it), cascade (cheap first, escalate on low
    confidence), specialist (best quality for the task type), latency (lowest p95 above the floor),
    consensus (N diverse strong models plus a tiebreaker), cheapest (lowest predicted cost)."""
    floor_min: float = Field(0.5, ge=0, le=1)
    """Absolute quality floor at complexity 0."""
    floor_max: float = Field(0.8, ge=0, le=1)
    """Absolute quality floor at complexity 1 (linear in between)."""
    tolerance_max: float = Field(0.08, ge=0, le=1)
    """At complexity 0 a model this far below the best predicted quality also clears the floor; keeps the
    floor meaningful for tasks where no model is good in absolute terms."""
    tolerance_min: float = Field(0.02, ge=0, le=1)
    """The same tolerance at complexity 1 (hard requests accept less slack)."""
    cost_weight: float = Field(0.0, ge=0)
    """Quality points given up per unit of cost relative to the dearest eligible model (specialist,
    latency): 0 ignores cost except as a tie-break."""
    latency_weight: float = Field(0.0, ge=0)
    """Quality points given up per unit of p95 relative to the slowest eligible model."""
    confidence_threshold: float = Field(0.6, ge=0, le=1)
    """Cascade: escalate when the first answer's confidence is below this."""
    cascade_relax: float = Field(0.15, ge=0, le=1)
    """Cascade: how much lower the first attempt's floor is than the complexity-gated floor."""
    consensus_size: int = Field(3, ge=2, le=7)
    """Consensus: how many models answer in parallel."""
    tiebreaker: str | None = None
    """Consensus: model asked when the answers disagree; None picks the best model not already asked."""
    explore: bool = True
    """Whether bounded exploration may replace this policy's choice."""


def _default_policies() -> dict[str, PolicySettings]:
    return {
        "balanced": PolicySettings(kind="complexity"),
        "cascade": PolicySettings(kind="cascade"),
        "specialist": PolicySettings(kind="specialist", cost_weight=0.02),
        # Best quality per dollar: the specialist with a strong cost weight, the operating point chosen on
        # routing-tune's train split under a 20%-of-the-best-model cost cap (bench/routing_quality.py).
        "value": PolicySettings(kind="specialist", cost_weight=0.8),
        "fast": PolicySettings(kind="latency", floor_min=0.45, floor_max=0.7, tolerance_max=0.1),
        "consensus": PolicySettings(kind="consensus", explore=False),
        "cheapest": PolicySettings(kind="cheapest", explore=False),
    }


def _default_expected_output() -> dict[TaskType, int]:
    # Typical answer lengths, used for the cost estimate when the request sets no max_output_tokens.
    return {
        TaskType.CODE_COMPLETION: 64,
        TaskType.CODE_EDIT: 400,
        TaskType.CODE_EXPLAIN: 350,
        TaskType.PROSE: 300,
        TaskType.DATA: 250,
        TaskType.MATH: 350,
        TaskType.CHAT: 150,
        TaskType.EXTRACTION: 60,
    }


class RoutingSettings(_Frozen):
    """How the router chooses: policies per surface, priors for the matrix, exploration and decay."""

    policies: dict[str, PolicySettings] = Field(default_factory=_default_policies)
    """Named policies, usable by clients as ``auto:<name>``. A config's policies are added to the shipped
    ones (a shipped name is replaced), so adding one policy does not remove the others."""

    @field_validator("policies", mode="before")
    @classmethod
    def _keep_shipped_policies(cls, value: object) -> object:
        if isinstance(value, dict):
            return {**_default_policies(), **value}
        return value
    surfaces: dict[str, str] = Field(
        default_factory=lambda: {"api": "balanced", "mcp": "balanced", "lsp": "fast", "cli": "balanced"}
    )
    """Surface (api, mcp, lsp, cli) -> policy name used when a request names none."""
    default_policy: str = "balanced"
    """Policy for a surface not listed in ``surfaces``."""
    exploration_rate: float = Field(0.02, ge=0, le=0.5)
    """Share of eligible requests routed to a model with little evidence, so new models get measured."""
    exploration_min_evidence: float = Field(5.0, ge=0)
    """Only models with less matrix evidence than this for the request's cell are explored."""
    exploration_max_cost_ratio: float = Field(2.0, ge=1)
    """An explored model may cost at most this multiple of the model the policy chose."""
    decay_half_life_days: float = Field(14.0, gt=0)
    """Age at which a quality observation counts half, so a model that changes is noticed."""
    max_evidence: float = Field(200.0, gt=0)
    """Cap on a cell's evidence weight, so even a busy cell keeps moving with new outcomes."""
    prior_strength: float = Field(4.0, ge=0)
    """How many observations the prior is worth when blended with matrix evidence."""
    tier_priors: dict[Tier, float] = Field(
        default_factory=lambda: {Tier.SMALL: 0.6, Tier.MEDIUM: 0.75, Tier.FRONTIER: 0.9}
    )
    """Prior quality of a model of each tier on a middling request (complexity 0.5); a model's ``quality``
    hint overrides it. Easier requests raise every tier toward 1, harder ones lower the weaker tiers
    first (see ``discrimination``)."""
    discrimination: float = Field(1.2, gt=0, le=10)
    """How fast predicted quality falls with difficulty: quality = σ(discrimination · (ability − difficulty)),
    where a model's ability is set by its tier prior or hint. Higher spreads the tiers further apart."""
    complexity_penalty: float | None = Field(None, ge=0, le=1)
    """Deprecated and ignored: the prior's fall with complexity is set by ``discrimination`` now."""
    tier_latency_ms: dict[Tier, float] = Field(
        default_factory=lambda: {Tier.SMALL: 900.0, Tier.MEDIUM: 1800.0, Tier.FRONTIER: 3500.0}
    )
    """p95 latency assumed for a tier before any call or health ping has measured the model."""
    expected_output_tokens: dict[TaskType, int] = Field(default_factory=_default_expected_output)
    """Answer length assumed for the cost estimate when the request does not cap it."""
    max_fallbacks: int = Field(3, ge=0, le=10)
    """How many fallbacks a decision lists after the chosen model."""

    @model_validator(mode="after")
    def _policies_exist(self) -> RoutingSettings:
        names = set(self.policies)
        for surface, policy in self.surfaces.items():
            if policy not in names:
                raise ValueError(f"surfaces.{surface} names unknown policy {policy!r} (known: {sorted(names)})")
        if self.default_policy not in names:
            raise ValueError(f"default_policy names unknown policy {self.default_policy!r}")
        for tier in Tier:
            if tier not in self.tier_priors:
                raise ValueError(f"tier_priors is missing tier {tier.value!r}")
        return self

    def policy_for(self, surface: str, requested: str | None) -> tuple[str, PolicySettings]:
        """The policy a request uses: the one it names, else its surface's, else the default."""
        name = requested or self.surfaces.get(surface) or self.default_policy
        return name, self.policies[name]
