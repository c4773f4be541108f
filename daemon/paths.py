"""Where the daemon's socket, data and logs live, and the checks that they are the user's own.
Light enough for every client to import.

Discovery does not depend on the caller's environment: hosts such as the MCP Inspector start
``switchboard mcp`` with little more than HOME and PATH (no ``XDG_RUNTIME_DIR``), and it must reach
the daemon its user started from a full login shell. So the default socket lives in a directory
derived from the user id alone: ``/run/user/<uid>/switchboard`` when the system gives the user that
private directory, else ``/tmp/switchboard-<uid>``.

A directory in ``/tmp`` can be created by anyone, so before a client sends anything it checks that
the directory and the socket are the user's own and private, and that the process listening is the
user's (``SO_PEERCRED`` on Linux); the daemon refuses to start in a directory someone else owns.
Either way the error says so plainly (``UnsafePathError``): no prompt goes to an impostor.
"""

from __future__ import annotations

import os
import socket
import stat
import struct
from pathlib import Path

from daemon.errors import UnsafePathError

_PRIVATE_DIR = 0o700
_PRIVATE_FILE = 0o600


def runtime_dir() -> Path:
    """The 0700 directory holding the socket: ``/run/user/<uid>/switchboard`` when ``/run/user/<uid>``
    is the user's own private directory, else ``/tmp/switchboard-<uid>``; the same whatever the
    environment says."""
    uid = os.getuid()
    user_run = Path("/run/user") / str(uid)
    try:
        st = os.stat(user_run)
    except OSError:
        pass
    else:
        if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o077:
            return user_run / "switchboard"
    return Path("/tmp") / f"switchboard-{uid}"


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


def _not_yours(path: Path, what: str, owner: int) -> UnsafePathError:
    return UnsafePathError(
        f"refusing to use {path}: this {what} belongs to uid {owner}, not to you (uid {os.getuid()}); another "
        "local user may be impersonating Switchboard to read your prompts. Remove it (as its owner or an "
        "administrator), or point SWITCHBOARD_SOCKET / --socket at a path in a directory of your own",
        details={"path": str(path), "owner_uid": owner},
    )


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` as a 0700 directory, or check the existing one: a real directory (not a symlink)
    owned by this user, tightened to 0700. ``UnsafePathError`` when it belongs to someone else."""
    path.mkdir(parents=True, exist_ok=True, mode=_PRIVATE_DIR)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePathError(
            f"refusing to use {path}: it is a {'symbolic link' if stat.S_ISLNK(st.st_mode) else 'file'}, not a "
            "directory; remove it so Switchboard can create its own private directory there",
            details={"path": str(path)},
        )
    if st.st_uid != os.getuid():
        raise _not_yours(path, "directory", st.st_uid)
    if st.st_mode & 0o077:
        os.chmod(path, _PRIVATE_DIR)
    return path


def ensure_private_file(path: Path) -> Path:
    """Create ``path`` as an empty 0600 file unless it exists; an existing file of this user's is
    tightened to 0600 (one made readable to others by an older version, or by a umask)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW, _PRIVATE_FILE)
    try:
        st = os.fstat(fd)
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.fchmod(fd, _PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def tighten_file(path: Path) -> None:
    """Make an existing file of this user's 0600 (nothing when it is missing or someone else's)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077:
        os.chmod(path, _PRIVATE_FILE)


def ensure_private_data_dir(path: Path) -> Path:
    """The data directory, private: created 0700 (or checked: the user's own, tightened to 0700) and
    every file directly in it (database, its -wal/-shm, logs) tightened to 0600. Traces, key hashes
    and budgets are nobody else's to read."""
    ensure_private_dir(path)
    for entry in path.iterdir():
        tighten_file(entry)
    return path


def check_socket(path: Path) -> bool:
    """Before connecting: the socket's directory is this user's own (created private when missing,
    so no one else can put a socket there meanwhile) and the socket, when there is one, is a socket
    owned by this user and closed to others. False when there is no socket yet (no daemon runs);
    ``UnsafePathError`` when something there is not the user's."""
    ensure_private_dir(path.parent)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISSOCK(st.st_mode):
        raise UnsafePathError(f"refusing to use {path}: it is not a socket; remove it and start the daemon again",
                              details={"path": str(path)})
    if st.st_uid != os.getuid():
        raise _not_yours(path, "socket", st.st_uid)
    if st.st_mode & 0o077:
        raise UnsafePathError(
            f"refusing to use {path}: the socket is open to other users (mode {stat.S_IMODE(st.st_mode):o}), "
            "which Switchboard never does; remove it and start the daemon again", details={"path": str(path)})
    return True


def check_peer(sock: socket.socket, path: Path) -> None:
    """The process listening on a connected Unix socket runs as this user (Linux ``SO_PEERCRED``;
    elsewhere the directory and socket checks stand alone)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    if uid != os.getuid():
        raise _not_yours(path, "socket's listening process", uid)


def verify_daemon_socket(path: Path) -> bool:
    """``check_socket``, then a connection to see who listens (``check_peer``). False when no socket
    exists or nothing listens on it; ``UnsafePathError`` when it is not the user's own daemon."""
    if not check_socket(path):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        return False  # a stale socket: the daemon that made it has gone
    else:
        check_peer(probe, path)
    finally:
        probe.close()
    return True
