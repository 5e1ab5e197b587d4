"""One ``Diagnostic.to_dict()`` object per line: streamable, and ``grep``/``jq -c`` friendly."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic


def write_json_lines(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    """Compact objects; newlines inside strings are escaped by JSON, so one object per line.

    ASCII-only for the same reason as the ``json`` format.
    """
    for d in diagnostics:
        out.write(json.dumps(d.to_dict(), ensure_ascii=True) + "\n")
