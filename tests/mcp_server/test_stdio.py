"""A line on stdin that is not a JSON-RPC message is answered, not dropped."""

from __future__ import annotations

import json

import mcp.types as types
import pytest
from mcp.types import INVALID_REQUEST, PARSE_ERROR

from mcp_server.stdio import error_for


def _parse_failure(line: str) -> Exception:
    with pytest.raises(Exception) as caught:
        types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    return caught.value


def test_invalid_json_gets_a_parse_error_with_a_null_id() -> None:
    error = error_for(_parse_failure("{oops"))
    assert error.id is None and error.error.code == PARSE_ERROR


def test_a_malformed_request_gets_invalid_request_with_its_own_id() -> None:
    line = json.dumps({"jsonrpc": "2.0", "id": 41, "method": "tools/call", "params": "not an object"})
    error = error_for(_parse_failure(line))
    assert error.id == 41 and error.error.code == INVALID_REQUEST


def test_a_malformed_message_without_an_id_gets_a_null_id() -> None:
    error = error_for(_parse_failure(json.dumps({"hello": "world"})))
    assert error.id is None and error.error.code == INVALID_REQUEST
