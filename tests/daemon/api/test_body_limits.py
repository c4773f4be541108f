"""Bodies over ``daemon.max_body_bytes`` are refused with 413 in the caller's format, before they are
read; a trace keeps at most ``traces.max_stored_chars`` of a prompt and of an answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import SimServer

LIMIT = 4096
CAP = 1000


@pytest.fixture
async def served(sim: SimServer, tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_daemon(sim, tmp_path, {"daemon": {"max_body_bytes": LIMIT},
                                            "traces": {"max_stored_chars": CAP}}) as daemon:
        yield daemon


def _chat(text: str) -> dict:
    return {"model": "auto", "messages": [{"role": "user", "content": text}]}


def _messages(text: str) -> dict:
    return {**_chat(text), "max_tokens": 16}


async def _chunked(payload: bytes) -> AsyncIterator[bytes]:
    """The body as a generator: httpx sends it chunked, with no Content-Length to check up front."""
    for start in range(0, len(payload), 1000):
        yield payload[start:start + 1000]


async def test_a_body_over_the_limit_is_refused_with_413_in_each_callers_format(served: Served) -> None:
    big = "x" * (2 * LIMIT)
    async with served.client() as client:
        openai = await client.post("/v1/chat/completions", json=_chat(big))
        legacy = await client.post("/v1/completions", json={"model": "auto", "prompt": big})
        anthropic = await client.post("/v1/messages", json=_messages(big), headers={"anthropic-version": "2023-06-01"})
        local = await client.post("/api/ask", json={"prompt": big})
        after = await client.post("/v1/chat/completions", json=_chat("small enough"))
    assert openai.status_code == 413 and openai.json()["error"]["code"] == "payload_too_large"
    assert f"limit of {LIMIT} bytes" in openai.json()["error"]["message"]
    assert "daemon.max_body_bytes" in openai.json()["error"]["message"]
    assert legacy.status_code == 413 and legacy.json()["error"]["type"] == "payload_too_large"
    assert anthropic.status_code == 413
    assert anthropic.json()["type"] == "error" and anthropic.json()["error"]["type"] == "request_too_large"
    assert local.status_code == 413 and local.json()["error"]["code"] == "payload_too_large"
    assert openai.headers.get("connection") == "close"  # the rest of the body is not read
    assert after.status_code == 200
    assert await served.traces(0) == []  # refused at the edge: nothing reached the pipeline


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(served: Served) -> None:
    import json

    payload = json.dumps(_chat("y" * (3 * LIMIT))).encode()
    async with served.client() as client:
        openai = await client.post("/v1/chat/completions", content=_chunked(payload),
                                   headers={"content-type": "application/json"})
        anthropic = await client.post("/v1/messages", content=_chunked(json.dumps(_messages("y" * 3 * LIMIT)).encode()),
                                      headers={"content-type": "application/json"})
    assert openai.status_code == 413 and openai.json()["error"]["code"] == "payload_too_large"
    assert anthropic.status_code == 413 and anthropic.json()["error"]["type"] == "request_too_large"


async def test_a_trace_keeps_at_most_the_configured_characters_of_a_prompt(sim: SimServer, tmp_path: Path) -> None:
    secret = "AKIA" + "Q" * 16  # an AWS access key id: redacted in what is kept
    prompt = f"my key is {secret}. " + "lorem ipsum " * 2000  # ~24k characters, under a 1 MiB body limit
    async with serve_daemon(sim, tmp_path, {"traces": {"max_stored_chars": CAP}}) as served:
        async with served.client() as client:
            answered = await client.post("/v1/chat/completions", json=_chat(prompt))
        trace = await served.trace(answered.headers["x-switchboard-trace-id"])
    assert answered.status_code == 200
    assert trace.prompt_chars == len(f"user: {prompt}")
    assert trace.prompt is not None and len(trace.prompt) <= CAP + 100
    assert f"keeps {CAP} of {trace.prompt_chars} characters" in trace.prompt
    assert secret not in trace.prompt and "my key is" in trace.prompt


async def test_the_trace_cut_never_keeps_half_a_secret(sim: SimServer, tmp_path: Path) -> None:
    from daemon.core.pipeline import _CUT_MARGIN

    # Redaction shortens each long secret, so text from near the pre-cut end would reach the kept part;
    # a secret cut there in two must not be kept half-recognised.
    pem = "-----BEGIN PRIVATE KEY-----\n" + "A" * 1500 + "\n-----END PRIVATE KEY-----\n"
    head = pem * ((CAP + _CUT_MARGIN) // len(pem) + 1)
    tail_secret = "sk-proj-" + "Z" * 40
    prompt = head[:CAP + _CUT_MARGIN - 20] + tail_secret + " and more" * 10
    async with serve_daemon(sim, tmp_path, {"traces": {"max_stored_chars": CAP}}) as served:
        async with httpx.AsyncClient(base_url=served.url, headers={"authorization": f"Bearer {served.key}"},
                                     timeout=30) as client:
            answered = await client.post("/v1/chat/completions", json=_chat(prompt))
        trace = await served.trace(answered.headers["x-switchboard-trace-id"])
    assert answered.status_code == 200
    assert "ZZZZZZZZ" not in trace.prompt and "AAAAAAAA" not in trace.prompt
