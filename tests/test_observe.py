"""``gil-lint observe``: real commands (the example project's pytest suite, a script that
starts child processes) run with the observer, and the report joined to the findings."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from gil_lint.diagnostics import Diagnostic
from gil_lint.observe import _write, describe
from gil_lint.observe.join import Records, Stall, Work, _thread_verdict, join, overlaps

FIXTURE = Path(__file__).parent / "fixtures" / "observe_project"


def observe(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gil_lint", "observe", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("observe") / "project"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another copy, for the other commands: `project` keeps the suite's observation."""
    root = tmp_path_factory.mktemp("observe") / "scratch"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def suite_run(project: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = observe(project, "--json", "--", sys.executable, "-m", "pytest", "-q")
    return proc, json.loads(proc.stdout)


def finding(report: dict[str, Any], code: str, line: int) -> dict[str, Any]:
    return next(
        f
        for f in report["findings"]
        if f["code"] == code
        and f["location"]["row"] == line
        and f["filename"].endswith("handlers.py")
    )


def test_a_blocking_call_the_tests_make_is_stalled(suite_run, project: Path) -> None:
    proc, report = suite_run
    handlers = project / "app" / "handlers.py"
    observed = finding(report, "GIL201", line_of(handlers, "time.sleep(0.3)  # blocks"))["observed"]
    assert observed["status"] == "stalled", observed
    assert observed["worst_stall_ms"] >= 250 and observed["count"] == 1
    assert observed["where"] == "tests/test_handlers.py::test_fetch_slow"
    assert observed["stack"][0]["function"] == "fetch_slow"
    # the command's results are its own: every test passed, and its output was passed on
    # (to stderr, since stdout carries the JSON)
    assert report["command"]["exit_code"] == 0 and "6 passed" in proc.stderr
    assert report["command"]["argv"][-3:] == ["-m", "pytest", "-q"]
    assert proc.returncode == 1  # something stalled


def test_a_coroutine_never_called_is_not_reached(suite_run, project: Path) -> None:
    _, report = suite_run
    handlers = project / "app" / "handlers.py"
    line = line_of(handlers, "# GIL201 too, but no test calls it")
    assert finding(report, "GIL201", line)["observed"] == {"status": "not-reached"}


def test_a_short_blocking_call_ran_without_stalling(suite_run, project: Path) -> None:
    _, report = suite_run
    line = line_of(project / "app" / "handlers.py", "time.sleep(0.001)")
    assert finding(report, "GIL201", line)["observed"] == {"status": "ran"}


def test_a_stall_no_finding_explains_is_runtime_only(suite_run, project: Path) -> None:
    _, report = suite_run
    handlers = project / "app" / "handlers.py"
    stalls = [r for r in report["runtime_only"] if r["kind"] == "stall"]
    assert len(stalls) == 1, report["runtime_only"]
    (entry,) = stalls
    assert Path(entry["filename"]) == handlers.resolve()
    assert entry["line"] == line_of(handlers, "blocking(0.3)")
    assert entry["function"] == "fetch_dynamic"
    assert entry["worst_stall_ms"] >= 250 and entry["count"] == 1
    assert entry["where"] == "tests/test_handlers.py::test_fetch_dynamic"
    # `await asyncio.sleep(0.3)` yields to the loop: no stall anywhere near it
    polite = line_of(handlers, "await asyncio.sleep(0.3)")
    assert all(abs(r["line"] - polite) > 1 for r in report["runtime_only"])


def test_cpu_work_mapped_over_two_threads_is_serialised(suite_run, project: Path) -> None:
    _, report = suite_run
    line = line_of(project / "app" / "handlers.py", "pool.map(count")
    observed = finding(report, "GIL101", line)["observed"]
    assert observed["status"] == "serialised", observed
    assert observed["threads"] == 2 and observed["cores"] <= 1.2
    assert observed["where"] == "tests/test_handlers.py::test_crunch_in_threads"


def test_the_report_is_saved_and_rendered_for_people(suite_run, project: Path) -> None:
    _, report = suite_run
    saved = json.loads((project / ".gil_lint_cache" / "observe.json").read_text())
    assert saved["findings"] == report["findings"] and saved["version"] == 1
    out = io.StringIO()
    _write(report, out, as_json=False)
    text = out.getvalue()
    assert (
        "observed: stalled the loop" in text
        and "in tests/test_handlers.py::test_fetch_slow" in text
    )
    assert "observed: not reached by the command" in text
    assert "Runtime only (no finding explains these):" in text
    assert "in fetch_dynamic(): stalled the loop" in text


def test_child_processes_are_observed(scratch: Path) -> None:
    """A subprocess (a new interpreter) and a forked multiprocessing worker that leaves
    through os._exit both stall the loop; both stalls are counted."""
    proc = observe(scratch, "jobs", "--json", "--", sys.executable, "jobs/spawn.py")
    report = json.loads(proc.stdout)
    assert report["processes"] == 3, proc.stderr
    (f,) = report["findings"]
    assert f["observed"]["status"] == "stalled" and f["observed"]["count"] == 2, f
    assert f["observed"]["worst_stall_ms"] >= 150


def test_pytest_xdist_workers_are_observed(scratch: Path) -> None:
    args = ("app", "--json", "--", sys.executable, "-m", "pytest", "-q", "-n", "2")
    report = json.loads(observe(scratch, *args).stdout)
    assert report["processes"] >= 3  # the controller and its two workers
    statuses = {f["location"]["row"]: f["observed"]["status"] for f in report["findings"]}
    handlers = scratch / "app" / "handlers.py"
    assert statuses[line_of(handlers, "time.sleep(0.3)  # blocks")] == "stalled"
    assert statuses[line_of(handlers, "no test calls it")] == "not-reached"
    assert [r["function"] for r in report["runtime_only"]] == ["fetch_dynamic"]


def test_a_main_script_is_unwatched_before_3_12(tmp_path: Path) -> None:
    """Before 3.12 only imported modules are watched: a finding in the `__main__` script
    that ran without stalling is `unknown`, never a false `not-reached`."""
    script = tmp_path / "main.py"
    script.write_text(
        "import asyncio\nimport time\n\n\nasync def quick():\n    time.sleep(0.001)\n\n\n"
        "asyncio.run(quick())\n"
    )
    report = json.loads(observe(tmp_path, "--json", "--", sys.executable, "main.py").stdout)
    (f,) = report["findings"]
    expected = "ran" if sys.version_info >= (3, 12) else "unknown"
    assert f["observed"]["status"] == expected, f


def test_a_failing_command_passes_its_output_and_exit_code(scratch: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code = "import sys; print('from the command'); sys.exit(3)"
    proc = observe(scratch, "--json", "--output", str(out), "--", sys.executable, "-c", code)
    assert proc.returncode == 3
    assert "from the command" in proc.stdout
    report = json.loads(out.read_text())
    assert report["command"]["exit_code"] == 3 and report["findings"]


def test_a_command_that_cannot_start_is_one_line_and_exit_2(scratch: Path) -> None:
    proc = observe(scratch, "--", "no-such-program-gil-lint")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "cannot run 'no-such-program-gil-lint'" in proc.stderr
    missing = observe(scratch)
    assert missing.returncode == 2 and "no command to run" in missing.stderr


def test_an_existing_sitecustomize_still_runs(scratch: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import os\nos.environ['THEIRS'] = 'ran'\n")
    env = dict(os.environ, PYTHONPATH=str(site))
    code = "import os; print('theirs:', os.environ.get('THEIRS'))"
    proc = observe(scratch, "app", "--", sys.executable, "-c", code, env=env)
    assert "theirs: ran" in proc.stdout, proc.stderr


# -- the verdicts on thread work ------------------------------------------------------------
def work(thread: int, start: float, end: float, cpu: float, waited: float = 0.0) -> Work:
    return Work(("m.py", 1, "f"), None, thread, 1, start, end, cpu, None, waited)


def test_thread_verdicts_from_cpu_time_and_overlap() -> None:
    # two threads, 1 s together, one core's worth of CPU between them: took turns
    serial = [work(1, 0.0, 1.0, 0.5), work(2, 0.0, 1.0, 0.5)]
    assert _thread_verdict(serial)["status"] == "serialised"
    # nearly two cores: the work released the GIL
    parallel = [work(1, 0.0, 1.0, 0.95), work(2, 0.0, 1.0, 0.95)]
    assert _thread_verdict(parallel)["status"] == "parallel"
    # a busy machine: each thread waited for a CPU half the time and ran all the rest;
    # on an idle one they could have run in parallel, or taken turns: no verdict
    loaded = [work(1, 0.0, 1.0, 0.45, waited=0.5), work(2, 0.0, 1.0, 0.45, waited=0.5)]
    assert _thread_verdict(loaded)["status"] == "inconclusive"
    # a busy machine, but even without their waits for a CPU they used one core: turns
    turns = [work(1, 0.0, 1.0, 0.3, waited=0.4), work(2, 0.0, 1.0, 0.3, waited=0.4)]
    assert _thread_verdict(turns)["status"] == "serialised"
    # a very busy machine: their CPU and waits leave 11% of the time asleep, which a
    # thread running in parallel never is: waiting for the GIL
    gil = [work(1, 0.0, 0.27, 0.07, waited=0.17), work(2, 0.0, 0.27, 0.07, waited=0.17)]
    assert _thread_verdict(gil)["status"] == "serialised"
    # as busy, but never asleep: they ran whenever they got a CPU, in parallel
    free = [work(1, 0.0, 0.25, 0.08, waited=0.17), work(2, 0.0, 0.25, 0.08, waited=0.17)]
    assert _thread_verdict(free)["status"] == "parallel"
    # mostly waiting (I/O): says nothing about the GIL
    assert _thread_verdict([work(1, 0.0, 1.0, 0.05), work(2, 0.0, 1.0, 0.05)]) is None
    # one after the other: never ran at once
    assert _thread_verdict([work(1, 0.0, 1.0, 1.0), work(2, 1.0, 2.0, 1.0)]) is None
    assert overlaps([work(1, 0.0, 1.0, 0.5), work(1, 0.5, 1.0, 0.5)]) == []


def test_join_gives_a_stall_to_the_finding_on_its_innermost_frame(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "import time\n\n\nasync def outer():\n    await inner()\n\n\n"
        "async def inner():\n    time.sleep(1)\n"
    )
    path = str(src)

    def diag(row: int) -> Diagnostic:
        return Diagnostic("GIL201", "blocking-sleep-in-async", "m", path, row, 5, row, 20)

    stack = [(path, 9, "inner"), (path, 5, "outer")]
    stall = Stall(400.0, stack, {(path, 9), (path, 5)}, "t.py::test", "task step outer")
    findings, runtime_only = join([diag(5), diag(9)], Records(stalls=[stall]), [str(tmp_path)])
    assert [f["observed"]["status"] for f in findings] == ["not-reached", "stalled"]
    assert runtime_only == []
    # CPU work taking turns in two threads, which no finding explains: a runtime-only entry
    work = [
        Work((path, 8, "inner"), None, 1, 1, 0.0, 1.0, 0.5, "t.py::test"),
        Work((path, 8, "inner"), None, 2, 1, 0.0, 1.0, 0.5, "t.py::test"),
    ]
    _, runtime_only = join([], Records(work=work), [str(tmp_path)])
    assert [(r["kind"], r["line"], r["function"], r["threads"]) for r in runtime_only] == [
        ("serialised", 8, "inner", 2)
    ]


def test_describe_is_one_line_per_status() -> None:
    assert describe(
        {"status": "stalled", "worst_stall_ms": 312.0, "count": 1, "where": "t.py::test_fetch"}
    ) == ("stalled the loop 312 ms in t.py::test_fetch")
    assert describe({"status": "not-reached"}) == "not reached by the command"


# -- the editor -------------------------------------------------------------------------------
@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "gil_lint", "server"]),
)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual_studio_code"))
    )
    yield
    await lsp_client.shutdown_session()


async def test_the_editor_shows_the_last_observation(
    client: LanguageClient, suite_run, project: Path
) -> None:
    path = project / "app" / "handlers.py"
    text = path.read_text()
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    for _ in range(400):
        if client.diagnostics.get(uri):
            break
        await asyncio.sleep(0.05)
    line = line_of(path, "time.sleep(0.3)  # blocks") - 1
    stalled = next(d for d in client.diagnostics[uri] if d.range.start.line == line)
    expected = "(observed: stalled the loop"
    assert expected in stalled.message and "test_fetch_slow" in stalled.message
    never = line_of(path, "no test calls it") - 1
    other = next(d for d in client.diagnostics[uri] if d.range.start.line == never)
    assert other.message.endswith("(observed: not reached by the command)")
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), stalled.range.start)
    )
    assert hover is not None and "**observed:** stalled the loop" in hover.contents.value
