"""Running and timing the user's call: sequentially, in threads, in processes, on a loop.

This module runs only inside the sandbox child (``gil_lint.verify._child``) and its
process-mode workers, never in the gil-lint process itself. Each runner returns
one raw round: wall seconds, CPU seconds (``psutil`` ``cpu_times()`` deltas of
the process and its children — user + system + children_user + children_system,
not ``cpu_percent``, which needs a sampling interval and misses short runs) and
how busy other processes kept the machine meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import inspect
import linecache
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import CodeType, ModuleType
from typing import Any

import psutil

from gil_lint.verify.report import describe_exit

# The target file is imported under this name, in the child and in every worker,
# so its functions pickle by reference and ``if __name__ == "__main__"`` stays off.
TARGET_MODULE = "__gil_lint_target__"
HEARTBEAT_S = 0.005

Round = dict[str, float]


class UserCodeFailure(Exception):
    """User code (or the target's import) failed; ``kind`` as in ``VerifyError``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class LoadedTarget:
    """The imported target module, the function named on the command line, the call."""

    module: ModuleType
    path: str
    function: str
    call_source: str
    call_code: CodeType
    is_async: bool

    def call(self) -> Any:
        """Evaluate the call expression in the module's namespace (like at module level)."""
        return eval(self.call_code, self.module.__dict__)

    def failure(self, exc: BaseException) -> UserCodeFailure:
        return describe_failure(exc, self.path, self.function)


def load_target(spec: dict[str, Any]) -> LoadedTarget:
    """Import the file by path, look the function up, compile the call.

    The file's directory goes first on ``sys.path`` so that sibling imports
    work as they do when the user runs the file.
    """
    path: str = spec["path"]
    display: str = spec["display_path"]
    function: str = spec["function"]
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    module_spec = importlib.util.spec_from_file_location(TARGET_MODULE, path)
    if module_spec is None or module_spec.loader is None:
        raise UserCodeFailure("bad-input", f"cannot import {display} as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[TARGET_MODULE] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException as e:
        if _is_pool_on_import(e):
            line = _user_line(e, path)
            code = linecache.getline(path, line).strip() if line is not None else None
            message = pool_on_import_message(display, line, code)
            raise UserCodeFailure("bad-input", message) from None
        failure = describe_failure(e, path, "<module>")
        raise UserCodeFailure(
            failure.kind, failure.message.replace("user code", f"importing {display}", 1)
        ) from None
    func = getattr(module, function, None)
    if func is None:
        raise UserCodeFailure("bad-input", f"{display} has no module-level function {function!r}")
    if not callable(func):
        raise UserCodeFailure("bad-input", f"{display}: {function!r} is not callable")
    call_source = spec["call"] or f"{function}()"
    required = _required_parameters(func) if spec["call"] is None else []
    if required:
        raise UserCodeFailure(
            "bad-input",
            f'{function}({", ".join(required)}) needs arguments: pass --call "{function}(...)"',
        )
    return LoadedTarget(
        module=module,
        path=path,
        function=function,
        call_source=call_source,
        call_code=compile(call_source, "<--call>", "eval"),
        is_async=inspect.iscoroutinefunction(func),
    )


def pool_on_import_message(display: str, line: int | None, code: str | None = None) -> str:
    """Why a module that starts processes when imported cannot be verified, and the cure.

    The processes mode imports the module in each worker; the workers are daemonic
    and may not start processes of their own.
    """
    where = f"{display}:{line}" if line is not None else display
    what = f"`{code}`" if code else "it"
    return (
        f"{where}: the module starts a process pool on import (GIL301), so each "
        f"processes-mode worker would start one too; put {what} under "
        '`if __name__ == "__main__":`'
    )


def _is_pool_on_import(e: BaseException) -> bool:
    # multiprocessing's own assertion in a daemonic process that starts a child
    return isinstance(e, AssertionError) and "daemonic processes are not allowed" in str(e)


def _user_line(e: BaseException, path: str) -> int | None:
    """The module-level line of the user's file the exception came through (the
    outermost frame in it: the statement to guard), or None."""
    for frame, line in traceback.walk_tb(e.__traceback__):
        if frame.f_code.co_filename == path:
            return line
    return None


def _required_parameters(func: Callable[..., Any]) -> list[str]:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: let the call tell
        return []
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in params if p.default is p.empty and p.kind not in variadic]


def describe_failure(exc: BaseException, path: str, function: str) -> UserCodeFailure:
    """One line for an exception out of user code, naming the user's innermost frame.

    A ``UserCodeFailure`` is already described (it was raised by us about user
    code, e.g. a worker's report) and passes through unchanged.
    """
    if isinstance(exc, UserCodeFailure):
        return exc
    where = function
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == path:
            where = frame.f_code.co_name
    if isinstance(exc, SystemExit):
        return UserCodeFailure("exit", f"user code called sys.exit({exc.code!r}) (in {where})")
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    name = type(exc).__name__ + (f": {text}" if text else "")
    if isinstance(exc, MemoryError):
        return UserCodeFailure("memory", f"user code ran out of memory: {name} (in {where})")
    return UserCodeFailure("user-exception", f"user code raised {name} (in {where})")


def own_cpu_seconds(process: psutil.Process) -> float:
    t = process.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def _machine_busy_seconds() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


class Stopwatch:
    """Wall, own CPU and everyone else's CPU over one round."""

    def __init__(self) -> None:
        self._process = psutil.Process()

    def __enter__(self) -> Stopwatch:
        self._busy0 = _machine_busy_seconds()
        self._cpu0 = own_cpu_seconds(self._process)
        self._t0 = time.perf_counter()
        self.extra_cpu = 0.0  # CPU reported by workers that are not yet our children
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._t0
        self.cpu = own_cpu_seconds(self._process) - self._cpu0 + self.extra_cpu
        others = _machine_busy_seconds() - self._busy0 - self.cpu
        self.background_cores = max(others, 0.0) / self.wall if self.wall > 0 else 0.0

    def round(self, **extra: float) -> Round:
        return {
            "wall_s": self.wall,
            "cpu_s": self.cpu,
            "background_cores": self.background_cores,
            **extra,
        }


def _call_sync(target: LoadedTarget) -> None:
    result = target.call()
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise UserCodeFailure(
            "bad-input",
            f"{target.call_source} returns an awaitable: verify it as async "
            f"(make {target.function} an async def or use an async --finding)",
        )


def run_sequential(target: LoadedTarget, workers: int) -> Round:
    with Stopwatch() as sw:
        for _ in range(workers):
            try:
                _call_sync(target)
            except BaseException as e:
                raise target.failure(e) from None
    return sw.round()


def run_threads(target: LoadedTarget, workers: int) -> Round:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            _call_sync(target)
        except BaseException as e:  # re-raised in the main thread below
            errors.append(e)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    with Stopwatch() as sw:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise target.failure(errors[0])
    return sw.round()


class WorkerPool:
    """N long-lived spawned processes, each having imported the target by path.

    Not a ``ProcessPoolExecutor``: we need every worker started and the module
    imported *before* the clock starts, and each worker to report its own CPU
    time (a worker is not our reaped child while it runs, so our
    ``children_*`` times do not include it yet).
    """

    def __init__(self, spec: dict[str, Any], workers: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        for _ in range(workers):
            ours, theirs = context.Pipe()
            proc = context.Process(target=process_worker, args=(spec, theirs), daemon=True)
            proc.start()
            theirs.close()
            self._conns.append(ours)
            self._procs.append(proc)
        for i in range(workers):
            self._receive(i)  # "ready", or the import failure

    def _receive(self, i: int) -> tuple[Any, ...]:
        try:
            message: tuple[Any, ...] = self._conns[i].recv()
        except (EOFError, OSError):
            proc = self._procs[i]
            proc.join(1.0)
            why = f"{describe_exit(proc.exitcode)} (in a processes mode worker)"
            raise UserCodeFailure("crash", why) from None
        if message[0] == "error":
            raise UserCodeFailure(message[1], message[2])
        return message

    def run_round(self) -> Round:
        with Stopwatch() as sw:
            for conn in self._conns:
                conn.send("run")
            for i in range(len(self._conns)):
                sw.extra_cpu += self._receive(i)[1]
        return sw.round()

    def close(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc in self._procs:
            proc.join(2.0)
            if proc.is_alive():
                proc.kill()
                proc.join()


def process_worker(spec: dict[str, Any], conn: Connection) -> None:
    """Body of one process-mode worker: import the target, then run calls on request."""
    process = psutil.Process()
    try:
        target = load_target(spec)
    except UserCodeFailure as f:
        conn.send(("error", f.kind, f.message))
        return
    conn.send(("ready",))
    while conn.recv() is not None:
        before = own_cpu_seconds(process)
        try:
            _call_sync(target)
        except BaseException as e:
            failure = target.failure(e)
            conn.send(("error", failure.kind, failure.message))
            return
        conn.send(("ok", own_cpu_seconds(process) - before))


def run_on_loop(target: LoadedTarget, offload: bool) -> Round:
    """Run the coroutine beside a heartbeat task; the heartbeat's worst lateness is the stall.

    ``offload`` runs the whole coroutine on a fresh loop in a worker thread
    (``asyncio.to_thread``), which is what fixing the finding would do: if the
    stall disappears, the coroutine was blocking the loop.
    """
    lateness: list[float] = []

    async def heartbeat(tick: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(HEARTBEAT_S)
            lateness.append(loop.time() - before - HEARTBEAT_S)
            tick.set()

    def make_coroutine() -> Any:
        coroutine = target.call()
        if not inspect.isawaitable(coroutine):
            raise UserCodeFailure("bad-input", f"{target.call_source} does not return a coroutine")
        return coroutine

    async def awaited() -> Any:
        return await make_coroutine()

    async def main(sw: Stopwatch) -> None:
        tick = asyncio.Event()
        beat = asyncio.create_task(heartbeat(tick))
        await tick.wait()  # the heartbeat is running before the coroutine starts
        lateness.clear()
        with sw:
            if offload:
                await asyncio.to_thread(asyncio.run, awaited())
            else:
                await make_coroutine()
        # the tick after a blocking stretch is the late one: wait for it
        tick.clear()
        await tick.wait()
        beat.cancel()

    sw = Stopwatch()
    try:
        asyncio.run(main(sw))
    except BaseException as e:
        raise target.failure(e) from None
    return sw.round(stall_ms=max(lateness, default=0.0) * 1000)
