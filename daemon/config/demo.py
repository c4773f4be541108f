"""When the daemon runs on the simulated providers: one rule for every way a daemon starts.

``make run``, ``switchboard daemon`` and a daemon a client starts on demand (``switchboard ask``,
the MCP server, the LSP bridge) all follow it, so a newcomer never meets a daemon that has no
usable model: with no provider key in the environment and no config file, nothing real can
answer, and the daemon starts on the simulated providers (demo mode), labelled as such wherever
it shows. ``--demo`` / ``--no-demo`` (or ``SWITCHBOARD_DEMO=1|0``) decide explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from daemon.config import Settings, load_settings, user_config_path
from daemon.config.candidates import availability

DEMO_NOTICE = (
    "No provider key (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) and no config: starting with the SIMULATED "
    "providers (demo mode). Answers are synthetic. Set a provider key (or write a config) and restart the "
    "daemon to use real models."
)


def wants_demo(config_path: Path | None = None, *, explicit: bool | None = None) -> bool:
    """Whether a daemon started now should run on the simulated providers.

    ``explicit`` is the ``--demo``/``--no-demo`` flag (None when neither was given); then
    ``SWITCHBOARD_DEMO``; then the rule: no config file (``--config``, ``SWITCHBOARD_CONFIG`` or the
    XDG one) and no shipped model usable with the keys in the environment.
    """
    if explicit is not None:
        return explicit
    env = os.environ.get("SWITCHBOARD_DEMO", "").strip().lower()
    if env in ("1", "true", "yes"):
        return True
    if env in ("0", "false", "no"):
        return False
    if config_path is not None or user_config_path() is not None:
        return False
    return not any(reason is None for reason in availability(load_settings()).values())


def demo_overlay(settings: Settings, sim_base_url: str) -> dict[str, Any]:
    """The config overlay of demo mode: the configured models off, the simulated ones at ``sim_base_url``."""
    from daemon.sim import demo_models_config

    overlay: dict[str, Any] = {"models": {name: {"enabled": False} for name in settings.models}}
    overlay["models"].update(demo_models_config(sim_base_url))
    return overlay
