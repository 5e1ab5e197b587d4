"""The verifier's Python API, shared by ``gil-lint verify`` and the language server."""

from __future__ import annotations

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
    or exceeds ``timeout`` seconds (whole run). An ``async def`` always runs on
    the event loop; ``kind="async"`` also forces it for other callables that
    return a coroutine. ``finding``/``line`` (e.g. ``"GIL101"``, 42) say which
    finding is verified, and give the function and call when ``function`` is None
    (the language server's "verify this"). ``progress`` is called with
    each mode's name as it starts. ``memory_limit_mb=0`` means no limit.
    """
    for name, value in (("workers", workers), ("rounds", rounds)):
        if value is not None and value < 1:
            raise VerifyError("bad-input", f"--{name} must be at least 1, not {value}")
    if not timeout > 0:
        raise VerifyError("bad-input", f"--timeout must be positive, not {timeout}")
    if memory_limit_mb < 0:
        raise VerifyError(
            "bad-input", f"--memory-limit must be 0 (none) or more MB, not {memory_limit_mb}"
        )
    target = resolve_target(path, function, call, kind=kind, finding=finding, line=line)
    return _run(target, workers, rounds, timeout, memory_limit_mb, progress)


def _run(
    target: Target,
    workers: int | None,
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
        "workers": workers,  # None: the child uses the cores it may run on
        "rounds": rounds,
        "memory_limit_mb": memory_limit_mb,
    }
    child = run_child(spec, timeout=timeout, progress=progress)
    start = child.start
    is_async = start["kind"] == "async"
    names = ASYNC_MODES if is_async else THREAD_MODES
    baseline = (
        None if is_async else statistics.median(r["wall_s"] for r in child.modes["sequential"])
    )
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
            workers=start["workers"],
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
        workers=1 if is_async else start["workers"],
        rounds=rounds,
        modes=tuple(modes.values()),
        verdict=verdict,
    )
