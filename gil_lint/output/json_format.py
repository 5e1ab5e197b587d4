from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic


def write_json(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    out.write(json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False))
    out.write("\n")
