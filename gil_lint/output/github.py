"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` per finding, which
the runner turns into annotations on the pull request's diff."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic
from gil_lint.output.style import encodable

_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """The message part: a raw newline would end the command, a raw ``%`` start an escape."""
    return encodable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A ``key=value`` part: ``,`` separates properties and ``:`` ends them, so both are escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic) -> str:
    """One workflow command line; paths with forward slashes, as the runner matches them."""
    props = {
        "file": d.path.replace("\\", "/"),
        "line": str(d.row),
        "col": str(d.col),
        "endLine": str(d.end_row),
        "endColumn": str(d.end_col),
        "title": f"{d.code} ({d.name})",
    }
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{_LEVELS.get(d.severity, 'warning')} {joined}::{escape_data(d.message)}"


def write_github(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    for d in diagnostics:
        out.write(annotation(d) + "\n")
