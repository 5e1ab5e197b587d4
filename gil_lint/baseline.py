"""Baselines: adopt gil-lint on a large codebase and fail only on new findings.

A baseline stores each finding as (code, file relative to the project, hash of the
flagged line's text): stable when lines move, invalid when the flagged code
changes. Matching is a multiset — two identical findings in a file need two
baseline entries.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from gil_lint.diagnostics import Diagnostic
from gil_lint.text import split_lines, write_atomically

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read; ``str()`` is the one-line message."""


def _key(d: Diagnostic, root: Path, lines_of: Callable[[str], list[str] | None]) -> tuple:
    try:
        rel = Path(d.path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = Path(d.path).as_posix()
    lines = lines_of(d.path) or []
    text = lines[d.row - 1].strip() if 1 <= d.row <= len(lines) else ""
    return (d.code, rel, hashlib.sha256(text.encode()).hexdigest()[:16])


def _line_reader(get_source: Callable[[str], str | None]) -> Callable[[str], list[str] | None]:
    cache: dict[str, list[str] | None] = {}

    def lines_of(path: str) -> list[str] | None:
        if path not in cache:
            text = get_source(path)
            cache[path] = split_lines(text) if text is not None else None
        return cache[path]

    return lines_of


def write_baseline(
    path: Path,
    diagnostics: Sequence[Diagnostic],
    root: Path,
    get_source: Callable[[str], str | None],
) -> int:
    lines_of = _line_reader(get_source)
    entries = sorted(
        (
            {"code": c, "file": f, "line_hash": h}
            for c, f, h in (
                _key(d, root, lines_of) for d in diagnostics if not d.code.startswith("GIL00")
            )
        ),
        key=lambda e: (e["file"], e["code"], e["line_hash"]),
    )
    data = json.dumps({"version": VERSION, "findings": entries}, indent=1) + "\n"
    write_atomically(path, data.encode("utf-8"))
    return len(entries)


def read_baseline(path: Path) -> Counter:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BaselineError(f"{path}: cannot read baseline: {e.strerror}") from None
    except ValueError as e:
        raise BaselineError(f"{path}: not a gil-lint baseline (invalid JSON: {e})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise BaselineError(f"{path}: not a gil-lint baseline (expected version {VERSION})")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{path}: key 'findings' must be a list")
    out: Counter = Counter()
    for i, entry in enumerate(findings):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("code", "file", "line_hash")
        ):
            raise BaselineError(f"{path}: findings[{i}] needs string keys code, file, line_hash")
        out[(entry["code"], entry["file"], entry["line_hash"])] += 1
    return out


def filter_baseline(
    diagnostics: Sequence[Diagnostic],
    baseline: Counter,
    root: Path,
    get_source: Callable[[str], str | None],
) -> list[Diagnostic]:
    """The findings not covered by the baseline (new ones)."""
    remaining = Counter(baseline)
    lines_of = _line_reader(get_source)
    out = []
    for d in diagnostics:
        key = _key(d, root, lines_of)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            out.append(d)
    return out
