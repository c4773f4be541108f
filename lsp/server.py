"""``switchboard lsp``: the language server (pygls 2.x), one small handler per LSP method.

Handlers translate between LSP types and the bridge's own modules (``completion``, ``refactor``,
``options``, ``status``); they reach the daemon only through ``lsp.bridge``. Under ``python -m lsp``
this module loads in a thread after ``initialize`` has been answered, and takes over the bridge that
``lsp.prelude`` has been serving completions with meanwhile.
Every request gets an answer: failures become a status and an empty result.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import ServerTextPosition

from daemon import __version__
from daemon.errors import BudgetExceededError, DaemonUnavailableError, SwitchboardError
from lsp import refactor
from lsp.completion import completion_item_fields
from lsp.context import Doc
from lsp.handshake import ACCEPT_COMMAND, RUN_ACTION_COMMAND, TRIGGER_CHARACTERS
from lsp.options import DEFAULTS, LspOptions, is_ignored, parse_options
from lsp.status import StatusReporter

if TYPE_CHECKING:
    from daemon.wire import AskRequest
    from lsp.bridge import Bridge
    from lsp.completion import Completion

log = logging.getLogger(__name__)

_MESSAGE_TYPES = {"error": types.MessageType.Error, "warning": types.MessageType.Warning,
                  "info": types.MessageType.Info}


class SwitchboardServer(LanguageServer):
    """The language server and the bridge's state (options, daemon link, completion engine)."""

    def __init__(self, socket: str | None = None, data_dir: str | None = None) -> None:
        super().__init__("switchboard", __version__)
        self.lsp_options: LspOptions = DEFAULTS
        self.status = StatusReporter(self._notify, self.show)
        self.pending_problems: list[str] = []
        self._socket, self._data_dir = socket, data_dir
        self._bridge: Bridge | None = None
        self._progress_ids = itertools.count(1)

    @property
    def bridge(self) -> Bridge:
        """The daemon-facing half: the prelude's (``lsp.prelude.Prelude.hand_over``), else made on first use."""
        if self._bridge is None:
            from lsp.bridge import Bridge

            self._bridge = Bridge(self.status, self._socket, self._data_dir, autostart=self.lsp_options.autostart)
        return self._bridge

    def _notify(self, method: str, params: dict[str, object]) -> None:
        self.protocol.notify(method, params)

    def show(self, kind: str, message: str) -> None:
        """Show a message to the developer (``window/showMessage``)."""
        self.window_show_message(types.ShowMessageParams(type=_MESSAGE_TYPES[kind], message=message))

    def apply_options(self, raw: Any, base: LspOptions) -> None:
        """Take new options; invalid ones fall back and the user is told."""
        self.lsp_options, problems = parse_options(raw, base)
        self.bridge.link.autostart = self.lsp_options.autostart
        for problem in problems:
            self.show("warning", f"Switchboard option problem: {problem}")

    @property
    def inline_client(self) -> bool:
        """The editor asks for inline completions (so plain completion only answers when invoked)."""
        document = self.client_capabilities.text_document
        return document is not None and document.inline_completion is not None

    @property
    def resolves_edits(self) -> bool:
        """The editor resolves a code action's edit lazily (``codeAction/resolve``)."""
        document = self.client_capabilities.text_document
        support = document.code_action.resolve_support if document and document.code_action else None
        return support is not None and "edit" in support.properties

    @property
    def shows_progress(self) -> bool:
        """The editor accepts server-initiated ``$/progress``."""
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)

    def doc(self, uri: str) -> Doc | None:
        """The open document at ``uri`` (None for a file that may not be sent or read)."""
        path = to_fs_path(uri)
        if is_ignored(path or uri, self.lsp_options):
            return None
        document = self.workspace.get_text_document(uri)
        return Doc(uri, path, document.language_id, document.source)

    def next_progress_token(self) -> str:
        """A fresh ``$/progress`` token."""
        return f"switchboard-{next(self._progress_ids)}"


# -- lifecycle -------------------------------------------------------------------------------------


def initialize(ls: SwitchboardServer, params: types.InitializeParams) -> None:
    """Read ``initializationOptions`` (problems are shown once the client is ready)."""
    options, problems = parse_options(params.initialization_options)
    ls.lsp_options = options
    ls.pending_problems = problems


async def initialized(ls: SwitchboardServer, params: types.InitializedParams) -> None:
    """Tell the user about bad options; connect to (or start) the daemon in the background."""
    for problem in ls.pending_problems:
        ls.show("warning", f"Switchboard option problem: {problem}")
    ls.pending_problems = []
    await ls.bridge.connect()


async def shutdown(ls: SwitchboardServer, params: None) -> None:
    """Stop live requests, send the last quality signals, close the daemon connections."""
    bridge = ls.bridge
    bridge.engine.superseder.cancel_all()
    for uri in list(bridge.engine.documents):
        bridge.evidence.dropped(uri)
    try:
        async with asyncio.timeout(2):
            await bridge.evidence.flush()
    except TimeoutError:
        log.warning("some feedback signals were not sent before shutdown")
    await bridge.link.aclose()


def workspace_did_change_configuration(ls: SwitchboardServer, params: types.DidChangeConfigurationParams) -> None:
    """New settings from the editor, over the current ones."""
    ls.apply_options(params.settings, ls.lsp_options)


# -- documents -------------------------------------------------------------------------------------


def text_document_did_open(ls: SwitchboardServer, params: types.DidOpenTextDocumentParams) -> None:
    """Track the document."""
    ls.bridge.engine.opened(params.text_document.uri)


def text_document_did_change(ls: SwitchboardServer, params: types.DidChangeTextDocumentParams) -> None:
    """Feed the typing rhythm and the recently-edited lines."""
    uri = params.text_document.uri
    state = ls.bridge.engine.documents.get(uri)
    if state is None:
        return
    lines = ls.workspace.get_text_document(uri).lines
    for change in params.content_changes:
        line = change.range.start.line if isinstance(change, types.TextDocumentContentChangePartial) else None
        state.edited(lines[line] if line is not None and line < len(lines) else "")


def text_document_did_close(ls: SwitchboardServer, params: types.DidCloseTextDocumentParams) -> None:
    """Stop its request and drop its suggestions."""
    ls.bridge.engine.closed(params.text_document.uri)


# -- completions -----------------------------------------------------------------------------------


async def _complete(ls: SwitchboardServer, uri: str, position: types.Position, explicit: bool) -> Completion | None:
    doc = ls.doc(uri)
    if doc is None:
        return None
    at = ls.workspace.get_text_document(uri).position_from_client_units(position)
    return await ls.bridge.engine.complete(doc, at.line, at.character, explicit=explicit, options=ls.lsp_options)


def _accept(completion: Completion) -> types.Command:
    return types.Command(title=f"Switchboard · {completion.model}", command=ACCEPT_COMMAND,
                         arguments=[completion.trace_id])


async def text_document_inline_completion(
    ls: SwitchboardServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList:
    """Ghost text at the cursor (LSP 3.18)."""
    explicit = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    completion = await _complete(ls, params.text_document.uri, params.position, explicit)
    if completion is None:
        return types.InlineCompletionList(items=[])
    item = types.InlineCompletionItem(
        insert_text=completion.text, range=types.Range(params.position, params.position),
        command=_accept(completion),
    )
    return types.InlineCompletionList(items=[item])


async def text_document_completion(ls: SwitchboardServer, params: types.CompletionParams) -> types.CompletionList:
    """A completion item for editors without inline completion (incomplete: re-asked as you type)."""
    explicit = params.context is not None and params.context.trigger_kind == types.CompletionTriggerKind.Invoked
    if ls.inline_client and not explicit:
        return types.CompletionList(is_incomplete=False, items=[])
    completion = await _complete(ls, params.text_document.uri, params.position, explicit)
    if completion is None:
        return types.CompletionList(is_incomplete=True, items=[])
    fields = completion_item_fields(completion)
    start = types.Position(params.position.line, max(0, params.position.character - len(fields.word)))
    item = types.CompletionItem(
        label=fields.label, kind=types.CompletionItemKind.Text, detail=f"Switchboard · {completion.model}",
        documentation=types.MarkupContent(kind=types.MarkupKind.PlainText, value=fields.new_text),
        filter_text=fields.new_text, sort_text="0", insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(types.Range(start, params.position), fields.new_text), command=_accept(completion),
    )
    return types.CompletionList(is_incomplete=True, items=[item])


def accept_completion(ls: SwitchboardServer, trace_id: str) -> None:
    """The user accepted a suggestion: a quality signal for its trace."""
    ls.bridge.evidence.accepted(trace_id)


# -- refactors -------------------------------------------------------------------------------------


def text_document_code_action(ls: SwitchboardServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The refactors, offered at once; the model is called only when one is resolved or run."""
    if ls.doc(params.text_document.uri) is None:
        return []
    wanted = params.context.only
    if wanted and not any(types.CodeActionKind.RefactorRewrite.value.startswith(str(k)) for k in wanted):
        return []
    document = ls.workspace.get_text_document(params.text_document.uri)
    selection = document.range_from_client_units(params.range)
    base = {"uri": params.text_document.uri, "start": selection.start.line, "end": selection.end.line,
            "end_character": selection.end.character}
    actions = []
    for spec in refactor.ACTIONS.values():
        data: dict[str, Any] = {**base, "action": spec.kind}
        if spec.kind == "fix":
            if not params.context.diagnostics:
                continue
            diagnostic = params.context.diagnostics[0]
            data["diagnostic"] = diagnostic.message
            data["start"] = min(data["start"], diagnostic.range.start.line)
        action = types.CodeAction(title=spec.title, kind=types.CodeActionKind.RefactorRewrite, data=data)
        if not ls.resolves_edits:
            action.command = types.Command(title=spec.title, command=RUN_ACTION_COMMAND, arguments=[data])
        actions.append(action)
    return actions


async def code_action_resolve(ls: SwitchboardServer, params: types.CodeAction) -> types.CodeAction:
    """Call the model for the chosen refactor; the answer comes back as the action's edit."""
    edit = await _refactor_edit(ls, params.data if isinstance(params.data, dict) else {})
    if edit is not None:
        params.edit = edit
    return params


async def run_code_action(ls: SwitchboardServer, data: dict[str, Any]) -> None:
    """A refactor run as a command (editors without resolve): the edit is applied by the server."""
    edit = await _refactor_edit(ls, data)
    if edit is not None:
        await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label="Switchboard"))


async def _refactor_edit(ls: SwitchboardServer, data: dict[str, Any]) -> types.WorkspaceEdit | None:
    uri, kind = data.get("uri"), data.get("action")
    if not isinstance(uri, str) or kind not in refactor.ACTIONS or ls.doc(uri) is None:
        return None
    from daemon.wire import AskRequest  # loaded with the bridge, after initialize


    spec = refactor.ACTIONS[kind]
    document = ls.workspace.get_text_document(uri)
    lines = list(document.lines)
    first, last = refactor.target_lines(lines, int(data.get("start", 0)), int(data.get("end", 0)),
                                        int(data.get("end_character", 0)))
    original = "".join(lines[first:last])
    if not original.strip():
        return None
    request = AskRequest(prompt=refactor.build_prompt(spec.kind, original, document.language_id, data.get("diagnostic")),
                         system=refactor.SYSTEM, surface="lsp", task_type=spec.task_type,
                         model=ls.lsp_options.refactor_model)
    answer = await _ask_with_progress(ls, spec.title, request)
    if answer is None:
        return None
    new_text = refactor.replacement(spec.kind, answer, original, document.language_id)
    end = types.Position(last, 0) if last < len(lines) else document.position_to_client_units(
        ServerTextPosition(len(lines) - 1, len(lines[-1]))
    )
    text_edit = types.TextEdit(types.Range(types.Position(first, 0), end), new_text)
    return types.WorkspaceEdit(changes={uri: [text_edit]})


async def _ask_with_progress(ls: SwitchboardServer, title: str, request: AskRequest) -> str | None:
    """Ask the daemon, reporting ``$/progress`` when the editor shows it; errors are shown, not raised."""
    token = ls.next_progress_token() if ls.shows_progress else None
    if token is not None:
        await ls.work_done_progress.create_async(token)
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=f"Switchboard: {title}",
                                                                       message="asking the router…"))
    ls.status.busy()
    message = "failed"
    try:
        answer = await ls.bridge.link.ask(request)
        message = f"answered by {answer.model}"
        ls.status.answered(answer.model, answer.latency_ms, float("inf"), stepped_down=False)
        return answer.answer
    except DaemonUnavailableError as exc:
        ls.bridge.link.went_offline(exc.message)
    except BudgetExceededError as exc:
        ls.status.budget_exceeded(exc.message)
    except SwitchboardError as exc:
        ls.status.failed(exc.code, exc.message)
    finally:
        ls.status.idle()
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
    return None


# -- assembly --------------------------------------------------------------------------------------


class _Discard:
    """A writer that drops what it is given (pygls' answer to an ``initialize`` already answered)."""

    def write(self, data: bytes) -> None:
        """Drop ``data``."""

    def close(self) -> None:
        """Nothing to close."""


def replay_initialize(server: SwitchboardServer, message: dict[str, Any]) -> None:
    """Let pygls handle the ``initialize`` that ``lsp.handshake`` answered before pygls was loaded:
    it sets up the workspace and the client's capabilities; its own answer is dropped."""
    from pygls.exceptions import JsonRpcException

    protocol = server.protocol
    protocol.set_writer(_Discard(), include_headers=False)  # type: ignore[arg-type]
    try:
        parsed = protocol.structure_message(message)
    except JsonRpcException:
        # Params pygls cannot read (the handshake answered from what it could read, utf-16 when in
        # doubt): serve with no client capabilities rather than leave the editor with a dead server.
        log.warning("initialize params could not be read; serving with default client capabilities")
        parsed = protocol.structure_message({**message, "params": {
            "processId": None, "rootUri": None, "capabilities": {},
            "initializationOptions": (message.get("params") or {}).get("initializationOptions")}})
    protocol.handle_message(parsed)


def build_server(socket: str | None = None, data_dir: str | None = None) -> SwitchboardServer:
    """The language server with every handler registered."""
    server = SwitchboardServer(socket, data_dir)
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.SHUTDOWN)(shutdown)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(workspace_did_change_configuration)
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(text_document_did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(text_document_did_change)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(text_document_did_close)
    server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())(
        text_document_inline_completion)
    server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS))(
        text_document_completion)
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.RefactorRewrite], resolve_provider=True))(text_document_code_action)
    server.feature(types.CODE_ACTION_RESOLVE)(code_action_resolve)
    server.command(ACCEPT_COMMAND)(accept_completion)
    server.command(RUN_ACTION_COMMAND)(run_code_action)
    return server
