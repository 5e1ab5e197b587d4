"""The runtime verifier on real workloads: verdicts, failures, cleanup, CLI.

Every run here really executes user code in the sandbox (workers=2, small
calls), so assertions are on verdicts, structure and exit codes, never on
absolute times.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

import gil_lint.verify as verify
from gil_lint.config import Settings
from gil_lint.engine.lint import read_and_lint
from gil_lint.verify import VerifyError, VerifyReport, verify_callable
from gil_lint.verify.render import render_text
from gil_lint.verify.report import ModeResult
from gil_lint.verify.target import resolve_target
from gil_lint.verify.verdict import judge_event_loop, judge_threads

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "verify"
CPU = str(FIXTURES / "cpu.py")
GIL_RELEASE = str(FIXTURES / "gil_release.py")
SLEEPY = str(FIXTURES / "sleepy.py")
ASYNC = str(FIXTURES / "async_work.py")
BAD = str(FIXTURES / "misbehaving.py")
POOLS = str(FIXTURES / "pool_usage.py")
FAST = {"workers": 2, "rounds": 1}

needs_two_cores = pytest.mark.skipif(
    len(psutil.Process().cpu_affinity() or []) < 2, reason="needs 2 cores to see parallelism"
)


def measure_parallelism(run: Callable[[], VerifyReport]) -> VerifyReport:
    """``run()``, retried while other processes hog the cores (this machine is shared).

    Only a verdict the verifier itself calls inconclusive is retried: it measured
    background load, or timings that other load can explain (threads faster on one
    core); a wrong verdict still fails the test.
    """
    for attempt in range(6):
        if attempt:
            time.sleep(3)  # let the other load pass before measuring again
        report = run()
        if report.verdict.status != "inconclusive":
            return report
    pytest.fail(f"machine too busy to measure parallelism: {report.verdict.detail}")


def finding_line(path: str, marker: str) -> int:
    """The line of the fixture carrying ``# finding: marker`` (no hard-coded numbers)."""
    for number, text in enumerate(Path(path).read_text().splitlines(), start=1):
        if f"# finding: {marker}" in text:
            return number
    raise AssertionError(f"no finding marker {marker!r} in {path}")


@pytest.fixture
def run_tag(monkeypatch: pytest.MonkeyPatch) -> str:
    """An environment variable every process of this test's runs inherits.

    Tells our leftovers (sandbox, workers, forked or spawned grandchildren) from
    processes other people run on this machine, whatever their command lines.
    """
    tag = f"gil-lint-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("GIL_LINT_TEST_RUN", tag)
    return tag


def leftover_processes(tag: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter():
        try:
            ours = p.environ().get("GIL_LINT_TEST_RUN") == tag and p.pid != os.getpid()
            if ours and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:  # gone, or not ours to read
            continue
    return found


def assert_nothing_survives(tag: str) -> None:
    deadline = time.monotonic() + 3
    while leftover_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftover_processes(tag) == []


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gil_lint.verify", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


# -- verdicts on real workloads ----------------------------------------------------


@needs_two_cores
def test_pure_python_loop_is_confirmed(run_tag: str) -> None:
    report = measure_parallelism(lambda: verify_callable(CPU, "count_squares", **FAST))
    assert [m.name for m in report.modes] == ["sequential", "threads", "processes"]
    assert report.verdict.status == "confirmed", report.verdict.detail
    threads, processes = report.mode("threads"), report.mode("processes")
    assert processes.speedup > threads.speedup  # type: ignore[operator]
    assert report.kind == "thread" and report.claim == "cpu-bound"
    assert report.gil_enabled is getattr(sys, "_is_gil_enabled", lambda: True)()
    assert_nothing_survives(run_tag)


@needs_two_cores
def test_hashlib_releases_the_gil_so_not_confirmed() -> None:
    report = measure_parallelism(lambda: verify_callable(GIL_RELEASE, "digest", **FAST))
    assert report.verdict.status == "not_confirmed", report.verdict.detail
    assert report.mode("threads").speedup > 1.2  # type: ignore[operator]


@needs_two_cores
def test_sleeping_function_is_not_confirmed_as_io_bound() -> None:
    report = verify_callable(SLEEPY, "wait", **FAST)
    assert report.verdict.status == "not_confirmed"
    assert "I/O-bound" in report.verdict.detail
    assert report.mode("sequential").utilisation < 0.5


def test_time_sleep_in_async_def_stalls_the_loop() -> None:
    report = verify_callable(ASYNC, "blocking_handler", rounds=1)
    assert report.kind == "async" and report.claim == "blocks-event-loop"
    assert [m.name for m in report.modes] == ["event loop", "offloaded"]
    assert report.verdict.status == "confirmed", report.verdict.detail
    inline, offloaded = report.mode("event loop"), report.mode("offloaded")
    assert inline.worst_stall_ms >= 50 > offloaded.worst_stall_ms  # type: ignore[operator]


def test_await_asyncio_sleep_does_not_stall_the_loop() -> None:
    report = verify_callable(ASYNC, "polite_handler", rounds=1)
    assert report.verdict.status == "not_confirmed", report.verdict.detail
    assert report.mode("event loop").worst_stall_ms < 50  # type: ignore[operator]


def test_too_short_a_call_is_inconclusive() -> None:
    report = verify_callable(CPU, "count_squares", "count_squares(10)", **FAST)
    assert report.verdict.status == "inconclusive"
    assert "too short" in report.verdict.detail


# -- findings: deriving the callable from the code ------------------------------------


@needs_two_cores
def test_finding_on_submit_line_derives_callable_and_call() -> None:
    line = finding_line(POOLS, "submit-literal")
    report = measure_parallelism(
        lambda: verify_callable(POOLS, finding="GIL101", line=line, **FAST)
    )
    assert (report.function, report.call) == ("count_primes", "count_primes(60_000)")
    assert (report.finding, report.line) == ("GIL101", line)
    assert report.verdict.status == "confirmed", report.verdict.detail


@pytest.mark.parametrize(
    ("marker", "call"),
    [
        ("map-global", "count_primes(LIMIT)"),
        ("thread-target", "count_primes(LIMIT)"),
    ],
)
def test_derivation_of_map_and_thread_target(marker: str, call: str) -> None:
    target = resolve_target(POOLS, finding="GIL101", line=finding_line(POOLS, marker))
    assert (target.function, target.call, target.kind) == ("count_primes", call, "thread")


def test_derivation_of_async_finding_is_the_enclosing_coroutine() -> None:
    target = resolve_target(POOLS, finding="GIL201", line=finding_line(POOLS, "async-sleep"))
    assert (target.function, target.call, target.kind) == ("handler", None, "async")


def test_lines_the_linter_reports_are_the_lines_verify_derives_from() -> None:
    # the fixture lives under tests/ but stands for application code
    settings = Settings(test_code_ignore=())
    reported = {(d.code, d.row) for d in read_and_lint(POOLS, settings)}
    assert ("GIL201", finding_line(POOLS, "async-sleep")) in reported
    underivable = finding_line(POOLS, "submit-local")
    for code, row in reported - {("GIL101", underivable)}:
        target = resolve_target(POOLS, finding=code, line=row)
        assert target.function in {"count_primes", "handler"}, (code, row)


def test_underivable_call_asks_for_call(capsys: pytest.CaptureFixture[str]) -> None:
    line = finding_line(POOLS, "submit-local")
    code = verify.main([POOLS, "--finding", "GIL101", "--line", str(line)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--call" in err and "`n`" in err


def test_unsupported_finding_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify.main([POOLS, "--finding", "GIL102", "--line", "3"]) == 2
    assert "GIL102" in capsys.readouterr().err


# -- user code that misbehaves ---------------------------------------------------------


def test_user_exception_is_one_clean_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify.main([f"{BAD}::boom", "--workers", "2", "--rounds", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "gil-lint verify: error: user code raised ValueError: boom (in boom)\n"
    assert captured.out == ""


def test_hang_past_timeout_is_reported_and_killed(run_tag: str) -> None:
    with pytest.raises(VerifyError) as info:
        verify_callable(BAD, "hang", timeout=2, **FAST)
    assert info.value.kind == "timeout"
    assert "timed out after 2 s (in sequential mode)" in info.value.message
    assert_nothing_survives(run_tag)


def test_allocation_past_memory_limit_is_reported() -> None:
    with pytest.raises(VerifyError) as info:
        verify_callable(BAD, "hog", memory_limit_mb=300, **FAST)
    assert info.value.kind == "memory"
    assert "MemoryError" in info.value.message and "300 MB" in info.value.message


def test_os_exit_is_reported_with_its_status() -> None:
    with pytest.raises(VerifyError) as info:
        verify_callable(BAD, "bail", **FAST)
    assert info.value.kind == "crash"
    assert "exited with status 3" in info.value.message


@pytest.mark.parametrize("function", ["spawn_spinner", "fork_spinner"])
def test_processes_left_spinning_by_user_code_are_killed(function: str, run_tag: str) -> None:
    report = verify_callable(BAD, function, **FAST)
    assert report.verdict.status == "inconclusive"  # the call itself returns at once
    assert_nothing_survives(run_tag)


def test_ctrl_c_kills_the_sandbox_and_exits_130(run_tag: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gil_lint.verify", f"{BAD}::hang", "--timeout", "30"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 10
    while not parent.children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert parent.children(), "the sandbox child never started"
    time.sleep(0.3)  # let it reach user code
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert err == "gil-lint verify: interrupted\n"
    assert_nothing_survives(run_tag)


POOL_ON_IMPORT = """\
from multiprocessing import Pool

pool = Pool(2){noqa}


def count(n=200_000):
    return sum(i * i for i in range(n))


async def handler():
    return count()
"""


def test_module_starting_a_pool_on_import_is_refused_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_tag: str
) -> None:
    module = tmp_path / "pool_on_import.py"
    module.write_text(POOL_ON_IMPORT.format(noqa=""))
    started = time.monotonic()
    assert verify.main([f"{module}::count", "--workers", "2", "--rounds", "1"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"gil-lint verify: error: {module}:3: the module starts a process pool on import "
        "(GIL301), so each processes-mode worker would start one too; put `pool = Pool(2)` "
        'under `if __name__ == "__main__":`\n'
    )
    assert time.monotonic() - started < 5  # GIL301 found it: nothing was run
    assert_nothing_survives(run_tag)


def test_pool_on_import_hidden_from_gil301_is_named_when_workers_fail(
    tmp_path: Path, run_tag: str
) -> None:
    module = tmp_path / "pool_on_import.py"
    module.write_text(POOL_ON_IMPORT.format(noqa="  # noqa: GIL301"))
    with pytest.raises(VerifyError) as info:
        verify_callable(str(module), "count", **FAST)
    assert info.value.kind == "bad-input"
    assert info.value.message.startswith(f"{module}:3: the module starts a process pool on import")
    assert "`pool = Pool(2)  # noqa: GIL301` under `if __name__" in info.value.message
    assert "daemonic" not in info.value.message
    assert_nothing_survives(run_tag)


def test_pool_on_import_does_not_stop_a_coroutine_run(tmp_path: Path) -> None:
    # the event-loop modes start no worker processes: nothing to refuse
    module = tmp_path / "pool_on_import.py"
    module.write_text(POOL_ON_IMPORT.format(noqa=""))
    report = verify_callable(str(module), "handler", rounds=1)
    assert report.kind == "async"


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([f"{CPU}::no_such_function"], "has no module-level function 'no_such_function'"),
        ([str(FIXTURES / "missing.py") + "::f"], "no such file"),
        ([f"{CPU}::count_squares", "--call", "count_squares("], "not a Python expression"),
        ([f"{ASYNC}::handler_with_args"], "needs arguments"),
        ([CPU], "what should run?"),
        ([f"{CPU}::count_squares", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("gil-lint verify: error: ") and err.count("\n") == 1
    assert needle in err


def test_usage_error_from_argparse_returns_2() -> None:
    assert verify.main(["--workers"]) == 2


# -- output ----------------------------------------------------------------------------


@needs_two_cores
def test_cli_subprocess_json_shape() -> None:
    result = run_cli(f"{SLEEPY}::wait", "--workers", "2", "--rounds", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == 1
    assert data["target"]["function"] == "wait" and data["target"]["kind"] == "thread"
    assert data["environment"]["workers"] == 2 and data["environment"]["rounds"] == 2
    assert [m["name"] for m in data["modes"]] == ["sequential", "threads", "processes"]
    assert all(len(m["rounds_wall_s"]) == 2 for m in data["modes"])
    assert data["verdict"]["status"] == "not_confirmed"
    assert result.stderr == ""  # progress only on a terminal


def test_cli_subprocess_error_is_json_and_one_line() -> None:
    result = run_cli(f"{BAD}::boom", "--workers", "2", "--rounds", "1", "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout) == {
        "error": {
            "kind": "user-exception",
            "message": "user code raised ValueError: boom (in boom)",
        }
    }
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_plot_without_matplotlib_exits_2() -> None:
    script = (
        "import sys; sys.modules['matplotlib'] = None\n"  # as if it were not installed
        "from gil_lint.verify import main\n"
        f"sys.exit(main([{CPU!r} + '::count_squares', '--plot', 'out.png']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=30
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == "gil-lint verify: error: --plot needs matplotlib: pip install 'gil-lint[plot]'\n"
    )


def test_plot_is_written_when_matplotlib_is_installed(tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (in the test extra: this test must run, not skip)

    out = tmp_path / "verify.png"
    assert (
        verify.main([f"{SLEEPY}::wait", "--workers", "2", "--rounds", "1", "--plot", str(out)]) == 0
    )
    assert out.read_bytes().startswith(b"\x89PNG")


def thread_modes(**walls_and_cpus: tuple[float, float]) -> dict[str, ModeResult]:
    """ModeResults from given (wall, cpu) per mode; speed-ups against ``sequential``."""
    baseline = walls_and_cpus["sequential"][0]
    return {
        name: ModeResult(name, wall, cpu, cpu / wall, baseline / wall, (wall,), 0.0)
        for name, (wall, cpu) in walls_and_cpus.items()
    }


SERIALISED = thread_modes(sequential=(1.92, 1.91), threads=(1.95, 1.96), processes=(0.99, 1.95))


def test_terminal_table_plain_and_coloured() -> None:
    report = VerifyReport(
        path="examples/verify/cpu.py",
        function="cpu_intensive_task",
        call="cpu_intensive_task()",
        kind="thread",
        claim="cpu-bound",
        finding=None,
        line=None,
        python="CPython 3.11.7",
        gil_enabled=True,
        cores=2,
        workers=2,
        rounds=3,
        modes=tuple(SERIALISED.values()),
        verdict=judge_threads("cpu-bound", SERIALISED, cores=2, workers=2, gil_enabled=True),
    )
    plain = render_text(report, colour=False)
    assert "\033[" not in plain
    lines = plain.splitlines()
    assert lines[0] == (
        "gil-lint verify examples/verify/cpu.py::cpu_intensive_task  "
        "(2 workers, 3 rounds, CPython 3.11.7, GIL enabled)"
    )
    assert lines[1].split() == ["mode", "wall", "cpu", "util", "speed-up"]
    assert lines[2].split()[:7] == ["sequential", "1.92", "s", "1.91", "s", "0.99", "1.00x"]
    assert lines[-1] == (
        "verdict: confirmed — threads 0.98x, processes 1.94x on 2 cores: "
        "CPU-bound, serialised by the GIL"
    )
    # bars scale with wall time: the slowest mode gets the full bar, processes half
    assert lines[3].endswith(" " + "█" * 20)
    assert lines[4].count("█") == 10
    coloured = render_text(report, colour=True)
    # the linter's colour helper: same escapes as the linter's own output
    assert coloured.splitlines()[-1].startswith("verdict: \033[1;31mconfirmed\033[0m — ")
    assert coloured.startswith("\033[1mgil-lint verify examples/verify/cpu.py::cpu_intensive_task")
    assert "\033[32m" + "█" * 10 in coloured  # processes' bar in green


# -- verdict rules on given measurements -------------------------------------------------


def test_one_core_is_inconclusive() -> None:
    verdict = judge_threads("cpu-bound", SERIALISED, cores=1, workers=2, gil_enabled=True)
    assert verdict.status == "inconclusive" and "1 CPU core" in verdict.detail


def test_free_threaded_interpreter_is_named() -> None:
    parallel = thread_modes(sequential=(1.92, 1.91), threads=(0.99, 1.95), processes=(0.99, 1.95))
    verdict = judge_threads("cpu-bound", parallel, cores=2, workers=2, gil_enabled=False)
    assert verdict.status == "not_confirmed" and "free-threaded" in verdict.detail


def test_wall_clock_gain_of_threads_on_one_core_is_not_parallelism() -> None:
    # seen on a loaded machine: the sequential run was slowed by other load, so threads
    # looked 1.26x faster while using one core; that is no proof the work releases the GIL
    slowed = thread_modes(sequential=(1.2, 1.2), threads=(0.95, 0.97), processes=(0.95, 1.0))
    verdict = judge_threads("cpu-bound", slowed, cores=2, workers=2, gil_enabled=True)
    assert verdict.status == "inconclusive", verdict.detail
    # threads that really use both cores (the work releases the GIL) still say so
    hashing = thread_modes(sequential=(1.9, 1.9), threads=(1.0, 1.9), processes=(1.0, 1.9))
    verdict = judge_threads("cpu-bound", hashing, cores=2, workers=2, gil_enabled=True)
    assert verdict.status == "not_confirmed" and "releases the GIL" in verdict.detail


@pytest.mark.parametrize(
    ("modes", "load"),
    [
        # seen on this shared 2-core machine at load 6: the CPU-bound loop got a third of
        # a core and read as "not CPU-bound" (not_confirmed)
        (thread_modes(sequential=(1.9, 0.63), threads=(2.0, 0.66), processes=(2.07, 0.7)), 5.0),
        # and hashlib, one core taken while threads ran, read as serialised (confirmed)
        (thread_modes(sequential=(0.46, 0.46), threads=(0.38, 0.46), processes=(0.23, 0.46)), 1.0),
        # the same loop at load 6, where the others' measured use is capped by the cores
        # left over: 1.7 of 2 cores, and the loop got 0.33 of a core (read as waiting)
        (thread_modes(sequential=(1.9, 0.63), threads=(2.0, 0.66), processes=(2.07, 0.7)), 1.7),
        # hashlib at load 6: 0.28 of a core, threads 1.04x
        (thread_modes(sequential=(0.82, 0.23), threads=(0.79, 0.22), processes=(0.72, 0.3)), 1.7),
    ],
)
def test_no_verdict_when_other_load_leaves_no_free_core(
    modes: dict[str, ModeResult], load: float
) -> None:
    verdict = judge_threads("cpu-bound", busy(modes, load), **ON_TWO_CORES)
    assert verdict.status == "inconclusive", verdict.detail
    assert f"other processes kept {load:.1f} of 2 cores busy" in verdict.detail
    # work that waits needs no free core to run in parallel: judged as usual
    waits = busy(WAITS, 5.0)
    assert judge_threads("cpu-bound", waits, **ON_TWO_CORES).status == "not_confirmed"
    # one core free of other load: judged as usual
    assert judge_threads("cpu-bound", busy(SERIALISED, 0.9), **ON_TWO_CORES).status == "confirmed"
    assert judge_threads("cpu-bound", busy(SERIALISED, 6.9), **ON_EIGHT).status == "confirmed"


ON_TWO_CORES = {"cores": 2, "workers": 2, "gil_enabled": True}
ON_EIGHT = {"cores": 8, "workers": 2, "gil_enabled": True}


def test_io_bound_claim_of_gil303_is_judged_the_other_way() -> None:
    verdict = judge_threads("io-bound", SERIALISED, cores=2, workers=2, gil_enabled=True)
    assert verdict.status == "not_confirmed" and "keep the process pool" in verdict.detail


def noisy_modes() -> dict[str, ModeResult]:
    modes = dict(SERIALISED)
    thr = modes["threads"]
    modes["threads"] = ModeResult("threads", 1.95, 1.96, 1.0, 0.98, (1.0, 1.95, 3.2), 0.0)
    assert modes["threads"].spread > 0.5 and thr.spread == 0
    return modes


def busy(modes: dict[str, ModeResult], cores: float) -> dict[str, ModeResult]:
    return {k: replace(m, background_cores=cores) for k, m in modes.items()}


# (sequential, threads, processes) as (wall, cpu): one row per way judge_threads can answer
WAITS = thread_modes(sequential=(1.0, 0.05), threads=(0.5, 0.05), processes=(0.55, 0.1))
WAITS_SERIALLY = thread_modes(sequential=(1.0, 0.1), threads=(1.0, 0.1), processes=(1.0, 0.2))
ONE_CORE_SLOW_START = thread_modes(sequential=(1.9, 1.9), threads=(1.9, 1.9), processes=(1.5, 3.4))
NOTHING_PARALLEL = thread_modes(sequential=(1.9, 1.9), threads=(1.9, 1.9), processes=(1.6, 2.0))
RELEASES = thread_modes(sequential=(1.9, 1.9), threads=(1.0, 1.9), processes=(1.0, 1.9))


@pytest.mark.parametrize(
    ("claim", "modes", "settings", "status", "needle"),
    [
        ("cpu-bound", SERIALISED, {"workers": 1}, "inconclusive", "use --workers 2"),
        (
            "cpu-bound",
            thread_modes(sequential=(0.02, 0.02), threads=(0.02, 0.02), processes=(0.01, 0.02)),
            {},
            "inconclusive",
            "too short: the sequential run took 20 ms (< 50 ms)",
        ),
        ("cpu-bound", noisy_modes(), {}, "inconclusive", "noisy: threads took 1.00-3.20 s"),
        ("cpu-bound", WAITS, {}, "not_confirmed", "the work waits (CPU utilisation 0.05)"),
        ("cpu-bound", RELEASES, {}, "not_confirmed", "threads used 1.90 cores: the work releases"),
        ("cpu-bound", WAITS_SERIALLY, {}, "not_confirmed", "not CPU-bound (CPU utilisation 0.10)"),
        ("cpu-bound", SERIALISED, {}, "confirmed", "processes 1.94x on 2 cores: CPU-bound"),
        ("cpu-bound", ONE_CORE_SLOW_START, {}, "confirmed", "threads used 1.00 cores, processes"),
        ("cpu-bound", NOTHING_PARALLEL, {}, "inconclusive", "neither threads nor processes"),
        ("cpu-bound", busy(NOTHING_PARALLEL, 0.5), {}, "inconclusive", "kept 0.5 cores busy"),
        ("io-bound", WAITS, {}, "confirmed", "I/O-bound, threads do as well as processes"),
        ("io-bound", RELEASES, {}, "confirmed", "the work releases the GIL, threads do as well"),
        ("io-bound", ONE_CORE_SLOW_START, {}, "not_confirmed", "keep the process pool"),
        ("io-bound", NOTHING_PARALLEL, {}, "inconclusive", "neither threads nor processes"),
    ],
)
def test_each_thread_verdict(
    claim: str, modes: dict[str, ModeResult], settings: dict, status: str, needle: str
) -> None:
    kwargs = {"cores": 2, "workers": 2, "gil_enabled": True, **settings}
    verdict = judge_threads(claim, modes, **kwargs)  # type: ignore[arg-type]
    assert verdict.status == status and needle in verdict.detail, verdict


def test_loop_stall_that_offloading_does_not_cure_is_inconclusive() -> None:
    def mode(name: str, stall: float) -> ModeResult:
        return ModeResult(name, 0.2, 0.2, 1.0, None, (0.2,), 0.0, stall)

    verdict = judge_event_loop(
        "f", {"event loop": mode("event loop", 200), "offloaded": mode("offloaded", 190)}
    )
    assert verdict.status == "inconclusive" and "process pool" in verdict.detail
