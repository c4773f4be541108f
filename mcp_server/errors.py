"""Failures as tool errors an agent can act on: what happened, and what to do next.

Every daemon error arrives as a typed ``SwitchboardError`` (``daemon.errors``); this module turns it
into an ``is_error`` tool result instead of a protocol error, so the agent reads it and adapts
rather than treating the server as broken.
"""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult, TextContent

from daemon.errors import (
    AuthenticationError,
    BudgetExceededError,
    ContextLengthError,
    DaemonUnavailableError,
    InvalidRequestError,
    NoRouteError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderRateLimitError,
    SwitchboardError,
)

_NEXT_STEPS: list[tuple[type[SwitchboardError], str]] = [
    (BudgetExceededError, "Do not retry: the budget refuses paid calls until it resets. Do the work yourself, "
                          "call budget_status to see when it resets, or ask the user to raise the limit."),
    (DaemonUnavailableError, "The Switchboard daemon is not reachable. Ask the user to run `switchboard status` "
                             "(or `switchboard daemon`), then call the tool again."),
    (NotFoundError, "Check the id: recent_traces lists the traces you can see. If the id is right, the daemon "
                    "may be older than this MCP server and lack the endpoint."),
    (InvalidRequestError, "Fix the argument named above and call the tool again."),
    (NoRouteError, "No configured model can take this request now: shorten the prompt or the files, or name a "
                   "model listed by routing_matrix."),
    (ContextLengthError, "The prompt and files do not fit: send excerpts instead of whole files."),
    (ProviderRateLimitError, "The provider is rate limiting: wait a little, or name another model."),
    (ProviderError, "The provider failed and no fallback answered: retry later or name another model."),
    (AuthenticationError, "The developer key is missing or wrong: configure the MCP client with a valid key "
                          "(`switchboard dev add NAME` creates one)."),
    (PermissionDeniedError, "This needs another developer's rights; ask the daemon's owner."),
]


def next_step(exc: SwitchboardError) -> str:
    """What an agent should do after this error."""
    if type(exc) is SwitchboardError and "(HTTP 404)" in exc.message:
        return ("This Switchboard daemon does not serve that feature (it is older than this MCP server): "
                "ask the user to upgrade and restart it (`switchboard daemon`). Other tools still work.")
    for cls, advice in _NEXT_STEPS:
        if isinstance(exc, cls):
            return advice
    return "Switchboard failed unexpectedly; the daemon log has the details. Continue without it."


def tool_error(exc: SwitchboardError) -> CallToolResult:
    """An ``is_error`` result saying what happened (with the stable code) and what to do next."""
    text = f"{exc.code}: {exc.message}\nNext: {next_step(exc)}"
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def refusal(message: str, advice: str) -> CallToolResult:
    """An ``is_error`` result for a problem found before calling the daemon."""
    return CallToolResult(content=[TextContent(type="text", text=f"invalid_request: {message}\nNext: {advice}")],
                          is_error=True)


ARGUMENT_ADVICE = "Next: fix the argument(s) named above to match the tool's input schema, then call the tool again."


async def advise_on_bad_arguments(ctx: Any, call_next: Any) -> Any:
    """Server middleware: the SDK reports invalid tool arguments as a tool error; add what to do next."""
    result = await call_next(ctx)
    if ctx.method != "tools/call" or not isinstance(result, dict) or not result.get("isError"):
        return result
    content = result.get("content") or []
    if content and isinstance(content[0], dict) and isinstance(content[0].get("text"), str):
        text = content[0]["text"]
        if "validation error" in text and "Next:" not in text:
            content[0] = {**content[0], "text": f"invalid_request: {text}\n{ARGUMENT_ADVICE}"}
    return result
