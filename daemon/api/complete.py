"""Editor completions: ``POST /api/complete`` (surface ``lsp``).

Fill-in-the-middle through the provider's ``/v1/completions`` with ``suffix`` when the model has the
``fim`` capability, a chat prompt otherwise; the text comes back cleaned (no echo of the prefix, no
repeat of the suffix, no code fences). Streamed as ``delta``/``done``/``error`` events; closing the
connection cancels the provider call. A single-line completion is ``done`` at the end of its line;
the provider's stream is then read to its end in the background, so the trace bills what it sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from daemon.api.http import TRACE_HEADER, developer_of, json_response, parse_body, services_of
from daemon.api.streaming import EventStream, sse, unless_disconnected
from daemon.core import lifecycle, pipeline
from daemon.core.routing import RoutePlan
from daemon.errors import SwitchboardError
from daemon.gateway import ChatRequest, Completion, Event, FimPrompt, Finish, TextDelta
from daemon.store.records import micros_to_usd
from daemon.wire import CompleteRequest, CompleteResponse

CURSOR = "<CURSOR>"
_SYSTEM = (
    "You are a code completion engine. Reply with only the code that belongs at <CURSOR>: no explanation, "
    "no code fences, do not repeat the code before or after the cursor."
)


def chat_request(body: CompleteRequest) -> ChatRequest:
    """The gateway request: a FIM prompt for models that take one, a chat prompt for the others."""
    prefix = f"{body.context}\n{body.prefix}" if body.context else body.prefix
    about = "".join(f"{k}: {v}\n" for k, v in (("Language", body.language), ("Path", body.path)) if v)
    extra = f"Context:\n{body.context}\n\n" if body.context else ""
    user = f"{about}{extra}Complete the code at {CURSOR}{' (one line only)' if not body.multiline else ''}:\n" \
           f"{body.prefix}{CURSOR}{body.suffix}"
    return ChatRequest(
        ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}),
        max_tokens=body.max_tokens, fim=FimPrompt(prefix, body.suffix),
    )


def clean(text: str, body: CompleteRequest) -> str:
    """Strip fences, an echoed prefix line and a repeated suffix; one line unless ``multiline``."""
    stripped = text.strip("\n")
    if stripped.startswith("```"):
        lines = stripped.split("\n")[1:]
        if lines and lines[-1].strip().startswith("```"):
            lines = lines[:-1]
        text = "\n".join(lines)
    last_line = body.prefix.rsplit("\n", 1)[-1]
    if last_line.strip() and text.startswith(last_line):
        text = text[len(last_line):]
    suffix_head = body.suffix.lstrip("\n").split("\n", 1)[0]
    if suffix_head.strip() and text.rstrip().endswith(suffix_head.strip()):
        text = text.rstrip()[: -len(suffix_head.strip())].rstrip(" \t")
    if not body.multiline:
        first = text.lstrip("\n")
        text = first.split("\n", 1)[0] if first else text
    return text


def _response(ctx: pipeline.RequestContext, plan: RoutePlan, completion: Completion, text: str, *,
              cost_known: bool = True) -> CompleteResponse:
    return CompleteResponse(
        trace_id=ctx.trace_id, text=text, model=completion.model or "", latency_ms=round(ctx.elapsed_ms(), 1),
        cost_usd=micros_to_usd(completion.cost_micros) if cost_known else None, stepped_down=plan.stepped_down,
    )


async def _read_to_end(rest: AsyncIterator[list[Event]]) -> None:
    """The rest of a stream whose caller has what it asked for: read (and traced, billed) to its end."""
    try:
        async for _ in rest:
            pass
    except SwitchboardError:
        pass  # recorded in the request's trace; its caller was answered already
    finally:
        await rest.aclose()  # type: ignore[attr-defined]


async def complete(request: Request) -> Response:
    """A code completion for the editor, whole or streamed."""
    services = services_of(request)
    body = await parse_body(request, CompleteRequest)
    ctx = pipeline.admit(services, developer_of(request), surface="lsp", requested_model=body.model,
                         traceparent=request.headers.get("traceparent"))
    chat = chat_request(body)
    ctx.prompt_text = pipeline.prompt_text_of(ChatRequest((), fim=chat.fim))
    retrieved = [("context", body.context)] if body.context else []
    try:
        chat = await pipeline.guard(services, ctx, chat, retrieved)
    except SwitchboardError as exc:
        pipeline.record(services, ctx, None, Completion(), exc)
        raise
    routing = pipeline.routing_input(ctx, chat, task_hint="code_completion")
    if not body.stream:
        plan, completion = await lifecycle.execute(services, ctx, chat, routing)
        return json_response(_response(ctx, plan, completion, clean(completion.text, body)),
                             headers={TRACE_HEADER: ctx.trace_id})
    plan, completion, first, rest = await unless_disconnected(request, lifecycle.execute_stream(
        services, ctx, chat, routing))

    async def chunks() -> AsyncIterator[bytes]:
        # One ``delta`` event per provider read (not per token) and the ``done`` event in the same
        # write as the last text: the editor waits on every wake-up of its bridge.
        sent, line_done, handed_off = "", False, False
        out: list[bytes] = []
        try:
            batch: list[Event] | None = first
            while batch is not None:
                pieces = []
                finished = False
                for event in batch:
                    if isinstance(event, Finish):
                        finished = True
                    if not isinstance(event, TextDelta) or line_done:
                        continue
                    piece = event.text if sent or pieces else event.text.lstrip("\n")
                    if not body.multiline and "\n" in piece:
                        # One line is all the editor asked for; the rest is read (and billed) but not sent.
                        piece, line_done = piece.split("\n", 1)[0], True
                    if piece:
                        pieces.append(piece)
                text = "".join(pieces)
                if text:
                    sent += text
                    out.append(sse({"type": "delta", "text": text}, "delta"))
                if finished:
                    # The answer is whole and its cost known: the stream has nothing left but its
                    # trace, which is recorded as it closes.
                    async for _ in rest:
                        pass
                    break
                if line_done:
                    # The editor has its line: it gets it now, not after the tokens it will never show.
                    # The rest is still read, so the trace bills the answer exactly (hence no cost here).
                    out.append(sse({"type": "done", **_response(ctx, plan, completion, sent, cost_known=False)
                                    .model_dump()}, "done"))
                    yield b"".join(out)
                    out = []
                    # The editor may accept (or drop) the line before the stream ends: its feedback
                    # waits for this trace rather than finding none.
                    services.traces.expect(ctx.trace_id)
                    services.detach(_read_to_end(rest), name=f"complete-{ctx.trace_id}")
                    handed_off = True
                    return
                if out:
                    yield b"".join(out)
                    out = []
                batch = await anext(rest, None)
            out.append(sse({"type": "done", **_response(ctx, plan, completion, sent).model_dump()}, "done"))
            yield b"".join(out)
        except SwitchboardError as exc:
            yield b"".join([*out, sse({"type": "error", **exc.to_payload()}, "error")])
        finally:
            if not handed_off:
                await rest.aclose()

    return EventStream(chunks(), headers={TRACE_HEADER: ctx.trace_id})  # type: ignore[return-value]


routes: list[BaseRoute] = [Route("/api/complete", complete, methods=["POST"])]
