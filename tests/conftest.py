from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent

# example projects with test suites of their own, run by the tests that use them
collect_ignore_glob = ["fixtures/*"]

# .ci/run installs the system packages (editors, git) and sets this: there a missing program
# fails its test instead of skipping it, so CI can never pass by silently skipping them.
REQUIRE_SYSTEM_TOOLS = "GIL_LINT_REQUIRE_SYSTEM_TOOLS"


def missing_tool_outcome(
    what: str, packages: str, environ: Mapping[str, str] = os.environ
) -> tuple[Literal["skip", "fail"], str]:
    """What a test does when ``what`` (a program pip does not install) is missing: skip
    with the Debian packages that provide it, or fail when CI requires the program."""
    reason = f"{what} not found: apt-get install -y {packages} (.ci/run installs it)"
    if environ.get(REQUIRE_SYSTEM_TOOLS, "") not in ("", "0"):
        return "fail", f"{reason}; {REQUIRE_SYSTEM_TOOLS} is set, so it may not be skipped"
    return "skip", reason


def system_tool_missing(what: str, packages: str) -> NoReturn:
    outcome, message = missing_tool_outcome(what, packages)
    if outcome == "fail":
        pytest.fail(message)
    pytest.skip(message)


def system_program(name: str, packages: str, candidates: Sequence[Path] = ()) -> Path:
    """The first executable of ``candidates`` (or ``name`` on PATH when none are given);
    a missing one skips the test (see ``system_tool_missing``)."""
    if not candidates:
        found = shutil.which(name)
        if found is not None:
            return Path(found)
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    where = ", ".join(map(str, candidates)) if candidates else "PATH"
    system_tool_missing(f"`{name}` ({where})", packages)


def run_cli(
    *args: str,
    cwd: Path | str | None = None,
    stdin: str | bytes | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point (``python -m gil_lint``) in a subprocess."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "gil_lint", *args],
        cwd=cwd,
        input=data,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


@pytest.fixture
def cli():
    return run_cli
