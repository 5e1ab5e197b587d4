"""The verifier's Python API, shared by ``gil-lint verify`` and the language server."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable

from gil_lint.verify.report import Claim, ModeResult, VerifyError, VerifyReport
from gil_lint.verify.sandbox import run_child
from gil_lint.verify.target import KindHint, Target, resolve_target
from gil_lint.verify.verdict import judge_event_loop, judge_threads

DEFAULT_ROUNDS = 3
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_LIMIT_MB = 2048
THREAD_MODES = ("sequential", "threads", "processes")
ASYNC_MODES = ("event loop", "offloaded")


def default_workers() -> int:
    """The cores this process may run on (affinity, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def verify_callable(
    path: str,
    function: str | None = None,
    call: str | None = None,
    *,
    workers: int | None = None,
    rounds: int = DEFAULT_ROUNDS,
    timeout: float = DEFAULT_TIMEOUT_S,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    kind: KindHint = "auto",
    finding: str | None = None,
    line: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Run ``call`` (default ``function()``) from the file at ``path`` and judge it.

    Runs user code in a sandboxed child process only; raises ``VerifyError`` for
    bad input and for user code that raises, exits, crashes, runs out of memory
    or exceeds ``timeout`` seconds (whole run). ``kind="auto"`` picks the event
    loop for an ``async def``. ``finding``/``line`` derive the function and call
    from a lint finding when ``function`` is None. ``progress`` is called with
    each mode's name as it starts. ``memory_limit_mb=0`` means no limit.
    """
    workers = default_workers() if workers is None else workers
    for name, value, low in (("workers", workers, 1), ("rounds", rounds, 1)):
        if value < low:
            raise VerifyError("bad-input", f"--{name} must be at least {low}, not {value}")
    if not timeout > 0:
        raise VerifyError("bad-input", f"--timeout must be positive, not {timeout}")
    if memory_limit_mb < 0:
        raise VerifyError("bad-input", f"--memory-limit must be 0 (none) or more MB, not {memory_limit_mb}")
    target = resolve_target(path, function, call, kind=kind, finding=finding, line=line)
    return _run(target, workers, rounds, timeout, memory_limit_mb, progress)


def verify_finding(
    path: str, code: str, line: int, call: str | None = None, **options: object
) -> VerifyReport:
    """Verify the finding ``code`` reported at ``line`` (the language server's entry)."""
    return verify_callable(path, call=call, finding=code, line=line, **options)  # type: ignore[arg-type]


def _run(
    target: Target,
    workers: int,
    rounds: int,
    timeout: float,
    memory_limit_mb: int,
    progress: Callable[[str], None] | None,
) -> VerifyReport:
    spec = {
        "path": str(target.path),
        "display_path": target.display_path,
        "function": target.function,
        "call": target.call,
        "kind": target.kind,
        "workers": workers,
        "rounds": rounds,
        "memory_limit_mb": memory_limit_mb,
    }
    child = run_child(spec, timeout=timeout, progress=progress)
    start = child.start
    is_async = start["kind"] == "async"
    names = ASYNC_MODES if is_async else THREAD_MODES
    baseline = None if is_async else statistics.median(r["wall_s"] for r in child.modes["sequential"])
    modes = {n: ModeResult.from_rounds(n, child.modes[n], baseline) for n in names}
    claim: Claim
    if is_async:
        claim = "blocks-event-loop"
        verdict = judge_event_loop(target.function, modes)
    else:
        claim = "io-bound" if target.finding == "GIL303" else "cpu-bound"
        verdict = judge_threads(
            claim,
            modes,
            cores=start["cores"],
            workers=workers,
            gil_enabled=start["gil_enabled"],
        )
    return VerifyReport(
        path=target.display_path,
        function=target.function,
        call=target.call or f"{target.function}()",
        kind="async" if is_async else "thread",
        claim=claim,
        finding=target.finding,
        line=target.line,
        python=start["python"],
        gil_enabled=start["gil_enabled"],
        cores=start["cores"],
        workers=1 if is_async else workers,
        rounds=rounds,
        modes=tuple(modes.values()),
        verdict=verdict,
    )

