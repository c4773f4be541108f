"""``python -m lsp``: run the language server over stdio (what ``switchboard lsp`` runs)."""

from __future__ import annotations

import logging
import os
import sys


def main(socket: str | None = None, data_dir: str | None = None) -> int:
    """Serve LSP on stdin/stdout until the editor exits; logs go to stderr."""
    level = os.environ.get("SWITCHBOARD_LSP_LOG", "WARNING").upper()
    logging.basicConfig(level=level, stream=sys.stderr, format="switchboard-lsp %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        # pygls logs every message it sends at INFO: far too much for an editor's log pane.
        logging.getLogger("pygls").setLevel(max(logging.WARNING, logging.getLevelName(level)))

    # httpx loads its optional command-line client (click, rich, pygments) when they are installed;
    # marking that module absent takes httpx's documented fallback and saves a tenth of a second
    # of every editor start.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

    # What a completion needs (the daemon client, the wire models, the engine) loads before
    # ``initialize`` is answered: an editor asks for its first completion right after, and pygls
    # (most of a second) then loads in a thread while ``lsp.prelude`` answers it.
    import lsp.prelude  # noqa: F401
    from lsp.handshake import answer_initialize
    from lsp.stdio import raw_stdin, serve

    stdin, stdout = raw_stdin(), sys.stdout.buffer
    first = answer_initialize(stdin, stdout)  # before pygls loads: the editor sees a ready server at once
    if first is None:
        return 0
    serve(first, stdin, stdout, socket, data_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
