"""The gateway: the only code that calls providers. Attempts, failover, limits and cost live here.

``Gateway.stream``/``Gateway.complete`` run one request along a route; ``worst_case_micros`` is the
budget reservation for a request on a model; ``cost_micros`` prices a usage.
"""

from daemon.gateway.cost import cost_micros, prices_of, worst_case_micros
from daemon.gateway.engine import Gateway, estimate_input_tokens
from daemon.gateway.types import (
    NO_LIMITS,
    CallLimits,
    ChatRequest,
    Completion,
    Event,
    FimPrompt,
    Finish,
    NativeBody,
    StreamStart,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "NO_LIMITS", "CallLimits", "ChatRequest", "Completion", "Event", "FimPrompt", "Finish", "Gateway", "NativeBody", "StreamStart",
    "TextDelta", "ThinkingDelta", "ToolCallDelta", "Usage", "cost_micros", "estimate_input_tokens", "prices_of",
    "worst_case_micros",
]
