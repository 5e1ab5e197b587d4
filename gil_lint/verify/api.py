"""The verifier's Python API, shared by ``gil-lint verify`` and the language server."""

from __future__ import annotations

import ast
import statistics
from collections.abc import Callable

from gil_lint.text import split_lines
from gil_lint.verify.report import Claim, ModeResult, VerifyError, VerifyReport
from gil_lint.verify.sandbox import run_child
from gil_lint.verify.target import KindHint, Target, resolve_target
from gil_lint.verify.verdict import judge_event_loop, judge_threads
from gil_lint.verify.workloads import pool_on_import_message

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
    _refuse_pool_on_import(target)
    return _run(target, workers, rounds, timeout, memory_limit_mb, progress)


def _refuse_pool_on_import(target: Target) -> None:
    """Say before running that a module starting a process pool on import cannot be
    verified: GIL301 finds it, and the processes mode would fail on it in every worker.

    Only a thread-mode run has worker processes; a coroutine runs on the event loop.
    A pool hidden from GIL301 (behind a noqa, or built in a helper) is still caught
    when a worker fails on it.
    """
    if target.kind == "async":
        return
    from gil_lint.engine.lint import lint_source
    from gil_lint.rules import rule_by_code

    try:
        data = target.path.read_bytes()
        tree = ast.parse(data)
    except (OSError, SyntaxError, ValueError):
        return  # the sandbox reports these in its own words
    if any(
        isinstance(node, ast.AsyncFunctionDef) and node.name == target.function
        for node in tree.body
    ):
        return
    rule = rule_by_code("GIL301")
    assert rule is not None
    found = lint_source(data, str(target.path), rules=[rule])
    unguarded = [d for d in found if d.code == rule.CODE]
    if unguarded:
        d = unguarded[0]
        lines = split_lines(data.decode("utf-8", errors="replace"))
        code = lines[d.row - 1].strip() if d.row == d.end_row and d.row <= len(lines) else None
        raise VerifyError("bad-input", pool_on_import_message(target.display_path, d.row, code))


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
