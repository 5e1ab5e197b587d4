"""Running user code in a child process that cannot outlive the verification.

The child (``_child.py``) starts in a new session, in an empty temporary
directory, with a memory limit it sets on itself, and reports on a private
pipe. Whatever happens — result, error, crash, timeout, Ctrl-C — the whole
process tree is killed before :func:`run_child` returns or raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

import gil_lint
from gil_lint.verify.report import VerifyError, describe_exit

_POLL_S = 0.25
_LAST_OUTPUT_CHARS = 160


@dataclass(frozen=True)
class ChildResult:
    """The child's ``start`` event (interpreter facts) and raw rounds per mode."""

    start: dict[str, Any]
    modes: dict[str, list[dict[str, float]]]


def run_child(
    spec: dict[str, Any],
    *,
    timeout: float,
    progress: Callable[[str], None] | None = None,
) -> ChildResult:
    """Run the sandbox child on ``spec``; raise ``VerifyError`` for every failure."""
    env = dict(os.environ)
    # the child must import this very gil_lint, wherever it was imported from
    package_root = str(Path(gil_lint.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    read_fd, write_fd = os.pipe()
    try:
        with (
            tempfile.TemporaryDirectory(
                prefix="gil-lint-verify-", ignore_cleanup_errors=True
            ) as cwd,
            tempfile.TemporaryFile() as log,  # user code's stdout and stderr
        ):
            try:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gil_lint.verify._child",
                        str(write_fd),
                        json.dumps(spec),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=log,
                    cwd=cwd,
                    env=env,
                    pass_fds=(write_fd,),
                    start_new_session=True,
                )
            finally:
                os.close(write_fd)  # the child's copy is the only writer
            try:
                return _collect(proc, read_fd, timeout, progress, log, spec["display_path"])
            finally:
                kill_tree(proc)
    finally:
        os.close(read_fd)


def _collect(
    proc: subprocess.Popen[bytes],
    read_fd: int,
    timeout: float,
    progress: Callable[[str], None] | None,
    log: IO[bytes],
    display_path: str,
) -> ChildResult:
    deadline = time.monotonic() + timeout
    pending = b""
    start: dict[str, Any] = {}
    stage = f"while importing {display_path}"
    eof = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise VerifyError("timeout", f"user code timed out after {timeout:g} s ({stage})")
        # once the child has exited, only drain what it wrote; never block on a
        # pipe a stray grandchild may still hold open
        exited = proc.poll() is not None
        wait = 0 if exited else min(remaining, _POLL_S)
        if not eof and select.select([read_fd], [], [], wait)[0]:
            chunk = os.read(read_fd, 65536)
            eof = not chunk
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                event = json.loads(line)
                if event["event"] == "start":
                    start = event
                elif event["event"] == "mode":
                    stage = f"in {event['mode']} mode"
                    if progress is not None:
                        progress(event["mode"])
                elif event["event"] == "error":
                    raise VerifyError(event["kind"], event["message"])
                elif event["event"] == "result":
                    return ChildResult(start, event["modes"])
            continue
        if exited or eof:
            try:
                proc.wait(timeout=max(remaining, 0.0))
            except subprocess.TimeoutExpired:  # it closed our pipe but runs on
                continue
            raise VerifyError("crash", _describe_exit(proc.returncode, stage, log))


def _describe_exit(returncode: int, stage: str, log: IO[bytes]) -> str:
    """Why the child ended without a result: exit status or signal, plus its last output."""
    log.seek(0)
    tail = [line for line in log.read().decode(errors="replace").splitlines() if line.strip()]
    last = f"; last output: {tail[-1].strip()[:_LAST_OUTPUT_CHARS]}" if tail else ""
    return f"{describe_exit(returncode)} ({stage}){last}"


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child and everything below it, and reap the child.

    The child is a subreaper, so processes whose parents died are re-parented
    to it rather than to init: while it lives, its tree holds every process
    user code started (even double-forked ones). Kill that tree first, in
    passes (a spinning forker may add a process between listing and killing),
    then the child, then its process group for anything else in the session.
    """
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(proc.pid)
        for _ in range(10):
            alive = [p for p in _descendants(root) if _status(p) != psutil.STATUS_ZOMBIE]
            if not alive:
                break
            for p in alive:
                with contextlib.suppress(psutil.Error):
                    p.kill()
            psutil.wait_procs(alive, timeout=1.0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    proc.kill()
    proc.wait()


def _descendants(root: psutil.Process) -> list[psutil.Process]:
    try:
        return root.children(recursive=True)
    except psutil.Error:
        return []


def _status(p: psutil.Process) -> str:
    try:
        return p.status()
    except psutil.Error:
        return psutil.STATUS_ZOMBIE  # gone is as good as dead
