"""Walking folders: the Python files found are the ones git does not ignore.

Each case builds a small repository and compares what ``discover`` keeps with what
``git ls-files --others --exclude-standard`` lists (nothing is committed, so every
file git does not ignore is "other").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gil_lint.config import Settings
from gil_lint.engine.discovery import discover

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

FILES = [
    "top.py",
    "keep.py",
    "gen.py",
    "sub/keep.py",
    "sub/other.py",
    "sub/deep/keep.py",
    "sub/deep/x.py",
    "sub/gen/a.py",
    "sub/gen/keep.py",
    "logs/a.py",
    "logs/keep.py",
    "other/sub/keep.py",
    "other/sub/b.py",
    "pkg/__init__.py",
    "pkg/stub.pyi",
]

# name -> {folder: .gitignore text}
CASES = {
    "negation-in-a-deeper-file": {
        "": "*.py\n",
        "sub": "!keep.py\n",
    },
    "deeper-file-ignores-again": {
        "": "*.py\n!keep.py\n",
        "sub/deep": "keep.py\n",
    },
    "last-pattern-wins-in-a-file": {
        "": "*.py\n!sub/*.py\nsub/other.py\n",
    },
    "excluded-folder-cannot-be-reincluded": {
        "": "logs/\n!logs/keep.py\n",
        "sub": "gen\n!gen/keep.py\n",
    },
    "anchored-relative-to-its-folder": {
        "": "/keep.py\n",
        "sub": "/other.py\n/deep/x.py\n",
    },
    "dir-only-pattern-and-double-star": {
        "": "gen/\n**/sub/b.py\n",
        "other": "!sub/b.py\n",
    },
    "whitelist": {
        "": "*\n!*/\n!*.py\n",
        "sub": "*.py\n!keep.py\n",
        "pkg": "*.pyi\n",
    },
    "deeper-file-reincludes-a-folder": {
        "": "gen/\nlogs\n*.pyi\n",
        "sub": "!gen/\n",
        "pkg": "!stub.pyi\n",
    },
    "deeper-negation-of-a-file-pattern": {
        "": "keep.py\n",
        "sub": "!keep.py\n",
        "other": "!/sub/keep.py\n",
    },
}


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo),
    }
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout


def _build(tmp_path: Path, ignores: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    for rel in FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("x = 1\n")
    for folder, text in ignores.items():
        (repo / folder / ".gitignore").write_text(text)
    _git(repo, "init", "-q")
    return repo


def _found_by_git(repo: Path) -> set[str]:
    listed = _git(repo, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    return {p for p in listed if p.endswith((".py", ".pyi"))}


def _found_by_us(repo: Path, top: str = ".") -> set[str]:
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        found = discover([top], Settings(project_root=repo))
    finally:
        os.chdir(cwd)
    assert found.errors == []
    return {os.path.normpath(f) for f in found.files}


@pytest.mark.parametrize("ignores", CASES.values(), ids=CASES.keys())
def test_walk_keeps_what_git_keeps(tmp_path, ignores):
    repo = _build(tmp_path, ignores)
    expected = _found_by_git(repo)
    assert _found_by_us(repo) == expected
    # walking from a subfolder applies the .gitignore files above it too
    below = {p for p in expected if p.startswith("sub/")}
    assert _found_by_us(repo, "sub") == below


def test_cases_are_not_trivial(tmp_path):
    """Each case keeps some files and drops others, and the negations re-include."""
    for name, ignores in CASES.items():
        repo = _build(tmp_path / name, ignores)
        kept = _found_by_git(repo)
        assert kept and kept != set(FILES), name
    repo = _build(tmp_path / "again", CASES["negation-in-a-deeper-file"])
    assert _found_by_git(repo) == {
        "sub/keep.py",
        "sub/deep/keep.py",
        "sub/gen/keep.py",
        "pkg/stub.pyi",
    }


def test_named_ignored_folder_is_linted(tmp_path):
    repo = _build(tmp_path, {"": "logs/\n"})
    assert _found_by_us(repo, "logs") == {"logs/a.py", "logs/keep.py"}


def test_vendored_copies_are_excluded_by_default_but_a_named_file_is_linted(tmp_path):
    # xinference's `thirdparty/` detectron2, pip's `_vendor/`: fixed upstream, not here
    for rel in (
        "pkg/app.py",
        "pkg/_vendor/six.py",
        "pkg/thirdparty/detectron2/pool.py",
        "pkg/third_party/lib.py",
        "pkg/vendored/menus.py",
        "pkg/vendor/zephyr.py",  # a hardware vendor's support: the project's own code
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    settings = Settings(project_root=tmp_path)
    found = {
        Path(f).relative_to(tmp_path).as_posix() for f in discover([str(tmp_path)], settings).files
    }
    assert found == {"pkg/app.py", "pkg/vendor/zephyr.py"}
    named = str(tmp_path / "pkg/third_party/lib.py")
    assert discover([named], settings).files == [named]
    # `exclude` replaces the default list: the copies are linted again
    again = discover([str(tmp_path)], Settings(project_root=tmp_path, exclude=()))
    assert len(again.files) == 6
