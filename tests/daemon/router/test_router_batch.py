"""``route_batch``: one decision per JSON line, errors per line, every candidate's predictions."""

from __future__ import annotations

import json
from dataclasses import replace

from daemon.router.batch import route_batch
from daemon.router.matrix import RoutingMatrix
from daemon.router.types import Tier
from tests.daemon.router.router_fixtures import NO_EXPLORE, cand, trio


def test_batch_yields_one_decision_per_line_with_every_candidates_quality_and_cost() -> None:
    lines = [{"id": "a", "prompt": "hello there"}, {"id": 2, "prompt": "Prove that sqrt(2) is irrational."}]
    out = list(route_batch(lines, trio(), RoutingMatrix(), NO_EXPLORE))
    assert [o["id"] for o in out] == ["a", 2]
    for row in out:
        assert {"id", "model", "task_type", "complexity", "candidates", "reason"} <= row.keys()
        assert [c["model"] for c in row["candidates"]] == ["sim-nano", "sim-mid", "sim-ultra"]
        assert all(0.0 <= c["predicted_quality"] <= 1.0 and c["predicted_cost_usd"] > 0 for c in row["candidates"])
        json.dumps(row)  # JSON-ready


def test_bad_lines_and_unroutable_lines_become_error_entries_without_stopping_the_batch() -> None:
    tiny = [cand("tiny", Tier.SMALL, 0.1, context_window=10)]
    lines = [{"id": "x"}, {"id": "y", "prompt": "a long prompt " * 20}, {"id": "z", "prompt": "hi"}]
    out = list(route_batch(lines, tiny, RoutingMatrix(), NO_EXPLORE))
    assert out[0]["error"]["code"] == "invalid_request"
    assert out[1]["error"]["code"] == "context_length_exceeded"  # the request is too long, not unroutable
    assert "longer than any usable model takes (the largest context window is 10 tokens)" in out[1]["error"]["message"]
    assert out[2]["model"] == "tiny"


def test_agent_shaped_lines_carry_messages_and_tools_and_are_classified_by_their_ask() -> None:
    system = {"role": "system", "content": "You are a coding agent with many tools. " * 300}
    tools = [{"type": "function", "function": {"name": f"tool_{i}", "description": "does things " * 40,
                                               "parameters": {"type": "object", "properties": {}}}} for i in range(12)]
    lines = [
        {"id": "hello", "messages": [system, {"role": "user", "content": "say hello"}], "tools": tools},
        {"id": "plain", "prompt": "say hello"},
        {"id": "bad-messages", "messages": ["not an object"]},
        {"id": "bad-tools", "messages": [{"role": "user", "content": "hi"}], "tools": "all of them"},
    ]
    with_tools = [replace(c, capabilities=c.capabilities | {"tools"}) for c in trio()]
    hello, plain, bad_messages, bad_tools = route_batch(lines, with_tools, RoutingMatrix(), NO_EXPLORE)
    assert hello["task_type"] == plain["task_type"] == "chat"
    assert hello["model"] == plain["model"] == "sim-nano"  # the envelope is context, not the ask
    assert abs(hello["complexity"] - plain["complexity"]) < 0.2
    assert "messages" in bad_messages["error"]["message"] and "tools" in bad_tools["error"]["message"]
