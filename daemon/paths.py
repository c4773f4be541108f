"""Where the daemon's socket, data and logs live. Light enough for every client to import."""

from __future__ import annotations

import os
from pathlib import Path


def runtime_dir() -> Path:
    """The 0700 directory holding the socket: ``$XDG_RUNTIME_DIR/switchboard`` or a per-user /tmp dir."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return Path(base) / "switchboard"
    return Path("/tmp") / f"switchboard-{os.getuid()}"


def socket_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The local API socket: ``--socket``, else ``SWITCHBOARD_SOCKET``, else the runtime dir."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SWITCHBOARD_SOCKET")
    if env:
        return Path(env)
    return runtime_dir() / "daemon.sock"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database directory: ``--data-dir``, else ``SWITCHBOARD_DATA_DIR``, else XDG data home."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SWITCHBOARD_DATA_DIR")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "switchboard"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` as a 0700 directory (and tighten it if it already exists and is ours)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path
