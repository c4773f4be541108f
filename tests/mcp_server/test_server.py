"""The server an agent sees: eight tools with guidance, bounded typed arguments and output schemas."""

from __future__ import annotations

import contextlib

from mcp import Client

from mcp_server.access import local_access
from mcp_server.errors import ARGUMENT_ADVICE
from mcp_server.instructions import INSTRUCTIONS
from mcp_server.models import MAX_PROMPT_CHARS
from mcp_server.server import build_server


async def test_tools_carry_dedented_guidance_bounded_arguments_and_hints() -> None:
    server = build_server(contextlib.nullcontext, follow_events=False)  # type: ignore[arg-type]
    tools = {t.name: t for t in await server.list_tools()}
    assert len(tools) == 8
    for tool in tools.values():
        assert tool.description and not tool.description.startswith(" ") and "\n    " not in tool.description
        assert tool.output_schema is not None
    assert tools["run_task"].input_schema["properties"]["prompt"]["maxLength"] == MAX_PROMPT_CHARS
    assert tools["recent_traces"].input_schema["properties"]["limit"]["maximum"] == 50
    assert tools["budget_status"].annotations.read_only_hint is True
    assert tools["run_task"].annotations.read_only_hint is False
    assert server.instructions == INSTRUCTIONS and "consensus" in INSTRUCTIONS


async def test_resources_and_the_trace_template_are_listed() -> None:
    server = build_server(local_access, follow_events=False)
    uris = {str(r.uri) for r in await server.list_resources()}
    templates = {t.uri_template for t in await server.list_resource_templates()}
    assert uris == {"switchboard://matrix", "switchboard://budget", "switchboard://traces"}
    assert templates == {"switchboard://traces/{trace_id}"}


async def test_invalid_arguments_are_a_tool_error_that_says_what_to_do_next() -> None:
    server = build_server(contextlib.nullcontext, follow_events=False)  # type: ignore[arg-type]
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool("rate_result", {"trace_id": "t-1", "score": 5})
    text = result.content[0].text
    assert result.is_error
    assert text.startswith("invalid_request:") and "score" in text
    assert text.endswith(ARGUMENT_ADVICE)
