"""A real editor, headless: Emacs with Eglot (Debian 12: Emacs 28.2, elpa-eglot 1.9) loads
the shipped editors/emacs/gil-lint.el, shows the GIL201 diagnostic through Flymake, applies
its quick fix with ``eglot-code-actions``, and fixes all on save (UTF-16 columns after
non-ASCII text)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BIN = Path(sys.executable).parent
SOURCE = "import time\n\nasync def f():\n    time.sleep(1)\n"
SCRIPT = ROOT / "tests" / "editors" / "emacs" / "eglot_check.el"
INSTALL = "apt-get install -y emacs-nox elpa-eglot"


def emacs() -> str:
    found = shutil.which("emacs")
    if found is None:
        pytest.fail(f"Emacs not found on PATH: {INSTALL} (Emacs 28.2 + Eglot 1.9 on Debian 12)")
    return found


@pytest.mark.slow
def test_emacs_eglot_with_shipped_config(tmp_path):
    binary = emacs()
    home = tmp_path / "home"  # no ~/.emacs.d, no user packages: only what the test loads
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # `gil-lint` of this env
        "GIL_LINT_ROOT": str(ROOT),
        "GIL_LINT_PYTHON": sys.executable,  # used when there is no `gil-lint` script
    }
    cmd = [binary, "--batch", "-Q", "-l", str(SCRIPT)]
    output = ""
    for attempt in range(2):  # one retry: a cold start of the server can be slow in CI
        work = tmp_path / f"project{attempt}"
        work.mkdir()
        (work / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
        target = work / "service.py"
        target.write_text(SOURCE)
        try:
            r = subprocess.run(
                cmd,
                env={**env, "GIL_LINT_FILE": str(target)},
                capture_output=True,
                text=True,
                timeout=150,
                cwd=work,
            )
        except subprocess.TimeoutExpired as e:
            err = e.stderr or b""  # bytes even with text=True
            output = "timed out after 150 s\n" + (
                err.decode("utf-8", "replace") if isinstance(err, bytes) else err
            )
            continue
        # `message' in batch Emacs writes to stderr
        output = f"exit {r.returncode}\n{r.stdout}{r.stderr}"
        if r.returncode == 0 and "\nOK (" in f"\n{r.stderr}":
            fixed = target.read_text()
            assert "await asyncio.sleep(1)" in fixed, fixed
            assert "x = '🐍é'; await asyncio.sleep(2)" in fixed, fixed  # fix-all on save
            assert "time.sleep" not in fixed, fixed
            return
        if "Eglot not found" in r.stderr:
            break  # a missing package does not come back on a retry
    pytest.fail(f"Emacs check failed:\n{output[-6000:]}")
