"""Simulated LLM providers: the one fake of the project, at the provider boundary.

A real aiohttp server speaking the OpenAI (chat and legacy completions) and Anthropic Messages
wire formats, with deterministic answers, per-model profiles, scripted faults and a request log.
It backs the tests of every layer and `switchboard daemon --demo`.

    async with SimServer() as sim:
        sim.script("sim-nano", Fault(kind="rate_limit", retry_after=1))
        ...  # point a client at sim.openai_base (OpenAI) or sim.url (Anthropic)
        assert len(sim.requests_for("sim-nano")) == 2
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Names resolve on first use (PEP 562), so `switchboard --help`, which only needs the sim's argparse
# options (``daemon.sim.options``), does not import the server and aiohttp with the package.
_HOME = {
    "END_MARKER": "answers", "answer_text": "answers", "count_tokens": "answers", "fim_answer": "answers",
    "split_tokens": "answers", "add_sim_arguments": "options", "run_sim": "cli", "demo_models_config": "demo",
    "demo_models_toml": "demo", "litellm_target": "demo", "Fault": "faults", "FaultKind": "faults",
    "RequestRecord": "log", "key_fingerprint": "log", "DEMO_PROFILES": "profiles", "ModelProfile": "profiles",
    "instant_profiles": "profiles", "SimServer": "server",
}

if TYPE_CHECKING:
    from daemon.sim.answers import END_MARKER, answer_text, count_tokens, fim_answer, split_tokens
    from daemon.sim.cli import run_sim
    from daemon.sim.demo import demo_models_config, demo_models_toml, litellm_target
    from daemon.sim.faults import Fault, FaultKind
    from daemon.sim.log import RequestRecord, key_fingerprint
    from daemon.sim.options import add_sim_arguments
    from daemon.sim.profiles import DEMO_PROFILES, ModelProfile, instant_profiles
    from daemon.sim.server import SimServer


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'daemon.sim' has no attribute {name!r}")
    value = getattr(import_module(f"daemon.sim.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEMO_PROFILES",
    "END_MARKER",
    "Fault",
    "FaultKind",
    "ModelProfile",
    "RequestRecord",
    "SimServer",
    "add_sim_arguments",
    "answer_text",
    "count_tokens",
    "demo_models_config",
    "demo_models_toml",
    "fim_answer",
    "instant_profiles",
    "key_fingerprint",
    "litellm_target",
    "run_sim",
    "split_tokens",
]
