"""RoutingSettings: shipped defaults, validation and frozenness."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from daemon.router.settings import PolicySettings, RoutingSettings


def test_defaults_ship_the_named_policies_and_surface_mapping() -> None:
    s = RoutingSettings()
    assert {"balanced", "cascade", "specialist", "fast", "consensus", "cheapest"} <= s.policies.keys()
    assert s.surfaces == {"api": "balanced", "mcp": "balanced", "lsp": "fast", "cli": "balanced"}
    assert s.policy_for("lsp", None)[1].kind == "latency"
    assert s.policy_for("api", "cascade")[1].kind == "cascade"


def test_surface_naming_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown policy 'turbo'"):
        RoutingSettings(surfaces={"api": "turbo"})


def test_unknown_keys_are_refused_and_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        RoutingSettings.model_validate({"polcies": {}})
    with pytest.raises(ValidationError):
        PolicySettings.model_validate({"kind": "complexity", "flor_min": 0.3})
    s = RoutingSettings()
    with pytest.raises(ValidationError):
        s.exploration_rate = 0.5  # type: ignore[misc]


def test_settings_load_from_toml_shaped_data() -> None:
    s = RoutingSettings.model_validate(
        {"policies": {"mine": {"kind": "specialist", "cost_weight": 0.1}}, "surfaces": {"api": "mine"}, "default_policy": "mine",
         "tier_priors": {"small": 0.5, "medium": 0.6, "frontier": 0.7}}
    )
    assert s.policy_for("api", None) == ("mine", PolicySettings(kind="specialist", cost_weight=0.1))
