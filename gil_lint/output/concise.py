from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic
from gil_lint.output.style import paint


def headline(d: Diagnostic, color: bool) -> str:
    """``path:row:col: CODE [*] message`` — ``[*]`` when a safe fix exists."""
    mark = " [*]" if d.fix is not None and d.fix.applicability == "safe" else ""
    where = paint(f"{d.path}:{d.row}:{d.col}:", "bold", color)
    code = paint(d.code, "red", color)
    return f"{where} {code}{mark} {d.message}"


def write_concise(diagnostics: Sequence[Diagnostic], out: TextIO, *, color: bool) -> None:
    for d in diagnostics:
        out.write(headline(d, color) + "\n")
