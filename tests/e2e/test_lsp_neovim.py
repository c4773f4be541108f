"""A real editor drives the bridge: headless Neovim (Debian's package) attaches ``switchboard lsp``
to a buffer and receives a completion routed through a real daemon to the simulated providers."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.lsp.harness import server_env, sim_daemon

NVIM = shutil.which("nvim")

INIT_LUA = r"""
vim.cmd("filetype on")
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("SB_FILE")))
local ready = false
local client_id = vim.lsp.start_client({
  name = "switchboard",
  cmd = { os.getenv("SB_PYTHON"), "-m", "lsp" },
  root_dir = vim.fn.getcwd(),
  init_options = { debounce_ms = 0 },
  on_init = function() ready = true end,
})
vim.lsp.buf_attach_client(0, client_id)
local out = io.open(os.getenv("SB_OUT"), "w")
if not vim.wait(60000, function() return ready end, 20) then
  out:write(vim.fn.json_encode({ error = "the server did not initialise" }))
  out:close()
  vim.cmd("qa!")
end
local last = vim.api.nvim_buf_line_count(0)
local line = vim.api.nvim_buf_get_lines(0, last - 1, last, false)[1]
vim.api.nvim_win_set_cursor(0, { last, #line })
local params = vim.lsp.util.make_position_params()
params.context = { triggerKind = 1 }
local results, err = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 60000)
out:write(vim.fn.json_encode({ results = results or {}, err = err, filetype = vim.bo.filetype }))
out:close()
vim.lsp.stop_client(client_id)
vim.cmd("qa!")
"""


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (make deps-system installs it with apt-get)")
async def test_headless_neovim_attaches_the_bridge_and_receives_a_completion(tmp_path: Path) -> None:
    assert NVIM is not None
    source = tmp_path / "geometry.py"
    source.write_text("import math\n\ndef circle_area(radius):\n    return ")
    init = tmp_path / "init.lua"
    init.write_text(INIT_LUA)
    out = tmp_path / "result.json"
    async with sim_daemon(tmp_path) as (sim, daemon):
        env = {**server_env(daemon.socket), "SB_FILE": str(source), "SB_OUT": str(out), "SB_PYTHON": sys.executable,
               "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
               "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
        process = await asyncio.create_subprocess_exec(
            NVIM, "--headless", "--clean", "-u", str(init), env=env, cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with asyncio.timeout(90):
                output, _ = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
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
