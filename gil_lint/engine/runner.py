"""Lint many files: an on-disk result cache, then a process pool for what is left.

The cache (``.gil_lint_cache/`` at the project root, like ruff's) maps each
file to its size, mtime and content hash and the diagnostics found for it,
per gil-lint version and settings. A warm run only stats files. It is one JSON
file written atomically (temp file + rename), so concurrent runs never see a
half-written cache; the last writer wins.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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


def _lint_file(path: str, settings: Settings) -> tuple[str, list[Diagnostic], str | None, Any]:
    """Worker: read, hash, lint. Returns (path, diagnostics, sha256, stat key)."""
    # imported here: a warm run (everything cached) never loads the engine or the rules
    from gil_lint.engine.lint import engine_diagnostic, lint_source

    try:
        st = os.stat(path)
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        msg = f"cannot read file: {e.strerror or e}"
        return path, [engine_diagnostic(FILE_ERROR, msg, path)], None, None
    from gil_lint.engine.knowledge import load_knowledge
    from gil_lint.engine.project import project_for

    project = project_for(settings.project_root, load_knowledge(settings.knowledge))
    project.accessed.clear()
    digest = hashlib.sha256(data).hexdigest()
    diagnostics = lint_source(data, path, settings, project=project)
    own = os.path.abspath(path)
    deps = sorted(d for d in project.accessed if os.path.abspath(d[0]) != own)
    return path, diagnostics, digest, (st.st_size, st.st_mtime_ns, deps)


def _lint_chunk(
    paths: Sequence[str], settings: Settings
) -> list[tuple[str, list[Diagnostic], str | None, Any]]:
    """Lint ``paths`` with the cyclic garbage collector run once per file, not by count.

    A lint allocates millions of small objects (the AST, scopes, summaries) while the
    project index keeps up to 128 parsed modules alive. Left to its allocation
    counter, CPython runs full collections over that whole heap again and again:
    on the standard library that was 40% of the run. The only cyclic garbage a
    file leaves is its own (rule instances and their context; the project
    forgets the module when its lint ends), so one young collection after each
    file frees it. Automatic collection resumes between chunks.
    """
    enabled = gc.isenabled()
    gc.disable()
    out = []
    try:
        for p in paths:
            out.append(_lint_file(p, settings))
            gc.collect(1)
    finally:
        if enabled:
            gc.enable()
    return out


def _code_fingerprint() -> str:
    """Version plus the stat of gil-lint's own files: an edited checkout never reads stale
    results."""
    package = Path(__file__).resolve().parent.parent
    parts = [__version__]
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml"):
            st = path.stat()
            parts.append(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


class ResultCache:
    def __init__(self, root: Path, settings: Settings) -> None:
        fingerprint = f"{_code_fingerprint()}|{settings.cache_key()}"
        key = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
        self.path = root / CACHE_DIR_NAME / f"results-{key}.json"
        self.entries: dict[str, Any] = {}
        self.dirty = False
        try:
            with open(self.path, encoding="utf-8") as f:
                loaded = json.load(f)
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, ValueError):
            pass

    def lookup(self, path: str) -> list[Diagnostic] | None:
        entry = self.entries.get(os.path.abspath(path))
        if entry is None:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        if entry["size"] != st.st_size or entry["mtime"] != st.st_mtime_ns:
            return None
        # findings that depend on other modules (helpers, summaries) are stale when they change
        for dep_path, size, mtime in entry.get("deps", ()):
            try:
                dst = os.stat(dep_path)
            except OSError:
                return None
            if dst.st_size != size or dst.st_mtime_ns != mtime:
                return None
        return [diagnostic_from_dict(d) for d in entry["diagnostics"]]

    def store(self, path: str, digest: str, stat_key: Any, diagnostics: list[Diagnostic]) -> None:
        size, mtime, deps = stat_key
        self.entries[os.path.abspath(path)] = {
            "size": size,
            "mtime": mtime,
            "deps": [list(d) for d in deps],
            "sha256": digest,
            "diagnostics": [d.to_dict() for d in diagnostics],
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by gil-lint\n*\n")
            data = json.dumps(self.entries, separators=(",", ":")).encode("utf-8")
            write_atomically(self.path, data)
        except OSError:
            pass  # a read-only checkout still lints; it just is not cached


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
        from concurrent.futures import ProcessPoolExecutor

        # Chunks: few enough to keep pickling cheap, enough to balance the load.
        n_chunks = min(len(todo), jobs * 8)
        chunks = [todo[i::n_chunks] for i in range(n_chunks)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outputs = [
                r
                for chunk in pool.map(_lint_chunk, chunks, [settings] * len(chunks))
                for r in chunk
            ]
    else:
        outputs = _lint_chunk(todo, settings)

    for path, diagnostics, digest, stat_key in outputs:
        result.diagnostics.extend(diagnostics)
        if (
            cache is not None
            and digest is not None
            and not any(d.is_internal_error for d in diagnostics)
        ):
            cache.store(path, digest, stat_key, diagnostics)
    if cache is not None:
        cache.save()
    result.diagnostics.sort(key=lambda d: (d.path, d.row, d.col, d.code))
    return result
