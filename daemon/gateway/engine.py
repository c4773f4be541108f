"""Run one request along a route: attempts, retries, failover, stream completion, limits and circuits.

``Gateway.stream`` yields events to the caller as they arrive, in batches (one per provider read). Before the first event reaches the
caller, failover is invisible; after it, a broken stream is completed from the next attempt with the
text already delivered sent as an assistant prefill, so the caller sees one seamless answer (no text
repeated, none missing) or, when that is impossible (a tool call was half sent, no deployment left that
supports prefill, every fallback failed), an explicit ``StreamBrokenError`` naming what first broke it.
Every attempt's tokens are billed (a broken one's estimated); the caller's usage is what it received.
``Gateway.complete`` is the same run collected into a ``Completion``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from daemon.config import GatewaySettings, ModelSettings
from daemon.errors import (
    BudgetExceededError,
    ContentFilterError,
    ContextLengthError,
    InvalidRequestError,
    NoRouteError,
    ProviderError,
    ProviderRateLimitError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    StreamBrokenError,
    SwitchboardError,
)
from daemon.gateway.cost import affordable_output, cost_micros, output_cap
from daemon.gateway.direct import DIRECT_PROVIDERS, Deadlines, DirectTransport
from daemon.gateway.embeddings import embed
from daemon.gateway.honour import needs_check, unable
from daemon.gateway.resilience import CircuitBreakers, RateWindow, backoff_seconds
from daemon.gateway.types import (
    NO_LIMITS,
    CallLimits,
    ChatRequest,
    Completion,
    Event,
    Finish,
    RawBody,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from daemon.store.records import AttemptRecord

log = logging.getLogger("switchboard.gateway")

CHARS_PER_TOKEN = 4
"""The estimate of a token's length in characters, where a provider sent no count."""

# Worth another try on the same deployment: the request is fine, the provider was not (this time).
_RETRYABLE = (ProviderRateLimitError, ProviderUnavailableError, ProviderTimeoutError)


def estimate_input_tokens(request: ChatRequest) -> int:
    """A cheap input-token estimate (about four characters a token) for limits and worst-case cost."""
    chars = len(request.prefill)
    for message in request.messages:
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(str(part.get("text", ""))) for part in content if isinstance(part, dict))
    if request.fim is not None:
        chars += len(request.fim.prefix) + len(request.fim.suffix)
    return chars // CHARS_PER_TOKEN + 1


def _retryable(exc: SwitchboardError) -> bool:
    if isinstance(exc, _RETRYABLE):
        return True
    return type(exc) is ProviderError and bool(exc.details.get("malformed"))


def _provider_fault(exc: SwitchboardError) -> bool:
    """Failures that say something about the deployment's health (not the request, not the rate)."""
    return isinstance(exc, ProviderUnavailableError | ProviderTimeoutError) or (
        type(exc) is ProviderError and exc.details.get("http_status") not in (401, 403, 404)
    )


class Gateway:
    """Calls providers: the direct path (``DirectTransport`` on ``http1``) for OpenAI/Anthropic formats, LiteLLM for the rest."""

    def __init__(self, models: Mapping[str, ModelSettings], settings: GatewaySettings | None = None,
                 publish: Callable[[str, dict], None] | None = None) -> None:
        self.models = models
        self.settings = settings or GatewaySettings()
        self.circuits = CircuitBreakers(self.settings, publish)
        self._windows: dict[str, RateWindow] = {}
        self._direct = DirectTransport()
        self._litellm: Any = None

    def update_models(self, models: Mapping[str, ModelSettings]) -> None:
        """Take a reloaded config's models (in-flight calls keep the ones they started with)."""
        self.models = models

    def update_settings(self, settings: GatewaySettings) -> None:
        """Take reloaded timeouts, retry and circuit settings."""
        self.settings = settings
        self.circuits.settings = settings

    async def warm(self) -> None:
        """Load the direct path's HTTP client in the background (the daemon answers health checks meanwhile)."""
        await self._direct.warm()

    async def aclose(self) -> None:
        """Close pooled provider connections."""
        await self._direct.aclose()

    def _transport(self, model: ModelSettings) -> Any:
        if model.provider in DIRECT_PROVIDERS:
            return self._direct
        if self._litellm is None:
            from daemon.gateway.litellm_transport import LiteLLMTransport

            self._litellm = LiteLLMTransport()
        return self._litellm

    def _window(self, name: str) -> RateWindow:
        window = self._windows.get(name)
        if window is None:
            window = self._windows[name] = RateWindow()
        return window

    def expand(self, route: Sequence[str], skip: Collection[str] = ()) -> list[str]:
        """The decision's route followed by the deployments' own configured ``fallbacks`` not already on it
        (a pinned model keeps its failover even when the router lists no alternatives), less ``skip``
        (what the request's budget cannot pay for)."""
        expanded = list(dict.fromkeys(route))
        if skip:
            expanded = [name for name in expanded if name not in skip]
        for name in list(expanded):
            model = self.models.get(name)
            for fallback in model.fallbacks if model else ():
                other = self.models.get(fallback)
                if other is not None and other.enabled and fallback not in expanded and fallback not in skip:
                    expanded.append(fallback)
        return expanded

    async def count_tokens(self, name: str, body: dict[str, Any]) -> int:
        """Ask an Anthropic-format deployment how many input tokens ``body`` is."""
        model = self.models[name]
        s = self.settings
        deadlines = Deadlines(s.connect_timeout, s.first_token_timeout, s.stall_timeout,
                              asyncio.get_running_loop().time() + s.total_timeout, s.stream_first_token_timeout)
        return await self._direct.count_tokens(name, model, body, deadlines)

    async def embed(self, body: dict[str, Any], route: Sequence[str], result: Completion) -> dict[str, Any]:
        """Send an OpenAI embeddings ``body`` along ``route`` (embedding models), with retries and failover;
        ``result`` collects the answering model, usage, cost and attempts."""
        return await embed(self, body, self.expand(route), result)

    async def complete(self, request: ChatRequest, route: Sequence[str], result: Completion | None = None, *,
                       stream: bool = False, extra_headers: dict[str, str] | None = None,
                       limits: CallLimits = NO_LIMITS) -> Completion:
        """Run ``request`` along ``route`` to the end and return the whole answer.

        Errors are raised (``result.attempts`` still lists every attempt). ``stream=True`` asks the
        provider for a stream (for stall detection and logprobs per chunk) but still returns the whole.
        """
        result = result or Completion()
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        logprobs: list[dict[str, Any]] = []
        async with contextlib.aclosing(self.stream(request, route, result, stream=stream,
                                                   extra_headers=extra_headers, limits=limits)) as events:
            async for batch in events:
                for event in batch:
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                        if event.logprobs:
                            logprobs.extend(event.logprobs)
                    elif isinstance(event, ToolCallDelta):
                        call = calls.setdefault(event.index, {"id": "", "type": "function",
                                                              "function": {"name": "", "arguments": ""}})
                        call["id"] = event.id or call["id"]
                        call["function"]["name"] = event.name or call["function"]["name"]
                        call["function"]["arguments"] += event.arguments
        result.text = "".join(text)
        result.tool_calls = [calls[i] for i in sorted(calls)]
        result.logprobs = logprobs or None
        return result

    async def stream(self, request: ChatRequest, route: Sequence[str], result: Completion, *, stream: bool = True,
                     extra_headers: dict[str, str] | None = None,
                     limits: CallLimits = NO_LIMITS) -> AsyncIterator[list[Event]]:
        """Yield the answer's events in batches (one per provider read), trying ``route`` in order;
        ``result`` collects attempts, usage and cost.

        A timeout or a stall fails over at once (retried on the same deployment only when no other is
        left); 429s, 5xx and resets are retried with backoff first. Once text has reached the caller,
        only a deployment that supports assistant prefill may continue it. The last event is ``Finish``.
        Raises the deciding ``SwitchboardError`` when no attempt answers (naming the first break of an
        answer already under way).
        """
        loop = asyncio.get_running_loop()
        settings = self.settings
        end = loop.time() + settings.total_timeout
        quick = settings.stream_first_token_timeout if limits.first_token_timeout is None else limits.first_token_timeout
        deadlines = fail_fast = Deadlines(settings.connect_timeout, settings.first_token_timeout,
                                          settings.stall_timeout, end, quick)
        # The last deployment a stream has left waits longer for its first byte: nothing is left to fail over to.
        patient = stream and settings.first_token_timeout > quick
        run = _Run(result.cost_micros)
        last: SwitchboardError | None = None
        too_long_for = 0
        tokens = -1  # estimated when a deployment on the route has rpm/tpm limits
        route = self.expand(route, limits.skip)
        check = needs_check(request)
        for position, name in enumerate(route):
            model = self.models.get(name)
            if model is None or (too_long_for and model.context_window <= too_long_for):
                continue
            if check and (refusal := unable(model, request)) is not None:
                # A configured fallback that would drop part of the request is never sent it.
                last = InvalidRequestError(f"{name} {refusal[1]}", details={"param": refusal[0], "model": name})
                self._record(result, name, "skipped", time.time(), 0.0, error=last)
                continue
            if run.delivered and not model.resumes:
                run.cannot_resume.append(name)
                continue
            retry = 0
            while True:
                if loop.time() >= end:
                    raise self._give_up(ProviderTimeoutError(
                        f"the request's total budget of {settings.total_timeout:g}s was spent "
                        f"(last failure: {last.message if last else 'none'})"), run, result)
                if (refusal := self.skip_open_circuit(name, result)) is not None:
                    last = refusal
                    break
                limited = model.rpm is not None or model.tpm is not None
                if limited and tokens < 0:
                    tokens = estimate_input_tokens(request)
                window = self._window(name) if limited else None
                wait = window.wait_for(model.rpm, model.tpm, tokens) if window is not None else 0.0
                if wait > 0:
                    if position < len(route) - 1 or loop.time() + wait >= end:
                        self.circuits.released(name)
                        last = ProviderRateLimitError(
                            f"{name} is at its configured rpm/tpm limit for another {wait:.1f}s",
                            details={"model": name, "retry_after": wait})
                        self._record(result, name, "skipped", time.time(), 0.0, error=last)
                        break
                    await asyncio.sleep(wait)  # the only deployment left: queue for it
                if window is not None:
                    window.send(tokens)
                attempt = request.for_model(model.is_external)
                if run.delivered:
                    if request.fim is not None:
                        # A fill-in-the-middle answer cannot be resumed: a longer prompt is another question.
                        raise self._give_up(last or StreamBrokenError("the completion broke off"), run, result)
                    prefill = "".join(run.delivered)
                    if model.is_external and request.redact_text is not None:
                        prefill = request.redact_text(prefill)  # another model's answer, about to leave
                    attempt = attempt.continued(prefill)
                if limits.allowance_micros is not None or (run.delivered and attempt.max_tokens):
                    capped = _capped(attempt, model, run, result, limits.allowance_micros)
                    if capped is None:
                        self.circuits.released(name)
                        last = BudgetExceededError(
                            f"{name} could cost more than what is left of this request's reservation",
                            details={"model": name})
                        self._record(result, name, "skipped", time.time(), 0.0, error=last)
                        break
                    attempt = capped
                if patient:
                    deadlines = fail_fast if self._others_after(route, position, run, too_long_for) else \
                        replace(fail_fast, stream_first=settings.first_token_timeout)
                attempt_log = _Attempt(self, name, model, result, run, attempt)
                try:
                    async with contextlib.aclosing(self._transport(model).events(
                        name, model, attempt, deadlines, stream=stream, extra_headers=extra_headers,
                    )) as events:
                        async for batch in events:
                            out = attempt_log.take(batch)
                            if out:
                                run.delivered.extend(e.text for e in out if isinstance(e, TextDelta))
                                yield out
                    return
                except SwitchboardError as exc:
                    attempt_log.failed(exc)
                    if _provider_fault(exc):
                        self.circuits.failed(name)
                    else:
                        self.circuits.released(name)
                    last = exc
                    if run.delivered and run.broke is None:
                        run.broke = exc
                    if run.delivered and exc.details.get("prefill_unsupported"):
                        run.cannot_resume.append(name)
                        break  # this model cannot continue the answer: the next one may
                    if isinstance(exc, InvalidRequestError | ContentFilterError):
                        raise self._give_up(exc, run, result) from None
                    if run.tool:
                        raise self._give_up(StreamBrokenError(
                            f"{name} broke off in the middle of a tool call ({exc.message}); the call is "
                            "incomplete, retry the request"), run, result) from None
                    if isinstance(exc, ContextLengthError):
                        too_long_for = model.context_window
                        break
                    if not _retryable(exc) or retry >= settings.max_retries:
                        break
                    if run.delivered and not model.resumes:
                        run.cannot_resume.append(name)
                        break
                    if isinstance(exc, ProviderTimeoutError) and self._others_after(route, position, run, too_long_for):
                        break  # it just went silent: another deployment is likelier to answer now
                    retry_after = exc.details.get("retry_after")
                    if retry_after is not None and retry_after > settings.backoff_max and position < len(route) - 1:
                        break  # the provider wants a long pause: fail over rather than wait
                    delay = backoff_seconds(settings, retry, retry_after)
                    if loop.time() + delay >= end:
                        break
                    retry += 1
                    await asyncio.sleep(delay)
                finally:
                    attempt_log.close()  # an attempt that neither finished nor failed was cancelled
        if last is None:
            last = NoRouteError("no configured model on this route could take the request; check `switchboard status`")
        raise self._give_up(last, run, result)

    def _others_after(self, route: Sequence[str], position: int, run: _Run, too_long_for: int) -> bool:
        """Whether a deployment after ``position`` could still take the request (so a timeout fails over)."""
        for name in route[position + 1:]:
            model = self.models.get(name)
            if model is None or (too_long_for and model.context_window <= too_long_for):
                continue
            if run.delivered and not model.resumes:
                continue
            if self.circuits.state(name) != "open":
                return True
        return False

    def skip_open_circuit(self, name: str, result: Completion) -> ProviderUnavailableError | None:
        """None when ``name``'s circuit lets a call through; otherwise the refusal, recorded as a skipped
        attempt on ``result``."""
        if self.circuits.allow(name):
            return None
        reopens = self.circuits.retry_in(name)
        refusal = ProviderUnavailableError(
            f"{name} is failing (circuit open); not calling it for another {reopens:.0f}s, until it recovers",
            details={"model": name, "retry_after": reopens})
        self._record(result, name, "skipped", time.time(), 0.0, error=refusal)
        return refusal

    @staticmethod
    def _record(result: Completion, name: str, status: str, started: float, latency_ms: float, *,
                ttft: float | None = None, error: SwitchboardError | None = None, input_tokens: int = 0,
                output_tokens: int = 0, cost: int = 0) -> None:
        result.attempts.append(AttemptRecord(
            seq=len(result.attempts), model=name, status=status, started_at=started, latency_ms=latency_ms,
            ttft_ms=ttft, error_code=error.code if error else None, error_message=error.message if error else None,
            http_status=error.details.get("http_status") if error else None,
            input_tokens=input_tokens, output_tokens=output_tokens, cost_micros=cost,
        ))

    @staticmethod
    def _give_up(exc: SwitchboardError, run: _Run, result: Completion) -> SwitchboardError:
        """The error a caller gets; a stream that already sent text says so (naming what first broke it)
        rather than look complete."""
        result.error = exc
        result.model = None
        if run.delivered and not isinstance(exc, StreamBrokenError):
            cause = run.broke or exc
            told = f"the answer broke off after {sum(map(len, run.delivered))} characters ({cause.message})"
            if run.cannot_resume:
                told += (f"; {', '.join(dict.fromkeys(run.cannot_resume))} cannot continue a partial answer "
                         "(no assistant prefill)")
            if exc.message != cause.message and not exc.details.get("prefill_unsupported"):
                told += f"; resuming it failed too ({exc.message})"
            broken = StreamBrokenError(f"{told}; no fallback could complete it, retry the request",
                                       details=dict(cause.details))
            result.error = broken
            return broken
        return exc


class _Run:
    """One request's progress across its attempts: what reached the caller, and what it cost so far."""

    __slots__ = ("began", "broke", "cannot_resume", "cost_before", "delivered", "prior_output", "prompt_input",
                 "started", "tool")

    def __init__(self, cost_before: int) -> None:
        self.began = time.perf_counter()
        self.cost_before = cost_before
        """What the result had cost before this call (a strategy may run several calls into one result)."""
        self.delivered: list[str] = []
        self.started = False
        self.tool = False
        self.broke: SwitchboardError | None = None
        """The failure that first broke an answer already reaching the caller."""
        self.cannot_resume: list[str] = []
        self.prior_output = 0
        """Output tokens earlier attempts delivered to the caller (estimated: a broken stream has no usage)."""
        self.prompt_input: int | None = None
        """Input tokens of the first attempt that billed any, as the caller's prompt size."""


def _capped(attempt: ChatRequest, model: ModelSettings, run: _Run, result: Completion,
            allowance: int | None) -> ChatRequest | None:
    """``attempt`` with the most output it may produce: what the caller asked for less what earlier
    attempts delivered, and no more than what is left of the request's reservation (None: nothing fits)."""
    want = attempt.max_tokens
    if want and run.delivered:
        want = max(1, want - run.prior_output)
    if allowance is None and want and want > model.context_window // 4:
        # A cap larger than the window leaves (an agent's standing 128,000) is sent as what fits, so a
        # model with a smaller window is not refused for it (the router lets such models serve it).
        want = output_cap(model, estimate_input_tokens(attempt), want)
    if allowance is not None:
        tokens = estimate_input_tokens(attempt)
        fits = affordable_output(model, tokens, allowance - (result.cost_micros - run.cost_before))
        if fits < 1:
            return None
        want = min(output_cap(model, tokens, want), fits)
    return attempt if want == attempt.max_tokens else replace(attempt, max_tokens=want)


class _Attempt:
    """One call to one deployment as the caller sees it: its events pass through ``take`` (which fills
    ``result`` and leaves out what the caller must not see twice); it is recorded in
    ``result.attempts`` exactly once, however it ends: finished, failed, or cancelled. An attempt that
    sent part of an answer before it broke is billed for it (providers bill partial output), estimated.

    A plain object rather than another async generator between the transport and the caller: one
    fewer layer for every batch of every request to pass through."""

    __slots__ = ("delivered_at", "gateway", "model", "name", "recorded", "request", "result", "run", "started", "t0",
                 "ttft")

    def __init__(self, gateway: Gateway, name: str, model: ModelSettings, result: Completion, run: _Run,
                 request: ChatRequest) -> None:
        self.gateway = gateway
        self.name = name
        self.model = model
        self.result = result
        self.run = run
        self.request = request
        self.delivered_at = len(run.delivered)
        self.started = time.time()
        self.t0 = time.perf_counter()
        self.ttft: float | None = None
        self.recorded = False

    def take(self, batch: list[Event]) -> list[Event]:
        """What of ``batch`` goes on to the caller; fills the result (model, usage, cost) on the way."""
        result, name, run = self.result, self.name, self.run
        out: list[Event] = []
        for event in batch:
            if isinstance(event, StreamStart):
                result.model = name
                if run.started:
                    continue  # a continuation is the same answer to the caller
                run.started = True
                result.response_id = event.response_id
                out.append(event)
            elif isinstance(event, Finish):
                self._finished(event)
                out.append(event)
            elif isinstance(event, RawBody):
                result.raw, result.raw_wire = event.body, event.wire
            else:
                if self.ttft is None:
                    self.ttft = (time.perf_counter() - self.t0) * 1000
                    if result.ttft_ms is None:
                        result.ttft_ms = (time.perf_counter() - run.began) * 1000
                if isinstance(event, ToolCallDelta):
                    run.tool = True
                out.append(event)
        return out

    def _finished(self, event: Finish) -> None:
        gateway, model, name, result, run = self.gateway, self.model, self.name, self.result, self.run
        gateway.circuits.succeeded(name)
        usage = event.usage
        cost = cost_micros(model, usage)
        result.model = name
        result.finish_reason = event.reason
        result.cost_micros += cost
        if run.prompt_input is None:
            result.usage = usage
        else:
            # A resumed answer: the caller received every attempt's text, and sent its prompt once.
            result.usage = replace(usage, input_tokens=run.prompt_input,
                                               output_tokens=usage.output_tokens + run.prior_output)
        # TPM counts what was generated too, not just the estimate taken at send time.
        if model.rpm is not None or model.tpm is not None:
            gateway._window(name).take(usage.output_tokens)
        self.recorded = True
        gateway._record(result, name, "ok", self.started, (time.perf_counter() - self.t0) * 1000, ttft=self.ttft,
                        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, cost=cost)

    def _partial(self) -> tuple[int, int, int]:
        """(input, output, cost) of what this attempt answered before it ended early, estimated: a broken
        stream brings no usage, yet its provider bills what it generated."""
        chars = sum(len(text) for text in self.run.delivered[self.delivered_at:])
        if not chars and self.ttft is None:
            return 0, 0, 0  # nothing came back: nothing was generated
        output = -(-chars // CHARS_PER_TOKEN)
        tokens = estimate_input_tokens(self.request)
        cost = cost_micros(self.model, Usage(input_tokens=tokens, output_tokens=output))
        run = self.run
        run.prior_output += output
        if run.prompt_input is None:
            run.prompt_input = tokens
        self.result.cost_micros += cost
        return tokens, output, cost

    def failed(self, error: SwitchboardError) -> None:
        """Record the attempt as failed (its time stops now, not after any backoff that follows)."""
        if not self.recorded:
            self.recorded = True
            tokens, output, cost = self._partial()
            self.gateway._record(self.result, self.name, "error", self.started, (time.perf_counter() - self.t0) * 1000,
                                 ttft=self.ttft, error=error, input_tokens=tokens, output_tokens=output, cost=cost)

    def close(self) -> None:
        """Record the attempt as cancelled unless it finished or failed, and free its circuit slot."""
        if not self.recorded:
            self.recorded = True
            self.gateway.circuits.released(self.name)
            tokens, output, cost = self._partial()
            self.gateway._record(self.result, self.name, "cancelled", self.started,
                                 (time.perf_counter() - self.t0) * 1000, ttft=self.ttft, input_tokens=tokens,
                                 output_tokens=output, cost=cost)
