"""LiteLLM (the gateway's transport) really works against the sim, in both formats.

`openai/<model>` takes `api_base = sim.openai_base` (".../v1"); `anthropic/<model>` takes the bare
`sim.url`, because LiteLLM appends "/v1/messages" itself. LiteLLM is imported once here (~5 s).
"""

import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # never fetch the price map from the network

import litellm
import openai
import pytest

from daemon.sim import DEMO_PROFILES, answer_text, demo_models_config, fim_answer

# LiteLLM's TypedDicts use `ReadOnly`, which pydantic warns about on first use; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*using the `ReadOnly` qualifier:UserWarning")

PROMPT = "Route me through LiteLLM"
MESSAGES = [{"role": "user", "content": PROMPT}]


@pytest.fixture(autouse=True)
async def _close_litellm_clients():
    """LiteLLM caches HTTP clients globally; close them while this test's loop still runs."""
    yield
    await litellm.close_litellm_async_clients()
    litellm.in_memory_llm_clients_cache.flush_cache()


def _target(sim, name: str) -> dict[str, str]:
    settings = demo_models_config(sim.url, DEMO_PROFILES)[name]
    return {"model": settings["litellm_model"], "api_base": settings["api_base"]}


@pytest.mark.parametrize("name", ["sim-nano", "sim-claude"])
async def test_litellm_plain_completion(sim, name):
    response = await litellm.acompletion(**_target(sim, name), api_key="x", messages=MESSAGES, max_tokens=256)
    assert response.choices[0].message.content == answer_text(PROMPT)
    assert response.usage.completion_tokens > 0
    record = sim.requests_for(name)[-1]
    assert record.path == ("/v1/messages" if name == "sim-claude" else "/v1/chat/completions")
    assert record.status == 200 and record.completed


@pytest.mark.parametrize("name", ["sim-nano", "sim-claude"])
async def test_litellm_streaming(sim, name):
    stream = await litellm.acompletion(
        **_target(sim, name), api_key="x", messages=MESSAGES, max_tokens=256, stream=True
    )
    parts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
    assert "".join(parts) == answer_text(PROMPT)
    record = sim.requests_for(name)[-1]
    assert record.stream and record.chunks_sent > 1


async def test_litellm_anthropic_tool_call(sim):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {"type": "object", "properties": {"term": {"type": "string"}}, "required": ["term"]},
            },
        }
    ]
    response = await litellm.acompletion(
        **_target(sim, "sim-claude"), api_key="x", messages=MESSAGES, max_tokens=256, tools=tools
    )
    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup" and call.function.arguments == '{"term": "example"}'


@pytest.mark.parametrize("stream", [False, True])
async def test_litellm_text_completion_reaches_fill_in_the_middle(sim, stream):
    prompt, suffix = "def area(r):\n    ", "\n\nprint(area(2))"
    # LiteLLM 1.110's streaming text completion builds a fresh AsyncOpenAI per call and never closes
    # it (a leaked socket per stream); passing a client we own avoids that.
    async with openai.AsyncOpenAI(base_url=sim.openai_base, api_key="x") as owned:
        response = await litellm.atext_completion(
            model="openai/sim-mini",
            api_base=sim.openai_base,
            api_key="x",
            prompt=prompt,
            suffix=suffix,
            max_tokens=64,
            stream=stream,
            client=owned,
        )
        if stream:
            # LiteLLM turns the final chunk's empty text into None.
            text = "".join([chunk.choices[0].text or "" async for chunk in response])
        else:
            text = response.choices[0].text
    assert text == fim_answer(prompt, suffix)
    assert sim.requests[-1].path == "/v1/completions"
