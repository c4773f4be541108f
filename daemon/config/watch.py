"""The live configuration: the last good ``Settings``, reloaded when the user's file changes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon.config import Settings, load_settings
from daemon.errors import ConfigError

log = logging.getLogger("switchboard.config")


class LiveConfig:
    """Holds the config in force; a bad edit is refused and remembered, the old config stays."""

    def __init__(self, settings: Settings, path: Path | None, overlay: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.path = path
        self.overlay = overlay
        self.loaded_at = time.time()
        self.error: str | None = None
        self._listeners: list[Callable[[Settings], None]] = []

    def on_change(self, listener: Callable[[Settings], None]) -> None:
        """Call ``listener`` with each newly accepted config."""
        self._listeners.append(listener)

    def reload(self) -> bool:
        """Re-read the file. Returns True when a new config took effect."""
        try:
            settings = load_settings(self.path, overlay=self.overlay)
        except ConfigError as exc:
            self.error = exc.message
            log.error("config reload refused, keeping the previous config: %s", exc.message)
            return False
        except Exception as exc:  # a bug in loading must not end the watcher: it is reported like a bad edit
            self.error = f"{self.path}: could not be loaded ({type(exc).__name__}: {exc}); the previous config is in force"
            log.exception("config reload failed, keeping the previous config")
            return False
        self.settings = settings
        self.loaded_at = time.time()
        self.error = None
        for listener in self._listeners:
            listener(settings)
        log.info("config reloaded from %s", self.path)
        return True

    async def watch(self) -> None:
        """Reload whenever the file changes (runs until cancelled)."""
        if self.path is None:
            return
        from watchfiles import awatch

        # Watch the directory: editors replace files by rename, which a file watch would miss. But only
        # the file's own changes get through (and get logged): its folder may hold busy files too.
        target = self.path.resolve()
        mine = str(target)

        def only_the_file(_change: object, path: str) -> bool:
            return path == mine

        async for _ in awatch(target.parent, watch_filter=only_the_file, debounce=100, step=50, recursive=False):
            if target.exists():
                await asyncio.to_thread(self.reload)
