"""Join what the observed processes recorded (``probe.py``) to the static findings.

- A **stall** explains a blocking finding (GIL2xx) when one of the project frames sampled
  while the callback ran is on the finding's lines; when several findings match, the one on
  the innermost frame takes it. A stall no finding explains, with a project frame, is a
  runtime-only ``stall``.
- **Thread work** explains a GIL101 finding when it was submitted (or its thread started)
  from the finding's lines, or when the function run is one the finding's evidence points
  into. Overlapping calls in two or more threads are ``serialised`` when together they kept
  between ``BUSY_CORES`` and ``SERIAL_MAX_CORES`` cores busy (CPU-bound and taking turns on
  the GIL), ``parallel`` above that.
- A finding whose enclosing function never started is ``not-reached``; otherwise ``ran``.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gil_lint.diagnostics import Diagnostic

SERIAL_MAX_CORES = 1.2  # two threads together at most this busy: they took turns
# Below this the threads mostly waited (I/O, sleep), not for the GIL. A machine busy with
# other work lowers what CPU-bound threads get, so a finding's verdict accepts less than a
# core; a runtime-only report, with no static reason behind it, needs more.
BUSY_CORES = 0.3
BUSY_CORES_RUNTIME_ONLY = 0.6
# Threads that slept this share of their calls' time, while neither running nor waiting for
# a CPU, were waiting for the GIL (the calls are CPU-bound: BUSY_CORES): on a machine too
# busy for the cores to tell, this still does. Measured on a 2-core VM at load 6-7: two
# threads taking turns slept 12-25% of the time, two hashing in parallel 0%.
GIL_SLEEP = 0.1
NO_GIL_SLEEP = 0.02  # threads that slept less than this never waited for the GIL...
PARALLEL_MIN_CORES = 1.5  # ...and, leaving out their waits for a CPU, ran this many at once
MIN_OVERLAP_S = 0.02  # overlaps shorter than this say nothing about parallelism
STALL_CODES = frozenset(
    {
        "GIL201",
        "GIL202",
        "GIL203",
        "GIL204",
        "GIL205",
        "GIL206",
        "GIL207",
        "GIL208",
        "GIL209",
        "GIL408",
    }
)
THREAD_CODES = frozenset({"GIL101"})

Key = tuple[str, int]  # (absolute filename, line)


@dataclass
class Stall:
    ms: float
    stack: list[tuple[str, int, str]]
    lines: set[Key]
    test: str | None
    callback: str

    @property
    def where(self) -> str:
        if self.test:
            return self.test
        return self.callback


@dataclass
class Work:
    function: tuple[str, int, str]
    site: tuple[str, int, str] | None
    thread: int
    pid: int
    start: float
    end: float
    cpu: float
    test: str | None
    waited: float = 0.0  # ready to run but without a CPU: the machine's load

    @property
    def available(self) -> float:
        """The wall time the thread could have run, had it held the GIL."""
        return max(self.end - self.start - self.waited, 1e-6)


@dataclass
class Records:
    stalls: list[Stall] = field(default_factory=list)
    work: list[Work] = field(default_factory=list)
    reached: set[tuple[str, int, str]] = field(default_factory=set)
    unwatched: set[str] = field(default_factory=set)  # watched files run outside the loader
    processes: int = 0


def read_records(folder: Path) -> Records:
    """Every record the observed processes wrote; a torn last line (a killed process) is
    skipped."""
    out = Records()
    for path in sorted(folder.glob("*.jsonl")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        pid = 0
        for line in text.splitlines():
            try:
                item = json.loads(line)
                kind = item["kind"]
                if kind == "process":
                    out.processes += 1
                    pid = int(item["pid"])
                elif kind == "stall":
                    out.stalls.append(
                        Stall(
                            ms=float(item["ms"]),
                            stack=[(str(f), int(n), str(c)) for f, n, c in item["stack"]],
                            lines={(str(f), int(n)) for f, n in item["lines"]},
                            test=item.get("test"),
                            callback=str(item.get("callback", "")),
                        )
                    )
                elif kind == "work":
                    f, n, c = item["function"]
                    site = item.get("site")
                    out.work.append(
                        Work(
                            function=(str(f), int(n), str(c)),
                            site=(str(site[0]), int(site[1]), str(site[2])) if site else None,
                            thread=int(item["thread"]),
                            pid=pid,
                            start=float(item["start"]),
                            end=float(item["end"]),
                            cpu=float(item["cpu"]),
                            test=item.get("test"),
                            waited=float(item.get("waited", 0.0)),
                        )
                    )
                elif kind == "watched":
                    out.unwatched.update(_abs(str(f)) for f in item["unwatched"])
                elif kind == "reached":
                    out.reached.update((str(f), int(n), str(c)) for f, n, c in item["functions"])
            except (ValueError, KeyError, TypeError):
                continue
    return out


class _Functions:
    """The functions of the project's files, by their code objects' first line."""

    def __init__(self) -> None:
        self.trees: dict[str, list[tuple[int, int, int]] | None] = {}

    def spans(self, path: str) -> list[tuple[int, int, int]]:
        """(first line as ``co_firstlineno`` counts it, def line, last line) of every function
        and class body of ``path`` (a lambda counts as part of the function around it)."""
        if path not in self.trees:
            try:
                tree = ast.parse(Path(path).read_bytes())
            except (OSError, SyntaxError, ValueError):
                self.trees[path] = None
            else:
                spans = []
                for node in ast.walk(tree):
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                        spans.append((first, node.lineno, node.end_lineno or node.lineno))
                self.trees[path] = spans
        return self.trees[path] or []

    def enclosing(self, path: str, row: int) -> tuple[int, int, int] | None:
        """The innermost function (or class body) containing ``row``; None: module level."""
        best = None
        for span in self.spans(path):
            if span[1] <= row <= span[2] and (best is None or span[1] >= best[1]):
                best = span
        return best

    def span_of(self, path: str, first: int) -> tuple[int, int, int] | None:
        for span in self.spans(path):
            if span[0] == first:
                return span
        return None


def watch_list(diagnostics: Sequence[Diagnostic]) -> dict[str, list[int]]:
    """For the probe before Python 3.12: the first line of the function (or class body)
    around each finding, 0 for module level, by file."""
    functions = _Functions()
    watch: dict[str, set[int]] = {}
    for d in diagnostics:
        path = _abs(d.path)
        enclosing = functions.enclosing(path, d.row)
        watch.setdefault(path, set()).add(0 if enclosing is None else enclosing[0])
    return {path: sorted(lines) for path, lines in watch.items()}


def _abs(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _finding_lines(d: Diagnostic) -> set[Key]:
    path = _abs(d.path)
    return {(path, row) for row in range(d.row, d.end_row + 1)}


def _stall_summary(stalls: Sequence[Stall]) -> dict[str, Any]:
    worst = max(stalls, key=lambda s: s.ms)
    return {
        "worst_stall_ms": round(worst.ms, 1),
        "count": len(stalls),
        "total_ms": round(sum(s.ms for s in stalls), 1),
        "where": worst.where,
        "stack": [_frame(f) for f in worst.stack],
    }


def _frame(f: tuple[str, int, str]) -> dict[str, Any]:
    return {"filename": f[0], "line": f[1], "function": f[2]}


@dataclass
class Overlap:
    threads: int
    wall_s: float
    cpu_s: float
    available_s: float  # the calls' wall time less their wait for a CPU
    calls_wall_s: float = 0.0  # the calls' wall times added up

    @property
    def sleeping(self) -> float:
        """The share of the calls' time their threads slept though the calls had not
        returned: neither running nor waiting for a CPU. A CPU-bound call sleeps only to wait
        for the GIL; running in parallel, it never sleeps."""
        if self.calls_wall_s <= 0:
            return 0.0
        return max(self.available_s - self.cpu_s, 0.0) / self.calls_wall_s

    @property
    def cores_at_least(self) -> float:
        """The calls' CPU time over the overlap's wall time: how many cores they used at
        least. Above 1.2 the threads certainly ran Python (or GIL-free code) in parallel."""
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def cores(self) -> float:
        """How many threads ran at once, on average, while they could: the calls' CPU time
        over the time they could have run, times the number of threads. Time a thread
        waited for a CPU (Linux's schedstat: the machine's other load) is left out, so two
        threads taking turns on the GIL come out near 1 and two in parallel near 2. It
        errs high, never low: a thread waiting for the GIL also waits for a CPU each time
        it wakes to ask for it, and that time is left out too. So at most 1.2 here means
        the threads certainly took turns."""
        if self.available_s <= 0:
            return 0.0
        return self.cpu_s / self.available_s * self.threads


def overlaps(work: Iterable[Work]) -> list[Overlap]:
    """Runs of calls that overlapped in time, in two or more threads of one process."""
    by_process: dict[int, list[Work]] = {}
    for w in work:
        by_process.setdefault(w.pid, []).append(w)
    found = []
    for items in by_process.values():
        items.sort(key=lambda w: w.start)
        group: list[Work] = []
        end = 0.0
        following: list[Work | None] = [*items, None]
        for nxt in following:
            if nxt is not None and group and nxt.start < end:
                group.append(nxt)
                end = max(end, nxt.end)
                continue
            if len({g.thread for g in group}) >= 2:
                wall = end - group[0].start
                if wall >= MIN_OVERLAP_S:
                    cpu = sum(g.cpu for g in group)
                    available = sum(g.available for g in group)
                    calls_wall = sum(g.end - g.start for g in group)
                    threads = len({g.thread for g in group})
                    found.append(Overlap(threads, wall, cpu, available, calls_wall))
            if nxt is not None:
                group, end = [nxt], nxt.end
    return found


def _thread_verdict(work: Sequence[Work], busy_cores: float = BUSY_CORES) -> dict[str, Any] | None:
    """``serialised`` / ``parallel`` from the longest overlap; ``inconclusive`` when the
    machine was too busy to tell (the threads used at most 1.2 cores, but got so little CPU
    that they might have run in parallel on an idle one); None: never two at once doing CPU
    work."""
    busy = [o for o in overlaps(work) if o.cores >= busy_cores]
    if not busy:
        return None
    worst = max(busy, key=lambda o: o.wall_s)
    if worst.cores_at_least > SERIAL_MAX_CORES:
        status, cores = "parallel", worst.cores_at_least
    elif worst.sleeping < NO_GIL_SLEEP and worst.cores > PARALLEL_MIN_CORES:
        # they wanted a CPU all along and never waited for the GIL: parallel, on a
        # machine that had fewer cores free than threads
        status, cores = "parallel", worst.cores
    elif worst.cores <= SERIAL_MAX_CORES or worst.sleeping >= GIL_SLEEP:
        status, cores = "serialised", min(worst.cores, SERIAL_MAX_CORES)
    else:
        status, cores = "inconclusive", worst.cores_at_least
    return {
        "status": status,
        "threads": worst.threads,
        "cores": round(cores, 2),
        "wall_ms": round(worst.wall_s * 1000, 1),
        "calls": len(work),
        "where": next((w.test for w in work if w.test), None),
    }


def join(
    diagnostics: Sequence[Diagnostic], records: Records, roots: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The findings as JSON objects with their ``observed`` entry, and the runtime-only
    observations."""
    functions = _Functions()
    reached_firsts: dict[str, set[int]] = {}
    for rpath, rline, _ in records.reached:
        reached_firsts.setdefault(_abs(rpath), set()).add(rline)

    # each stall goes to the finding on its innermost matching frame
    stall_owner: dict[int, int] = {}
    lines_of = [_finding_lines(d) for d in diagnostics]
    for si, stall in enumerate(records.stalls):
        best: tuple[int, int] | None = None  # (depth, finding index)
        for di, d in enumerate(diagnostics):
            if d.code not in STALL_CODES:
                continue
            for depth, f in enumerate(stall.stack):
                if (_abs(f[0]), f[1]) in lines_of[di]:
                    if best is None or depth < best[0]:
                        best = (depth, di)
                    break
            else:
                if best is None and any((_abs(p), n) in lines_of[di] for p, n in stall.lines):
                    best = (len(stall.stack), di)
        if best is not None:
            stall_owner[si] = best[1]

    work_owner: dict[int, int] = {}
    for wi, w in enumerate(records.work):
        fpath, first = _abs(w.function[0]), w.function[1]
        span = functions.span_of(fpath, first)
        for di, d in enumerate(diagnostics):
            if d.code not in THREAD_CODES:
                continue
            if w.site is not None and (_abs(w.site[0]), w.site[1]) in lines_of[di]:
                work_owner[wi] = di
                break
            if span is not None and any(
                _abs(e.path) == fpath and span[0] <= e.row <= span[2] for e in d.evidence
            ):
                work_owner[wi] = di
                break

    findings = []
    for di, d in enumerate(diagnostics):
        obj = d.to_dict()
        stalls = [records.stalls[si] for si, owner in stall_owner.items() if owner == di]
        work = [records.work[wi] for wi, owner in work_owner.items() if owner == di]
        path = _abs(d.path)
        enclosing = functions.enclosing(path, d.row)
        if enclosing is None:
            reached = path in reached_firsts
        else:
            reached = enclosing[0] in reached_firsts.get(path, set())
        observed: dict[str, Any]
        if stalls:
            observed = {"status": "stalled", **_stall_summary(stalls)}
        elif work and (verdict := _thread_verdict(work)) is not None:
            if verdict["status"] == "inconclusive":
                verdict = {
                    **verdict,
                    "status": "ran",
                    "parallelism": "inconclusive: the machine was too busy to tell",
                }
            observed = verdict
        elif reached or work:
            observed = {"status": "ran"}
        elif path in records.unwatched:
            observed = {
                "status": "unknown",
                "reason": "the file ran outside the import system (a __main__ script, a test "
                "module pytest rewrites), where Python < 3.12 cannot tell what was reached",
            }
        else:
            observed = {"status": "not-reached"}
        obj["observed"] = observed
        findings.append(obj)

    runtime_only = _runtime_only(
        [s for si, s in enumerate(records.stalls) if si not in stall_owner],
        [w for wi, w in enumerate(records.work) if wi not in work_owner],
        roots,
    )
    return findings, runtime_only


def _in_roots(path: str, roots: Sequence[str]) -> bool:
    full = _abs(path)
    return any(full == _abs(r) or full.startswith(os.path.join(_abs(r), "")) for r in roots)


def _runtime_only(
    stalls: Sequence[Stall], work: Sequence[Work], roots: Sequence[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    by_line: dict[tuple[str, int, str], list[Stall]] = {}
    for s in stalls:
        if s.stack and _in_roots(s.stack[0][0], roots):
            by_line.setdefault(s.stack[0], []).append(s)
    for (path, line, function), stalled in by_line.items():
        summary = _stall_summary(stalled)
        out.append(
            {
                "filename": path,
                "line": line,
                "function": function,
                "kind": "stall",
                **summary,
            }
        )
    by_function: dict[tuple[str, int, str], list[Work]] = {}
    for w in work:
        if _in_roots(w.function[0], roots):
            by_function.setdefault(w.function, []).append(w)
    for (fpath, fline, fname), group in by_function.items():
        verdict = _thread_verdict(group, BUSY_CORES_RUNTIME_ONLY)
        if verdict is None or verdict["status"] != "serialised":
            continue
        out.append(
            {
                "filename": fpath,
                "line": fline,
                "function": fname,
                "kind": "serialised",
                "worst_stall_ms": None,
                "count": verdict["calls"],
                "threads": verdict["threads"],
                "cores": verdict["cores"],
                "wall_ms": verdict["wall_ms"],
                "where": verdict["where"],
                "stack": [_frame(group[0].site) if group[0].site else _frame(group[0].function)],
            }
        )
    out.sort(key=lambda r: (r["filename"], r["line"], r["kind"]))
    return out
