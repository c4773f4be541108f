"""The early ``initialize`` answer is the one pygls would give, and pygls then knows the client."""

from __future__ import annotations

import io
import json

import pytest
from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pytest_lsp import client_capabilities

from lsp.handshake import answer_initialize, initialize_result, read_message, write_message
from lsp.server import build_server, replay_initialize


def pygls_answer(server, caps: types.ClientCapabilities) -> dict:  # type: ignore[no-untyped-def]
    fm = server.protocol.fm
    built = ServerCapabilitiesBuilder(
        caps, {*fm.features, *fm.builtin_features}, fm.feature_options, list(fm.commands),
        types.TextDocumentSyncKind.Incremental, None, ServerCapabilitiesBuilder.choose_position_encoding(caps),
    ).build()
    return server.protocol._converter.unstructure(built)


@pytest.mark.parametrize("client", ["visual_studio_code", "neovim@v0.6.1", "emacs@v29.1", "neovim"])
def test_the_early_answer_has_the_capabilities_pygls_computes(client: str) -> None:
    caps = client_capabilities(client)
    server = build_server()
    params = {"capabilities": server.protocol._converter.unstructure(caps)}
    assert initialize_result(params)["capabilities"] == pygls_answer(server, caps)


def test_a_client_preferring_utf8_gets_utf8_like_pygls_would_choose() -> None:
    caps = types.ClientCapabilities(general=types.GeneralClientCapabilities(position_encodings=["utf-8", "utf-16"]))
    server = build_server()
    answer = initialize_result({"capabilities": server.protocol._converter.unstructure(caps)})
    assert answer["capabilities"] == pygls_answer(server, caps)
    assert answer["capabilities"]["positionEncoding"] == "utf-8"


def framed(*messages: dict) -> io.BytesIO:
    out = io.BytesIO()
    for message in messages:
        write_message(out, message)
    out.seek(0)
    return out


def test_a_request_before_initialize_is_refused_and_initialize_is_answered_and_replayed() -> None:
    stdin = framed(
        {"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "initialize",
         "params": {"capabilities": {}, "initializationOptions": {"max_lines": 3}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
    )
    stdout = io.BytesIO()
    first = answer_initialize(stdin, stdout)
    stdout.seek(0)
    refused = json.loads(read_message(stdout) or b"{}")
    answered = json.loads(read_message(stdout) or b"{}")
    assert refused["id"] == 1 and refused["error"]["code"] == -32002
    assert answered["id"] == 2 and answered["result"]["serverInfo"]["name"] == "switchboard"
    assert first is not None
    server = build_server()
    replay_initialize(server, first)
    assert server.lsp_options.max_lines == 3
    assert server.client_capabilities == types.ClientCapabilities()
    assert json.loads(read_message(stdin) or b"{}")["method"] == "initialized"  # the rest is left for pygls
