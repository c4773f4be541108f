"""A real editor drives the bridge: headless Neovim (Debian's package: 0.7.2) attaches ``switchboard lsp``
to a buffer with the README's own configuration, read from README.md, and receives a completion routed
through a real daemon to the simulated providers.

``switchboard`` on the editor's PATH runs this tree (``python -m daemon``); the README's block is
loaded as the user's init, then a few lines of test driver (in the same chunk, so they see its
locals) open a Python file, wait for the client and ask for a completion.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.harness import server_env, sim_daemon
from tests.readme import readme_block
from tests.support import run_program

NVIM = shutil.which("nvim")

DRIVER = r"""
-- The test's driver, after the README's block.
vim.cmd("filetype on")
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("SB_FILE")))
local out = io.open(os.getenv("SB_OUT"), "w")
local clients = vim.lsp.get_clients or vim.lsp.get_active_clients  -- the newer name from 0.10
local function ours()
  for _, client in pairs(clients()) do
    if client.name == "switchboard" and client.initialized and vim.lsp.buf_is_attached(0, client.id) then
      return client
    end
  end
  return nil
end
if not vim.wait(60000, function() return ours() ~= nil end, 20) then
  out:write(vim.fn.json_encode({ error = "no switchboard client attached and initialised" }))
  out:close()
  vim.cmd("qa!")
end
local last = vim.api.nvim_buf_line_count(0)
local line = vim.api.nvim_buf_get_lines(0, last - 1, last, false)[1]
vim.api.nvim_win_set_cursor(0, { last, #line })
local params = vim.lsp.util.make_position_params()
params.context = { triggerKind = 1 }
local results, err = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 60000)
out:write(vim.fn.json_encode({ results = results or {}, err = err, filetype = vim.bo.filetype,
                               omnifunc = vim.bo.omnifunc }))
out:close()
vim.lsp.stop_client(ours().id)
vim.cmd("qa!")
"""


def nvim_version() -> tuple[int, int]:
    assert NVIM is not None
    first = subprocess.run([NVIM, "--version"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
    found = re.search(r"v(\d+)\.(\d+)", first)
    assert found, first
    return int(found[1]), int(found[2])


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (make deps-system installs it with apt-get)")
@pytest.mark.parametrize(("marker", "needs"), [("**Neovim 0.7**", (0, 7)), ("**Neovim 0.8+**", (0, 8))])
async def test_headless_neovim_with_the_readme_config_receives_a_completion(tmp_path: Path, marker: str,
                                                                            needs: tuple[int, int]) -> None:
    if nvim_version() < needs:
        pytest.skip(f"the README's {marker.strip('*')} block needs Neovim {needs[0]}.{needs[1]}; "
                    f"this one is {'.'.join(map(str, nvim_version()))}")
    source = tmp_path / "geometry.py"
    source.write_text("import math\n\ndef circle_area(radius):\n    return ")
    init = tmp_path / "init.lua"
    init.write_text(readme_block(marker, "lua") + DRIVER)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "switchboard").write_text(f"#!/bin/sh\nexec {sys.executable} -m daemon \"$@\"\n")
    (bin_dir / "switchboard").chmod(0o755)
    out = tmp_path / "result.json"
    async with sim_daemon(tmp_path) as (sim, daemon):
        base = server_env(daemon.socket)
        env = {**base, "PATH": f"{bin_dir}:{base.get('PATH', '/usr/bin:/bin')}", "SB_FILE": str(source),
               "SB_OUT": str(out), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
               "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
        output = await run_program([NVIM, "--headless", "--clean", "-u", str(init)], env=env, cwd=tmp_path, timeout=90)
        requests = sim.requests
    assert out.exists(), output.decode(errors="replace")
    result = json.loads(out.read_text())
    assert result.get("filetype") == "python", result
    # A Lua table keyed by client id 1 encodes as a JSON array.
    responses = result["results"]
    (response,) = responses.values() if isinstance(responses, dict) else responses
    items = response["result"]["items"]
    assert len(items) == 1, result
    (request,) = requests
    assert items[0]["detail"] == f"Switchboard · {request.model}"
    assert items[0]["textEdit"]["newText"].strip()
    assert "circle_area" in json.dumps(request.body)
    if marker == "**Neovim 0.7**":
        assert result["omnifunc"] == "v:lua.vim.lsp.omnifunc"
