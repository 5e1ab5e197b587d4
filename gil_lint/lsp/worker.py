"""What the server's lint process runs.

Linting holds the GIL for long stretches (``ast.parse`` of a 20,000-line file is one
300 ms C call), so a lint *thread* would stall the event loop; a separate process keeps
the server answering hover and code-action requests while it lints.
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
    import gil_lint.engine.lint  # noqa: F401  (warm: the first lint should not pay for it)


def lint(
    source: str, path: str, settings: Settings, overlays: dict[str, str] | None = None
) -> tuple[list[Diagnostic], frozenset[str]]:
    """Findings, and the paths of the other modules they were drawn from (helpers whose
    summaries were used): when one of those changes, this document is linted again.
    ``overlays`` are the editor's open buffers, read instead of the files on disk."""
    from gil_lint.engine.knowledge import load_knowledge
    from gil_lint.engine.lint import lint_source
    from gil_lint.engine.project import project_for

    project = project_for(settings.project_root, load_knowledge(settings.knowledge))
    if overlays is not None:
        project.overlays = overlays
    project.accessed.clear()
    found = lint_source(source, path, settings, project=project)
    own = os.path.abspath(path)
    deps = frozenset(os.path.abspath(p) for p, _, _ in project.accessed) - {own}
    return found, deps


def fix(source: str, path: str, settings: Settings) -> str:
    from gil_lint.fix.apply import fix_source

    return fix_source(source, path, settings).source
