"""Offline routing of many prompts: ``switchboard route --batch FILE``.

One JSON object in per line, one decision out per line, in order. A line is ``{"id", "prompt"}``,
or — for agent-shaped requests, as the API receives them — ``{"id", "messages", "tools"}`` with
chat messages in the OpenAI or Anthropic shape (and an optional Anthropic ``system``); plus
optional ``surface``, ``policy``, ``max_output_tokens``, ``priority``. A line that cannot be routed
yields an ``error`` entry for that id instead of stopping the batch: an offline evaluation should
see every failure, not only the first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from daemon.errors import InvalidRequestError, SwitchboardError
from daemon.router.engine import DEFAULT_SETTINGS, decide
from daemon.router.matrix import RoutingMatrix
from daemon.router.prompt import messages_from_wire
from daemon.router.settings import RoutingSettings
from daemon.router.types import NO_BUDGET, BudgetState, Candidate, RouteRequest, estimate_tokens

_OPTIONAL = ("surface", "policy", "max_output_tokens", "priority")


def request_from_line(line: Mapping[str, Any]) -> RouteRequest:
    """The ``RouteRequest`` a batch line describes; ``InvalidRequestError`` when it has neither a text
    ``prompt`` nor a list of ``messages``."""
    kwargs = {key: line[key] for key in _OPTIONAL if line.get(key) is not None}
    line_id = line.get("id")
    request_id = None if line_id is None else str(line_id)
    prompt, messages, tools = line.get("prompt"), line.get("messages"), line.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise InvalidRequestError("batch line \"tools\" must be a list of tool definitions")
    if isinstance(messages, list) and messages:
        if not all(isinstance(m, Mapping) for m in messages):
            raise InvalidRequestError("batch line \"messages\" must be a list of message objects")
        routed = messages_from_wire(messages, line.get("system"))
        # The token estimate counts what the request sends: messages and the tools' schemas.
        tokens = sum(estimate_tokens(m.text) for m in routed) + 4 * len(routed)
        tokens += estimate_tokens(json.dumps(tools)) if tools else 0
        return RouteRequest(messages=routed, request_id=request_id, has_tools=bool(tools),
                            tool_count=len(tools or ()), input_tokens=tokens, **kwargs)
    if not isinstance(prompt, str) or not prompt:
        raise InvalidRequestError("batch line needs a non-empty string \"prompt\" or a list of \"messages\"")
    return RouteRequest.from_prompt(prompt, request_id=request_id, **kwargs)


def route_batch(
    lines: Iterable[Mapping[str, Any]],
    candidates: Sequence[Candidate],
    matrix: RoutingMatrix,
    settings: RoutingSettings = DEFAULT_SETTINGS,
    *,
    budget: BudgetState = NO_BUDGET,
) -> Iterator[dict[str, Any]]:
    """One output dict per input line: id, model, task_type, complexity, reason, and every candidate's predictions."""
    for line in lines:
        line_id = line.get("id") if isinstance(line, Mapping) else None
        try:
            if not isinstance(line, Mapping):
                raise InvalidRequestError("batch line must be a JSON object")
            decision = decide(request_from_line(line), candidates, matrix, budget, settings)
        except SwitchboardError as exc:
            yield {"id": line_id, "error": {"code": exc.code, "message": exc.message}}
            continue
        yield {
            "id": line_id,
            "model": decision.model,
            "task_type": str(decision.classification.task_type),
            "complexity": round(decision.classification.complexity, 4),
            "policy": decision.policy,
            "matrix_version": decision.matrix_version,
            "reason": decision.reason,
            "fallbacks": list(decision.fallbacks),
            "candidates": [
                {
                    "model": row.model,
                    "predicted_quality": None if row.predicted_quality is None else round(row.predicted_quality, 4),
                    "predicted_cost_usd": row.predicted_cost_usd,
                    "predicted_latency_ms": (None if row.predicted_latency_ms is None
                                             else round(row.predicted_latency_ms, 1)),
                    "eligible": row.eligible,
                    "excluded_reason": row.excluded_reason,
                }
                for row in decision.candidates
            ],
        }
