"""The pre-commit hooks (``gil-lint``, ``gil-lint-fix``), run by the real
``pre-commit try-repo`` against a temporary repo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from conftest import ROOT, system_program


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        [str(system_program("git", "git")), *args],
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


def try_repo(repo: Path, home: Path, hook: str = "gil-lint") -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    return subprocess.run(
        [pre_commit, "try-repo", str(ROOT), hook, "--all-files", "--verbose"],
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


BAD = "import time\n\nasync def f():\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"
# GIL205 has no fix: --fix leaves it and gil-lint exits 1
UNFIXABLE = (
    "import asyncio\nimport threading\n\nlock = threading.Lock()\n\n\nasync def f():\n"
    "    with lock:\n        await asyncio.sleep(0)\n"
)
MODIFIED = "files were modified by this hook"


@pytest.mark.slow
def test_pre_commit_fix_hook_rewrites_fails_then_passes(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "bad.py").write_text(BAD)
    (repo / "clean.py").write_text(CLEAN)
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    # all findings fixed: gil-lint exits 0, pre-commit fails the hook for the rewrite
    r = try_repo(repo, home, "gil-lint-fix")
    assert r.returncode == 1, r.stdout + r.stderr
    assert MODIFIED in r.stdout, r.stdout
    assert "1 fixed, 0 remaining" in r.stdout, r.stdout
    assert (repo / "bad.py").read_text() == (
        "import time\nimport asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"
    )
    assert (repo / "clean.py").read_text() == CLEAN

    # the fixed tree, staged, passes
    git(repo, "add", ".")
    r = try_repo(repo, home, "gil-lint-fix")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout, r.stdout
    assert MODIFIED not in r.stdout, r.stdout

    # a finding without a fix: nothing rewritten, the hook fails on the finding
    (repo / "locked.py").write_text(UNFIXABLE)
    git(repo, "add", ".")
    r = try_repo(repo, home, "gil-lint-fix")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "GIL205" in r.stdout, r.stdout
    assert MODIFIED not in r.stdout, r.stdout
    assert (repo / "locked.py").read_text() == UNFIXABLE


def _config_hooks() -> dict[str, dict]:
    import yaml  # pre-commit's own dependency

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_contributor_hooks_pin_what_pyproject_pins():
    """The repository's own hooks run the lint extra's ruff and mypy, and mypy and gil-lint
    get the runtime dependencies: they drift apart only with this test failing."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lint = project["optional-dependencies"]["lint"]
    runtime = project["dependencies"]
    hooks = _config_hooks()
    ruff = next(p for p in lint if p.startswith("ruff=="))
    mypy = next(p for p in lint if p.startswith("mypy=="))
    assert hooks["ruff-check"]["additional_dependencies"] == [ruff]
    assert hooks["ruff-format"]["additional_dependencies"] == [ruff]
    assert hooks["mypy"]["additional_dependencies"] == [mypy, *runtime]
    assert hooks["gil-lint"]["additional_dependencies"] == runtime


@pytest.mark.slow
def test_contributor_hooks_pass_on_this_tree(tmp_path):
    """`pre-commit run --all-files` with the repository's own config, on a copy of the
    working tree (committed and new files): ruff, mypy and gil-lint on itself all pass."""
    system_program("git", "git")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    repo = tmp_path / "repo"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    r = subprocess.run(
        [pre_commit, "run", "--all-files", "--show-diff-on-failure"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")},
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    for hook in _config_hooks().values():  # each ran (not "(no files to check)Skipped")
        assert re.search(rf"^{re.escape(hook['name'])}\.+Passed$", r.stdout, re.M), r.stdout
