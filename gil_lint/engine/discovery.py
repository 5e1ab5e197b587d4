"""Paths on the command line → the Python files to lint.

Directories are walked (symlinks are not followed into directories, so a
symlink loop cannot trap us), `exclude`/`extend-exclude` globs and
`.gitignore` files (via pathspec) are honoured for files found by walking;
a file named explicitly on the command line is always linted, like ruff.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gil_lint.config import Settings

PYTHON_SUFFIXES = (".py", ".pyi")


class DiscoveryError(Exception):
    """A path given by the user that does not exist."""


@dataclass(frozen=True)
class Discovered:
    files: list[str]
    # (path, message) for paths that could not be read (permissions, loops)
    errors: list[tuple[str, str]]


class _Excludes:
    """``exclude`` patterns, split so that the common case (a plain folder name) is a set lookup."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.names: set[str] = set()
        globs = []
        for pattern in patterns:
            p = pattern.rstrip("/")
            if "/" not in p and not any(c in p for c in "*?["):
                self.names.add(p)
            else:
                globs.append(p)
        regex = "|".join(
            f"(?:{fnmatch.translate(g)})|(?:{fnmatch.translate(g + '/*')})" for g in globs
        )
        self.glob = re.compile(regex) if regex else None
        self.name_glob = (
            re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs if "/" not in g))
            if any("/" not in g for g in globs)
            else None
        )

    def excluded(self, rel: str, name: str) -> bool:
        if name in self.names:
            return True
        if self.name_glob is not None and self.name_glob.match(name):
            return True
        return self.glob is not None and self.glob.match(rel) is not None


class _GitIgnores:
    """The .gitignore rules that apply below a root, loaded per directory as we walk."""

    def __init__(self) -> None:
        self.specs: list[tuple[str, object]] = []

    def push_dir(self, d: str) -> int:
        gi = os.path.join(d, ".gitignore")
        if not os.path.isfile(gi):
            return 0
        try:
            with open(gi, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return 0
        import pathspec  # only when a .gitignore exists: it is a noticeable import

        self.specs.append(
            (d.rstrip("/") + "/", pathspec.PathSpec.from_lines("gitwildmatch", lines))
        )
        return 1

    def pop(self, n: int) -> None:
        for _ in range(n):
            self.specs.pop()

    def ignored(self, path: str, is_dir: bool) -> bool:
        for base, spec in self.specs:
            if not path.startswith(base):
                continue
            rel = path[len(base) :]
            if spec.match_file(rel + ("/" if is_dir else "")):  # type: ignore[attr-defined]
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
    excludes = _Excludes(patterns)
    ignores = _GitIgnores()
    real_top = str(top.resolve())
    if gitignore:
        # .gitignore files between the repository root and `top` apply too
        git_root = _git_root(Path(real_top))
        if git_root is not None:
            chain = [
                p
                for p in (Path(real_top), *Path(real_top).parents)
                if p == git_root or git_root in p.parents
            ]
            for d in reversed(chain):
                ignores.push_dir(str(d))
            if any(ignores.ignored(str(p), True) for p in chain if p != git_root):
                # the user named an ignored folder explicitly: lint it, keep only its own rules
                ignores.pop(len(ignores.specs))
                ignores.push_dir(real_top)
    try:
        top_rel = str(Path(real_top).relative_to(root.resolve()).as_posix())
    except ValueError:
        top_rel = ""
    visited: set[tuple[int, int]] = set()

    def walk_dir(shown: str, real: str, rel: str, is_top: bool) -> Iterator[str]:
        try:
            st = os.stat(real)
        except OSError as e:
            errors.append((shown, f"cannot read directory: {e.strerror}"))
            return
        key = (st.st_dev, st.st_ino)
        if key in visited:
            return
        visited.add(key)
        pushed = ignores.push_dir(real) if gitignore and not is_top else 0
        try:
            try:
                entries = sorted(os.scandir(real), key=lambda e: e.name)
            except OSError as e:
                errors.append((shown, f"cannot read directory: {e.strerror}"))
                return
            for entry in entries:
                name = entry.name
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = not is_dir and entry.is_file()
                except OSError:
                    continue
                if not is_dir and not (is_file and name.endswith(PYTHON_SUFFIXES)):
                    continue
                entry_rel = f"{rel}/{name}" if rel else name
                if excludes.excluded(entry_rel, name):
                    continue
                entry_real = f"{real}/{name}"
                if gitignore and ignores.specs and ignores.ignored(entry_real, is_dir):
                    continue
                entry_shown = os.path.join(shown, name)
                if is_dir:
                    yield from walk_dir(entry_shown, entry_real, entry_rel, False)
                else:
                    yield entry_shown
        finally:
            ignores.pop(pushed)

    yield from walk_dir(str(top), real_top, top_rel, True)
