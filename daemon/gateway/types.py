"""The gateway's values: a format-neutral request, the events a provider stream becomes, and the result.

A request is kept in OpenAI chat form (the lingua franca every transport can encode); the caller's
own body rides along in ``native`` so a provider of the same format gets it forwarded faithfully,
unknown fields included. Streams become a handful of event types that any surface can render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from daemon.store.records import AttemptRecord

NativeWire = Literal["openai-chat", "openai-text", "anthropic"]


@dataclass(frozen=True, slots=True)
class FimPrompt:
    """A fill-in-the-middle request: the text before and after the cursor."""

    prefix: str
    suffix: str = ""


@dataclass(frozen=True, slots=True)
class NativeBody:
    """The caller's body in its own wire format, forwarded as-is to a provider speaking it."""

    wire: NativeWire
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A chat request in OpenAI message form, independent of the surface it came from."""

    messages: tuple[dict[str, Any], ...]
    max_tokens: int | None = None
    traceparent: str | None = None
    tools: tuple[dict[str, Any], ...] = ()
    """OpenAI-form tool definitions."""
    tool_choice: Any = None
    response_format: dict[str, Any] | None = None
    logprobs: bool = False
    top_logprobs: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    """Other sampling parameters in OpenAI names (temperature, top_p, stop, seed...)."""
    fim: FimPrompt | None = None
    """Set for code completion: sent as ``prompt``/``suffix`` to a model with the ``fim`` capability."""
    native: NativeBody | None = None
    native_only: tuple[str, ...] = ()
    """The caller's fields that only a provider of the caller's own wire format honours (``seed``, ``top_k``...):
    a model of another format is never sent this request (``daemon.gateway.honour``)."""
    prefill: str = ""
    """Answer text already delivered; a continuation asks the model to carry on from here."""
    external: ChatRequest | None = None
    """The redacted form of this request, sent instead to models marked external."""
    redact_text: Callable[[str], str] | None = None
    """Set when external models get a redacted form: redacts text added later (a continuation's
    prefill, the answer another model began) before an external model sees it."""

    def continued(self, prefill: str) -> ChatRequest:
        """This request resumed after ``prefill`` was already sent to the caller."""
        return replace(self, prefill=prefill)

    def for_model(self, external: bool) -> ChatRequest:
        """What a model gets: the redacted form when it is external and one was made."""
        return self.external if external and self.external is not None else self


@dataclass(frozen=True, slots=True)
class CallLimits:
    """What one request may take beyond the gateway's settings, set by the request path."""

    first_token_timeout: float | None = None
    """The streamed first-byte limit for this request's surface (None: ``stream_first_token_timeout``)."""
    skip: frozenset[str] = frozenset()
    """Deployments the request's budget cannot pay for: never called, not even as a configured fallback."""
    allowance_micros: int | None = None
    """What the request reserved against a budget: every attempt is sent a ``max_tokens`` that keeps the
    attempts' cost together within it (None: no budget applies, nothing is capped)."""


NO_LIMITS = CallLimits()


@dataclass(slots=True)
class Usage:
    """Tokens of one answer and what they cost."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    """Input tokens read from the provider's prompt cache."""
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    provider_cost_usd: float | None = None
    """What the provider said the call cost, when it says."""


@dataclass(slots=True)
class StreamStart:
    """A provider accepted the request and began answering."""

    model: str
    response_id: str


@dataclass(slots=True)
class TextDelta:
    """A piece of answer text (with its token logprobs when asked)."""

    text: str
    logprobs: list[dict[str, Any]] | None = None


@dataclass(slots=True)
class ThinkingDelta:
    """A piece of a reasoning block (Anthropic thinking), passed through to callers that speak it."""

    text: str = ""
    signature: str = ""


@dataclass(slots=True)
class ToolCallDelta:
    """Part of a tool call: the first piece carries id and name, later ones argument text."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True)
class Finish:
    """The answer is complete: why it stopped, and its usage."""

    reason: str
    """OpenAI names: stop, length, tool_calls, content_filter."""
    usage: Usage = field(default_factory=Usage)


@dataclass(slots=True)
class RawBody:
    """A non-streamed answer's body as the provider sent it (kept for faithful same-format replies)."""

    body: dict[str, Any]
    wire: NativeWire


Event = StreamStart | TextDelta | ThinkingDelta | ToolCallDelta | RawBody | Finish


@dataclass
class Completion:
    """What a request produced: the answer, its cost, and every attempt it took."""

    text: str = ""
    model: str | None = None
    """Configured name of the model that answered."""
    finish_reason: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None
    usage: Usage = field(default_factory=Usage)
    cost_micros: int = 0
    ttft_ms: float | None = None
    attempts: list[AttemptRecord] = field(default_factory=list)
    error: Exception | None = None
    response_id: str = ""
    raw: dict[str, Any] | None = None
    """The provider's own response body, when it was not streamed."""
    raw_wire: NativeWire | None = None

    @property
    def input_tokens(self) -> int:
        """Input tokens billed."""
        return self.usage.input_tokens

    @property
    def output_tokens(self) -> int:
        """Output tokens billed."""
        return self.usage.output_tokens
