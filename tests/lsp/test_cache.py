"""The suggestion cache: typing through a shown suggestion is served without asking again."""

from __future__ import annotations

from lsp.cache import SuggestionCache

URI = "file:///repo/a.py"


def shown(cache: SuggestionCache, text: str, offset: int, completion: str) -> None:
    cache.put(SuggestionCache.anchor(URI, text, offset, "", completion, "trace-1", "sim-nano"))


def test_typing_the_predicted_characters_serves_the_rest_of_the_suggestion() -> None:
    cache = SuggestionCache()
    text = "def f():\n    return "
    shown(cache, text, len(text), "compute(a, b)")
    typed = text + "comp"
    hit = cache.lookup(URI, typed, len(typed), "")
    assert hit is not None
    assert hit.remaining == "ute(a, b)"
    assert hit.suggestion.trace_id == "trace-1"


def test_typing_something_else_misses() -> None:
    cache = SuggestionCache()
    text = "x = "
    shown(cache, text, len(text), "compute()")
    typed = text + "load"
    assert cache.lookup(URI, typed, len(typed), "") is None


def test_an_edit_before_the_anchor_misses() -> None:
    cache = SuggestionCache()
    text = "x = "
    shown(cache, text, len(text), "compute()")
    changed = "y = co"
    assert cache.lookup(URI, changed, len(changed), "") is None


def test_typing_the_whole_suggestion_leaves_nothing_to_serve() -> None:
    cache = SuggestionCache()
    text = "x = "
    shown(cache, text, len(text), "ab")
    done = text + "ab"
    assert cache.lookup(URI, done, len(done), "") is None


def test_entries_per_document_are_bounded() -> None:
    cache = SuggestionCache(per_document=2)
    for i in range(5):
        text = f"v{i} = "
        shown(cache, text, len(text), "thing")
    assert len(cache.forget(URI)) == 2
