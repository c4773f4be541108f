"""No secret leaves in clear from any field, in either wire format, to a provider of either format.

Each field a caller can fill gets its own planted AWS key; after the request, the bodies the
simulated provider received must hold none of them. Translation between formats carries tools,
schemas, stop sequences, the user id and the system prompt across: each of those must be redacted on
the translated path as on the forwarded one (fields only the caller's format has are sent only to a
provider of that format, ``docs/features.md``: the bodies sent across leave them out).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.daemon.gateway.served import Served

ALL_SIMS_EXTERNAL = {"models": {name: {"external": True} for name in
                                ("sim-nano", "sim-mini", "sim-pro", "sim-ultra", "sim-claude")}}


class Planted:
    """A distinct AWS access key per field, so a leak names its field."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def __call__(self, field: str) -> str:
        key = f"AKIA{chr(65 + len(self.fields))}QWERTYUIOPASDFG"
        self.fields[field] = key
        return key

    def leaked(self, sent: str) -> list[str]:
        return [field for field, key in self.fields.items() if key in sent]


def openai_body(plant: Planted, model: str, cross: bool) -> dict[str, Any]:
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": f"You deploy with {plant('system')}."},
            {"role": "user", "content": [{"type": "text", "text": f"first {plant('user text part')}"}],
             **({} if cross else {"name": "dev"})},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "lookup", "arguments": json.dumps({"q": plant("tool call arguments")})}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": f"found {plant('tool result')}"},
            {"role": "user", "content": f"and {plant('user content')}?"},
        ],
        "tools": [{"type": "function", "function": {
            "name": "lookup", "description": f"Looks up {plant('tool description')}",
            "parameters": {"type": "object", "properties": {
                "q": {"type": "string", "description": f"query, e.g. {plant('schema description')}",
                      "enum": [plant("schema enum"), "other"]},
                plant("schema property name"): {"type": "string"}}}}}],
        "tool_choice": "auto",
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "answer", "description": f"about {plant('response format description')}",
            "schema": {"type": "object", "properties": {"a": {"type": "string",
                                                              "description": plant("response schema")}}}}},
        "stop": [plant("stop")],
        "user": plant("user"),
        "max_tokens": 32,
    }
    if not cross:  # fields only OpenAI-format models honour (docs/features.md): never sent across
        body["metadata"] = {"ticket": plant("metadata value"), plant("metadata key"): "x"}
        body["prediction"] = {"type": "content", "content": plant("unknown field")}
    return body


def anthropic_body(plant: Planted, model: str, cross: bool) -> dict[str, Any]:
    body = {
        "model": model,
        "max_tokens": 32,
        "system": [{"type": "text", "text": f"You deploy with {plant('system')}."}],
        "messages": [
            {"role": "user", "content": f"first {plant('user content')}"},
            {"role": "assistant", "content": [
                {"type": "text", "text": f"let me look {plant('assistant text')}"},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": plant("tool use input")}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": f"found {plant('tool result')}"},
                {"type": "text", "text": f"and {plant('user text block')}?"}]},
        ],
        "tools": [{"name": "lookup", "description": f"Looks up {plant('tool description')}",
                   "input_schema": {"type": "object", "properties": {
                       "q": {"type": "string", "description": f"e.g. {plant('schema description')}",
                             "enum": [plant("schema enum"), "other"]},
                       plant("schema property name"): {"type": "string"}}}}],
        "tool_choice": {"type": "auto"},
        "stop_sequences": [plant("stop sequence")],
        "metadata": {"user_id": plant("metadata user_id")},
    }
    if not cross:
        body["x_unknown"] = plant("unknown field")
    return body


def responses_body(plant: Planted, model: str, cross: bool) -> dict[str, Any]:
    body = {
        "model": model,
        "instructions": f"You deploy with {plant('instructions')}.",
        "input": [
            {"type": "message", "role": "developer", "content": f"note {plant('developer message')}"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"first {plant('input text')}"}]},
            {"type": "function_call", "call_id": "call_1", "name": "lookup",
             "arguments": json.dumps({"q": plant("function call arguments")})},
            {"type": "function_call_output", "call_id": "call_1", "output": f"found {plant('function output')}"},
            {"type": "message", "role": "user", "content": f"and {plant('user message')}?"},
        ],
        "tools": [{"type": "function", "name": "lookup", "description": f"Looks up {plant('tool description')}",
                   "parameters": {"type": "object", "properties": {
                       "q": {"type": "string", "description": f"e.g. {plant('schema description')}"},
                       plant("schema property name"): {"type": "string"}}}},
                  {"type": "custom", "name": "patch", "description": f"Applies {plant('custom tool description')}",
                   "format": {"type": "grammar", "syntax": "lark", "definition": f"start: {plant('grammar')!r}"}}],
        "text": {"format": {"type": "json_schema", "name": "answer", "schema": {
            "type": "object", "properties": {"a": {"type": "string", "description": plant("text format schema")}}}}},
        "user": plant("user"),
        "max_output_tokens": 32,
    }
    if model != "sim-claude":
        body["metadata"] = {"ticket": plant("metadata value")}
    return body


CASES = [
    ("/v1/chat/completions", openai_body, "sim-nano"),    # forwarded as sent
    ("/v1/chat/completions", openai_body, "sim-claude"),  # OpenAI format to an Anthropic-format model
    ("/v1/messages", anthropic_body, "sim-claude"),       # forwarded as sent
    ("/v1/messages", anthropic_body, "sim-nano"),         # Anthropic format to an OpenAI-format model
    ("/v1/responses", responses_body, "sim-nano"),        # Responses API, translated to chat
    ("/v1/responses", responses_body, "sim-claude"),      # ... and on to the Anthropic format
]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize(("path", "build", "model"), CASES, ids=[f"{c[0]}->{c[2]}" for c in CASES])
async def test_a_secret_in_any_field_never_reaches_an_external_provider(serve, path, build, model, stream):
    served: Served = await serve(ALL_SIMS_EXTERNAL)
    plant = Planted()
    cross = (path == "/v1/messages") != (model == "sim-claude")
    body = {**build(plant, model, cross), "stream": stream}
    async with served.client() as http:
        response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    received = [r for r in served.sim.requests if r.model == model]
    assert received, "the provider got nothing"
    sent = json.dumps([r.body for r in received])
    assert plant.leaked(sent) == []
    assert "[REDACTED:aws_access_key]" in sent
    trace = await served.trace(response.headers["x-switchboard-trace-id"])
    assert trace.guard["redacted"] == {"aws_access_key": len(plant.fields)}  # each counted once


async def test_an_answer_continued_on_an_external_model_is_redacted_in_its_prefill(serve):
    # A local model breaks off after saying a secret; the external fallback continues the answer, and
    # what was said so far goes to it as the assistant's prefill: redacted like the prompt.
    from daemon.sim import Fault

    served: Served = await serve({"models": {"sim-mini": {"external": True}}})
    key = "AKIAZ7QWERTY12345678"
    served.sim.script("sim-nano", Fault(kind="cut", after_chunks=4, text=f"Your key is {key} so keep it safe and private"),
                      Fault(kind="unavailable", times=None))  # its retries fail too: on to the fallback
    async with served.client() as http:
        response = await http.post("/v1/chat/completions", json={
            "model": "sim-nano", "stream": True, "messages": [{"role": "user", "content": "which key do we use?"}]})
    assert response.status_code == 200 and key in response.text  # the caller sees the answer as it was said
    [continued] = served.sim.requests_for("sim-mini")
    sent = json.dumps(continued.body)
    assert key not in sent and "[REDACTED:aws_access_key]" in sent
