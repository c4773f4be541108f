"""Every policy on a hand-built matrix: choice, ties, empty sets, escalation, consensus, latency."""

from __future__ import annotations

import pytest

from daemon.errors import ContextLengthError, InvalidRequestError, NoRouteError
from daemon.router.engine import decide
from daemon.router.matrix import RoutingMatrix
from daemon.router.settings import PolicySettings, RoutingSettings
from daemon.router.types import Candidate, TaskType, Tier
from tests.daemon.router.router_fixtures import NO_EXPLORE, cand, chat, cls, matrix_with, trio


def _settings(**policies: PolicySettings) -> RoutingSettings:
    merged = dict(NO_EXPLORE.policies) | policies
    return NO_EXPLORE.model_copy(update={"policies": merged})


def test_complexity_gated_picks_cheapest_model_above_the_floor() -> None:
    matrix = matrix_with({"sim-nano": 0.55, "sim-mid": 0.78, "sim-ultra": 0.9})
    d = decide(chat(), trio(), matrix, settings=NO_EXPLORE, classification=cls(complexity=0.5))
    assert d.model == "sim-mid"
    assert "sim-mid cheapest above floor 0.65" in d.reason
    assert d.reason.startswith("chat, complexity 0.50 → medium tier")
    assert d.policy == "balanced" and d.policy_kind == "complexity"
    assert d.matrix_version == 7


def test_complexity_gated_floor_rises_with_complexity_from_small_to_frontier() -> None:
    chosen = [
        decide(chat(), trio(), RoutingMatrix(), settings=NO_EXPLORE, classification=cls(complexity=c)).model
        for c in (0.05, 0.5, 0.95)
    ]
    assert chosen == ["sim-nano", "sim-mid", "sim-ultra"]


def test_floor_falls_back_to_tolerance_below_best_when_no_model_is_good() -> None:
    # Nobody reaches the absolute floor 0.65; the cheap model within the tolerance of the best still wins.
    matrix = matrix_with({"sim-nano": 0.3, "sim-mid": 0.305, "sim-ultra": 0.31})
    d = decide(chat(), trio(), matrix, settings=NO_EXPLORE, classification=cls(complexity=0.5))
    assert d.model == "sim-nano"


def test_the_tolerance_below_the_best_is_relative_when_every_model_is_poor() -> None:
    # On a request where every prediction is low, a third of the best is not "within a few points" of it.
    matrix = matrix_with({"sim-nano": 0.03, "sim-mid": 0.05, "sim-ultra": 0.09})
    d = decide(chat(), trio(), matrix, settings=NO_EXPLORE, classification=cls(complexity=0.9))
    assert d.model == "sim-ultra"


def test_tie_on_quality_and_price_breaks_by_name() -> None:
    twins = [cand("zeta", Tier.SMALL, 0.3), cand("alpha", Tier.SMALL, 0.3)]
    matrix = matrix_with({"zeta": 0.8, "alpha": 0.8})
    d = decide(chat(), twins, matrix, settings=NO_EXPLORE, classification=cls())
    assert d.model == "alpha"
    assert d.fallbacks == ("zeta",)


def test_tie_on_quality_breaks_to_cheaper_model_in_specialist() -> None:
    pair = [cand("pricey", Tier.MEDIUM, 2.0), cand("thrifty", Tier.MEDIUM, 1.0)]
    matrix = matrix_with({"pricey": 0.8, "thrifty": 0.8})
    d = decide(chat(policy="specialist"), pair, matrix, settings=NO_EXPLORE, classification=cls())
    assert d.model == "thrifty"


def test_empty_candidate_set_raises_no_route_naming_why_each_model_was_excluded() -> None:
    candidates = [
        cand("sim-nano", Tier.SMALL, 0.2, context_window=16_000),
        cand("sim-ultra", Tier.FRONTIER, 5.0, excluded_reason="circuit open"),
        cand("sim-notools", Tier.MEDIUM, 1.0, capabilities=frozenset({"chat"})),
    ]
    request = chat(input_tokens=20_000, max_output_tokens=500, has_tools=True)
    with pytest.raises(NoRouteError) as err:
        decide(request, candidates, RoutingMatrix(), settings=NO_EXPLORE, classification=cls())
    message = err.value.message
    assert message.startswith("no model can serve this request: ")
    assert "sim-nano: context window 16000 < 20500 tokens" in message
    assert "sim-ultra: circuit open" in message
    assert "sim-notools: lacks capability tools" in message
    assert err.value.code == "no_route"


def test_no_configured_models_raises_no_route_that_says_so() -> None:
    with pytest.raises(NoRouteError, match="no models are configured"):
        decide(chat(), [], RoutingMatrix(), settings=NO_EXPLORE, classification=cls())


def test_excluded_models_stay_in_the_decision_with_their_reason() -> None:
    candidates = [*trio()[:2], cand("sim-ultra", Tier.FRONTIER, 5.0, excluded_reason="API key env X_KEY is not set")]
    d = decide(chat(), candidates, RoutingMatrix(), settings=NO_EXPLORE, classification=cls(complexity=0.95))
    row = d.candidate("sim-ultra")
    assert not row.eligible and row.excluded_reason == "API key env X_KEY is not set"
    assert d.model != "sim-ultra" and "sim-ultra" not in d.fallbacks


def test_pinned_model_is_chosen_even_when_policy_would_pick_another() -> None:
    d = decide(chat(pinned_model="sim-ultra"), trio(), RoutingMatrix(), settings=NO_EXPLORE, classification=cls(complexity=0.0))
    assert d.model == "sim-ultra"
    assert d.candidate("sim-nano").excluded_reason == "request is pinned to sim-ultra"


def test_pinned_request_predicts_only_the_named_model_and_says_the_caller_chose() -> None:
    matrix = matrix_with({"sim-nano": 0.55, "sim-mid": 0.78, "sim-ultra": 0.9})
    d = decide(chat(pinned_model="sim-mid"), trio(), matrix, settings=NO_EXPLORE, classification=cls(complexity=0.5))
    assert (d.model, d.fallbacks) == ("sim-mid", ())
    named = d.candidate("sim-mid")
    assert named.eligible and named.excluded_reason is None and named.score == 1.0
    assert named.predicted_quality is not None and named.predicted_cost_usd is not None
    assert d.reason == f"pinned by the request (chat, complexity 0.50; predicted quality {named.predicted_quality:.2f})"
    for other in ("sim-nano", "sim-ultra"):
        row = d.candidate(other)
        assert (row.eligible, row.excluded_reason) == (False, "request is pinned to sim-mid")
        assert (row.predicted_quality, row.predicted_latency_ms, row.predicted_cost_usd) == (None, None, None)
    stored = d.to_dict()["candidates"]
    assert [c["predicted_quality"] is None for c in stored] == [True, False, True]


def test_pinned_model_that_cannot_serve_the_request_is_refused_with_its_reason() -> None:
    candidates = [cand("sim-nano", Tier.SMALL, 0.2, context_window=100), *trio()[1:]]
    with pytest.raises(ContextLengthError) as caught:  # lasting for this request: a 400, not a retryable 503
        decide(chat("word " * 400, pinned_model="sim-nano"), candidates, RoutingMatrix(), settings=NO_EXPLORE,
               classification=cls())
    assert caught.value.status == 400
    assert caught.value.message.startswith("sim-nano cannot serve this request: context window 100 < ")
    assert caught.value.message.endswith("name another model or send 'auto'")
    assert caught.value.details["excluded"]["sim-mid"] == "request is pinned to sim-nano"


def test_pinned_model_refusals_say_whether_a_retry_could_help() -> None:
    lacking = [cand("sim-nano", Tier.SMALL, 0.2, capabilities=frozenset({"chat"})), *trio()[1:]]
    with pytest.raises(InvalidRequestError, match="sim-nano cannot serve this request: lacks capability tools"):
        decide(chat(pinned_model="sim-nano", has_tools=True), lacking, RoutingMatrix(), settings=NO_EXPLORE,
               classification=cls())
    down = [cand("sim-nano", Tier.SMALL, 0.2, excluded_reason="circuit open"), *trio()[1:]]
    with pytest.raises(NoRouteError, match="sim-nano cannot serve this request: circuit open"):  # the daemon's to judge
        decide(chat(pinned_model="sim-nano"), down, RoutingMatrix(), settings=NO_EXPLORE, classification=cls())


def test_a_request_too_long_for_every_usable_model_is_a_400_naming_max_tokens_not_a_503() -> None:
    candidates = [cand("sim-nano", Tier.SMALL, 0.2, context_window=100),
                  cand("sim-ultra", Tier.FRONTIER, 5.0, excluded_reason="circuit open")]
    with pytest.raises(ContextLengthError) as auto:
        decide(chat("hello", max_output_tokens=500), candidates, RoutingMatrix(), settings=NO_EXPLORE,
               classification=cls())
    with pytest.raises(ContextLengthError) as long_prompt:
        decide(chat("word " * 400), candidates, RoutingMatrix(), settings=NO_EXPLORE, classification=cls())
    assert auto.value.status == 400 and auto.value.details["param"] == "max_tokens"
    assert auto.value.message.startswith("max_tokens: the prompt (about ")
    assert "the largest context window is 100 tokens" in auto.value.message
    assert long_prompt.value.message.endswith("longer than any usable model takes (the largest context window is "
                                              "100 tokens); shorten it")


def test_configured_fallbacks_come_first_then_policy_ranking() -> None:
    candidates = [
        cand("sim-nano", Tier.SMALL, 0.2, fallbacks=("sim-ultra",)),
        cand("sim-mid", Tier.MEDIUM, 1.0),
        cand("sim-ultra", Tier.FRONTIER, 5.0),
    ]
    d = decide(chat(), candidates, RoutingMatrix(), settings=NO_EXPLORE, classification=cls(complexity=0.0))
    assert d.model == "sim-nano"
    assert d.fallbacks == ("sim-ultra", "sim-mid")


def test_cascade_tries_cheap_model_first_and_names_escalation_and_threshold() -> None:
    matrix = matrix_with({"sim-nano": 0.6, "sim-mid": 0.62, "sim-ultra": 0.9})
    d = decide(chat(policy="auto:cascade"), trio(), matrix, settings=NO_EXPLORE, classification=cls(complexity=0.5))
    assert d.model == "sim-nano"
    assert d.escalation is not None
    assert d.escalation.model == "sim-ultra"
    assert d.escalation.confidence_threshold == pytest.approx(0.6)
    assert d.fallbacks[0] == "sim-ultra"
    assert "escalate to sim-ultra if confidence < 0.60" in d.reason


def test_cascade_escalates_to_a_stronger_model_when_the_cheap_one_is_also_the_strict_choice() -> None:
    matrix = matrix_with({"sim-nano": 0.9, "sim-mid": 0.92, "sim-ultra": 0.95})
    d = decide(chat(policy="cascade"), trio(), matrix, settings=NO_EXPLORE, classification=cls(complexity=0.1))
    assert d.model == "sim-nano"
    assert d.escalation is not None and d.escalation.model == "sim-ultra"


def test_cascade_without_a_stronger_model_has_no_escalation() -> None:
    only = [cand("solo", Tier.SMALL, 0.2)]
    d = decide(chat(policy="cascade"), only, RoutingMatrix(), settings=NO_EXPLORE, classification=cls())
    assert d.model == "solo" and d.escalation is None
    assert "no stronger model" in d.reason


def test_specialist_picks_best_quality_for_the_task_type() -> None:
    matrix = matrix_with({"sim-nano": 0.95, "sim-mid": 0.7, "sim-ultra": 0.8}, task=TaskType.MATH)
    d = decide(chat(policy="specialist"), trio(), matrix, settings=NO_EXPLORE, classification=cls(TaskType.MATH))
    assert d.model == "sim-nano"
    assert "best for math/reasoning" in d.reason
    # The same matrix says nothing about prose, so priors (tier) decide there.
    d2 = decide(chat(policy="specialist"), trio(), matrix, settings=NO_EXPLORE, classification=cls(TaskType.PROSE))
    assert d2.model == "sim-ultra"


def test_latency_policy_picks_fastest_model_above_the_floor() -> None:
    candidates = [
        cand("slow-good", Tier.MEDIUM, 1.0, latency_p95_ms=2500.0),
        cand("fast-good", Tier.MEDIUM, 1.5, latency_p95_ms=400.0),
        cand("fastest-bad", Tier.SMALL, 0.2, latency_p95_ms=100.0),
    ]
    matrix = matrix_with({"slow-good": 0.85, "fast-good": 0.84, "fastest-bad": 0.3})
    d = decide(chat(policy="fast"), candidates, matrix, settings=NO_EXPLORE, classification=cls())
    assert d.model == "fast-good"
    assert "p95 400 ms" in d.reason


def test_latency_policy_reacts_when_a_models_p95_changes() -> None:
    def pool(p95_a: float) -> list[Candidate]:
        return [cand("a", Tier.MEDIUM, 1.0, latency_p95_ms=p95_a), cand("b", Tier.MEDIUM, 1.0, latency_p95_ms=900.0)]

    matrix = matrix_with({"a": 0.8, "b": 0.8})
    before = decide(chat(surface="lsp"), pool(300.0), matrix, settings=NO_EXPLORE, classification=cls())
    after = decide(chat(surface="lsp"), pool(4000.0), matrix, settings=NO_EXPLORE, classification=cls())
    assert before.policy == "fast"
    assert (before.model, after.model) == ("a", "b")
    assert after.candidate("a").predicted_latency_ms == 4000.0


def test_consensus_selects_diverse_strong_models_and_a_tiebreaker() -> None:
    candidates = [
        cand("acme-1", Tier.FRONTIER, 5.0, provider="acme"),
        cand("acme-2", Tier.FRONTIER, 5.0, provider="acme"),
        cand("beta-1", Tier.FRONTIER, 4.0, provider="beta"),
        cand("gamma-1", Tier.MEDIUM, 1.0, provider="gamma"),
        cand("weak", Tier.SMALL, 0.1, provider="delta"),
    ]
    matrix = matrix_with({"acme-1": 0.9, "acme-2": 0.89, "beta-1": 0.87, "gamma-1": 0.84, "weak": 0.3})
    d = decide(chat(policy="consensus"), candidates, matrix, settings=NO_EXPLORE, classification=cls())
    assert d.consensus_models == ("acme-1", "beta-1", "gamma-1")
    assert d.model == "acme-1"
    assert d.tiebreaker == "acme-2"
    assert "consensus of acme-1, beta-1, gamma-1" in d.reason


def test_consensus_uses_the_configured_tiebreaker() -> None:
    settings = _settings(consensus=PolicySettings(kind="consensus", consensus_size=2, tiebreaker="sim-nano"))
    d = decide(chat(policy="consensus"), trio(), RoutingMatrix(), settings=settings, classification=cls())
    assert d.consensus_models == ("sim-ultra", "sim-mid")
    assert d.tiebreaker == "sim-nano"


def test_cheapest_policy_ignores_quality() -> None:
    matrix = matrix_with({"sim-nano": 0.1, "sim-mid": 0.9, "sim-ultra": 0.95})
    d = decide(chat(policy="cheapest"), trio(), matrix, settings=NO_EXPLORE, classification=cls())
    assert d.model == "sim-nano"


def test_cost_in_the_objective_trades_a_little_quality_for_a_lot_of_money() -> None:
    settings = _settings(specialist=PolicySettings(kind="specialist", cost_weight=0.2))
    matrix = matrix_with({"sim-nano": 0.80, "sim-mid": 0.5, "sim-ultra": 0.84})
    d = decide(chat(policy="specialist"), trio(), matrix, settings=settings, classification=cls())
    assert d.model == "sim-nano"
    no_cost = decide(chat(policy="specialist"), trio(), matrix, settings=NO_EXPLORE.model_copy(update={"policies": {**NO_EXPLORE.policies, "specialist": PolicySettings(kind="specialist")}}), classification=cls())
    assert no_cost.model == "sim-ultra"


def test_unknown_policy_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidRequestError, match="auto:nope.*auto:balanced"):
        decide(chat(policy="auto:nope"), trio(), RoutingMatrix(), settings=NO_EXPLORE, classification=cls())


def test_surface_default_policy_applies_when_request_names_none() -> None:
    assert decide(chat(surface="lsp"), trio(), RoutingMatrix(), settings=NO_EXPLORE, classification=cls()).policy == "fast"
    assert decide(chat(surface="mcp"), trio(), RoutingMatrix(), settings=NO_EXPLORE, classification=cls()).policy == "balanced"


def test_decision_reports_every_candidates_predictions() -> None:
    d = decide(chat(input_tokens=1000, max_output_tokens=100), trio(), RoutingMatrix(), settings=NO_EXPLORE, classification=cls())
    assert [c.model for c in d.candidates] == ["sim-nano", "sim-mid", "sim-ultra"]
    ultra = d.candidate("sim-ultra")
    assert ultra.predicted_cost_usd == pytest.approx((1000 + 100) * 5.0 / 1e6)
    assert ultra.predicted_quality > d.candidate("sim-nano").predicted_quality
    as_dict = d.to_dict()
    assert as_dict["model"] == d.model and len(as_dict["candidates"]) == 3
