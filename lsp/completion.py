"""One completion, from the cursor to insertable text: guard, cache, debounce, stream, clean.

The LSP handlers (``lsp.server``) translate to and from LSP types; this module owns the flow.
Every call returns (a ``Completion`` or None): errors become status, never an unanswered request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field

from daemon.errors import BudgetExceededError, DaemonUnavailableError, SwitchboardError
from daemon.wire import CompleteRequest, CompleteResponse
from lsp.cache import SuggestionCache
from lsp.cleanup import clean_completion
from lsp.context import Doc, build_context, document_offset
from lsp.debounce import Superseder, TypingRhythm
from lsp.evidence import Evidence
from lsp.link import DaemonLink
from lsp.options import LspOptions, is_ignored, language_enabled
from lsp.status import StatusReporter

log = logging.getLogger(__name__)

SINGLE_LINE_TOKENS = 48
"""Token cap of a single-line completion (the options' ``max_tokens`` caps multi-line ones)."""

RECENT_EDITS = 4


@dataclass
class DocumentState:
    """What the bridge tracks per open document besides its text."""

    rhythm: TypingRhythm = field(default_factory=TypingRhythm)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_EDITS))

    def edited(self, line_text: str) -> None:
        """An edit touched this line (kept as cheap context for the next completion)."""
        self.rhythm.keystroke()
        text = line_text.strip()
        if text and (not self.recent or self.recent[-1] != text):
            self.recent.append(text[:200])


@dataclass(frozen=True)
class Completion:
    """Insertable text at the cursor, and where it came from."""

    text: str
    trace_id: str
    model: str
    line_prefix: str
    cached: bool = False


@dataclass(frozen=True)
class ItemFields:
    """A completion as a plain completion item: the word typed so far is replaced with itself plus the text."""

    word: str
    new_text: str
    label: str


def completion_item_fields(completion: Completion) -> ItemFields:
    """What a ``textDocument/completion`` item says for ``completion`` (editors without inline completion)."""
    end = len(completion.line_prefix)
    while end > 0 and (completion.line_prefix[end - 1].isalnum() or completion.line_prefix[end - 1] == "_"):
        end -= 1
    word = completion.line_prefix[end:]
    new_text = word + completion.text
    first = new_text.strip().split("\n", 1)[0]
    return ItemFields(word, new_text, first if len(first) <= 60 else first[:57] + "…")


class CompletionEngine:
    """Runs completions for the server's handlers."""

    def __init__(self, link: DaemonLink, status: StatusReporter, evidence: Evidence) -> None:
        self.link = link
        self.status = status
        self.evidence = evidence
        self.cache = SuggestionCache()
        self.superseder = Superseder()
        self.documents: dict[str, DocumentState] = {}

    def allowed(self, doc: Doc, options: LspOptions) -> bool:
        """Completions are on for this language and the file may be sent."""
        return language_enabled(doc.language, options) and not is_ignored(doc.path, options)

    async def complete(self, doc: Doc, line: int, character: int, *, explicit: bool,
                       options: LspOptions) -> Completion | None:
        """The completion at ``(line, character)`` (code points), or None.

        Superseded by a newer request on the same document: cancelled, and its stream closed.
        """
        if not self.allowed(doc, options):
            return None
        ticket = self.superseder.claim(doc.uri)
        try:
            await self.superseder.unwound(ticket)
            return await self._complete(doc, line, character, explicit=explicit, options=options)
        except asyncio.CancelledError:
            if ticket.superseded:
                current = asyncio.current_task()
                if current is not None:
                    current.uncancel()
                return None
            raise
        finally:
            self.superseder.release(ticket)

    async def _complete(self, doc: Doc, line: int, character: int, *, explicit: bool,
                        options: LspOptions) -> Completion | None:
        offset = document_offset(doc.text, line, character)
        line_end = doc.text.find("\n", offset)
        after = doc.text[offset: len(doc.text) if line_end < 0 else line_end]
        hit = self.cache.lookup(doc.uri, doc.text, offset, after)
        if hit is not None:
            self.evidence.still_shown(doc.uri, hit.suggestion.trace_id)
            line_prefix = doc.text[doc.text.rfind("\n", 0, offset) + 1: offset]
            return Completion(hit.remaining, hit.suggestion.trace_id, hit.suggestion.model, line_prefix, cached=True)
        self.evidence.dropped(doc.uri)
        state = self.documents.setdefault(doc.uri, DocumentState())
        if not explicit:
            wait = state.rhythm.delay(options.debounce_ms / 1000) - state.rhythm.since_last()
            if wait > 0:
                await asyncio.sleep(wait)
        if not self.link.online:
            return None
        ctx = build_context(doc.text, line, character, token_budget=options.context_tokens,
                            recent=tuple(state.recent))
        request = CompleteRequest(
            prefix=ctx.prefix, suffix=ctx.suffix, language=doc.language, path=doc.path,
            context=ctx.extra or None, multiline=ctx.multiline, model=options.model,
            max_tokens=options.max_tokens if ctx.multiline else min(options.max_tokens, SINGLE_LINE_TOKENS),
        )
        response = await self._ask(request, options)
        if response is None:
            return None
        text = clean_completion(response.text, prefix=ctx.prefix, suffix=ctx.suffix, line_prefix=ctx.line_prefix,
                                multiline=ctx.multiline, max_lines=options.max_lines)
        if not text.strip():
            return None
        self.cache.put(SuggestionCache.anchor(doc.uri, doc.text, offset, after, text, response.trace_id,
                                              response.model))
        self.evidence.shown(doc.uri, response.trace_id)
        return Completion(text, response.trace_id, response.model, ctx.line_prefix)

    async def _ask(self, request: CompleteRequest, options: LspOptions) -> CompleteResponse | None:
        """Stream the completion from the daemon; errors become status and None."""
        self.status.busy()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(options.timeout_ms / 1000):
                response = await self._stream(request)
            latency_ms = (time.perf_counter() - started) * 1000
            self.status.answered(response.model, latency_ms, options.slow_ms, stepped_down=response.stepped_down)
            return response
        except DaemonUnavailableError as exc:
            self.link.went_offline(exc.message)
            return None
        except BudgetExceededError as exc:
            self.status.budget_exceeded(exc.message)
            return None
        except SwitchboardError as exc:
            self.status.failed(exc.code, exc.message)
            return None
        except TimeoutError:
            self.status.failed("timeout", f"a completion took over {options.timeout_ms / 1000:g} s and was "
                                          "abandoned; the models may be overloaded (see `switchboard status`)")
            return None
        finally:
            self.status.idle()

    async def _stream(self, request: CompleteRequest) -> CompleteResponse:
        deltas: list[str] = []
        response: CompleteResponse | None = None
        # Read to the end of the stream (it ends right after ``done``) so that the connection goes
        # back to the pool: a connection dropped after every completion costs a reconnect each time.
        async for kind, data in self.link.complete_stream(request):
            if kind == "delta":
                deltas.append(str(data.get("text", "")))
            elif kind == "done":
                body = {k: v for k, v in data.items() if k in CompleteResponse.model_fields}
                body.setdefault("text", "".join(deltas))
                response = CompleteResponse.model_validate(body)
        if response is None:
            raise SwitchboardError("the daemon ended the completion stream without its final event; "
                                   "check `switchboard status` and the daemon log")
        return response

    def opened(self, uri: str) -> None:
        """A document was opened."""
        self.documents.setdefault(uri, DocumentState())

    def closed(self, uri: str) -> None:
        """A document was closed: its request stops, its suggestions were not accepted."""
        self.superseder.cancel(uri)
        self.evidence.dropped(uri)
        self.cache.forget(uri)
        self.documents.pop(uri, None)
