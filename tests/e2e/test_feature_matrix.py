"""The request feature matrix, walked: every row of every table in ``docs/features.md`` is sent through the
real daemon to a simulated model of each format, and its outcome is checked against what the table says.

``honoured``/``translated`` → 200, and the provider's request carries the feature where the cell says
(``path`` or ``path=value``; ``header:NAME=value`` for a response header); ``refused`` → a 400 naming the
field, with nothing sent to the provider. A table that says something the daemon does not do fails here.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from daemon.sim import SimServer
from tests.daemon.gateway.served import Served, serve_daemon
from tests.support import REPO

DOC = REPO / "docs" / "features.md"
EVERYTHING = ["chat", "stream", "tools", "json", "json_schema", "logprobs", "vision", "reasoning"]
MODELS = {"OpenAI-format": "sim-pro", "Anthropic-format": "sim-claude", "embedding": "sim-embed"}
"""The model each column header names (``to an OpenAI-format model``...); each can do everything."""
ENDPOINTS = {"OpenAI chat completions": "/v1/chat/completions", "Anthropic messages": "/v1/messages",
             "OpenAI Responses": "/v1/responses", "Embeddings": "/v1/embeddings"}
BASES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"messages": [{"role": "user", "content": "hello"}]},
    "/v1/messages": {"max_tokens": 256, "messages": [{"role": "user", "content": "hello"}]},
    "/v1/responses": {"input": "hello"},
    "/v1/embeddings": {},
}
_CELL = re.compile(r"^(honoured|translated|refused)(?: → `([^`]+)`)?")


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: a feature's example sent to one model, and the outcome the table states."""

    endpoint: str
    feature: str
    example: dict[str, Any]
    model: str
    outcome: str
    where: str | None

    @property
    def id(self) -> str:
        return f"{self.endpoint} {self.feature} → {self.model}"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def cases() -> list[Case]:
    """Every cell of every table in ``docs/features.md``."""
    found: list[Case] = []
    endpoint = None
    columns: list[str] = []
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            endpoint = next((path for title, path in ENDPOINTS.items() if line[3:].startswith(title)), None)
            columns = []
        elif line.startswith("|") and endpoint is not None:
            cells = _cells(line)
            if not columns:
                columns = cells
                continue
            if set(cells[0]) <= {"-"}:
                continue
            example = json.loads(cells[1].strip("`"))
            for header, cell in zip(columns[2:], cells[2:], strict=True):
                model = next(name for kind, name in MODELS.items() if kind in header)
                match = _CELL.match(cell)
                assert match, f"{endpoint} {cells[0]}: cell {cell!r} starts with neither honoured, translated nor refused"
                found.append(Case(endpoint, cells[0], example, model, match.group(1), match.group(2)))
    return found


CASES = cases()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def daemon() -> AsyncIterator[Served]:
    """The daemon on the sim, its OpenAI- and Anthropic-format models able to do everything."""
    extra = {"models": {name: {"capabilities": EVERYTHING} for name in ("sim-pro", "sim-claude")}}
    async with SimServer() as sim:
        with tempfile.TemporaryDirectory() as config_dir:
            async with serve_daemon(sim, Path(config_dir), extra) as served:
                yield served


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        elif isinstance(body, dict) and part in body:
            body = body[part]
        else:
            raise KeyError(path)
    return body


def _expected(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _names(error: dict[str, Any], example: dict[str, Any]) -> bool:
    """Whether a refusal names one of the example's fields (its ``param``, or its message's first words)."""
    body = error.get("error") or {}
    message, param = str(body.get("message", "")), str(body.get("param") or "")
    return any(param == key or param.startswith(f"{key}.") or message.startswith((f"{key}:", f"{key}.", f"'{key}'",
                                                                                f"{key} "))
               for key in example)


def test_the_matrix_has_every_table_and_no_cell_left_unchecked() -> None:
    assert {case.endpoint for case in CASES} == set(ENDPOINTS.values())
    assert len(CASES) > 150
    assert len({case.id for case in CASES}) == len(CASES), "two rows of a table name the same feature"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_feature_outcome_is_what_the_matrix_says(daemon: Served, case: Case) -> None:
    daemon.sim.clear()
    body = {**BASES[case.endpoint], "model": case.model, **case.example}
    async with daemon.client() as http:
        answer = await http.post(case.endpoint, json=body)
    seen = daemon.sim.requests_for(case.model)
    if case.outcome == "refused":
        assert answer.status_code == 400, answer.text
        assert _names(answer.json(), case.example), answer.text
        assert seen == []
        return
    assert answer.status_code == 200, answer.text
    [sent] = seen
    if case.where is None:
        return
    path, _, value = case.where.partition("=")
    if path.startswith("header:"):
        assert answer.headers.get(path[7:]) == value
        return
    try:
        found = _at(sent.body, path)
    except KeyError:
        pytest.fail(f"the provider's request has no {path}: {json.dumps(sent.body)[:2000]}")
    if value:
        assert found == _expected(value), f"{path} = {found!r}"
