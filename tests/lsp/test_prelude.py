"""``lsp.prelude``'s document tracking: the text it answers completions from before pygls has loaded
must be the text pygls would hold, in each position encoding."""

from __future__ import annotations

import pytest

from lsp.prelude import apply_change, fs_path, to_code_points

FACE = "\U0001F600"  # one code point, two UTF-16 units, four UTF-8 bytes


@pytest.mark.parametrize(("encoding", "character", "index"), [
    ("utf-16", 3, 2),  # "a" + the face take 3 units: the index after them is 2
    ("utf-8", 5, 2),
    ("utf-32", 2, 2),
    ("utf-16", 99, 4),  # past the end of the line: its end
])
def test_position_in_client_units_maps_to_code_points(encoding: str, character: int, index: int) -> None:
    assert to_code_points(f"a{FACE}bc", character, encoding) == index


def test_incremental_change_after_an_astral_character_lands_where_pygls_puts_it() -> None:
    """Typing after a UTF-16 surrogate pair on the second line (the editor counts units, not code points)."""
    text = f"first\nx = '{FACE}'\nlast"
    change = {"range": {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 8}}, "text": " + s"}
    assert apply_change(text, change, "utf-16") == f"first\nx = '{FACE}' + s\nlast"


def test_range_replacement_across_lines_and_whole_text_change() -> None:
    text = "one\ntwo\nthree"
    change = {"range": {"start": {"line": 0, "character": 1}, "end": {"line": 2, "character": 2}}, "text": "-"}
    assert apply_change(text, change, "utf-16") == "o-ree"
    assert apply_change(text, {"text": "new"}, "utf-16") == "new"


def test_file_uri_becomes_a_path_and_others_do_not() -> None:
    assert fs_path("file:///home/me/a%20b.py") == "/home/me/a b.py"
    assert fs_path("untitled:Untitled-1") is None
