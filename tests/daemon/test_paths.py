"""Where the socket and data live, and the checks that they are the user's own (issue 16, findings 4
and 6). Tests run as root, so "another user" is real: directories and sockets are chowned to
``nobody``, and a listener runs as ``nobody`` (the system Python, which any user may run)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.errors import UnsafePathError
from daemon.paths import (
    check_socket,
    ensure_private_data_dir,
    ensure_private_dir,
    runtime_dir,
    socket_path,
    verify_daemon_socket,
)
from tests.support import short_dir

NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="needs root to make files another user's (chown)")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_the_default_socket_is_the_same_whatever_the_environment_says(monkeypatch):
    monkeypatch.delenv("SWITCHBOARD_SOCKET", raising=False)
    seen = set()
    for value in ("/run/user/0", "/tmp/elsewhere", None):
        if value is None:
            monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
        else:
            monkeypatch.setenv("XDG_RUNTIME_DIR", value)
        seen.add(socket_path())
    assert seen == {runtime_dir() / "daemon.sock"}
    uid = os.getuid()
    assert runtime_dir() in (Path(f"/run/user/{uid}/switchboard"), Path(f"/tmp/switchboard-{uid}"))


def test_a_directory_of_another_user_is_refused_and_ours_is_tightened():
    base = short_dir()
    theirs = base / "theirs"
    theirs.mkdir(mode=0o777)
    os.chown(theirs, NOBODY, NOBODY)
    with pytest.raises(UnsafePathError, match="belongs to uid 65534"):
        ensure_private_dir(theirs)
    ours = base / "ours"
    ours.mkdir(mode=0o755)
    ensure_private_dir(ours)
    assert _mode(ours) == 0o700
    (base / "link").symlink_to(ours)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        ensure_private_dir(base / "link")


def _listening(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(1)
    return sock


def test_a_socket_of_another_user_is_refused_before_anything_connects():
    base = short_dir()
    path = base / "daemon.sock"
    with _listening(path) as sock:
        os.chmod(path, 0o600)
        assert check_socket(path)
        os.chown(path, NOBODY, NOBODY)
        with pytest.raises(UnsafePathError, match="socket belongs to uid 65534"):
            verify_daemon_socket(path)
        os.chown(path, 0, 0)
        os.chmod(path, 0o666)
        with pytest.raises(UnsafePathError, match="open to other users"):
            verify_daemon_socket(path)
        sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            sock.accept()  # no check connected to find out


@pytest.fixture
def nobody_listening() -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A socket in our own private directory, ours and 0600, but listened on by a process running as
    ``nobody``: only the peer's credentials tell."""
    path = short_dir() / "daemon.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    os.chmod(path, 0o600)
    script = ("import socket, sys\ns = socket.socket(fileno=int(sys.argv[1]))\ns.listen(1)\nprint('ready', flush=True)\n"
              "c, _ = s.accept()\nprint('got', len(c.recv(100)), flush=True)\n")
    process = subprocess.Popen([SYSTEM_PYTHON, "-c", script, str(sock.fileno())], pass_fds=[sock.fileno()], user=NOBODY,
                               cwd="/", stdout=subprocess.PIPE, text=True)
    sock.close()
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    try:
        yield path, process
    finally:
        process.kill()
        process.wait()


@pytest.mark.skipif(not hasattr(socket, "SO_PEERCRED") or not os.path.exists(SYSTEM_PYTHON),
                    reason="SO_PEERCRED is Linux's, and the listener needs the system Python")
def test_a_listener_running_as_another_user_is_refused_by_its_credentials(nobody_listening):
    path, process = nobody_listening
    assert check_socket(path)  # the file and its directory look like ours
    with pytest.raises(UnsafePathError, match="listening process belongs to uid 65534"):
        verify_daemon_socket(path)
    out, _ = process.communicate(timeout=10)
    assert out.strip() == "got 0"  # it saw a connection come and go without a byte


def test_the_data_dir_and_its_files_are_made_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    for name in ("switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "daemon.log"):
        (data / name).write_text("x")
        os.chmod(data / name, 0o644)
    ensure_private_data_dir(data)
    assert _mode(data) == 0o700
    assert {p.name: _mode(p) for p in data.iterdir()} == dict.fromkeys(
        ("switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "daemon.log"), 0o600)
    os.chown(data, NOBODY, NOBODY)
    with pytest.raises(UnsafePathError):
        ensure_private_data_dir(data)


async def test_a_sqlite_store_creates_its_files_private_whatever_the_umask(tmp_path):
    from daemon.store.sqlite import SqliteStore

    old = os.umask(0o022)
    store = SqliteStore(tmp_path / "fresh" / "switchboard.db")
    try:
        await store.open()
        await store.create_developer("alice", is_admin=True)
        files = {p.name: _mode(p) for p in (tmp_path / "fresh").iterdir()}
    finally:
        await store.close()
        os.umask(old)
    assert files == dict.fromkeys(("switchboard.db", "switchboard.db-wal", "switchboard.db-shm"), 0o600)
    assert _mode(tmp_path / "fresh") == 0o700
