"""The router smoke check's data files are well-formed (issue 17).

Only the data is checked here: ids, domains and task types, both sides of every pair, the shape of
agent requests, and that agent pairs differ in nothing but their latest user turn. The router's
scores on the data are a benchmark figure (bench/router_smoke.py), never a test.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.smoke import build
from daemon.router.types import TaskType

DOMAINS = {"code", "ops", "math", "prose", "chat", "data"}
ROLES = {"system", "user", "assistant", "tool"}


def rows(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(line.strip() for line in lines), f"{path.name} has a blank line"
    return [json.loads(line) for line in lines]


PAIRS = rows(build.PAIRS_FILE)
TYPED = rows(build.TYPED_FILE)


def size(request: str | dict[str, Any]) -> int:
    if isinstance(request, str):
        return len(request)
    return sum(len(m.get("content") or "") for m in request["messages"]) + len(json.dumps(request["tools"]))


def problems(request: Any) -> list[str]:
    """What makes ``request`` unusable: a non-empty prompt, or an OpenAI chat body ending on a user turn."""
    if isinstance(request, str):
        return [] if request.strip() else ["empty prompt"]
    if not isinstance(request, dict) or set(request) != {"messages", "tools"}:
        return ["an agent request is an object with exactly 'messages' and 'tools'"]
    found = []
    messages, tools = request["messages"], request["tools"]
    if not messages or messages[0].get("role") != "system" or len(messages[0].get("content") or "") < 2000:
        found.append("agent requests start with a long (2k+ characters) system prompt")
    if messages[-1].get("role") != "user" or not str(messages[-1].get("content") or "").strip():
        found.append("the latest turn must be a non-empty user turn")
    calls: set[str] = set()
    for m in messages:
        if m.get("role") not in ROLES:
            found.append(f"unknown role {m.get('role')!r}")
        for c in m.get("tool_calls") or ():
            json.loads(c["function"]["arguments"])  # arguments are a JSON string, as OpenAI sends them
            calls.add(c["id"])
        if m.get("role") == "tool" and m.get("tool_call_id") not in calls:
            found.append(f"tool result {m.get('tool_call_id')!r} answers no earlier call")
    names = [t.get("function", {}).get("name") for t in tools]
    if not tools or any(t.get("type") != "function" for t in tools) or len(set(names)) != len(names):
        found.append("tools must be OpenAI function tools with distinct names")
    if any(t["function"].get("parameters", {}).get("type") != "object" for t in tools):
        found.append("every tool's parameters must be a JSON-schema object")
    return found


def test_data_files_are_what_the_source_builds():
    for path, text in build.expected().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python -m bench.smoke.build"


def test_pairs_have_unique_ids_and_balanced_known_domains():
    assert len(PAIRS) >= 48
    ids = [p["id"] for p in PAIRS]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    assert all(set(p) == {"id", "domain", "easier", "harder"} for p in PAIRS)
    per_domain = Counter(p["domain"] for p in PAIRS)
    assert set(per_domain) == DOMAINS
    assert max(per_domain.values()) - min(per_domain.values()) <= 2, per_domain


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_every_pair_has_two_distinct_well_formed_sides(pair):
    assert problems(pair["easier"]) == []
    assert problems(pair["harder"]) == []
    assert pair["easier"] != pair["harder"]
    assert isinstance(pair["easier"], str) == isinstance(pair["harder"], str), "both sides have the same shape"


def test_agent_pairs_share_system_prompt_tools_and_history():
    agent = [p for p in PAIRS if isinstance(p["easier"], dict)]
    assert len(agent) >= 8
    for p in agent:
        easier, harder = p["easier"], p["harder"]
        assert easier["tools"] == harder["tools"], p["id"]
        assert easier["messages"][:-1] == harder["messages"][:-1], f"{p['id']}: only the latest user turn may differ"
        assert 2000 <= len(easier["messages"][0]["content"]) <= 8000, p["id"]
    assert any(len(p["easier"]["messages"]) > 2 for p in agent), "some agent pairs carry earlier turns"
    assert any(m["role"] == "tool" for p in agent for m in p["easier"]["messages"]), "and tool results"


def test_length_alone_cannot_order_the_pairs():
    shorter = [p["id"] for p in PAIRS if size(p["harder"]) < size(p["easier"])]
    assert len(shorter) >= 12, shorter


def test_typed_prompts_have_unique_ids_and_valid_types_at_least_four_each():
    assert len(TYPED) >= 40
    ids = [t["id"] for t in TYPED]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    assert all(set(t) == {"id", "task_type", "request"} for t in TYPED)
    per_type = Counter(t["task_type"] for t in TYPED)
    assert set(per_type) == {str(t) for t in TaskType}, per_type
    assert min(per_type.values()) >= 4, per_type
    assert sum(isinstance(t["request"], dict) for t in TYPED) >= 10


@pytest.mark.parametrize("prompt", TYPED, ids=[t["id"] for t in TYPED])
def test_every_typed_prompt_is_well_formed(prompt):
    assert problems(prompt["request"]) == []
