"""The runtime verifier: does a finding hold when the code really runs?

``gil-lint verify PATH::function [--call EXPR]`` or ``gil-lint verify PATH
--finding CODE --line N`` runs the call in a sandboxed child process (timeout,
memory limit, empty working directory, whole process tree killed afterwards):

- thread/process findings (GIL101, GIL206, GIL303, plain functions): N calls
  sequentially, in N threads and in N processes, R rounds, medians;
- async findings (GIL201-GIL209) and ``async def`` targets: the coroutine on an
  event loop beside a 5 ms heartbeat (worst lateness = loop stall), then the
  same coroutine offloaded to a thread.

Python API: ``verify_callable(path, function, call, ..., finding=, line=)``
returns a ``VerifyReport`` or raises ``VerifyError``. ``main(argv)`` is the command.

JSON (``--json``, ``VerifyReport.to_dict()``), version 1::

    {
      "version": 1,
      "target": {"path": "examples/verify/cpu.py", "function": "cpu_intensive_task",
                 "call": "cpu_intensive_task()", "kind": "thread" | "async",
                 "finding": "GIL101" | null, "line": 42 | null},
      "environment": {"python": "CPython 3.11.7", "gil_enabled": true, "cores": 2,
                      "workers": 2, "rounds": 3},
      "claim": "cpu-bound" | "io-bound" | "blocks-event-loop",
      "modes": [
        {"name": "sequential" | "threads" | "processes" | "event loop" | "offloaded",
         "wall_s": 1.92, "cpu_s": 1.91, "utilisation": 0.99,
         "speedup": 1.0 | null,          # vs sequential; null for async modes
         "rounds_wall_s": [1.93, 1.92, 1.90],
         "background_cores": 0.02,       # CPU other processes used meanwhile
         "worst_stall_ms": null | 201.4} # async modes only
      ],
      "verdict": {"status": "confirmed" | "not_confirmed" | "inconclusive",
                  "detail": "threads 0.98x, processes 1.94x on 2 cores: ..."}
    }

On failure (exit 2) ``--json`` prints ``{"error": {"kind": K, "message": M}}``
with K one of ``bad-input``, ``user-exception``, ``exit``, ``memory``,
``crash``, ``timeout``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gil_lint.verify.api import verify_callable
    from gil_lint.verify.command import main
    from gil_lint.verify.report import ModeResult, Verdict, VerifyError, VerifyReport

__all__ = [
    "ModeResult",
    "Verdict",
    "VerifyError",
    "VerifyReport",
    "main",
    "verify_callable",
]

# name -> defining module. Imported on first use: the sandbox child and its
# workers import this package too, and must not pay for (or be broken by)
# the linter engine that target resolution uses.
_EXPORTS = {
    "main": "gil_lint.verify.command",
    "verify_callable": "gil_lint.verify.api",
    "ModeResult": "gil_lint.verify.report",
    "Verdict": "gil_lint.verify.report",
    "VerifyError": "gil_lint.verify.report",
    "VerifyReport": "gil_lint.verify.report",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
