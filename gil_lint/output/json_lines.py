from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic


def write_json_lines(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    for d in diagnostics:
        out.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
