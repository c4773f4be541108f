"""Strategies that take more than one provider call per request: cascade and consensus.

Both run on the request path's primitives (``pipeline.run_into``) and produce ONE trace whose
attempts show every call, so a person reading the trace sees exactly what happened and why.
Money: the whole worst case is claimed once for the request, and settled once at the end.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from daemon.core import pipeline
from daemon.core.routing import RoutePlan
from daemon.core.services import Services
from daemon.errors import BudgetExceededError, SwitchboardError
from daemon.gateway import ChatRequest, Completion, estimate_input_tokens, worst_case_micros
from daemon.router.compare import agreement
from daemon.router.confidence import estimate_confidence


def _logprob_values(completion: Completion) -> list[float] | None:
    if not completion.logprobs:
        return None
    values = [float(item["logprob"]) for item in completion.logprobs if isinstance(item, dict) and "logprob" in item]
    return values or None


def _worst_case(services: Services, request: ChatRequest, models: list[str], skip: frozenset[str]) -> int:
    """Each call may fail over along its model's fallbacks (those the budget can pay for): reserve the
    dearest of each chain."""
    tokens = estimate_input_tokens(request)
    known = services.settings.models
    return sum(
        max((worst_case_micros(known[x], tokens, request.max_tokens)
             for x in services.gateway.expand((m,), skip) if x in known), default=0)
        for m in models if m in known
    )


async def _reserve(services: Services, ctx: pipeline.RequestContext, request: ChatRequest, models: list[str],
                   max_cost_usd: float | None, skip: frozenset[str] = frozenset()) -> None:
    worst = _worst_case(services, request, models, skip)
    if max_cost_usd is not None and worst > max_cost_usd * 1_000_000:
        raise BudgetExceededError(
            f"this request could cost up to ${worst / 1e6:.4f} across {', '.join(models)}, above its max_cost_usd "
            f"of ${max_cost_usd:g}; raise max_cost_usd or use a single model",
            details={"trace_id": ctx.trace_id},
        )
    await pipeline.claim(services, ctx, worst)


@dataclass
class CascadeOutcome:
    """What the cascade did: the completion that is served, and whether it escalated and why."""

    completion: Completion
    escalated: bool
    confidence: float
    reason: str


async def run_cascade(services: Services, ctx: pipeline.RequestContext, request: ChatRequest, plan: RoutePlan,
                      *, max_cost_usd: float | None = None) -> CascadeOutcome:
    """Cheap model first; if its answer's confidence is below the threshold, ask the escalation model.

    Confidence comes from logprobs when the provider gives them and from verifiers (code that does
    not parse, invalid JSON when JSON was asked, refusals, empty or truncated answers).
    """
    escalation = plan.decision.get("escalation") or {}
    target = escalation.get("model")
    threshold = float(escalation.get("confidence_threshold") or 0.0)
    models = [plan.chosen] + ([target] if target else [])
    await _reserve(services, ctx, request, models, max_cost_usd, plan.skip)
    combined = Completion()
    try:
        first_request = request if target is None or request.logprobs else replace(request, logprobs=True)
        await pipeline.run_into(services, ctx, first_request, plan, combined, reserve=False)
        wants_json = (request.response_format or {}).get("type") in ("json_object", "json_schema")
        confidence = estimate_confidence(
            combined.text, logprobs=_logprob_values(combined), wants_json=wants_json,
            expects_code=plan.task_type in ("code_edit", "code_completion"), finish_reason=combined.finish_reason,
        )
        if target is None or confidence.score >= threshold or combined.tool_calls:
            reason = f"cascade: {combined.model} answered with confidence {confidence.score:.2f} (≥ {threshold:.2f})"
            await pipeline.settle(services, ctx, combined.cost_micros)
            return CascadeOutcome(combined, False, confidence.score, reason)
        findings = ", ".join(f.kind for f in confidence.findings) or "low token confidence"
        first_attempts, first_cost, first_model = list(combined.attempts), combined.cost_micros, combined.model
        escalated = Completion()
        escalated.attempts = first_attempts
        escalate_plan = replace(plan, chosen=target, fallbacks=tuple(f for f in plan.fallbacks if f != target))
        await pipeline.run_into(services, ctx, request, escalate_plan, escalated, reserve=False)
        escalated.cost_micros += first_cost
        reason = (f"cascade: {first_model} confidence {confidence.score:.2f} < {threshold:.2f} ({findings}) "
                  f"→ escalated to {escalated.model}")
        await pipeline.settle(services, ctx, escalated.cost_micros)
        return CascadeOutcome(escalated, True, confidence.score, reason)
    except BaseException:
        await pipeline.release(services, ctx)
        raise


@dataclass
class ConsensusOutcome:
    """Every model's answer, their agreement, and what is served."""

    answers: list[tuple[str, Completion | None, SwitchboardError | None]]
    agreement: float
    groups: list[list[int]]
    verdict: str
    answer: str | None
    tiebreaker: str | None
    cost_micros: int
    attempts: list


async def run_consensus(services: Services, ctx: pipeline.RequestContext, request: ChatRequest, models: list[str],
                        *, tiebreaker: str | None, stances: list[str], threshold: float = 0.5) -> ConsensusOutcome:
    """Ask ``models`` in parallel, compare the answers, serve the majority or ask the tiebreaker."""
    await _reserve(services, ctx, request, models + ([tiebreaker] if tiebreaker else []), None)
    try:
        async def one(index: int, model: str) -> tuple[str, Completion | None, SwitchboardError | None]:
            call = request
            if index < len(stances) and stances[index]:
                call = replace(request, messages=({"role": "system", "content": f"Take this stance: {stances[index]}"},
                                                  *request.messages))
            completion = Completion()
            single = RoutePlan(chosen=model, fallbacks=(), reason="consensus member", policy="consensus",
                               policy_kind="consensus")
            try:
                await pipeline.run_into(services, ctx, call, single, completion, reserve=False)
            except SwitchboardError as exc:
                return model, completion, exc
            return model, completion, None

        results = await asyncio.gather(*(one(i, m) for i, m in enumerate(models)))
        texts = [(i, c.text) for i, (_, c, e) in enumerate(results) if e is None and c is not None]
        attempts = [a for _, c, _ in results if c is not None for a in c.attempts]
        cost = sum(c.cost_micros for _, c, _ in results if c is not None)
        if not texts:
            raise next(e for _, _, e in results if e is not None)  # type: ignore[misc]
        score, majority_local, local_groups = agreement([t for _, t in texts])
        local_groups = sorted(local_groups, key=lambda g: (-len(g), g[0]))  # group 0 is the majority
        groups = [[texts[j][0] for j in g] for g in local_groups]
        winner_size = max(len(g) for g in groups)
        share = winner_size / len(results)
        majority = texts[majority_local][0]
        if share > threshold and sum(1 for g in groups if len(g) == winner_size) == 1:
            verdict, answer, used_tiebreaker = "agree", results[majority][1].text, None  # type: ignore[union-attr]
        else:
            verdict, answer, used_tiebreaker = "disagree", None, tiebreaker
            if tiebreaker:
                tb = Completion()
                tb_plan = RoutePlan(chosen=tiebreaker, fallbacks=(), reason="consensus tiebreaker", policy="consensus",
                                    policy_kind="consensus")
                prompt = _tiebreak_prompt(request, [(results[i][0], t) for i, t in texts])
                try:
                    await pipeline.run_into(services, ctx, replace(request, messages=prompt), tb_plan, tb, reserve=False)
                    answer = tb.text
                except SwitchboardError:
                    answer = None
                attempts += tb.attempts
                cost += tb.cost_micros
        await pipeline.settle(services, ctx, cost)
    except BaseException:
        await pipeline.release(services, ctx)
        raise
    return ConsensusOutcome(list(results), round(share, 4), groups, verdict, answer, used_tiebreaker, cost, attempts)


def _tiebreak_prompt(request: ChatRequest, answers: list[tuple[str, str]]) -> tuple[dict, ...]:
    question = pipeline.prompt_text_of(request)
    listed = "\n\n".join(f"Answer {i + 1} (from {model}):\n{text}" for i, (model, text) in enumerate(answers))
    return ({"role": "user", "content": f"{question}\n\nSeveral assistants answered differently:\n\n{listed}\n\n"
             "Give the single best answer to the original question."},)

