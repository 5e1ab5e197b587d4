"""From measurements to a verdict on the finding's claim.

Three claims, one per kind of finding:

- ``cpu-bound`` (GIL101, GIL206, plain ``PATH::function``): the work is CPU-bound
  and the GIL serialises it in threads. Confirmed when threads give no speed-up
  while the work keeps a core busy and processes do run in parallel.
- ``io-bound`` (GIL303): the work waits or releases the GIL, so threads do as
  well as the process pool it was given.
- ``blocks-event-loop`` (async findings): the coroutine stalls the event loop,
  and offloading it to a thread removes the stall.

Thresholds are deliberately coarse: the verdict should survive a busy laptop.
"""

from __future__ import annotations

from gil_lint.verify.report import Claim, ModeResult, Verdict

# below this a run is dominated by start-up, scheduling and timer noise
MIN_SEQUENTIAL_S = 0.050
# a round this far off the median (relative spread) makes the medians untrustworthy
MAX_SPREAD = 0.5
# "threads give no speed-up": at most this (ideal is the worker count)
THREADS_SERIAL_MAX = 1.2
# "processes give a real speed-up": at least this, and clearly more than threads
PROCESSES_PARALLEL_MIN = 1.5
PROCESSES_OVER_THREADS = 0.3
# CPU-bound: a sequential run keeps at least half a core busy
CPU_BOUND_UTILISATION = 0.5
# "near one core" in thread mode, while processes used more than ...
THREADS_ONE_CORE_MAX = 1.25
PROCESSES_MULTI_CORE_MIN = 1.5
# threads doing "as well as" processes for the io-bound claim
THREADS_AS_GOOD = 0.8
# the event loop counts as blocked from this stall on, and when offloading
# shrinks the stall at least this many times
MIN_STALL_MS = 50.0
STALL_RATIO = 3.0
# other processes using this many cores make a failed parallel run unsurprising
BUSY_CORES = 0.3


def judge_threads(
    claim: Claim, modes: dict[str, ModeResult], *, cores: int, workers: int, gil_enabled: bool
) -> Verdict:
    """Verdict for the sequential / threads / processes measurements."""
    seq, thr, proc = modes["sequential"], modes["threads"], modes["processes"]
    if cores < 2:
        return Verdict(
            "inconclusive", "only 1 CPU core available: nothing can run in parallel here"
        )
    if workers < 2:
        return Verdict(
            "inconclusive", "1 worker: nothing runs in parallel; use --workers 2 or more"
        )
    if seq.wall_s < MIN_SEQUENTIAL_S:
        return Verdict(
            "inconclusive",
            f"too short: the sequential run took {seq.wall_s * 1000:.0f} ms "
            f"(< {MIN_SEQUENTIAL_S * 1000:.0f} ms); pass a bigger --call",
        )
    noisy = [m for m in (seq, thr, proc) if m.spread > MAX_SPREAD]
    if noisy:
        m = noisy[0]
        return Verdict(
            "inconclusive",
            f"noisy: {m.name} took {min(m.rounds_wall_s):.2f}-{max(m.rounds_wall_s):.2f} s "
            "across rounds; retry on a quieter machine or with more --rounds",
        )
    assert thr.speedup is not None and proc.speedup is not None
    speeds = f"threads {thr.speedup:.2f}x, processes {proc.speedup:.2f}x on {cores} cores"
    cpu_bound = seq.utilisation >= CPU_BOUND_UTILISATION
    # CPU-bound threads that ran in parallel used more than one core: a wall-clock gain
    # without that is the sequential run slowed down by other load, not parallelism
    threads_parallel = thr.speedup > THREADS_SERIAL_MAX and (
        not cpu_bound or thr.utilisation > THREADS_ONE_CORE_MAX
    )
    processes_parallel = (
        proc.speedup >= PROCESSES_PARALLEL_MIN
        and proc.speedup >= thr.speedup + PROCESSES_OVER_THREADS
    )
    # wall-clock speed-ups can hide behind slow worker start or memory bandwidth;
    # CPU use cannot: threads stuck near one core while processes use several
    threads_on_one_core = (
        thr.utilisation <= THREADS_ONE_CORE_MAX and proc.utilisation >= PROCESSES_MULTI_CORE_MIN
    )
    if claim == "io-bound":
        if threads_parallel and thr.speedup >= THREADS_AS_GOOD * proc.speedup:
            why = "I/O-bound" if not cpu_bound else "the work releases the GIL"
            return Verdict("confirmed", f"{speeds}: {why}, threads do as well as processes")
        if cpu_bound and not threads_parallel and (processes_parallel or threads_on_one_core):
            return Verdict(
                "not_confirmed",
                f"{speeds}: CPU-bound and serialised by the GIL in threads, keep the process pool",
            )
        return Verdict("inconclusive", f"{speeds}: {_busy_hint(thr, proc)}")
    if threads_parallel:
        if not gil_enabled:
            why = "threads run in parallel on this free-threaded interpreter (GIL disabled)"
        elif not cpu_bound:
            why = (
                f"the work waits (CPU utilisation {seq.utilisation:.2f}): "
                "I/O-bound, threads are fine"
            )
        else:
            why = f"threads used {thr.utilisation:.2f} cores: the work releases the GIL"
        return Verdict("not_confirmed", f"{speeds}: {why}")
    if not cpu_bound:
        return Verdict(
            "not_confirmed",
            f"{speeds}: not CPU-bound (CPU utilisation {seq.utilisation:.2f}); "
            "something else serialises it",
        )
    if processes_parallel:
        return Verdict("confirmed", f"{speeds}: CPU-bound, serialised by the GIL")
    if threads_on_one_core:
        return Verdict(
            "confirmed",
            f"{speeds}: threads used {thr.utilisation:.2f} cores, processes "
            f"{proc.utilisation:.2f}: CPU-bound, serialised by the GIL",
        )
    return Verdict("inconclusive", f"{speeds}: {_busy_hint(thr, proc)}")


def _busy_hint(thr: ModeResult, proc: ModeResult) -> str:
    busy = max(thr.background_cores, proc.background_cores)
    hint = "neither threads nor processes ran in parallel"
    if busy >= BUSY_CORES:
        hint += f" (other processes kept {busy:.1f} cores busy)"
    return hint


def judge_event_loop(function: str, modes: dict[str, ModeResult]) -> Verdict:
    """Verdict for the inline vs offloaded event-loop measurements."""
    inline, offloaded = modes["event loop"], modes["offloaded"]
    stall = inline.worst_stall_ms or 0.0
    offloaded_stall = offloaded.worst_stall_ms or 0.0
    if inline.wall_s < MIN_SEQUENTIAL_S:
        return Verdict(
            "inconclusive",
            f"too short: the coroutine took {inline.wall_s * 1000:.0f} ms "
            f"(< {MIN_SEQUENTIAL_S * 1000:.0f} ms); pass a bigger --call",
        )
    stalls = f"worst loop stall {stall:.0f} ms, {offloaded_stall:.0f} ms when offloaded to a thread"
    if stall < MIN_STALL_MS:
        return Verdict("not_confirmed", f"{stalls}: {function} lets the event loop run")
    if stall >= STALL_RATIO * offloaded_stall:
        return Verdict("confirmed", f"{stalls}: {function} blocks the event loop")
    return Verdict(
        "inconclusive",
        f"{stalls}: the loop stalls even with the work in a thread (it holds the GIL); "
        "try a process pool",
    )
