"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    for d in diagnostics:
        level = "error" if d.severity == "error" else "warning"
        props = ",".join(
            [
                f"file={_prop(d.path)}",
                f"line={d.row}",
                f"col={d.col}",
                f"endLine={d.end_row}",
                f"endColumn={d.end_col}",
                f"title={_prop(f'{d.code} ({d.name})')}",
            ]
        )
        out.write(f"::{level} {props}::{_data(f'{d.code} {d.message}')}\n")
