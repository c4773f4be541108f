"""Hand-built candidates, matrices and requests shared by the pure router tests (no I/O anywhere)."""

from __future__ import annotations

from daemon.router.matrix import RoutingMatrix, band_of
from daemon.router.settings import RoutingSettings
from daemon.router.types import Candidate, Classification, RouteRequest, TaskType, Tier

CTX = 128_000


def cand(name: str, tier: Tier, price: float, **kw: object) -> Candidate:
    """A candidate whose input and output price are both ``price`` USD per million tokens."""
    kw.setdefault("context_window", CTX)
    return Candidate(name=name, tier=tier, input_usd_per_mtok=price, output_usd_per_mtok=price, **kw)  # type: ignore[arg-type]


def trio() -> list[Candidate]:
    """One model per tier, prices rising with tier."""
    return [
        cand("sim-nano", Tier.SMALL, 0.2, provider="acme"),
        cand("sim-mid", Tier.MEDIUM, 1.0, provider="beta"),
        cand("sim-ultra", Tier.FRONTIER, 5.0, provider="gamma"),
    ]


def matrix_with(qualities: dict[str, float], task: TaskType = TaskType.CHAT, complexity: float = 0.5, evidence: float = 50.0) -> RoutingMatrix:
    """A matrix with one cell per model for (task, band of complexity)."""
    rows = [
        {"task_type": task.value, "band": band_of(complexity), "model": m, "quality": q, "evidence": evidence}
        for m, q in qualities.items()
    ]
    return RoutingMatrix.from_rows(rows, version=7)


def chat(text: str = "what is the capital of France?", **kw: object) -> RouteRequest:
    """A one-message request."""
    return RouteRequest.from_prompt(text, **kw)  # type: ignore[arg-type]


def cls(task: TaskType = TaskType.CHAT, complexity: float = 0.5) -> Classification:
    """A fixed classification, so policy tests do not depend on the classifier."""
    return Classification(task_type=task, complexity=complexity, features={})


NO_EXPLORE = RoutingSettings(exploration_rate=0.0)
"""Default settings without exploration, so a policy test sees the policy's own choice."""
