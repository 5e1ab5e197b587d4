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

from dataclasses import dataclass

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
# a sequential run this far below one core waits, whatever other load there is: even a
# third of a core, which CPU-bound work gets at load 6 on 2 cores, is well above it
CLEARLY_WAITS_UTILISATION = 0.15


def judge_threads(
    claim: Claim, modes: dict[str, ModeResult], *, cores: int, workers: int, gil_enabled: bool
) -> Verdict:
    """Verdict for the sequential / threads / processes measurements.

    First whether the run can show anything at all, then what the measurements say
    (``Readings``), then the claim judged on those readings.
    """
    seq, thr, proc = modes["sequential"], modes["threads"], modes["processes"]
    unusable = (
        _unusable_setup(cores, workers)
        or _too_short(seq)
        or _noisy((seq, thr, proc))
        or _starved((seq, thr, proc), cores)
    )
    if unusable is not None:
        return unusable
    readings = Readings.of(seq, thr, proc, cores)
    if claim == "io-bound":
        return _judge_io_bound(readings, thr, proc)
    return _judge_cpu_bound(readings, seq, thr, proc, gil_enabled=gil_enabled)


# -- can this run show anything? ------------------------------------------------------


def _unusable_setup(cores: int, workers: int) -> Verdict | None:
    """Nothing can run in parallel with one core or one worker."""
    if cores < 2:
        return Verdict(
            "inconclusive", "only 1 CPU core available: nothing can run in parallel here"
        )
    if workers < 2:
        return Verdict(
            "inconclusive", "1 worker: nothing runs in parallel; use --workers 2 or more"
        )
    return None


def _too_short(seq: ModeResult) -> Verdict | None:
    if seq.wall_s >= MIN_SEQUENTIAL_S:
        return None
    return Verdict(
        "inconclusive",
        f"too short: the sequential run took {seq.wall_s * 1000:.0f} ms "
        f"(< {MIN_SEQUENTIAL_S * 1000:.0f} ms); pass a bigger --call",
    )


def _noisy(modes: tuple[ModeResult, ...]) -> Verdict | None:
    """A mode whose rounds disagree too much to trust its median."""
    m = next((m for m in modes if m.spread > MAX_SPREAD), None)
    if m is None:
        return None
    return Verdict(
        "inconclusive",
        f"noisy: {m.name} took {min(m.rounds_wall_s):.2f}-{max(m.rounds_wall_s):.2f} s "
        "across rounds; retry on a quieter machine or with more --rounds",
    )


def _starved(modes: tuple[ModeResult, ...], cores: int) -> Verdict | None:
    """Other processes kept all cores but one busy during a mode, and the work may be
    CPU-bound.

    Then nothing CPU-bound of ours could run in parallel, and even one thread got only
    a share of a core: CPU-bound work reads as waiting (utilisation 0.33 on 2 cores at
    load 6) and any speed-up is the other load coming and going. The share cannot be
    computed from the other processes' CPU use: on a saturated machine that use is
    capped by the cores left over (1.7 of 2 cores measured at load 6, where the loop
    got a third of a core), so only work that clearly waits — a small fraction of a
    core, whatever the load — is judged as usual: its threads need no free core.
    """
    m = max(modes, key=lambda m: m.background_cores)
    if m.background_cores < cores - 1:
        return None
    if modes[0].utilisation < CLEARLY_WAITS_UTILISATION:
        return None
    return Verdict(
        "inconclusive",
        f"too busy: other processes kept {m.background_cores:.1f} of {cores} cores busy "
        f"during the {m.name} run, leaving no core for a second worker; "
        "retry on a quieter machine",
    )


# -- what the measurements say ----------------------------------------------------------


@dataclass(frozen=True)
class Readings:
    """The four questions every thread verdict is built from."""

    speeds: str  # "threads 0.98x, processes 1.94x on 2 cores", quoted in every verdict
    cpu_bound: bool
    threads_parallel: bool
    processes_parallel: bool
    threads_on_one_core: bool

    @classmethod
    def of(cls, seq: ModeResult, thr: ModeResult, proc: ModeResult, cores: int) -> Readings:
        assert thr.speedup is not None and proc.speedup is not None
        cpu_bound = is_cpu_bound(seq)
        return cls(
            speeds=f"threads {thr.speedup:.2f}x, processes {proc.speedup:.2f}x on {cores} cores",
            cpu_bound=cpu_bound,
            threads_parallel=threads_ran_in_parallel(thr, cpu_bound=cpu_bound),
            processes_parallel=processes_ran_in_parallel(thr, proc),
            threads_on_one_core=threads_held_to_one_core(thr, proc),
        )


def is_cpu_bound(seq: ModeResult) -> bool:
    """The sequential run kept at least half a core busy."""
    return seq.utilisation >= CPU_BOUND_UTILISATION


def threads_ran_in_parallel(thr: ModeResult, *, cpu_bound: bool) -> bool:
    """Threads gave a speed-up; CPU-bound threads also used more than one core to get it.

    A wall-clock gain without the cores is the sequential run slowed down by other
    load, not parallelism.
    """
    assert thr.speedup is not None
    return thr.speedup > THREADS_SERIAL_MAX and (
        not cpu_bound or thr.utilisation > THREADS_ONE_CORE_MAX
    )


def processes_ran_in_parallel(thr: ModeResult, proc: ModeResult) -> bool:
    """Processes gave a real speed-up, clearly more than threads did."""
    assert thr.speedup is not None and proc.speedup is not None
    return (
        proc.speedup >= PROCESSES_PARALLEL_MIN
        and proc.speedup >= thr.speedup + PROCESSES_OVER_THREADS
    )


def threads_held_to_one_core(thr: ModeResult, proc: ModeResult) -> bool:
    """Threads stayed near one core while processes used several.

    Wall-clock speed-ups can hide behind slow worker start or memory bandwidth; CPU
    use cannot.
    """
    return thr.utilisation <= THREADS_ONE_CORE_MAX and proc.utilisation >= PROCESSES_MULTI_CORE_MIN


# -- the claims -------------------------------------------------------------------------


def _judge_io_bound(r: Readings, thr: ModeResult, proc: ModeResult) -> Verdict:
    """GIL303's claim: threads would do as well as the process pool."""
    assert thr.speedup is not None and proc.speedup is not None
    if r.threads_parallel and thr.speedup >= THREADS_AS_GOOD * proc.speedup:
        why = "I/O-bound" if not r.cpu_bound else "the work releases the GIL"
        return Verdict("confirmed", f"{r.speeds}: {why}, threads do as well as processes")
    if r.cpu_bound and not r.threads_parallel and (r.processes_parallel or r.threads_on_one_core):
        return Verdict(
            "not_confirmed",
            f"{r.speeds}: CPU-bound and serialised by the GIL in threads, keep the process pool",
        )
    return Verdict("inconclusive", f"{r.speeds}: {_busy_hint(thr, proc)}")


def _judge_cpu_bound(
    r: Readings, seq: ModeResult, thr: ModeResult, proc: ModeResult, *, gil_enabled: bool
) -> Verdict:
    """The thread findings' claim: CPU-bound work the GIL serialises."""
    if r.threads_parallel:
        if not gil_enabled:
            why = "threads run in parallel on this free-threaded interpreter (GIL disabled)"
        elif not r.cpu_bound:
            why = (
                f"the work waits (CPU utilisation {seq.utilisation:.2f}): "
                "I/O-bound, threads are fine"
            )
        else:
            why = f"threads used {thr.utilisation:.2f} cores: the work releases the GIL"
        return Verdict("not_confirmed", f"{r.speeds}: {why}")
    if not r.cpu_bound:
        return Verdict(
            "not_confirmed",
            f"{r.speeds}: not CPU-bound (CPU utilisation {seq.utilisation:.2f}); "
            "something else serialises it",
        )
    if r.processes_parallel:
        return Verdict("confirmed", f"{r.speeds}: CPU-bound, serialised by the GIL")
    if r.threads_on_one_core:
        return Verdict(
            "confirmed",
            f"{r.speeds}: threads used {thr.utilisation:.2f} cores, processes "
            f"{proc.utilisation:.2f}: CPU-bound, serialised by the GIL",
        )
    return Verdict("inconclusive", f"{r.speeds}: {_busy_hint(thr, proc)}")


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
