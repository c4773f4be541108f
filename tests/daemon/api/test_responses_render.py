"""The Responses stream renderer on event sequences the sim does not produce: parallel tool calls whose
argument pieces interleave, and an answer cut by max_output_tokens."""

from __future__ import annotations

import json

from daemon.api.responses import _Renderer
from daemon.api.responses_wire import ToolNames
from daemon.core.pipeline import RequestContext
from daemon.gateway import Completion, Event, Finish, StreamStart, TextDelta, ToolCallDelta
from daemon.store.records import Developer


def _render(events: list[Event]) -> list[dict]:
    ctx = RequestContext(developer=Developer(1, "me", None, None, False, 0.0), surface="api", requested_model="auto",
                         trace_id="t1", traceparent="00-t1-01-01")
    renderer = _Renderer(ctx, {}, Completion(model="sim-mini"), ToolNames())
    out = b"".join(piece for event in events for piece in renderer.render(event))
    return [json.loads(block.split(b"data: ", 1)[1]) for block in out.split(b"\n\n") if block]


def test_interleaved_parallel_tool_call_pieces_reach_their_own_items() -> None:
    events = _render([StreamStart("sim-mini", "r"), ToolCallDelta(0, "call_a", "f", '{"x"'),
                      ToolCallDelta(1, "call_b", "g", '{"y"'), ToolCallDelta(0, arguments=":1}"),
                      ToolCallDelta(1, arguments=":2}"), Finish("tool_calls")])
    final = events[-1]
    assert final["type"] == "response.completed"
    assert [(i["call_id"], i["name"], i["arguments"]) for i in final["response"]["output"]] == [
        ("call_a", "f", '{"x":1}'), ("call_b", "g", '{"y":2}')]
    late = [e for e in events if e["type"] == "response.function_call_arguments.delta" and e["delta"] == ":1}"]
    assert late[0]["output_index"] == 0 and late[0]["item_id"] == "fc_call_a"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_an_answer_cut_by_max_output_tokens_is_incomplete_and_says_why() -> None:
    events = _render([StreamStart("sim-mini", "r"), TextDelta("Once upon"), Finish("length")])
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "Once upon"
