"""Applying fixes: edits to a text, fixes to a module's text, then to files and paths.

Applying re-parses the result: a fix that would not parse is dropped and reported,
never written. ``--fix`` / ``--diff`` work on bytes: encoding, BOM and line endings
outside the fixed spans are kept, and writes are atomic (temp file + rename).
"""

from __future__ import annotations

import ast
import bisect
import codecs
import difflib
import io
import tokenize
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gil_lint.diagnostics import SYNTAX_ERROR, Diagnostic, Edit
from gil_lint.text import LINE_END, write_atomically

if TYPE_CHECKING:
    from gil_lint.config import Settings


@dataclass
class FixResult:
    """What applying fixes did to one module's text."""

    source: str  # the fixed text
    applied: list[Diagnostic] = field(default_factory=list)
    # findings with an unsafe fix that was not applied (``unsafe=False``)
    unsafe_available: int = 0
    dropped: list[tuple[Diagnostic, str]] = field(default_factory=list)


# -- applying ------------------------------------------------------------------------------
def _line_starts(source: str) -> list[int]:
    starts = [0]
    for m in LINE_END.finditer(source):
        starts.append(m.end())
    return starts


def _offset(starts: list[int], source: str, row: int, col: int) -> int:
    if row > len(starts):
        return len(source)
    return min(starts[row - 1] + col - 1, len(source))


def _is_import_text(content: str) -> bool:
    return content.lstrip().startswith(("import ", "from "))


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (1-based rows, 1-based code-point columns, end exclusive).

    Identical edits count once (two fixes may add the same import); insertions at the
    same point keep imports first, so a helper inserted there can use them.
    """
    starts = _line_starts(source)
    spans = sorted(
        (
            (
                _offset(starts, source, e.row, e.col),
                _offset(starts, source, e.end_row, e.end_col),
                e.content,
            )
            for e in set(edits)
        ),
        key=lambda s: (s[0], s[1], not _is_import_text(s[2]), s[2]),
    )
    out = []
    pos = 0
    for start, end, content in spans:
        if start < pos:
            raise ValueError("overlapping edits")
        out.append(source[pos:start])
        out.append(content)
        pos = end
    out.append(source[pos:])
    return "".join(out)


def _compiles(source: str, *, full: bool) -> bool:
    """``full`` also runs the compiler's checks the parser skips (``await`` outside
    ``async def``, ``return`` outside a function), so a fix cannot introduce those."""
    flags = 0 if full else ast.PyCF_ONLY_AST
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fix>", "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _span(edits: Sequence[Edit]) -> tuple[tuple[int, int], tuple[int, int]]:
    return min((e.row, e.col) for e in edits), max((e.end_row, e.end_col) for e in edits)


def _is_insertion(e: Edit) -> bool:
    return (e.row, e.col) == (e.end_row, e.end_col)


Position = tuple[int, int]


class _Spans:
    """Disjoint (start, end) spans, sorted: a new one is checked against its neighbour in
    O(log n), not against every span taken so far (a file with 10,000 fixes took seconds)."""

    def __init__(self) -> None:
        self.spans: list[tuple[Position, Position]] = []
        self.starts: list[Position] = []

    def add(self, span: tuple[Position, Position]) -> bool:
        """Take ``span`` unless it overlaps one taken (touching ends do not overlap; an
        empty span overlaps a span strictly around it)."""
        start, end = span
        # sorted by start, disjoint spans have sorted ends too: of those starting before
        # ``end``, the last reaches furthest
        i = bisect.bisect_left(self.starts, end)
        if i and self.spans[i - 1][1] > start:
            return False
        j = bisect.bisect_right(self.spans, span)
        self.spans.insert(j, span)
        self.starts.insert(j, start)
        return True


def apply_fixes(
    source: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False
) -> FixResult:
    """One pass: apply every applicable fix whose edits do not overlap an earlier one.

    Overlapping fixes wait for the next pass (``fix_source`` re-lints). The result must
    parse — and compile, if the original did; a fix that breaks that is dropped.
    """
    result = FixResult(source)
    chosen: list[Diagnostic] = []
    taken = _Spans()
    shared: set[Edit] = set()
    for d in sorted(diagnostics, key=lambda d: (d.row, d.col)):
        fix = d.fix
        if fix is None or not fix.edits:
            continue
        if fix.applicability == "unsafe" and not unsafe:
            result.unsafe_available += 1
            continue
        # import insertions are shared between fixes; the rest must not overlap
        own = [e for e in fix.edits if e not in shared]
        body = [e for e in own if not _is_insertion(e)] or own
        span = _span(body)
        if not taken.add(span):
            continue  # applied on the next pass
        shared.update(e for e in fix.edits if _is_insertion(e))
        chosen.append(d)
    if not chosen:
        return result
    full = _compiles(source, full=True)
    candidate = _try_apply(source, chosen, full=full)
    if candidate is not None:
        result.source, result.applied = candidate, chosen
        return result
    # something breaks the code: find the culprits one by one against the original text
    good = []
    for d in chosen:
        if _try_apply(source, [d], full=full) is None:
            result.dropped.append((d, "result would not parse"))
        else:
            good.append(d)
    candidate = _try_apply(source, good, full=full) if good else None
    if candidate is None and good:
        good = good[:1]  # fixes that only break together: one now, the rest next pass
        candidate = _try_apply(source, good, full=full)
    if candidate is not None:
        result.source, result.applied = candidate, good
    return result


def _try_apply(source: str, chosen: Sequence[Diagnostic], *, full: bool) -> str | None:
    edits = [e for d in chosen for e in d.fix.edits]  # type: ignore[union-attr]
    try:
        fixed = apply_edits(source, edits)
    except ValueError:
        return None
    return fixed if _compiles(fixed, full=full) else None


def _fix_key(d: Diagnostic) -> tuple[str, tuple[str, ...]]:
    """Identifies a fix across passes, when earlier fixes have moved its position."""
    return d.code, tuple(e.content for e in d.fix.edits) if d.fix else ()


def fix_source(
    source: str,
    path: str,
    settings: Settings | None = None,
    *,
    unsafe: bool = False,
    max_passes: int = 8,
    lint: Callable[..., list[Diagnostic]] | None = None,
) -> FixResult:
    """Lint, apply, re-lint until nothing more applies (fixes can unlock each other).

    A file that does not parse is returned unchanged. ``applied`` holds the findings
    as reported in the pass that fixed them.
    """
    if lint is None:
        from gil_lint.engine.lint import lint_source

        lint = lint_source
    total = FixResult(source)
    current = source
    dropped: set[tuple[str, tuple[str, ...]]] = set()
    for _ in range(max_passes):
        diagnostics = lint(current, path, settings)
        if any(d.code == SYNTAX_ERROR for d in diagnostics):
            break  # never touch a file that does not parse
        candidates = [d for d in diagnostics if _fix_key(d) not in dropped]
        step = apply_fixes(current, candidates, unsafe=unsafe)
        total.unsafe_available = step.unsafe_available
        for d, reason in step.dropped:
            dropped.add(_fix_key(d))
            total.dropped.append((d, reason))
        if not step.applied:
            break
        total.applied += step.applied
        current = step.source
    total.source = current
    return total


# -- files and paths ------------------------------------------------------------------------
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
