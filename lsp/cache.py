"""Suggestions already shown, so that typing through one costs nothing.

An entry remembers where a suggestion was anchored (the document offset and the text just before
it). When the user types characters that the suggestion predicted, the rest of it is served from
here without asking the daemon again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

ANCHOR_CHARS = 512
"""Characters before the anchor compared on a lookup: enough to tell two places apart cheaply."""


@dataclass(frozen=True)
class Suggestion:
    """A cleaned completion that was shown at ``offset`` of a document."""

    uri: str
    offset: int
    before: str
    """Up to ``ANCHOR_CHARS`` of document text before ``offset``."""
    after: str
    """The rest of the line after ``offset`` when it was shown."""
    text: str
    trace_id: str
    model: str


@dataclass(frozen=True)
class CacheHit:
    """What is left of a cached suggestion at the new cursor."""

    suggestion: Suggestion
    remaining: str
    typed: str


class SuggestionCache:
    """The most recent suggestions per document (LRU, a few entries each)."""

    def __init__(self, per_document: int = 8) -> None:
        self._per_document = per_document
        self._entries: dict[str, OrderedDict[tuple[int, str], Suggestion]] = {}

    def put(self, suggestion: Suggestion) -> None:
        """Remember a suggestion that is being shown."""
        entries = self._entries.setdefault(suggestion.uri, OrderedDict())
        key = (suggestion.offset, suggestion.before[-64:])
        entries[key] = suggestion
        entries.move_to_end(key)
        while len(entries) > self._per_document:
            entries.popitem(last=False)

    def lookup(self, uri: str, text: str, offset: int, line_after: str) -> CacheHit | None:
        """A cached suggestion that the text typed since its anchor continues, if any."""
        entries = self._entries.get(uri)
        if not entries:
            return None
        for suggestion in reversed(entries.values()):
            if offset < suggestion.offset or offset - suggestion.offset > len(suggestion.text):
                continue
            if line_after.strip() != suggestion.after.strip():
                continue
            start = max(0, suggestion.offset - ANCHOR_CHARS)
            if text[start:suggestion.offset] != suggestion.before:
                continue
            typed = text[suggestion.offset:offset]
            if suggestion.text.startswith(typed) and len(typed) < len(suggestion.text):
                entries.move_to_end((suggestion.offset, suggestion.before[-64:]))
                return CacheHit(suggestion, suggestion.text[len(typed):], typed)
        return None

    def forget(self, uri: str) -> list[Suggestion]:
        """Drop a document's entries (closed); returns them."""
        return list(self._entries.pop(uri, OrderedDict()).values())

    @staticmethod
    def anchor(uri: str, text: str, offset: int, after: str, completion: str, trace_id: str,
               model: str) -> Suggestion:
        """A suggestion anchored at ``offset`` of ``text``."""
        before = text[max(0, offset - ANCHOR_CHARS):offset]
        return Suggestion(uri, offset, before, after, completion, trace_id, model)
