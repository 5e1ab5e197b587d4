"""Paths on the command line → the Python files to lint.

Directories are walked (symlinks are not followed into directories, so a
symlink loop cannot trap us); `exclude`/`extend-exclude` globs and `.gitignore`
files (git's precedence and negation, patterns parsed by pathspec) are honoured
for files found by walking; a file named explicitly on the command line is
always linted, like ruff.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    """The .gitignore files that apply below a root, loaded per directory as we walk.

    Git's rules: every .gitignore from the repository root down to a path's folder
    applies; a deeper file's patterns take precedence over a shallower one's, and within
    a file the last matching pattern wins; ``!pattern`` re-includes. A pattern is
    relative to its .gitignore's folder. An excluded directory is not entered, so
    nothing inside it can be re-included (the walk asks about a folder before its files).
    """

    def __init__(self) -> None:
        # (folder + "/", its patterns last first), root first
        self.specs: list[tuple[str, list[Any]]] = []

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

        patterns = pathspec.PathSpec.from_lines("gitignore", lines).patterns
        self.specs.append(
            (d.rstrip("/") + "/", [p for p in reversed(patterns) if p.include is not None])
        )
        return 1

    def pop(self, n: int) -> None:
        for _ in range(n):
            self.specs.pop()

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git ignores ``path`` (absolute), given that its parent is not ignored."""
        for base, patterns in reversed(self.specs):
            if not path.startswith(base):
                continue
            rel = path[len(base) :] + ("/" if is_dir else "")
            for pattern in patterns:
                if pattern.match_file(rel) is not None:
                    return bool(pattern.include)
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
        _walk(p, root, patterns, settings.respect_gitignore, errors, files)
    if len(paths) == 1:
        return Discovered(files, errors)  # one walk never yields a file twice
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
    top: Path,
    root: Path,
    patterns: tuple[str, ...],
    gitignore: bool,
    errors: list[tuple[str, str]],
    out: list[str],
) -> None:
    real_top = str(top.resolve())
    ignores = _gitignores_above(real_top) if gitignore else None
    walk = _Walk(_Excludes(patterns), ignores, errors, out)
    walk.directory(str(top), real_top, _relative_to(real_top, root), is_top=True)


def _gitignores_above(real_top: str) -> _GitIgnores:
    """The .gitignore files from the repository root down to ``top``, which apply to it.

    A folder the user names is linted even when git ignores it (like a named file):
    then only its own .gitignore applies.
    """
    ignores = _GitIgnores()
    git_root = _git_root(Path(real_top))
    if git_root is None:
        return ignores
    chain = [
        p
        for p in reversed((Path(real_top), *Path(real_top).parents))
        if p == git_root or git_root in p.parents
    ]
    for d in chain:
        ignores.push_dir(str(d))
    if any(ignores.ignored(str(p), True) for p in chain if p != git_root):
        ignores = _GitIgnores()
        ignores.push_dir(real_top)
    return ignores


def _relative_to(real_top: str, root: Path) -> str:
    """``top`` relative to the project root, which ``exclude`` globs are written against."""
    try:
        return str(Path(real_top).relative_to(root.resolve()).as_posix())
    except ValueError:
        return ""


class _Walk:
    """One walk below a folder: appends to ``out`` the Python files that no exclude or
    .gitignore rule drops, visiting each real directory once (symlink loops)."""

    def __init__(
        self,
        excludes: _Excludes,
        ignores: _GitIgnores | None,
        errors: list[tuple[str, str]],
        out: list[str],
    ) -> None:
        self.excludes = excludes
        self.ignores = ignores
        self.errors = errors
        self.out = out
        self.visited: set[tuple[int, int]] = set()

    def directory(self, shown: str, real: str, rel: str, is_top: bool = False) -> None:
        """``shown`` is the path as the user will see it, ``real`` the resolved one,
        ``rel`` the path relative to the project root.

        Written for the warm run, where the walk is a good part of the time: recursion
        over folders only (files are appended, not yielded up through every level), and
        a path built only when something needs it."""
        if not self._first_visit(shown, real):
            return
        ignores = self.ignores
        pushed = ignores.push_dir(real) if ignores is not None and not is_top else 0
        excludes = self.excludes
        names = excludes.names
        # the excludes match a path relative to the project only when they hold globs;
        # .gitignore patterns match the resolved path only when there are some
        needs_rel = excludes.glob is not None
        out = self.out
        prefix = os.path.join(shown, "")
        try:
            for name, is_dir in self._entries(shown, real):
                if name in names:
                    continue
                entry_rel = (f"{rel}/{name}" if rel else name) if needs_rel or is_dir else ""
                if (needs_rel or excludes.name_glob is not None) and excludes.excluded(
                    entry_rel, name
                ):
                    continue
                if (
                    ignores is not None
                    and ignores.specs
                    and ignores.ignored(f"{real}/{name}", is_dir)
                ):
                    continue
                if is_dir:
                    self.directory(prefix + name, f"{real}/{name}", entry_rel)
                else:
                    out.append(prefix + name)
        finally:
            if ignores is not None:
                ignores.pop(pushed)

    def _first_visit(self, shown: str, real: str) -> bool:
        try:
            st = os.stat(real)
        except OSError as e:
            self.errors.append((shown, f"cannot read directory: {e.strerror}"))
            return False
        key = (st.st_dev, st.st_ino)
        if key in self.visited:
            return False
        self.visited.add(key)
        return True

    def _entries(self, shown: str, real: str) -> list[tuple[str, bool]]:
        """(name, is a directory) of the subfolders and Python files, sorted by name;
        symlinks to folders are not followed."""
        out = []
        try:
            with os.scandir(real) as scanned:
                for entry in scanned:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                        is_file = not is_dir and entry.is_file()
                    except OSError:
                        continue
                    if is_dir or (is_file and entry.name.endswith(PYTHON_SUFFIXES)):
                        out.append((entry.name, is_dir))
        except OSError as e:
            self.errors.append((shown, f"cannot read directory: {e.strerror}"))
            return []
        out.sort()
        return out
