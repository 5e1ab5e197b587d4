"""A real editor, headless: Emacs with Eglot (Debian 12: Emacs 28.2, elpa-eglot 1.9) loads
the shipped editors/emacs/gil-lint.el, shows the GIL201 diagnostic through Flymake, applies
its quick fix with ``eglot-code-actions``, and fixes all on save (UTF-16 columns after
non-ASCII text)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    REQUIRE_SYSTEM_TOOLS,
    ROOT,
    missing_tool_outcome,
    system_program,
    system_tool_missing,
)

BIN = Path(sys.executable).parent
SOURCE = "import time\n\nasync def f():\n    time.sleep(1)\n"
SCRIPT = ROOT / "tests" / "editors" / "emacs" / "eglot_check.el"
PACKAGES = "emacs-nox elpa-eglot"  # Emacs 28.2 + Eglot 1.9 on Debian 12


@pytest.mark.slow
def test_emacs_eglot_with_shipped_config(tmp_path):
    binary = str(system_program("emacs", PACKAGES))
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
        if "Eglot not found" in r.stderr:  # Emacs 28 without Debian's Eglot package
            system_tool_missing("Eglot for Emacs", "elpa-eglot")
    pytest.fail(f"Emacs check failed:\n{output[-6000:]}")


def _run_without_editors(require: str | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """This file's Emacs test in a child pytest whose PATH holds no program at all."""
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_SYSTEM_TOOLS}
    env["PATH"] = str(tmp_path)  # empty: no emacs, and no other program either
    if require is not None:
        env[REQUIRE_SYSTEM_TOOLS] = require
    test = f"{Path(__file__).resolve()}::test_emacs_eglot_with_shipped_config"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_editor_skips_with_the_package_to_install(tmp_path):
    r = _run_without_editors(None, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 skipped" in r.stdout, r.stdout
    assert "apt-get install -y emacs-nox elpa-eglot" in r.stdout, r.stdout


def test_missing_editor_fails_when_ci_requires_it(tmp_path):
    r = _run_without_editors("1", tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed" in r.stdout, r.stdout
    assert f"{REQUIRE_SYSTEM_TOOLS} is set" in r.stdout, r.stdout


def test_require_variable_decides_skip_or_fail():
    assert missing_tool_outcome("git", "git", {})[0] == "skip"
    assert missing_tool_outcome("git", "git", {REQUIRE_SYSTEM_TOOLS: "0"})[0] == "skip"
    outcome, message = missing_tool_outcome("git", "git", {REQUIRE_SYSTEM_TOOLS: "1"})
    assert outcome == "fail"
    assert message.startswith("git not found: apt-get install -y git")
