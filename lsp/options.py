"""The bridge's options: ``initializationOptions`` and ``workspace/didChangeConfiguration``.

Each option has a default. An invalid value falls back to its default (the other options keep
what the user set) and the problem is returned so the user is told, never silently ignored.
Secret files are never sent whatever the options say: ``ALWAYS_IGNORED`` cannot be turned off.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ALWAYS_IGNORED: tuple[str, ...] = (
    ".env", ".env.*", "*.env", ".envrc", ".netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.asc", "*.gpg",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*secret*", "*secrets*", "*credential*",
    "*.tfvars", "*.tfstate", "kubeconfig", "*.kubeconfig",
)
"""Files whose content never leaves the editor: matched against the file name and the whole path."""


class LspOptions(BaseModel):
    """What the editor may configure (all optional; the defaults suit most setups)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    enable: bool = True
    """Master switch for completions (code actions stay available)."""
    languages: dict[str, bool] = Field(default_factory=dict)
    """Per-language switch by LSP language id, e.g. ``{"markdown": false}``; unlisted languages are on."""
    ignore: list[str] = Field(default_factory=list)
    """Extra glob patterns (file name or path) never sent; secret files are always ignored."""
    debounce_ms: float = Field(75.0, ge=0, le=2000)
    """Base pause after a keystroke before asking; it adapts to the typing rhythm."""
    max_lines: int = Field(8, ge=1, le=200)
    """Most lines a multi-line suggestion may have."""
    context_tokens: int = Field(1500, ge=64, le=100_000)
    """Token budget of the prefix, suffix and extra context sent with a completion."""
    max_tokens: int = Field(128, ge=1, le=4096)
    """Most tokens a completion may generate."""
    model: str = Field("auto", min_length=1)
    """``auto`` (the daemon's latency policy for editors), ``auto:<policy>`` or a model name."""
    refactor_model: str = Field("auto", min_length=1)
    """Model for code actions; ``auto`` routes by complexity."""
    timeout_ms: float = Field(10_000.0, gt=0)
    """A completion still unanswered after this is abandoned (its stream closed) and answered empty."""
    slow_ms: float = Field(1500.0, gt=0)
    """A completion slower than this is reported as slow in the status."""
    autostart: bool = True
    """Start the daemon when it is not running."""


DEFAULTS = LspOptions()


def _unwrap(raw: Any) -> Any:
    """Accept ``{...}``, ``{"switchboard": {...}}`` (the usual didChangeConfiguration shape) or None."""
    if isinstance(raw, dict) and isinstance(raw.get("switchboard"), dict):
        return raw["switchboard"]
    return raw


def parse_options(raw: Any, base: LspOptions = DEFAULTS) -> tuple[LspOptions, list[str]]:
    """Options from what the editor sent, over ``base``; returns them and the problems found.

    A bad value is dropped (its key keeps the value in ``base``) and named in the problems.
    """
    raw = _unwrap(raw)
    if raw is None:
        return base, []
    if not isinstance(raw, dict):
        return base, [f"options must be an object, got {type(raw).__name__}; using the defaults"]
    known = {k: v for k, v in raw.items() if k in LspOptions.model_fields}
    problems = [f"unknown option {k!r} ignored" for k in raw if k not in LspOptions.model_fields]
    merged = {**base.model_dump(), **known}
    try:
        return LspOptions.model_validate(merged), problems
    except ValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            problems.append(f"option {key!r}: {err['msg']} (got {err.get('input')!r}); using {getattr(base, str(err['loc'][0]), None)!r}")
        kept = {k: v for k, v in merged.items() if k not in bad}
        return LspOptions.model_validate(kept), problems


@functools.lru_cache(maxsize=16)
def _ignore_pattern(extra: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for every ignore glob (checked on each keystroke, so compiled once per option set)."""
    parts = []
    for pattern in (*ALWAYS_IGNORED, *extra):
        parts.append(fnmatch.translate(pattern))
        if "/" in pattern:
            parts.append(fnmatch.translate(f"*/{pattern.lstrip('/')}"))
    return re.compile("|".join(f"(?:{p})" for p in parts))


def is_ignored(path: str | None, options: LspOptions) -> bool:
    """Whether a file must never be sent: a secret file, or a match of the user's ignore globs
    (each glob is tried against the file name and against the whole path)."""
    if not path:
        return False
    pattern = _ignore_pattern(tuple(options.ignore))
    return bool(pattern.match(posixpath.basename(path)) or pattern.match(path))


def language_enabled(language: str | None, options: LspOptions) -> bool:
    """Whether completions are on for this language id."""
    if not options.enable:
        return False
    return options.languages.get(language or "", True)
