"""Which configured models the router may use right now, and why the others are excluded."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from daemon.config import ModelSettings, Settings
from daemon.errors import SwitchboardError

_KEY_UNSET = re.compile(r"API key env \S+ is not set")
KEY_UNSET_FOR_OTHERS = "its API key is not set on the daemon (its owner's `switchboard status` says which)"


def excluded_reason(model: ModelSettings) -> str | None:
    """Why a configured model cannot be used at all (before any request-specific check)."""
    if not model.enabled:
        return "disabled in config"
    if model.api_key_env and not os.environ.get(model.api_key_env):
        return f"API key env {model.api_key_env} is not set"
    return None


def availability(settings: Settings) -> dict[str, str | None]:
    """Every configured model with its exclusion reason (None when usable)."""
    # Runs on every request. The reasons only change with the settings object (frozen; a config reload
    # makes a new one) and with which API key variables are set, so the last answer is kept and
    # recomputed when either changes. The variables themselves are read on every call: the
    # environment can change between requests (tests set and unset keys).
    global _last
    last = _last
    same_settings = last is not None and last.settings is settings
    key_env_names = last.key_env_names if last is not None and same_settings else _key_env_names(settings)
    keys_set = tuple(bool(os.environ.get(name)) for name in key_env_names)
    if last is None or not same_settings or last.keys_set != keys_set:
        last = _last = _Availability(settings, key_env_names, keys_set, _reasons(settings))
    return dict(last.reasons)


@dataclass(frozen=True, slots=True)
class _Availability:
    """``availability``'s last answer and what it depended on."""

    settings: Settings
    key_env_names: tuple[str, ...]
    """The distinct API key variables of the enabled models: all of the environment the reasons read."""
    keys_set: tuple[bool, ...]
    reasons: dict[str, str | None]


_last: _Availability | None = None


def _key_env_names(settings: Settings) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.api_key_env for m in settings.models.values() if m.enabled and m.api_key_env))


def _reasons(settings: Settings) -> dict[str, str | None]:
    return {name: excluded_reason(model) for name, model in settings.models.items()}


def without_key_names(text: str) -> str:
    """``text`` with the names of API key variables left out: what a developer who is not the daemon's
    admin is told (which variables hold the provider keys is the owner's business)."""
    return _KEY_UNSET.sub(KEY_UNSET_FOR_OTHERS, text) if "API key env " in text else text


def hide_key_names(exc: SwitchboardError) -> None:
    """``without_key_names`` applied to an error's message and to the reasons in its details."""
    exc.message = without_key_names(exc.message)
    exc.args = (exc.message,)
    excluded = exc.details.get("excluded")
    if isinstance(excluded, dict):
        exc.details["excluded"] = {k: without_key_names(v) if isinstance(v, str) else v for k, v in excluded.items()}
