"""A real editor drives the bridge: Debian's Emacs 28 with eglot from its ELPA package (``elpa-eglot``:
eglot is built in only from Emacs 29) runs the README's eglot configuration, read from README.md,
and gets a completion routed through a real daemon to the simulated providers.

``switchboard`` on the editor's PATH runs this tree (``python -m daemon``). Emacs runs in batch mode:
the README's block, then a few lines of test driver that open a Python file, connect eglot, and ask
``completion-at-point`` (eglot's backend) for the candidates at the end of the file.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.harness import server_env, sim_daemon
from tests.readme import readme_block
from tests.support import run_program

EMACS = shutil.which("emacs")


@functools.cache
def _eglot_missing() -> str | None:
    """Why the test cannot run: no Emacs, or an Emacs without eglot (28 without elpa-eglot)."""
    if EMACS is None:
        return "Emacs is not installed (make deps-system installs emacs-nox and elpa-eglot with apt-get)"
    probe = subprocess.run([EMACS, "--batch", "--eval", "(progn (require 'package) (package-initialize) (require 'eglot))"],
                           capture_output=True, timeout=60)
    return None if probe.returncode == 0 else "this Emacs has no eglot (on Emacs 28: apt-get install elpa-eglot)"

PRELUDE = """
(require 'package)
(package-initialize)  ; Debian's elpa-eglot (Emacs 28), or the built-in one (29+)
(require 'eglot)
"""

DRIVER = r"""
;; The test's driver, after the README's block.
(let ((out (getenv "SB_OUT")) (result nil))
  (condition-case err
      (progn
        (find-file (getenv "SB_FILE"))
        (python-mode)
        (apply #'eglot (eglot--guess-contact))
        (let ((deadline (+ (float-time) 60)))
          (while (and (not (eglot-current-server)) (< (float-time) deadline))
            (accept-process-output nil 0.05)))
        (goto-char (point-max))
        (let* ((capf (eglot-completion-at-point))
               (candidates (all-completions "" (nth 2 capf))))
          (setq result `((server . ,(and (eglot-current-server) t))
                         (program . ,(car (process-command (jsonrpc--process (eglot-current-server)))))
                         (candidates . ,(vconcat candidates))))))
    (error (setq result `((error . ,(format "%S" err))))))
  (with-temp-file out (insert (json-encode result)))
  (ignore-errors (eglot-shutdown (eglot-current-server)))
  (kill-emacs 0))
"""


@pytest.mark.skipif(_eglot_missing() is not None, reason=str(_eglot_missing()))
async def test_emacs_with_eglot_and_the_readme_config_receives_a_completion(tmp_path: Path) -> None:
    assert EMACS is not None
    source = tmp_path / "geometry.py"
    source.write_text("import math\n\ndef circle_area(radius):\n    return ")
    init = tmp_path / "init.el"
    init.write_text(PRELUDE + readme_block("**Emacs 28+**", "elisp") + DRIVER)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "switchboard").write_text(f'#!/bin/sh\nexec {sys.executable} -m daemon "$@"\n')
    (bin_dir / "switchboard").chmod(0o755)
    out = tmp_path / "result.json"
    async with sim_daemon(tmp_path) as (sim, daemon):
        base = server_env(daemon.socket)
        env = {**base, "PATH": f"{bin_dir}:{base.get('PATH', '/usr/bin:/bin')}", "SB_FILE": str(source),
               "SB_OUT": str(out), "HOME": str(tmp_path)}
        output = await run_program([EMACS, "--batch", "-l", str(init)], env=env, cwd=tmp_path, timeout=120)
        requests = sim.requests
    assert out.exists(), output.decode(errors="replace")
    result = json.loads(out.read_text())
    assert "error" not in result, (result, output.decode(errors="replace")[-3000:])
    assert result["server"] is True and result["program"] == "switchboard"
    assert len(result["candidates"]) == 1 and result["candidates"][0].strip(), result
    (request,) = requests
    assert "circle_area" in json.dumps(request.body)
