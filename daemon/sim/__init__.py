"""Simulated LLM providers: the one fake of the project, at the provider boundary.

A real aiohttp server speaking the OpenAI (chat and legacy completions) and Anthropic Messages
wire formats, with deterministic answers, per-model profiles, scripted faults and a request log.
It backs the tests of every layer and `switchboard daemon --demo`.

    async with SimServer() as sim:
        sim.script("sim-nano", Fault(kind="rate_limit", retry_after=1))
        ...  # point a client at sim.openai_base (OpenAI) or sim.url (Anthropic)
        assert len(sim.requests_for("sim-nano")) == 2
"""

from daemon.sim.answers import END_MARKER, answer_text, count_tokens, fim_answer, split_tokens
from daemon.sim.cli import add_sim_arguments, run_sim
from daemon.sim.demo import demo_models_config, demo_models_toml, litellm_target
from daemon.sim.faults import Fault, FaultKind
from daemon.sim.log import RequestRecord, key_fingerprint
from daemon.sim.profiles import DEMO_PROFILES, ModelProfile, instant_profiles
from daemon.sim.server import SimServer

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
