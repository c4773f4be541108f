"""Completions through ``switchboard lsp`` with a real daemon and the simulated providers."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from daemon.store import SqliteStore
from tests.lsp.harness import (
    StatusLog,
    end_of,
    inline_completion,
    lsp_session,
    older_capabilities,
    open_document,
    sim_daemon,
)
from tests.support import DaemonProcess, SimServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = "import math\n\ndef circle_area(radius):\n    return "


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[SimServer, DaemonProcess]]:
    async with sim_daemon(tmp_path_factory.mktemp("lsp-complete")) as pair:
        yield pair


@pytest.fixture
def sim(stack: tuple[SimServer, DaemonProcess]) -> AsyncIterator[SimServer]:
    sim = stack[0]
    profiles = sim.profiles
    sim.clear()
    yield sim
    for profile in profiles.values():
        sim.set_profile(profile)


@pytest.fixture
def daemon(stack: tuple[SimServer, DaemonProcess]) -> DaemonProcess:
    return stack[1]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(stack: tuple[SimServer, DaemonProcess]) -> AsyncIterator[tuple[LanguageClient, StatusLog]]:
    """One editor session for the tests that need nothing special (each opens its own documents)."""
    async with lsp_session(stack[1].socket, options={"ignore": ["*.gen.py"]}) as session:
        yield session


def slow_streams(sim: SimServer) -> None:
    """Every model streams slowly (the answer takes seconds), so a request is mid-stream when cut."""
    for profile in sim.profiles.values():
        sim.set_profile(profile.model_copy(update={"tokens_per_second": 4.0, "chunk_tokens": 1}))


async def test_inline_completion_returns_the_routed_models_text_at_the_cursor(
    shared: tuple[LanguageClient, StatusLog], daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    client, status = shared
    uri = open_document(client, tmp_path / "geometry.py", SOURCE)
    result = await inline_completion(client, uri, end_of(SOURCE))
    statuses = list(status.statuses)
    assert result is not None
    (item,) = result.items
    (request,) = sim.requests
    assert isinstance(item.insert_text, str) and item.insert_text.strip()
    assert item.insert_text.split()[0] in (request.reply_text or "")
    assert item.range == types.Range(end_of(SOURCE), end_of(SOURCE))
    assert item.command is not None and item.command.command == "switchboard.acceptCompletion"
    assert request.model and request.model in item.command.title
    assert "circle_area" in str(request.body)
    assert statuses and statuses[-1]["model"] == request.model
    async with daemon.client() as api:
        trace = await api.trace(item.command.arguments[0])
    assert trace.surface == "lsp"


async def test_an_older_editor_gets_a_plain_completion_item_naming_the_model(
    daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    # Started the way an editor's config does: the `switchboard lsp` verb.
    command = [sys.executable, "-m", "daemon", "lsp"]
    async with lsp_session(daemon.socket, capabilities=older_capabilities(), command=command) as (client, _):
        uri = open_document(client, tmp_path / "geometry.py", SOURCE)
        result = await client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=end_of(SOURCE),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    assert isinstance(result, types.CompletionList) and result.is_incomplete
    (item,) = result.items
    (request,) = sim.requests
    assert item.detail == f"Switchboard · {request.model}"
    assert isinstance(item.text_edit, types.TextEdit) and item.text_edit.new_text.strip()
    assert item.command is not None and item.command.arguments


async def test_typing_through_a_shown_suggestion_asks_no_model(
    shared: tuple[LanguageClient, StatusLog], daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    client, _ = shared
    uri = open_document(client, tmp_path / "geometry.py", SOURCE)
    first = await inline_completion(client, uri, end_of(SOURCE))
    assert first is not None and first.items
    shown = str(first.items[0].insert_text)
    typed = shown[:2]
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(end_of(SOURCE), end_of(SOURCE)), text=typed)]))
    second = await inline_completion(client, uri, end_of(SOURCE + typed), invoked=False)
    assert second is not None
    (item,) = second.items
    assert item.insert_text == shown[2:]
    assert len(sim.requests) == 1


async def test_cancel_request_is_answered_and_closes_the_provider_stream(
    shared: tuple[LanguageClient, StatusLog], daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    slow_streams(sim)
    client, _ = shared
    uri = open_document(client, tmp_path / "geometry.py", SOURCE)
    params = types.InlineCompletionParams(
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        text_document=types.TextDocumentIdentifier(uri=uri), position=end_of(SOURCE))
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="c-1"))
    started = await sim.wait_for_request(lambda r: r.chunks_sent > 0, timeout=20)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="c-1"))
    closed = await sim.wait_disconnected(timeout=10)
    with pytest.raises(JsonRpcRequestCancelled):
        async with asyncio.timeout(10):
            await pending
    assert closed.id == started.id
    assert not closed.completed


async def test_a_newer_request_supersedes_the_older_and_stops_its_provider_stream(
    shared: tuple[LanguageClient, StatusLog], daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    slow_streams(sim)
    client, _ = shared
    uri = open_document(client, tmp_path / "geometry.py", SOURCE)
    older = asyncio.ensure_future(inline_completion(client, uri, end_of(SOURCE)))
    first = await sim.wait_for_request(lambda r: r.chunks_sent > 0, timeout=20)
    for profile in sim.profiles.values():
        sim.set_profile(profile.instant())
    newer = await inline_completion(client, uri, end_of(SOURCE))
    closed = await sim.wait_disconnected(timeout=10)
    superseded = await older
    assert closed.id == first.id and not closed.completed
    assert superseded is not None and not superseded.items
    assert newer is not None and len(newer.items) == 1


async def test_accepting_a_suggestion_records_editor_feedback_and_moving_on_records_a_rejection(
    daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    async with lsp_session(daemon.socket) as (client, _):
        uri = open_document(client, tmp_path / "geometry.py", SOURCE)
        accepted = await inline_completion(client, uri, end_of(SOURCE))
        assert accepted is not None and accepted.items and accepted.items[0].command
        command = accepted.items[0].command
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=command.command, arguments=command.arguments))
        other = tmp_path / "other.py"
        other_uri = open_document(client, other, "def f():\n    x = ")
        rejected = await inline_completion(client, other_uri, types.Position(1, 8))
        assert rejected is not None and rejected.items and rejected.items[0].command
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=other_uri)))
    accepted_id = command.arguments[0]
    rejected_id = rejected.items[0].command.arguments[0]
    async with daemon.client() as api, asyncio.timeout(10):
        # The bridge sent both at shutdown at the latest; the daemon records them as it receives them.
        accepted_trace = await api.trace(accepted_id)
        rejected_trace = await api.trace(rejected_id)
    assert [(f["source"], f["score"]) for f in accepted_trace.feedback] == [("editor", 1.0)]
    assert [(f["source"], f["score"]) for f in rejected_trace.feedback] == [("editor", 0.0)]
    # Both became outcomes the router's memory learns from (read beside the running daemon, WAL).
    store = SqliteStore(daemon.data_dir / "switchboard.db")
    await store.open()
    try:
        outcomes = {(o.trace_id, o.source, o.quality) for o in await store.load_outcomes()}
    finally:
        await store.close()
    assert {(accepted_id, "editor", 1.0), (rejected_id, "editor", 0.0)} <= outcomes


@pytest.mark.parametrize("name", [".env", "id_ed25519", "prod.pem", "ignored.gen.py"])
async def test_a_secret_or_ignored_file_is_never_sent(
    shared: tuple[LanguageClient, StatusLog], sim: SimServer, tmp_path: Path, name: str
) -> None:
    text = "API_KEY=sk-live-1234567890\nDB_PASSWORD="
    client, _ = shared
    uri = open_document(client, tmp_path / name, text)
    inline = await inline_completion(client, uri, end_of(text))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(0, 0), types.Position(1, 0)),
        context=types.CodeActionContext(diagnostics=[])))
    assert inline is not None and not inline.items
    assert not actions
    assert sim.requests == []


async def test_invalid_options_fall_back_to_defaults_and_the_user_is_told(
    daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    async with lsp_session(daemon.socket, options={"max_lines": "many"}) as (client, status):
        message = await status.wait_message(lambda m: "max_lines" in m)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"switchboard": {"languages": {"python": False}}}))
        uri = open_document(client, tmp_path / "geometry.py", SOURCE)
        result = await inline_completion(client, uri, end_of(SOURCE))
    assert "using 8" in message
    assert result is not None and not result.items
    assert sim.requests == []


async def test_a_completion_past_its_deadline_is_answered_empty_and_its_stream_closed(
    daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    slow_streams(sim)
    async with lsp_session(daemon.socket, options={"timeout_ms": 500}) as (client, status):
        uri = open_document(client, tmp_path / "geometry.py", SOURCE)
        async with asyncio.timeout(10):
            result = await inline_completion(client, uri, end_of(SOURCE))
        closed = await sim.wait_disconnected(timeout=10)
        message = await status.wait_message(lambda m: "abandoned" in m)
    assert result is not None and not result.items
    assert not closed.completed
    assert "over 0.5 s" in message
    states = [s["state"] for s in status.statuses]
    assert "busy" in states and states.index("busy") < states.index("error")  # shown once it ran 0.2 s
