"""Lint many files: an on-disk result cache, then a process pool for what is left.

The cache (``.gil_lint_cache/`` at the project root, like ruff's) maps each
file to its content hash, the hashes of the modules its findings were drawn
from, and the diagnostics found for it, per gil-lint version and settings. The
content decides; a file's stat (size, mtime, ctime, inode — git's index keeps the
same) only spares reading it again while none of those changed. A warm run
never parses, and imports only what reading the cache needs. It is one JSON
file written atomically (temp file + rename), so concurrent runs never see a
half-written cache; the last writer wins.
"""

from __future__ import annotations

import gc
import json
import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gil_lint import __version__
from gil_lint.config import Settings
from gil_lint.diagnostics import FILE_ERROR, Diagnostic, diagnostic_from_dict
from gil_lint.text import write_atomically

CACHE_DIR_NAME = ".gil_lint_cache"


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    from_cache: int = 0


@dataclass(frozen=True)
class _Linted:
    """What a worker sends back for one file: its findings and, unless the file could not
    be read, the content hashes the cache keys them on."""

    path: str
    diagnostics: list[Diagnostic]
    digest: str | None  # sha256 of the bytes linted; None: unreadable or not for a cache
    stamp: Stamp | None  # the file's stat, taken before it was read
    # (absolute path, sha256 or None when it changed while linting, stamp) of the modules used
    dependencies: list[tuple[str, str | None, Stamp | None]]


# (size, mtime_ns, ctime_ns, inode). Restoring an mtime (os.utime, `touch -r`) changes the
# ctime, which no call can set: content written under an unchanged stamp is out of reach.
Stamp = tuple[int, int, int, int]


def _stamp(path: str) -> Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _sha256(data: bytes) -> str:
    import hashlib  # here: 3 ms of OpenSSL a warm run, which hashes nothing, never needs

    return hashlib.sha256(data).hexdigest()


def _sha256_of(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return _sha256(f.read())
    except OSError:
        return None


def _dependency_digest(path: str, size: int, mtime_ns: int) -> tuple[str | None, Stamp | None]:
    """The hash and stamp of a helper module as the lint read it; no hash (never matches,
    so the next run lints again) if it changed on disk since."""
    stamp = _stamp(path)
    digest = _sha256_of(path)
    if stamp is None or stamp[:2] != (size, mtime_ns) or _stamp(path) != stamp:
        return None, None
    return digest, stamp


def _lint_file(path: str, settings: Settings, for_cache: bool = True) -> _Linted:
    """Worker: read, lint and, for the cache (``for_cache``), hash the file and the modules
    its findings came from (a ``--no-cache`` run has no use for the hashes)."""
    # imported here: a warm run (everything cached) never loads the engine or the rules
    from gil_lint.engine.lint import engine_diagnostic, lint_with_dependencies

    stamp = _stamp(path)  # before the read: a write after it changes the stamp
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        msg = f"cannot read file: {e.strerror or e}"
        return _Linted(path, [engine_diagnostic(FILE_ERROR, msg, path)], None, None, [])
    result = lint_with_dependencies(data, path, settings)
    if not for_cache:
        return _Linted(path, result.diagnostics, None, None, [])
    dependencies = [
        (os.path.abspath(dep), *_dependency_digest(dep, size, mtime))
        for dep, size, mtime in result.dependencies
    ]
    digest = _sha256(data)
    return _Linted(path, result.diagnostics, digest, stamp, dependencies)


def _load_engine(settings: Settings) -> None:
    """Import the engine and the rules and load the knowledge data (~50 ms), which each
    worker would otherwise do for itself."""
    from gil_lint.engine.knowledge import load_knowledge
    from gil_lint.engine.lint import enabled_rules

    enabled_rules(settings)
    load_knowledge(settings.knowledge)


def _lint_chunk(paths: Sequence[str], settings: Settings, for_cache: bool = True) -> list[_Linted]:
    """Lint ``paths`` with the cyclic garbage collector run once per file, not by count.

    A lint allocates millions of small objects (the AST, scopes, summaries) while the
    project index keeps up to 128 parsed modules alive. Left to its allocation
    counter, CPython runs full collections over that whole heap again and again:
    on the standard library that was 40% of the run. The only cyclic garbage a
    file leaves is its own (the lint frees its tree and scopes by reference counting,
    see ``scopes.release_scopes``; the project forgets the module when its lint
    ends), so one young collection after each file frees it. Automatic collection
    resumes between chunks.
    """
    enabled = gc.isenabled()
    gc.disable()
    out = []
    try:
        for p in paths:
            out.append(_lint_file(p, settings, for_cache))
            gc.collect(1)
    finally:
        if enabled:
            gc.enable()
    return out


def _code_fingerprint() -> str:
    """Version plus the stat of gil-lint's own files: an edited checkout never reads stale
    results."""
    package = str(Path(__file__).resolve().parent.parent)
    found: list[tuple[str, int, int]] = []
    folders = [package]
    while folders:
        folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.name.endswith((".py", ".toml")):
                    st = entry.stat()
                    rel = os.path.relpath(entry.path, package).replace(os.sep, "/")
                    found.append((rel, st.st_size, st.st_mtime_ns))
    found.sort()
    return "|".join([__version__, *(f"{rel}:{size}:{mtime}" for rel, size, mtime in found)])


class ResultCache:
    """Findings by absolute path, valid while the file's content and the content of every
    module they were drawn from hash as when they were found.

    The content decides: a file rewritten with the same size and its mtime put back
    (``os.utime``, some checkouts and build tools) must not get stale findings. A file
    whose stamp (size, mtime, ctime, inode) is the one stored is not read again — putting
    an mtime back changes the ctime — so a warm run stats files and hashes only those
    whose stamp moved (a copied tree, a ``touch``): reading and hashing every file cost
    about 30% of a warm run on the standard library.

    The file is ``{"fingerprint": ..., "files": {path: [sha256, size, mtime_ns,
    ctime_ns, inode, deps, diagnostics]}}``: its name is a checksum of the fingerprint
    (gil-lint's code and the settings), and the fingerprint inside it must match.
    """

    def __init__(self, root: Path, settings: Settings) -> None:
        fingerprint = f"{_code_fingerprint()}|{settings.cache_key()}"
        data = fingerprint.encode()
        key = f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
        self.path = root / CACHE_DIR_NAME / f"results-{key}.json"
        self.fingerprint = fingerprint
        self.entries: dict[str, Any] = {}
        self.dirty = False
        # this run's verdicts by absolute path: a helper many files use is checked once
        self._valid: dict[tuple[str, str], bool] = {}
        # absolute paths of the folders files are named under (abspath per file was ~5% of
        # a warm run)
        self._folders: dict[str, str] = {}
        try:
            with open(self.path, "rb") as f:
                loaded = json.loads(f.read())
            if isinstance(loaded, dict) and loaded.get("fingerprint") == fingerprint:
                files = loaded.get("files")
                if isinstance(files, dict):
                    self.entries = files
        except (OSError, ValueError):
            pass

    def _absolute(self, path: str) -> str:
        """``os.path.abspath(path)``, its folder's part remembered."""
        folder, _, name = path.rpartition("/")
        if not folder or name in ("", ".", "..") or path.startswith("//") or os.sep != "/":
            return os.path.abspath(path)
        absolute = self._folders.get(folder)
        if absolute is None:
            absolute = self._folders[folder] = os.path.abspath(folder)
        return f"{absolute}/{name}" if absolute != "/" else f"/{name}"

    def _unchanged(self, path: str, digest: str | None, stamp: Any) -> bool:
        """Whether ``path`` still holds the content hashed as ``digest``: its stamp is the
        stored one, or else its bytes hash the same."""
        if digest is None:
            return False
        key = (path, digest)
        known = self._valid.get(key)
        if known is None:
            try:
                st = os.stat(path)
            except OSError:
                known = False
            else:
                now = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                known = (stamp is not None and now == tuple(stamp)) or _sha256_of(path) == digest
            self._valid[key] = known
        return known

    def lookup(self, path: str) -> list[Diagnostic] | None:
        """The cached findings for ``path``, reported under ``path`` as given in this run
        (the run that cached them may have named the file differently)."""
        absolute = self._absolute(path)
        entry = self.entries.get(absolute)
        if entry is None:
            return None
        try:
            digest, size, mtime, ctime, inode, deps, diagnostics = entry
            stamp = (size, mtime, ctime, inode) if size is not None else None
            if not self._unchanged(absolute, digest, stamp):
                return None
            unchanged = self._unchanged
            for dep_path, dep_digest, stamp in deps:
                if not unchanged(dep_path, dep_digest, stamp):
                    return None
            if not diagnostics:
                return []
            return [_as_path(diagnostic_from_dict(d), path) for d in diagnostics]
        except (TypeError, KeyError, ValueError, AttributeError):
            return None  # an entry of another shape (a damaged or foreign file): lint again

    def store(self, linted: _Linted) -> None:
        self.entries[self._absolute(linted.path)] = [
            linted.digest,
            *(linted.stamp or (None, None, None, None)),
            [list(d) for d in linted.dependencies],
            [d.to_dict() for d in linted.diagnostics],
        ]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by gil-lint\n*\n")
            content = {"fingerprint": self.fingerprint, "files": self.entries}
            data = json.dumps(content, separators=(",", ":")).encode("utf-8")
            write_atomically(self.path, data)
        except OSError:
            pass  # a read-only checkout still lints; it just is not cached


def _as_path(d: Diagnostic, path: str) -> Diagnostic:
    """``d`` (and its evidence in the same file) moved to ``path``."""
    old = d.path
    evidence = tuple(replace(e, path=path) if e.path == old else e for e in d.evidence)
    return replace(d, path=path, evidence=evidence)


# Below this much source, starting worker processes (each imports the engine) costs more
# than it saves: an editor save or a pre-commit run on a few files lints in-process.
_POOL_MIN_BYTES = 512 * 1024


def _worth_a_pool(paths: Sequence[str]) -> bool:
    total = 0
    for path in paths:
        try:
            total += os.path.getsize(path)
        except OSError:
            continue
        if total >= _POOL_MIN_BYTES:
            return True
    return False


def lint_paths(
    files: Iterable[str], settings: Settings, *, jobs: int = 1, use_cache: bool = True
) -> RunResult:
    files = list(files)
    result = RunResult(files=len(files))
    cache = ResultCache(settings.project_root or Path.cwd(), settings) if use_cache else None
    todo: list[str] = []
    for path in files:
        cached = cache.lookup(path) if cache is not None else None
        if cached is None:
            todo.append(path)
        else:
            result.diagnostics.extend(cached)
            result.from_cache += 1

    if jobs > 1 and len(todo) > 1 and _worth_a_pool(todo):
        # imported here: multiprocessing is 15 ms of a 0.2 s warm run that never uses it
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if multiprocessing.get_start_method() == "fork":
            _load_engine(settings)  # once, here: every forked worker starts with it
        # Chunks: few enough to keep pickling cheap, enough to balance the load.
        n_chunks = min(len(todo), jobs * 8)
        chunks = [todo[i::n_chunks] for i in range(n_chunks)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outputs = [
                r
                for chunk in pool.map(
                    _lint_chunk, chunks, [settings] * len(chunks), [use_cache] * len(chunks)
                )
                for r in chunk
            ]
    else:
        outputs = _lint_chunk(todo, settings, use_cache)

    for linted in outputs:
        result.diagnostics.extend(linted.diagnostics)
        if (
            cache is not None
            and linted.digest is not None
            and not any(d.is_internal_error for d in linted.diagnostics)
        ):
            cache.store(linted)
    if cache is not None:
        cache.save()
    result.diagnostics.sort(key=lambda d: (d.path, d.row, d.col, d.code))
    return result
