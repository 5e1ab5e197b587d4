"""``path:row:col: CODE [*] message``, one finding per line (for grep, editors' quickfix lists)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic
from gil_lint.output.style import one_line, paint, printable


def has_safe_fix(d: Diagnostic) -> bool:
    """``[*]`` means `--fix` alone would fix it: unsafe fixes need `--unsafe-fixes` too."""
    return d.fix is not None and d.fix.applicability == "safe" and bool(d.fix.edits)


def headline(d: Diagnostic, message: str, color: bool) -> str:
    """The first line of a finding in the text formats; ``message`` is already one line."""
    where = paint(printable(f"{d.path}:{d.row}:{d.col}:"), "bold", color)
    code = paint(d.code, "red bold", color)
    mark = f" {paint('[*]', 'cyan', color)}" if has_safe_fix(d) else ""
    return f"{where} {code}{mark} {printable(message)}"


def write_concise(diagnostics: Sequence[Diagnostic], out: TextIO, *, color: bool) -> None:
    """One line per finding, multi-line messages joined, so line-based tools see one each."""
    for d in diagnostics:
        out.write(headline(d, one_line(d.message), color) + "\n")
