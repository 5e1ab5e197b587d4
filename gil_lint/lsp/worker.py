"""What the server runs off the event loop: in its lint thread, or for a large document
in its lint process.

Linting holds the GIL for long stretches (``ast.parse`` of a 20,000-line file is one
300 ms C call), so a large document linted in a thread would stall the event loop; a
separate process keeps the server answering hover and code-action requests while it
lints. These functions take and return only what can be pickled.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gil_lint.config import Settings
    from gil_lint.diagnostics import Diagnostic


def start() -> None:
    """Initializer: nothing the process prints may reach the server's stdout (the LSP
    stream), so fd 1 becomes stderr."""
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    load_engine()  # warm: the first lint should not pay for it
    import gc

    gc.freeze()  # what is loaded lives as long as the process: full collections skip it


def load_engine() -> None:
    """Import the engine and the rules and load the default knowledge."""
    import gil_lint.engine.lint  # noqa: F401
    from gil_lint.engine.knowledge import load_knowledge
    from gil_lint.rules import all_rules

    all_rules()
    load_knowledge(())


def lint(
    source: str, path: str, settings: Settings, overlays: dict[str, str] | None = None
) -> tuple[list[Diagnostic], frozenset[str]]:
    """Findings, and the absolute paths of the other modules they were drawn from: when
    one of those changes, this document is linted again. ``overlays`` are the editor's
    open buffers, read instead of the files on disk."""
    from gil_lint.engine.lint import lint_with_dependencies

    result = lint_with_dependencies(source, path, settings, overlays=overlays)
    return result.diagnostics, frozenset(os.path.abspath(p) for p, _, _ in result.dependencies)


def fix(source: str, path: str, settings: Settings) -> str:
    from gil_lint.fix.apply import fix_source

    return fix_source(source, path, settings).source
