"""Shadow answers: labels from production. The evaluation job sends a sampled trace's request to a
second model too, so the judge can compare the two answers and the router learns pairwise outcomes,
not only the chosen model's.

The second model is a different eligible one from the nearest tier: one tier up or down from the
model that answered (a coin decides when both exist), else the same tier, else farther. It answers as
the evaluation's developer, after the caller was served, so it spends the evaluation budget and
never delays anyone. The request is the one the trace kept (its redacted text, one message per
"role: text" part); a trace whose prompt has another shape (fill-in-the-middle, tool results,
cut to ``[traces] max_stored_chars``, hashed or not kept) is not shadowed.
"""

from __future__ import annotations

import logging
import random
import re
from typing import Any

from daemon.core import lifecycle, pipeline
from daemon.core.routing import RoutingInput, candidates_for
from daemon.core.services import Services
from daemon.errors import SwitchboardError
from daemon.gateway import ChatRequest
from daemon.router.types import Tier
from daemon.store.records import Developer, TraceRecord

log = logging.getLogger("switchboard.eval")

_PART = re.compile(r"^(system|user|assistant|tool): ", re.MULTILINE)
_CUT = re.compile(r"\n\[\.\.\. cut: the trace keeps \d+ of \d+ characters\]$")
"""The note ending a prompt the trace kept only part of (``[traces] max_stored_chars``)."""
MAX_TOKENS = 1024
"""Most tokens a shadow answer may have (at least the first answer's length, up to this)."""


def request_messages(prompt: str | None) -> tuple[dict[str, Any], ...] | None:
    """The messages of a kept prompt (``role: text`` per message, as traces keep chat requests), or
    None when it is of another shape or holds tool results (not answerable without their tools)."""
    if not prompt or _CUT.search(prompt):
        return None  # a request the trace kept only part of is not the request that was answered
    starts = list(_PART.finditer(prompt))
    if not starts or starts[0].start() != 0:
        return None
    messages = []
    for here, after in zip(starts, [*starts[1:], None], strict=True):
        end = after.start() - 1 if after is not None else len(prompt)  # parts are joined with "\n"
        messages.append({"role": here.group(1), "content": prompt[here.end():end]})
    if any(m["role"] == "tool" for m in messages) or messages[-1]["role"] != "user":
        return None
    return tuple(messages)


def max_tokens_for(trace: TraceRecord) -> int:
    """Room for an answer as long as the first one (and at least a paragraph)."""
    return min(MAX_TOKENS, max(256, 2 * trace.output_tokens))


def shadow_model(services: Services, trace: TraceRecord, rng: random.Random) -> str | None:
    """A different eligible model from the nearest tier to the one that answered, or None."""
    answered = services.settings.models.get(trace.answered_model or "")
    if answered is None:
        return None
    rank = Tier(answered.tier).rank
    needed = trace.input_tokens + max_tokens_for(trace)
    pool = [c for c in candidates_for(services)
            if c.excluded_reason is None and c.name != trace.answered_model and c.context_window >= needed]
    if not pool:
        return None
    up_first = rng.random() < 0.5

    def nearness(tier: Tier) -> tuple[float, int]:
        step = tier.rank - rank
        return (abs(step) if step else 1.5, 0 if (step > 0) == up_first else 1)

    best = min(nearness(c.tier) for c in pool)
    return rng.choice(sorted(c.name for c in pool if nearness(c.tier) == best))


async def shadow_answer(services: Services, developer: Developer, trace: TraceRecord, model: str
                        ) -> tuple[str | None, int]:
    """``model``'s answer to the trace's request (None when it could not answer) and its cost, paid by
    ``developer`` (the evaluation's)."""
    messages = request_messages(trace.prompt)
    if messages is None:
        return None, 0
    max_tokens = max_tokens_for(trace)
    ctx = pipeline.admit(services, developer, surface="cli", requested_model=model)
    ctx.prompt_text = trace.prompt or ""
    request = ChatRequest(messages=messages, max_tokens=max_tokens)
    try:
        _, completion = await lifecycle.execute(
            services, ctx, request, RoutingInput(messages=messages, requested_model=model, surface="cli",
                                                 max_output_tokens=max_tokens, task_hint=trace.task_type),
        )
    except SwitchboardError as exc:
        log.warning("shadow answer from %s for trace %s failed: %s", model, trace.id, exc.message)
        return None, 0
    return completion.text, completion.cost_micros
