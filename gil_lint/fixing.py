"""``--fix`` / ``--diff`` for files: bytes in, bytes out, encoding and BOM kept, atomic writes."""

from __future__ import annotations

import codecs
import difflib
import io
import tokenize
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic
from gil_lint.fixes import fix_source
from gil_lint.text import write_atomically


@dataclass
class FileFix:
    data: bytes
    changed: bool
    remaining: list[Diagnostic]
    fixed: int
    unsafe_left: int
    diff: str
    dropped: list[str] = field(default_factory=list)


@dataclass
class PathsFix:
    remaining: list[Diagnostic]
    fixed: int = 0
    unsafe_left: int = 0
    changed: bool = False
    diff: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)


def fix_file_bytes(data: bytes, path: str, settings: Settings, *, unsafe: bool) -> FileFix:
    """Fix one file's bytes; the text is decoded and re-encoded as the file declares."""
    from gil_lint.engine.lint import decode_source, lint_source

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = decode_source(data, path)
    except (ValueError, SyntaxError):
        remaining = lint_source(data, path, settings)
        return FileFix(data, False, remaining, 0, 0, "")
    result = fix_source(text, path, settings, unsafe=unsafe)
    remaining = lint_source(result.source, path, settings)
    unsafe_left = sum(
        1 for d in remaining if d.fix is not None and d.fix.applicability == "unsafe" and not unsafe
    )
    if result.source == text:
        return FileFix(data, False, remaining, 0, unsafe_left, "", _dropped(result.dropped))
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    new = bom + result.source.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            result.source.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
    return FileFix(
        new, True, remaining, len(result.applied), unsafe_left, diff, _dropped(result.dropped)
    )


def _dropped(dropped: Sequence[tuple[Diagnostic, str]]) -> list[str]:
    return [f"{d.code} at line {d.row}: {reason}" for d, reason in dropped]


def fix_paths(
    diagnostics: Sequence[Diagnostic], settings: Settings, *, unsafe: bool, write: bool
) -> PathsFix:
    """Fix every file that has an applicable fix; other files' findings pass through."""
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in diagnostics:
        by_path[d.path].append(d)
    out = PathsFix(remaining=[])
    for path, found in by_path.items():
        fixable = any(
            d.fix is not None and (unsafe or d.fix.applicability == "safe") for d in found
        )
        if not fixable or any(d.code == "GIL001" for d in found):
            out.remaining += found
            out.unsafe_left += sum(
                1
                for d in found
                if d.fix is not None and d.fix.applicability == "unsafe" and not unsafe
            )
            continue
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            out.errors.append((path, f"not fixed: {e.strerror}"))
            out.remaining += found
            continue
        result = fix_file_bytes(data, path, settings, unsafe=unsafe)
        out.errors += [(path, f"a fix was dropped: {r}") for r in result.dropped]
        if result.changed and write:
            try:
                write_atomically(path, result.data)
            except OSError as e:
                # the file keeps its findings; the run goes on with the other files
                out.errors.append((path, f"not fixed: cannot write: {e.strerror or e}"))
                out.remaining += found
                continue
        out.remaining += result.remaining
        out.unsafe_left += result.unsafe_left
        if result.changed:
            out.changed = True
            out.fixed += result.fixed
            out.diff += result.diff
    out.remaining.sort(key=lambda d: (d.path, d.row, d.col, d.code))
    return out
