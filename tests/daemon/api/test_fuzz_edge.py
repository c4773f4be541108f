"""Property-based fuzzing of the daemon's edge: a wrong field is a 400 naming it, never a 5xx.

A real daemon subprocess in front of the sim (run on its own loop in a thread) is sent bodies made
from a valid one with one field replaced, removed or nested deeper with arbitrary JSON: both wire
formats (``/v1/chat/completions``, ``/v1/completions``, ``/v1/messages``,
``/v1/messages/count_tokens``) over TCP with a developer key, and the local ``/api/*`` endpoints
over the socket. Every answer must be below 500, and a refusal must be in the endpoint's error
format with a message naming the field that was changed. Bounded: ``max_examples`` per endpoint
and a per-example deadline keep the module to a few seconds of requests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import DaemonProcess, SimServer, short_dir, sim_config, start_daemon, stop_daemon, write_config

EXAMPLES = int(os.environ.get("SWITCHBOARD_FUZZ_EXAMPLES", "60"))
"""Examples per endpoint: 60 in ``make test`` (a few seconds); set the variable higher for a deeper run."""
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
_names = itertools.count()
DELETE = object()
"""Drawn as a field's value: the field is removed."""

leaf = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-3, max_value=3)
        | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_value = st.recursive(leaf, lambda children: st.lists(children, max_size=3)
                          | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=8)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the plausible shape, sometimes anything at all."""
    return st.one_of(strategy, strategy, json_value)


_text_part = st.fixed_dictionaries({"type": _maybe(st.sampled_from(["text", "image_url", "image", "tool_result"]))},
                                   optional={"text": _maybe(st.text(max_size=12)), "image_url": json_value,
                                             "source": json_value, "tool_use_id": json_value, "content": json_value,
                                             "id": json_value, "name": json_value, "input": json_value})
_content = st.one_of(st.text(max_size=20), st.lists(_maybe(_text_part), max_size=3), json_value)
_openai_message = st.fixed_dictionaries(
    {"role": _maybe(st.sampled_from(["user", "assistant", "system", "tool", "developer"]))},
    optional={"content": _content, "name": json_value, "tool_call_id": json_value,
              "tool_calls": _maybe(st.lists(st.fixed_dictionaries({"id": json_value, "type": json_value,
                                                                   "function": _maybe(st.fixed_dictionaries(
                                                                       {"name": json_value},
                                                                       optional={"arguments": json_value}))}),
                                            max_size=2))})
_anthropic_message = st.fixed_dictionaries({"role": _maybe(st.sampled_from(["user", "assistant"])),
                                            "content": _content})
_openai_tool = st.fixed_dictionaries({"type": _maybe(st.just("function")),
                                      "function": _maybe(st.fixed_dictionaries(
                                          {"name": _maybe(st.text(max_size=8))},
                                          optional={"description": json_value, "parameters": json_value}))})
_anthropic_tool = st.fixed_dictionaries({"name": _maybe(st.text(max_size=8))},
                                        optional={"description": json_value, "input_schema": json_value})


@dataclass(frozen=True)
class Endpoint:
    """An endpoint, a body it accepts, and what may go in each field."""

    path: str
    base: dict[str, Any]
    fields: dict[str, st.SearchStrategy[Any]]
    style: str  # "openai", "anthropic" or "switchboard": where the error message is


CHAT = Endpoint("/v1/chat/completions", {"model": "auto", "messages": [{"role": "user", "content": "hi"}],
                                         "max_tokens": 8}, {
    "messages": _maybe(st.lists(_maybe(_openai_message), max_size=3)),
    "tools": _maybe(st.lists(_maybe(_openai_tool), max_size=2)),
    **{name: json_value for name in (
        "model", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stream", "stream_options",
        "logprobs", "top_logprobs", "response_format", "tool_choice", "stop", "seed", "user", "metadata",
        "parallel_tool_calls", "logit_bias", "presence_penalty", "frequency_penalty", "reasoning_effort")},
}, "openai")
TEXT = Endpoint("/v1/completions", {"model": "auto", "prompt": "def f(", "suffix": "):", "max_tokens": 8}, {
    name: json_value for name in ("model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "n", "stream",
                                  "stream_options", "logprobs", "stop", "echo", "best_of", "seed", "user")
}, "openai")
MESSAGES = Endpoint("/v1/messages", {"model": "auto", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}, {
    "messages": _maybe(st.lists(_maybe(_anthropic_message), max_size=3)),
    "tools": _maybe(st.lists(_maybe(_anthropic_tool), max_size=2)),
    "system": _maybe(st.one_of(st.text(max_size=10), st.lists(_maybe(_text_part), max_size=2))),
    **{name: json_value for name in ("model", "max_tokens", "temperature", "top_p", "top_k", "stop_sequences",
                                     "stream", "tool_choice", "metadata", "thinking")},
}, "anthropic")
COUNT = Endpoint("/v1/messages/count_tokens", {"model": "sim-claude", "messages": [{"role": "user", "content": "hi"}]}, {
    "messages": MESSAGES.fields["messages"], "tools": MESSAGES.fields["tools"], "system": MESSAGES.fields["system"],
    **{name: json_value for name in ("model", "tool_choice", "thinking")},
}, "anthropic")
LOCAL = [
    Endpoint("/api/ask", {"prompt": "hi", "max_tokens": 8}, {
        name: json_value for name in ("prompt", "system", "model", "max_tokens", "priority", "surface", "task_type",
                                      "files", "stream", "temperature")}, "switchboard"),
    Endpoint("/api/route", {"prompt": "hi"}, {
        name: json_value for name in ("prompt", "system", "model", "max_tokens", "priority", "surface", "task_type",
                                      "files")}, "switchboard"),
    Endpoint("/api/complete", {"prefix": "def f(", "suffix": "):"}, {
        name: json_value for name in ("prefix", "suffix", "language", "path", "context", "multiline", "max_tokens",
                                      "model", "stream")}, "switchboard"),
    Endpoint("/api/feedback", {"trace_id": "t-unknown", "score": 0.5}, {
        name: json_value for name in ("trace_id", "score", "source", "comment")}, "switchboard"),
    Endpoint("/api/developers", {"name": "fuzzed"}, {name: json_value for name in ("name", "admin")}, "switchboard"),
    Endpoint("/api/reviews/1", {"chosen_index": None}, {"chosen_index": json_value}, "switchboard"),
]
QUERIES = {
    "/api/traces": ("limit", "since", "model", "surface", "outcome", "developer", "all"),
    "/api/metrics": ("window",),
    "/api/matrix": ("task_type", "model"),
    "/api/budget": ("developer", "all"),
    "/api/reviews": ("status",),
}


def _mutated(endpoint: Endpoint, data: st.DataObject) -> tuple[dict[str, Any] | Any, str]:
    """The endpoint's body with one field changed (or the whole body replaced), and the field's name."""
    field = data.draw(st.sampled_from([*endpoint.fields, "(body)"]), label="field")
    if field == "(body)":
        return data.draw(json_value, label="body"), "body"
    value = data.draw(st.one_of(st.just(DELETE), endpoint.fields[field]), label="value")
    body = dict(endpoint.base)
    if endpoint.path == "/api/developers" and field != "name":
        body["name"] = f"fuzzed-{next(_names)}"  # a new developer each time: a taken name is refused, rightly
    if value is DELETE:
        body.pop(field, None)
    else:
        body[field] = value
    return body, field


def _message_of(response: httpx.Response, style: str) -> str:
    """The error's message, read where the endpoint's format puts it (failing when it is not there)."""
    payload = response.json()
    if style == "anthropic":
        assert payload["type"] == "error", payload
        return payload["error"]["message"]
    return payload["error"]["message"]


def _check(response: httpx.Response, endpoint: Endpoint, field: str, body: Any) -> None:
    sent = json.dumps(body)[:300]
    assert response.status_code < 500, f"{endpoint.path} {sent} -> {response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        message = _message_of(response, endpoint.style)
        if response.status_code not in (400, 422):
            return  # not about a field: an unknown trace or review (404), a budget (402)
        if field == "body":
            assert "body" in message or "JSON object" in message or any(f in message for f in endpoint.fields), message
        else:
            assert field in message, f"{endpoint.path} {sent} -> {response.status_code}: {message!r} does not name {field!r}"


# -- the daemon under fuzz ------------------------------------------------------------------------------


@dataclass
class Target:
    daemon: DaemonProcess
    tcp: httpx.Client
    local: httpx.Client


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    """A daemon subprocess on the sim (which runs on its own loop in a thread) for the whole module."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sim = SimServer()
    asyncio.run_coroutine_threadsafe(sim.__aenter__(), loop).result(30)
    folder = short_dir()
    config = write_config(folder / "config.toml", sim_config(sim.url))
    daemon = asyncio.run(start_daemon(config))
    try:
        async def developer_key() -> str:
            async with daemon.client() as client:
                return (await client.add_developer("fuzzer")).key

        key = asyncio.run(developer_key())
        with httpx.Client(base_url=f"http://{daemon.http_address}", headers={"authorization": f"Bearer {key}"},
                          timeout=30) as tcp, \
                httpx.Client(transport=httpx.HTTPTransport(uds=str(daemon.socket)), base_url="http://switchboard",
                             timeout=30) as local:
            yield Target(daemon, tcp, local)
    finally:
        asyncio.run(stop_daemon(daemon))
        asyncio.run_coroutine_threadsafe(sim.__aexit__(None, None, None), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
    assert "Traceback" not in daemon.log_text(), daemon.log_text()[-3000:]


@pytest.mark.parametrize("endpoint", [CHAT, TEXT, MESSAGES, COUNT, *LOCAL], ids=lambda e: e.path)
@FUZZ
@given(data=st.data())
def test_a_bad_field_is_a_400_naming_it_never_a_5xx(target: Target, endpoint: Endpoint, data: st.DataObject) -> None:
    """The wire formats over TCP with a developer key, the local API over the socket as its owner."""
    body, field = _mutated(endpoint, data)
    client = target.local if endpoint.style == "switchboard" else target.tcp
    response = client.post(endpoint.path, content=json.dumps(body), headers={
        "content-type": "application/json", "anthropic-version": "2023-06-01"})
    _check(response, endpoint, field, body)


@pytest.mark.parametrize("path", list(QUERIES))
@FUZZ
@given(data=st.data())
def test_local_api_queries_answer_a_bad_parameter_with_a_400_naming_it(target: Target, path: str,
                                                                      data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(QUERIES[path]), label="parameter")
    value = data.draw(st.text(max_size=12) | st.integers().map(str) | st.floats().map(str), label="value")
    response = target.local.get(path, params={name: value})
    _check(response, Endpoint(path, {}, {name: json_value}, "switchboard"), name, {name: value})
