"""Model profiles: what a simulated model is (speed, confidence, price, limits).

A profile is a frozen value; the server holds the current set and a test replaces a profile to
change a model. Every model serves both wire formats; ``wire_format`` only says which one the demo
config reaches it through.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Tier = Literal["small", "medium", "frontier"]
WireFormat = Literal["openai", "anthropic"]

OPENAI_CAPABILITIES = ("chat", "stream", "tools", "fim", "logprobs", "json", "json_schema")
ANTHROPIC_CAPABILITIES = ("chat", "stream", "tools", "json", "json_schema")
EMBEDDING_CAPABILITIES = ("embeddings",)


class ModelProfile(BaseModel):
    """One simulated model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Model id clients put in the request body."""
    wire_format: WireFormat = "openai"
    """Format the demo config uses to reach the model; the server answers both on every model."""
    kind: Literal["chat", "embedding"] = "chat"
    """``embedding``: the model answers ``/v1/embeddings`` (vectors of ``dimensions`` floats), not prompts."""
    dimensions: int = Field(default=256, ge=1, le=4096)
    """Length of an embedding model's vectors (a request's ``dimensions`` may ask for fewer)."""
    latency_ms: float = Field(default=0.0, ge=0)
    """Time to first token (before the response headers); 0 = instant."""
    tokens_per_second: float = Field(default=0.0, ge=0)
    """Output pacing between stream chunks; 0 = instant, no sleeping at all."""
    chunk_tokens: int = Field(default=3, ge=1)
    """Tokens per streamed content chunk."""
    confidence: float = Field(default=0.9, ge=0, le=1)
    """Mean per-token probability; drives the logprobs the model reports."""
    answer_seed: str = ""
    """Seed of `answer_text`; the shared default makes every model give the same answer."""
    input_usd_per_mtok: float = Field(default=0.0, ge=0)
    """Price of input tokens, USD per million (for the demo config)."""
    output_usd_per_mtok: float = Field(default=0.0, ge=0)
    """Price of output tokens, USD per million (for the demo config)."""
    tier: Tier = "small"
    """Capability tier the router can reason about."""
    context_window: int = Field(default=128_000, ge=1)
    """Requests whose input tokens exceed this get the format's real context-length 400."""
    quality: float = Field(default=0.5, ge=0, le=1)
    """Prior quality hint for the demo routing matrix."""
    capabilities: tuple[str, ...] = OPENAI_CAPABILITIES
    """Capabilities advertised in the demo config (``prefill`` is added when the model has it)."""
    prefill: bool = True
    """Continues an assistant message given last (a resumed stream); False answers such a request with the
    400 models without prefill send."""
    dissent: float = Field(default=0.0, ge=0, le=1)
    """Share of prompts (picked by a hash of the prompt) this model answers its own way, seeded by its
    name instead of ``answer_seed``, so that a consensus can disagree; 0: always the shared answer."""
    confidence_spread: float = Field(default=0.0, ge=0, le=1)
    """How far ``confidence`` swings per prompt (picked by a hash of the prompt, ±): some answers are
    surer than others, so a cascade escalates some and serves the rest; 0: always ``confidence``."""

    def _share(self, salt: str, prompt_text: str) -> float:
        """A stable number in [0, 1) for this model and prompt."""
        digest = hashlib.sha256(f"{salt}\x00{self.name}\x00{prompt_text}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32

    def seed_for(self, prompt_text: str) -> str:
        """The answer seed this model uses for ``prompt_text`` (its own name on the prompts it dissents on)."""
        if self.dissent and self._share("dissent", prompt_text) < self.dissent:
            return f"{self.answer_seed}\x00{self.name}"
        return self.answer_seed

    def confidence_for(self, prompt_text: str) -> float:
        """The mean token probability of this model's answer to ``prompt_text``."""
        if not self.confidence_spread:
            return self.confidence
        swing = (2 * self._share("confidence", prompt_text) - 1) * self.confidence_spread
        return min(1.0, max(0.01, self.confidence + swing))

    def instant(self) -> ModelProfile:
        """This profile with no latency and no pacing (what tests and the benchmark want)."""
        return self.model_copy(update={"latency_ms": 0.0, "tokens_per_second": 0.0})


DEMO_PROFILES: tuple[ModelProfile, ...] = (
    ModelProfile(
        name="sim-nano",
        tier="small",
        latency_ms=40,
        tokens_per_second=400,
        confidence=0.62,
        input_usd_per_mtok=0.05,
        output_usd_per_mtok=0.20,
        context_window=16_000,
        quality=0.45,
    ),
    ModelProfile(
        name="sim-mini",
        tier="small",
        latency_ms=80,
        tokens_per_second=250,
        confidence=0.74,
        input_usd_per_mtok=0.15,
        output_usd_per_mtok=0.60,
        context_window=64_000,
        quality=0.6,
    ),
    ModelProfile(
        name="sim-pro",
        tier="medium",
        latency_ms=180,
        tokens_per_second=120,
        confidence=0.85,
        input_usd_per_mtok=1.25,
        output_usd_per_mtok=5.0,
        context_window=128_000,
        quality=0.78,
    ),
    ModelProfile(
        name="sim-ultra",
        tier="frontier",
        latency_ms=450,
        tokens_per_second=60,
        confidence=0.95,
        input_usd_per_mtok=10.0,
        output_usd_per_mtok=40.0,
        context_window=200_000,
        quality=0.92,
    ),
    ModelProfile(
        name="sim-claude",
        wire_format="anthropic",
        tier="frontier",
        latency_ms=300,
        tokens_per_second=80,
        confidence=0.93,
        input_usd_per_mtok=3.0,
        output_usd_per_mtok=15.0,
        context_window=200_000,
        quality=0.9,
        capabilities=ANTHROPIC_CAPABILITIES,
    ),
    ModelProfile(
        name="sim-embed",
        kind="embedding",
        tier="small",
        latency_ms=15,
        input_usd_per_mtok=0.02,
        context_window=8_192,
        quality=0.5,
        capabilities=EMBEDDING_CAPABILITIES,
        dimensions=256,
    ),
)
"""The demo line-up: a realistic spread of price, speed and quality."""


def instant_profiles(profiles: tuple[ModelProfile, ...] = DEMO_PROFILES) -> tuple[ModelProfile, ...]:
    """The given profiles (the demo ones by default) with latency and pacing removed."""
    return tuple(p.instant() for p in profiles)
