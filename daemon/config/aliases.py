"""The model name a client sends, resolved to what Switchboard routes: ``auto``, ``auto:<policy>``, a
configured model, or whatever an ``[aliases]`` pattern sends that name to.

Agents send their own model ids (``claude-opus-5-5``, ``claude-haiku-4-5-20251001``, ``gpt-5-codex``)
and must work unchanged, so a name that is not configured is matched against the config's glob
patterns; the most specific matching pattern (most literal characters) decides, whatever order the
patterns were written in, so a user's ``claude-sonnet-4*`` beats the shipped ``claude-*``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Literal

from daemon.config import Settings
from daemon.errors import InvalidRequestError

Hint = Literal["light", "heavy"]

_MEMO_LIMIT = 1024
"""Distinct names remembered per config (clients send a handful; a bound keeps a flood of names cheap)."""


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """What a requested name means for routing."""

    target: str
    """``auto``, ``auto:<policy>`` or a configured model name."""
    hint: Hint | None = None
    """The alias's hint to the router (``light``: a small/background ask)."""
    pattern: str | None = None
    """The alias pattern that matched; None when the name meant itself."""

    @property
    def policy(self) -> str | None:
        """The policy named by ``auto:<policy>``, else None."""
        return self.target[5:] if self.target.startswith("auto:") else None

    @property
    def pinned(self) -> str | None:
        """The configured model the request is pinned to, else None."""
        return None if self.target == "auto" or self.target.startswith("auto:") else self.target


_AUTO = ResolvedModel("auto")


@dataclass(frozen=True, slots=True)
class _Table:
    """One config's patterns, most specific first, and the names already resolved against them."""

    settings: Settings
    patterns: tuple[tuple[re.Pattern[str], str], ...]
    memo: dict[str, ResolvedModel]


_table: _Table | None = None


def specificity(pattern: str) -> int:
    """Literal characters of a glob pattern (a ``[set]`` pins one character, ``*`` and ``?`` none)."""
    count, i = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            end = pattern.find("]", i + 2)
            if end > 0:
                count += 1
                i = end + 1
                continue
        if char not in "*?":
            count += 1
        i += 1
    return count


def _table_for(settings: Settings) -> _Table:
    global _table
    table = _table
    if table is None or table.settings is not settings:
        ordered = sorted(settings.aliases, key=lambda p: (-specificity(p), -len(p), p))
        patterns = tuple((re.compile(fnmatch.translate(p.lower())), p) for p in ordered)
        table = _table = _Table(settings, patterns, {})
    return table


def resolve(settings: Settings, name: str) -> ResolvedModel:
    """What ``name`` routes to; ``InvalidRequestError`` (listing what is accepted) when nothing matches."""
    # On every request: one dict lookup once a name has been seen under this config.
    table = _table
    if table is None or table.settings is not settings:
        table = _table_for(settings)
    found = table.memo.get(name)
    if found is None:
        found = _resolve(settings, table, name)
        if len(table.memo) >= _MEMO_LIMIT:
            table.memo.clear()
        table.memo[name] = found
    return found


def _resolve(settings: Settings, table: _Table, name: str) -> ResolvedModel:
    if name == "auto":
        return _AUTO
    if name in settings.models:
        return ResolvedModel(name)
    if name.startswith("auto:"):
        if name[5:] not in settings.routing.policies:
            raise InvalidRequestError(
                f"model: unknown routing policy {name[5:]!r}; configured policies: "
                f"{', '.join(sorted(settings.routing.policies))}", details={"param": "model"})
        return ResolvedModel(name)
    return _match(settings, table, name)


def _match(settings: Settings, table: _Table, name: str) -> ResolvedModel:
    lowered = name.lower()
    for compiled, pattern in table.patterns:
        if compiled.match(lowered):
            alias = settings.aliases[pattern]
            return ResolvedModel(alias.to, alias.hint, pattern)
    accepted = [
        "'auto'",
        f"'auto:<policy>' ({', '.join(sorted(settings.routing.policies))})",
        f"a configured model ({', '.join(sorted(settings.models)) or 'none configured'})",
    ]
    if settings.aliases:
        accepted.append(f"a name matching an [aliases] pattern ({', '.join(settings.aliases)})")
    raise InvalidRequestError(
        f"model: unknown model {name!r}; send {', '.join(accepted[:-1])} or {accepted[-1]}; "
        "add a pattern under [aliases] in the config to accept this name", details={"param": "model"})
