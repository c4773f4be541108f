"""Tool errors say what happened, with the stable code, and what the agent should do next."""

from __future__ import annotations

from daemon.errors import (
    BudgetExceededError,
    DaemonUnavailableError,
    InvalidRequestError,
    NotFoundError,
    ProviderTimeoutError,
    SwitchboardError,
    error_from_payload,
)
from mcp_server.errors import next_step, refusal, tool_error


def test_a_budget_refusal_tells_the_agent_not_to_retry() -> None:
    result = tool_error(BudgetExceededError("alice's monthly budget of $5.00 is spent; it resets on 1 Dec"))
    text = result.content[0].text
    assert result.is_error
    assert text.startswith("budget_exceeded: alice's monthly budget")
    assert "Do not retry" in text


def test_each_error_class_gets_its_own_next_step() -> None:
    steps = {next_step(e("x")) for e in (DaemonUnavailableError, NotFoundError, InvalidRequestError, ProviderTimeoutError)}
    assert len(steps) == 4
    assert "switchboard status" in next_step(DaemonUnavailableError("down"))
    assert "another model" in next_step(ProviderTimeoutError("slow"))


def test_an_endpoint_the_daemon_lacks_is_explained_as_an_old_daemon() -> None:
    exc = error_from_payload("Not Found", status=404)
    assert type(exc) is SwitchboardError
    assert "older than this MCP server" in next_step(exc)


def test_a_refusal_before_calling_the_daemon_is_an_invalid_request_with_advice() -> None:
    result = refusal("too big", "send excerpts")
    assert result.is_error and result.content[0].text == "invalid_request: too big\nNext: send excerpts"
