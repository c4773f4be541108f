"""Which configured models the router may use right now, and why the others are excluded."""

from __future__ import annotations

import os

from daemon.config import ModelSettings, Settings


def excluded_reason(model: ModelSettings) -> str | None:
    """Why a configured model cannot be used at all (before any request-specific check)."""
    if not model.enabled:
        return "disabled in config"
    if model.api_key_env and not os.environ.get(model.api_key_env):
        return f"API key env {model.api_key_env} is not set"
    return None


def availability(settings: Settings) -> dict[str, str | None]:
    """Every configured model with its exclusion reason (None when usable)."""
    return {name: excluded_reason(model) for name, model in settings.models.items()}
