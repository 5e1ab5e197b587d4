"""The pre-commit hook, run by the real ``pre-commit try-repo`` against a temporary repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        },
    )


def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    return subprocess.run(
        [pre_commit, "try-repo", str(ROOT), "gil-lint", "--all-files", "--verbose"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
    )


@pytest.mark.slow
def test_pre_commit_hook_fails_on_bad_and_passes_on_clean(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "bad.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"
    r = try_repo(repo, home)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "GIL201" in r.stdout
    (repo / "bad.py").write_text("import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n")
    git(repo, "add", ".")
    r = try_repo(repo, home)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout
