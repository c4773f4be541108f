"""Snippets read from README.md, so the tests run what the README tells a person to write."""

from __future__ import annotations

from tests.support import REPO


def readme_block(marker: str, language: str, index: int = 0) -> str:
    """The ``index``-th fenced ``language`` block after the first README line that contains ``marker``."""
    lines = (REPO / "README.md").read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if marker in line), None)
    assert start is not None, f"README.md has no line with {marker!r}"
    seen = 0
    for i in range(start + 1, len(lines)):
        if lines[i].strip() == f"```{language}":
            end = lines.index("```", i + 1)
            if seen == index:
                return "\n".join(lines[i + 1:end]) + "\n"
            seen += 1
    raise AssertionError(f"README.md has no ```{language} block number {index} after {marker!r}")

README_URL = "http://127.0.0.1:7411"
"""The daemon's default address as the README writes it."""
README_KEY = "sb-..."
"""A developer key as the README writes it."""


def localized(text: str, url: str, key: str) -> str:
    """A README snippet pointed at the test's daemon and key."""
    return text.replace(README_URL, url).replace(README_KEY, key)


def exports(block: str) -> dict[str, str]:
    """The ``NAME=value`` pairs of a shell block's ``export`` lines (comments dropped)."""
    found: dict[str, str] = {}
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("export "):
            for pair in line[len("export "):].split():
                name, _, value = pair.partition("=")
                found[name] = value
    return found
