"""The `[models.*]` config that points Switchboard at the sim's demo models.

LiteLLM needs different bases per format: `openai/<name>` appends `/chat/completions` to its
`api_base`, so it gets `<url>/v1`; `anthropic/<name>` appends `/v1/messages`, so it gets the bare
`<url>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from daemon.sim.profiles import DEMO_PROFILES, ModelProfile

SIM_KEY_ENV = "SWITCHBOARD_SIM_KEY"
"""Environment variable the demo config names for the (ignored) provider key."""


def litellm_target(profile: ModelProfile, base_url: str) -> tuple[str, str]:
    """(LiteLLM model id, api_base) that reaches `profile` on a sim at `base_url`."""
    base = base_url.rstrip("/")
    if profile.wire_format == "anthropic":
        return f"anthropic/{profile.name}", base
    return f"openai/{profile.name}", f"{base}/v1"


def demo_models_config(base_url: str, profiles: Iterable[ModelProfile] = DEMO_PROFILES) -> dict[str, dict[str, Any]]:
    """The `models` table (name → settings) for `profiles` served at `base_url`."""
    models = {}
    for profile in profiles:
        litellm_model, api_base = litellm_target(profile, base_url)
        models[profile.name] = {
            "litellm_model": litellm_model,
            **({"kind": profile.kind} if profile.kind != "chat" else {}),
            "api_base": api_base,
            "api_key_env": SIM_KEY_ENV,
            "tier": profile.tier,
            "input_usd_per_mtok": profile.input_usd_per_mtok,
            "output_usd_per_mtok": profile.output_usd_per_mtok,
            "context_window": profile.context_window,
            "capabilities": [*profile.capabilities, *(("prefill",) if profile.prefill and profile.kind == "chat" else ())],
            "simulated": True,
        }
    return models


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # JSON string escaping is valid TOML basic-string escaping for these values.
    return json.dumps(str(value))


def demo_models_toml(base_url: str, profiles: Iterable[ModelProfile] = DEMO_PROFILES) -> str:
    """`demo_models_config` rendered as TOML `[models.<name>]` tables."""
    blocks = []
    for name, settings in demo_models_config(base_url, profiles).items():
        lines = [f"[models.{name}]"] + [f"{key} = {_toml_value(value)}" for key, value in settings.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
