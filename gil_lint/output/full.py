"""Ruff-like output for people: the headline, the source with the range underlined, the fix on
offer (``help:``) and the chain of evidence that led to the finding (``= note:``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic
from gil_lint.output.concise import headline
from gil_lint.output.style import one_line, paint, printable
from gil_lint.text import split_lines

MAX_FRAME_LINES = 5
TAB_WIDTH = 4


def write_full(
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    get_source: Callable[[str], str | None],
    color: bool,
) -> None:
    """Each finding as a block followed by a blank line; the source is read once per file."""
    cache: dict[str, list[str] | None] = {}
    for d in diagnostics:
        if d.path not in cache:
            cache[d.path] = _read_lines(get_source, d.path)
        out.write("\n".join(render(d, cache[d.path], color)) + "\n\n")


def render(d: Diagnostic, lines: list[str] | None, color: bool) -> list[str]:
    """The lines of one finding; ``lines`` is the file's source, or None when unavailable."""
    first, *rest = split_lines(d.message.strip("\r\n"))
    block = [headline(d, first, color)]
    block += [f"  {printable(line)}" for line in rest]
    if lines is not None:
        block += frame(d, lines, color)
    if d.fix is not None and d.fix.edits:
        unsafe = " (unsafe fix: needs `--unsafe-fixes`)" if d.fix.applicability != "safe" else ""
        block.append(
            f"{paint('help', 'cyan bold', color)}: {printable(one_line(d.fix.message))}{unsafe}"
        )
    for e in d.evidence:
        where = printable(f"{e.path}:{e.row}:{e.col}:")
        block.append(
            f"  = {paint('note', 'bold', color)}: {where} {printable(one_line(e.message))}"
        )
    return block


def frame(d: Diagnostic, lines: list[str], color: bool) -> list[str]:
    """The source lines of the range (at most MAX_FRAME_LINES) with ``^`` under the range.

    Carets are placed by display width (tabs, wide CJK/emoji, combining marks), not by code
    point, so they stay under the text they point at.
    """
    if not 1 <= d.row <= len(lines):
        return []
    last = d.end_row
    end_col: int | None = d.end_col
    if last > d.row and d.end_col <= 1:  # ends at the start of a line: that line is not in it
        last, end_col = last - 1, None
    if last > len(lines):
        last, end_col = len(lines), None
    last = max(last, d.row)
    shown = min(last, d.row + MAX_FRAME_LINES - 1)
    width = len(str(shown))
    pipe = paint("|", "blue bold", color)
    gutter = f"{' ' * width} {pipe}"
    block = [gutter]
    for row in range(d.row, shown + 1):
        text = lines[row - 1]
        rendered, cols = _layout(text)
        number = paint(str(row).rjust(width), "blue bold", color)
        block.append(f"{number} {pipe} {rendered}" if rendered else f"{number} {pipe}")
        # continuation lines are underlined from their first non-blank character
        start = d.col if row == d.row else len(text) - len(text.lstrip()) + 1
        end = end_col if row == last and end_col is not None else len(text) + 1
        a, b = _display_col(cols, start), _display_col(cols, end)
        if row == d.row:
            b = max(b, a + 1)  # an empty range (an insertion point) still gets one caret
        if b > a:
            block.append(f"{gutter} {' ' * a}{paint('^' * (b - a), 'red bold', color)}")
    if shown < last:
        block.append(f"{gutter} ...")
    block.append(gutter)
    return block


def _read_lines(get_source: Callable[[str], str | None], path: str) -> list[str] | None:
    """A frame is a courtesy: a file that cannot be read again must not break the report."""
    try:
        text = get_source(path)
    except (OSError, UnicodeError, ValueError):
        return None
    return split_lines(text) if text is not None else None


def _layout(text: str) -> tuple[str, list[int]]:
    """The line as it is shown, and the display column where each code point starts.

    ``cols`` has one extra entry, the width of the whole line, for ranges that end at the
    end of the line.
    """
    parts: list[str] = []
    cols: list[int] = []
    width = 0
    for ch in text:
        cols.append(width)
        if ch == "\t":
            n = TAB_WIDTH - width % TAB_WIDTH
            parts.append(" " * n)
            width += n
            continue
        shown = printable(ch)
        parts.append(shown)
        width += _char_width(shown)
    cols.append(width)
    return "".join(parts), cols


def _char_width(ch: str) -> int:
    if unicodedata.category(ch) in ("Mn", "Me", "Cf") and ch != "\u00ad":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _display_col(cols: list[int], col: int) -> int:
    """Display column of a 1-based code-point column; past the end of the line, one per column."""
    i = max(col - 1, 0)
    if i < len(cols):
        return cols[i]
    return cols[-1] + i - (len(cols) - 1)
