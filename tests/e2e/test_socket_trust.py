"""Socket squatting (issue 16, finding 4): another local user creates the socket's directory first and
listens in it. The victim's ``switchboard ask``, ``switchboard mcp`` and ``switchboard daemon`` must
refuse loudly and send the impostor nothing. Tests run as root, so the squatter is a real other
user: the directory and socket are chowned to ``nobody``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.support import REPO, short_dir

NOBODY = 65534
SECRET = "AKIAZ7QWERTY12345678"

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="needs root to make a directory another user's (chown)")


@dataclass
class Impostor:
    """A server listening on the victim's socket path, in a directory another user owns."""

    socket: Path
    received: bytearray = field(default_factory=bytearray)
    connections: int = 0


@contextlib.asynccontextmanager
async def squatted() -> AsyncIterator[Impostor]:
    directory = short_dir() / "switchboard-victim"
    directory.mkdir(mode=0o777)
    impostor = Impostor(directory / "daemon.sock")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        impostor.connections += 1
        with contextlib.suppress(ConnectionError):
            impostor.received += await reader.read(65536)
        writer.close()

    server = await asyncio.start_unix_server(serve, path=str(impostor.socket))
    os.chmod(impostor.socket, 0o777)
    os.chown(impostor.socket, NOBODY, NOBODY)
    os.chown(directory, NOBODY, NOBODY)
    try:
        yield impostor
    finally:
        server.close()
        await server.wait_closed()


def _env(impostor: Impostor, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "SWITCHBOARD_SOCKET": str(impostor.socket), "SWITCHBOARD_DATA_DIR": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}


async def _run(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "daemon", *args, env=env, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    async with asyncio.timeout(60):
        out, _ = await process.communicate()
    return process.returncode or 0, out.decode(errors="replace")


async def test_ask_refuses_a_squatted_socket_and_sends_the_impostor_nothing(tmp_path):
    async with squatted() as impostor:
        code, out = await _run("ask", f"why is {SECRET} refused?", env=_env(impostor, tmp_path))
    assert code == 1
    assert "refusing to use" in out and "belongs to uid 65534" in out
    assert impostor.received == b"" and SECRET not in out.replace(f"why is {SECRET}", "")
    assert not (tmp_path / "data").exists()  # and no daemon of the victim's was started beside it


async def test_the_daemon_refuses_to_start_in_a_directory_another_user_owns(tmp_path):
    async with squatted() as impostor:
        code, out = await _run("daemon", "--socket", str(impostor.socket), "--data-dir", str(tmp_path / "data"),
                               env=_env(impostor, tmp_path))
    assert code == 1
    assert "refusing to use" in out and "belongs to uid 65534" in out
    assert not (tmp_path / "data").exists()  # refused before opening anything
    assert impostor.connections == 0


async def test_the_mcp_server_refuses_a_squatted_socket_and_tells_the_agent(tmp_path):
    async with squatted() as impostor:
        params = StdioServerParameters(command=sys.executable, args=["-m", "daemon", "mcp"],
                                       env=_env(impostor, tmp_path), cwd=str(REPO))
        with pytest.raises(BaseException) as raised:  # the client's task group wraps the initialize error
            async with asyncio.timeout(60), Client(params, mode="legacy") as client:
                await client.call_tool("run_task", {"prompt": f"deploy with {SECRET}"})
    assert any("refusing to use" in str(e) and "belongs to uid 65534" in str(e) for e in _leaves(raised.value))
    assert impostor.received == b""


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]
