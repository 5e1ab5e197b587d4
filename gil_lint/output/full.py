"""Ruff-like output: the headline, a code frame with the range underlined, help and notes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic
from gil_lint.output.concise import headline
from gil_lint.output.style import paint

_LINES = re.compile(r"\r\n|\r|\n")


def write_full(
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    get_source: Callable[[str], str | None],
    color: bool,
) -> None:
    cache: dict[str, list[str] | None] = {}
    for d in diagnostics:
        out.write(headline(d, color) + "\n")
        if d.path not in cache:
            text = get_source(d.path)
            cache[d.path] = _LINES.split(text) if text is not None else None
        lines = cache[d.path]
        if lines is not None and 1 <= d.row <= len(lines):
            out.write(_frame(d, lines, color))
        if d.fix is not None:
            out.write(f"  {paint('help', 'cyan', color)}: {d.fix.message}"
                      f"{'' if d.fix.applicability == 'safe' else ' (unsafe)'}\n")
        for e in d.evidence:
            out.write(f"  = note: {e.path}:{e.row}:{e.col}: {e.message}\n")
        out.write("\n")


def _frame(d: Diagnostic, lines: list[str], color: bool) -> str:
    last = min(d.end_row, d.row + 4, len(lines))
    width = len(str(last))
    pipe = paint("|", "blue", color)
    parts = [f"{' ' * width} {pipe}\n"]
    for row in range(d.row, last + 1):
        text = lines[row - 1].expandtabs(1)
        parts.append(f"{paint(str(row).rjust(width), 'blue', color)} {pipe} {text}\n")
        start = d.col if row == d.row else 1
        end = d.end_col if row == d.end_row else len(text) + 1
        if end <= start:
            end = start + 1
        underline = " " * (start - 1) + "^" * (end - start)
        parts.append(f"{' ' * width} {pipe} {paint(underline, 'red', color)}\n")
    return "".join(parts)
