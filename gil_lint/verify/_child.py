"""The sandbox: ``python -m gil_lint.verify._child FD SPEC_JSON``, started by ``sandbox.py``.

It limits its own memory, imports the target, runs every mode and writes JSON
lines to file descriptor FD (never stdout: user code may print). Events:

- ``{"event": "start", "kind", "python", "gil_enabled", "cores"}``
- ``{"event": "mode", "mode": "sequential"}`` as each mode begins
- ``{"event": "result", "modes": {mode: [round, ...]}}`` or
  ``{"event": "error", "kind", "message"}``

Then it waits for EOF on stdin: the parent first kills everything the user
code left behind (this process is their subreaper, so they stay in its tree),
then this process.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import sys
from typing import Any

from gil_lint.verify import workloads
from gil_lint.verify.workloads import LoadedTarget, WorkerPool

# Address space each thread reserves without using it: an 8 MB stack and, with
# glibc, a 64 MB malloc arena. RLIMIT_AS counts reservations, so the limit gets
# this much per worker thread on top, or thread mode would fail on big machines.
THREAD_RESERVE_MB = 72
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class Channel:
    """JSON lines to the parent on a private pipe."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        os.set_inheritable(fd, False)  # user code's own children must not hold it open

    def send(self, event: str, **fields: Any) -> None:
        data = (json.dumps({"event": event, **fields}) + "\n").encode()
        while data:
            data = data[os.write(self._fd, data) :]


def _confine(memory_limit_mb: int, workers: int) -> None:
    """Die with the parent, adopt orphans (so they can be killed), cap address space."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, 9)  # SIGKILL if gil-lint dies
            libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
        except (OSError, AttributeError):
            pass
    if memory_limit_mb > 0:
        try:
            import resource

            limit = (memory_limit_mb + workers * THREAD_RESERVE_MB) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass  # no RLIMIT_AS here (macOS may refuse): the timeout still applies


def _available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _run_thread_modes(
    target: LoadedTarget, spec: dict[str, Any], channel: Channel
) -> dict[str, list[workloads.Round]]:
    workers, rounds = spec["workers"], spec["rounds"]
    results: dict[str, list[workloads.Round]] = {}
    channel.send("mode", mode="sequential")
    results["sequential"] = [workloads.run_sequential(target, workers) for _ in range(rounds)]
    channel.send("mode", mode="threads")
    results["threads"] = [workloads.run_threads(target, workers) for _ in range(rounds)]
    channel.send("mode", mode="processes")
    pool = WorkerPool(spec, workers)
    try:
        results["processes"] = [pool.run_round() for _ in range(rounds)]
    finally:
        pool.close()
    return results


def _run_async_modes(
    target: LoadedTarget, spec: dict[str, Any], channel: Channel
) -> dict[str, list[workloads.Round]]:
    results: dict[str, list[workloads.Round]] = {}
    for mode, offload in (("event loop", False), ("offloaded", True)):
        channel.send("mode", mode=mode)
        results[mode] = [workloads.run_on_loop(target, offload) for _ in range(spec["rounds"])]
    return results


def main() -> None:
    channel = Channel(int(sys.argv[1]))
    spec: dict[str, Any] = json.loads(sys.argv[2])
    # stdin is the parent's "you may exit" pipe; user code gets /dev/null instead
    control = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    spec["workers"] = spec["workers"] or _available_cores()
    _confine(spec["memory_limit_mb"], spec["workers"])
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the user's file
    try:
        target = workloads.load_target(spec)
        is_async = target.is_async or spec["kind"] == "async"
        channel.send(
            "start",
            kind="async" if is_async else "thread",
            python=f"{platform.python_implementation()} {platform.python_version()}",
            gil_enabled=getattr(sys, "_is_gil_enabled", lambda: True)(),
            cores=_available_cores(),
            workers=spec["workers"],
        )
        run = _run_async_modes if is_async else _run_thread_modes
        channel.send("result", modes=run(target, spec, channel))
    except BaseException as e:  # ours about user code, or user code raising at an odd place
        f = workloads.describe_failure(e, spec["path"], spec["function"])
        message = f.message
        if f.kind == "memory" and spec["memory_limit_mb"]:
            message += f" (memory limit {spec['memory_limit_mb']} MB, see --memory-limit)"
        channel.send("error", kind=f.kind, message=message)
    while os.read(control, 4096):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
