"""A JSON array of ruff-compatible objects (``Diagnostic.to_dict()``), indented for people."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic


def write_json(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    """ASCII-only (non-ASCII as ``\\u`` escapes): machine output must survive any stdout
    encoding (a Windows code page, an undecodable file name) and parses back the same."""
    out.write(json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=True))
    out.write("\n")
