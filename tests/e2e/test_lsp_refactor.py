"""Refactor code actions through ``switchboard lsp``: offered at once, the model called on resolve."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types

from tests.lsp.harness import emacs_capabilities, lsp_session, open_document, sim_daemon
from tests.support import DaemonProcess, SimServer

SOURCE = "def area(w, h):\n    return w * h\n\nprint(area(2, 3))\n"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[SimServer, DaemonProcess]]:
    async with sim_daemon(tmp_path_factory.mktemp("lsp-refactor")) as pair:
        yield pair


@pytest.fixture
def sim(stack: tuple[SimServer, DaemonProcess]) -> SimServer:
    stack[0].clear()
    return stack[0]


@pytest.fixture
def daemon(stack: tuple[SimServer, DaemonProcess]) -> DaemonProcess:
    return stack[1]


def _command_of(action: types.CodeAction | types.Command) -> types.ExecuteCommandParams:
    """The command an action carries.

    lsprotocol's client-side converter reads a code action literal that has a ``command`` as a
    ``Command`` (the union is ambiguous to it) and stringifies the nested command; editors tell
    them apart by the type of ``command``, so undo that here.
    """
    if isinstance(action, types.CodeAction):
        assert action.command is not None
        return types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    nested = ast.literal_eval(action.command)
    return types.ExecuteCommandParams(command=nested["command"], arguments=nested["arguments"])


def _action_request(uri: str, line: int = 0) -> types.CodeActionParams:
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
        context=types.CodeActionContext(diagnostics=[]),
    )


async def test_refactors_are_offered_without_calling_a_model(daemon: DaemonProcess, sim: SimServer,
                                                              tmp_path: Path) -> None:
    async with lsp_session(daemon.socket) as (client, _):
        uri = open_document(client, tmp_path / "shapes.py", SOURCE)
        actions = await client.text_document_code_action_async(_action_request(uri))
        diagnostic = types.Diagnostic(range=types.Range(types.Position(3, 6), types.Position(3, 10)),
                                      message="area() returns None for negative sides")
        request = _action_request(uri, 3)
        request.context = types.CodeActionContext(diagnostics=[diagnostic])
        with_diagnostic = await client.text_document_code_action_async(request)
    titles = [a.title for a in actions or [] if isinstance(a, types.CodeAction)]
    assert titles == ["Rewrite with Switchboard", "Explain", "Add docstring"]
    assert all(a.kind == types.CodeActionKind.RefactorRewrite and a.edit is None for a in actions or [])
    fix = [a for a in with_diagnostic or [] if isinstance(a, types.CodeAction) and a.title == "Fix this diagnostic"]
    assert len(fix) == 1 and fix[0].data["diagnostic"] == diagnostic.message
    assert sim.requests == []


async def test_resolving_an_action_returns_the_models_answer_as_an_edit_with_progress(
    daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    async with lsp_session(daemon.socket) as (client, _):
        uri = open_document(client, tmp_path / "shapes.py", SOURCE)
        actions = await client.text_document_code_action_async(_action_request(uri))
        explain = next(a for a in actions or [] if isinstance(a, types.CodeAction) and a.title == "Explain")
        resolved = await client.code_action_resolve_async(explain)
        progress = dict(client.progress_reports)
    assert resolved.edit is not None and resolved.edit.changes is not None
    (edit,) = resolved.edit.changes[uri]
    assert edit.range == types.Range(types.Position(0, 0), types.Position(2, 0))
    assert edit.new_text.startswith("# ") and edit.new_text.endswith(SOURCE[:SOURCE.index("\n\n") + 1])
    (request,) = sim.requests
    assert "def area(w, h):" in str(request.body)
    (reports,) = progress.values()
    kinds = [getattr(r.value, "kind", None) if hasattr(r, "value") else r.kind for r in reports]
    assert kinds == ["begin", "end"]


async def test_an_editor_without_resolve_runs_the_action_as_a_command_that_applies_the_edit(
    daemon: DaemonProcess, sim: SimServer, tmp_path: Path
) -> None:
    applied: list[types.ApplyWorkspaceEditParams] = []
    async with lsp_session(daemon.socket, capabilities=emacs_capabilities()) as (client, _):

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            applied.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        uri = open_document(client, tmp_path / "shapes.py", SOURCE)
        actions = await client.text_document_code_action_async(_action_request(uri))
        rewrite = next(a for a in actions or [] if a.title.startswith("Rewrite"))
        command = _command_of(rewrite)
        await client.workspace_execute_command_async(command)
    (params,) = applied
    assert params.edit.changes is not None and len(params.edit.changes[uri]) == 1
    assert len(sim.requests) == 1
