"""Paths on the command line → the Python files to lint.

Directories are walked (symlinks are not followed into directories, so a
symlink loop cannot trap us), `exclude`/`extend-exclude` globs and
`.gitignore` files (via pathspec) are honoured for files found by walking;
a file named explicitly on the command line is always linted, like ruff.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from gil_lint.config import Settings

PYTHON_SUFFIXES = (".py", ".pyi")


class DiscoveryError(Exception):
    """A path given by the user that does not exist."""


@dataclass(frozen=True)
class Discovered:
    files: list[str]
    # (path, message) for paths that could not be read (permissions, loops)
    errors: list[tuple[str, str]]


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        p = pattern.rstrip("/")
        if fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, f"{p}/*"):
            return True
        if "/" in p and (rel == p or rel.startswith(p + "/")):
            return True
    return False


class _GitIgnores:
    """The .gitignore rules that apply below a root, loaded per directory as we walk."""

    def __init__(self) -> None:
        self.specs: list[tuple[Path, pathspec.PathSpec]] = []

    def push_dir(self, d: Path) -> int:
        gi = d / ".gitignore"
        if gi.is_file():
            try:
                lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return 0
            self.specs.append((d, pathspec.PathSpec.from_lines("gitwildmatch", lines)))
            return 1
        return 0

    def pop(self, n: int) -> None:
        for _ in range(n):
            self.specs.pop()

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self.specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + ("/" if is_dir else "")):
                return True
        return False


def _git_root(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


def discover(paths: list[str], settings: Settings) -> Discovered:
    files: list[str] = []
    errors: list[tuple[str, str]] = []
    patterns = (*settings.exclude, *settings.extend_exclude)
    root = settings.project_root or Path.cwd()
    for raw in paths:
        p = Path(raw)
        if not p.exists() and not p.is_symlink():
            raise DiscoveryError(f"{raw}: no such file or directory")
        if p.is_file():
            files.append(raw)
            continue
        if not p.is_dir():
            errors.append((raw, "not a regular file or directory (broken symlink?)"))
            continue
        files.extend(_walk(p, root, patterns, settings.respect_gitignore, errors))
    # de-duplicate, keep order
    seen: set[str] = set()
    unique = []
    for f in files:
        key = os.path.normpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return Discovered(unique, errors)


def _walk(
    top: Path, root: Path, patterns: tuple[str, ...], gitignore: bool, errors: list[tuple[str, str]]
) -> Iterator[str]:
    ignores = _GitIgnores()
    if gitignore:
        # .gitignore files between the repository root and `top` apply too
        git_root = _git_root(top.resolve())
        if git_root is not None:
            for d in reversed([top.resolve(), *top.resolve().parents]):
                if d == git_root or git_root in d.parents:
                    ignores.push_dir(d)
            if any(ignores.ignored(p, True) for p in (top.resolve(), *top.resolve().parents)
                   if p == git_root or git_root in p.parents):
                # the user named an ignored folder explicitly: lint it, keep only its own rules
                ignores.pop(len(ignores.specs))
                ignores.push_dir(top.resolve())
    visited: set[tuple[int, int]] = set()

    def rel_of(path: Path) -> str:
        try:
            return path.resolve().relative_to(root).as_posix()
        except (ValueError, OSError):
            return path.as_posix()

    def walk_dir(d: Path) -> Iterator[str]:
        try:
            st = d.stat()
        except OSError as e:
            errors.append((str(d), f"cannot read directory: {e.strerror}"))
            return
        key = (st.st_dev, st.st_ino)
        if key in visited:
            return
        visited.add(key)
        pushed = ignores.push_dir(d) if gitignore and d.resolve() != top.resolve() else 0
        try:
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError as e:
                errors.append((str(d), f"cannot read directory: {e.strerror}"))
                return
            for entry in entries:
                path = Path(entry.path)
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = entry.is_file()
                except OSError:
                    continue
                if _excluded(rel_of(path), entry.name, patterns):
                    continue
                if gitignore and ignores.ignored(path.resolve(), is_dir):
                    continue
                if is_dir:
                    yield from walk_dir(path)
                elif is_file and entry.name.endswith(PYTHON_SUFFIXES):
                    yield entry.path
        finally:
            ignores.pop(pushed)

    yield from walk_dir(top)
