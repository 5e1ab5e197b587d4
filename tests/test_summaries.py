"""CPU-bound analysis across modules, and the guide's own examples."""

from __future__ import annotations

import re
from pathlib import Path

from test_eval_files import expected_findings, reported_sites

from gil_lint.config import Settings
from gil_lint.engine.knowledge import load_knowledge
from gil_lint.engine.lint import lint_source
from gil_lint.engine.project import Project

FIXTURES = Path(__file__).parent / "fixtures"
# a copy of ../shared/concurrency-guide.md, so the tests run in a checkout anywhere
GUIDE = Path(__file__).resolve().parent / "fixtures" / "concurrency-guide.md"


def lint_file(path: Path, **settings) -> list:
    project = Project(load_knowledge(), [path.parent.parent])
    settings.setdefault("target_gil", "enabled")
    settings.setdefault("extend_select", ("GIL206",))  # off by default; these test its reach
    s = Settings(project_root=path.parent.parent, **settings)
    return lint_source(path.read_text(), str(path), s, project=project)


def test_cross_module_service():
    path = FIXTURES / "cpu_project" / "shop" / "service.py"
    found = {(d.row, d.code) for d in lint_file(path)}
    expected = expected_findings(path.read_text())
    assert found == expected, (sorted(expected - found), sorted(found - expected))


def test_message_names_the_evidence_chain():
    path = FIXTURES / "cpu_project" / "shop" / "service.py"
    diags = [d for d in lint_file(path) if d.code == "GIL101"]
    by_row = {d.row: d for d in diags}
    text = path.read_text().splitlines()
    row = next(i for i, line in enumerate(text, 1) if "pool.map(count_primes" in line)
    d = by_row[row]
    # the chain is in another module: each step names its file
    assert (
        "`count_primes` is CPU-bound pure Python (loop at mathutils.py:20 → `is_prime` "
        "(mathutils.py:21) → counting `while` loop at mathutils.py:11)"
    ) in d.message
    assert [e.row for e in d.evidence] == [20, 21, 11]
    assert all(e.path.endswith("mathutils.py") for e in d.evidence)
    assert d.to_dict()["evidence"][0]["location"]["row"] == 20


def test_free_threaded_target_silences_gil101():
    path = FIXTURES / "cpu_project" / "shop" / "service.py"
    codes = {d.code for d in lint_file(path, target_gil="disabled")}
    assert "GIL101" not in codes
    assert "GIL206" in codes  # the event loop is still blocked without a GIL


def _guide_blocks() -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_guide_thread_example_is_flagged():
    block = next(b for b in _guide_blocks() if "will NOT run in parallel" in b)
    found = lint_source(block, "guide.py", Settings(target_gil="enabled"))
    gil101 = [d for d in found if d.code == "GIL101"]
    assert len(gil101) == 1
    assert "cpu_intensive_task" in gil101[0].message
    assert "loop over range(10_000_000) at line" in gil101[0].message


def test_guide_threading_works_well_examples_are_silent():
    io_blocks = [b for b in _guide_blocks() if "I/O operation" in b or "I/O bound" in b]
    assert len(io_blocks) >= 2
    for block in io_blocks:
        found = lint_source(block, "guide.py", Settings(target_gil="enabled"))
        # GIL103 (a thread per URL) may fire: that advice holds for I/O work too
        assert [d for d in found if d.code == "GIL101"] == [], block


def test_guide_multiprocessing_examples_are_not_io_bound():
    for block in _guide_blocks():
        if "mp.Pool()" in block:
            found = lint_source(block, "guide.py", Settings(target_gil="enabled"))
            assert "GIL303" not in {d.code for d in found}, block


def test_blocking_calls_through_helpers_across_modules():
    path = FIXTURES / "async_project" / "svc" / "service.py"
    found = reported_sites(lint_file(path))
    expected = expected_findings(path.read_text())
    assert found == expected, (sorted(expected - found), sorted(found - expected))


def test_helper_chain_in_message_and_evidence():
    path = FIXTURES / "async_project" / "svc" / "service.py"
    d = next(d for d in lint_file(path) if d.row == 11)
    assert d.message.startswith(
        "`handle()` calls `pricing.fetch_rates` (service.py:11) → "
        "`urllib.request.urlopen` (pricing.py:9)"
    )
    assert [(Path(e.path).name, e.row) for e in d.evidence] == [
        ("service.py", 11),
        ("pricing.py", 9),
        # the same `urlopen` reached through the module's other names for `fetch_rates`
        ("service.py", 12),
        ("service.py", 13),
        # another blocking helper of the same kind in the same coroutine
        ("service.py", 15),
    ]


def test_max_call_depth_is_configurable():
    path = FIXTURES / "async_project" / "svc" / "service.py"
    deep = {d.row for d in lint_file(path, max_call_depth=5)}
    assert 21 in deep
    assert {d.row for d in lint_file(path, max_call_depth=0)} == set()


def test_a_finished_lint_leaves_nothing_for_the_full_collector():
    """The runner collects only the young generations after each file (full collections
    over the project index cost 40% of a stdlib run), so a lint must leave no garbage
    that survives into the old generation: the project forgets the linted module."""
    import gc

    from gil_lint.engine.context import ModuleContext
    from gil_lint.engine.project import ModuleInfo

    path = FIXTURES / "cpu_project" / "shop" / "service.py"
    project = Project(load_knowledge(), [path.parent.parent])
    settings = Settings(project_root=path.parent.parent, target_gil="enabled")
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        diags = lint_source(path.read_text(), str(path), settings, project=project)
        assert any(d.code == "GIL101" for d in diags)  # summaries were used
        gc.collect(1)
        alive = [
            o
            for o in gc.get_objects()
            if isinstance(o, ModuleContext) or (isinstance(o, ModuleInfo) and o.path == str(path))
        ]
    finally:
        if enabled:
            gc.enable()
    assert alive == []


def test_thread_start_is_not_blocking_even_when_its_code_is_in_the_project():
    """Linting the stdlib, `threading.py` is a project module and `Thread.start` waits on
    an Event (until the thread has started): known non-blocking, not a GIL205 chain."""
    import sysconfig

    std = Path(sysconfig.get_paths()["stdlib"])
    # a module of that project (base_events.py's own join is in a shutdown function now,
    # which GIL205 leaves alone)
    path = std / "asyncio" / "_gil_lint_probe.py"
    source = (
        "import threading\nasync def run(fn):\n    thread = threading.Thread(target=fn)\n"
        "    thread.start()\n    thread.join()\n"
    )
    project = Project(load_knowledge(), [std])
    settings = Settings(project_root=std, respect_gitignore=False)
    diags = lint_source(source, str(path), settings, project=project)
    assert [(d.row, d.code) for d in diags] == [(5, "GIL205")]
    assert "thread.join" in diags[0].message


EVIDENCE_SOURCE = """\
from concurrent.futures import ThreadPoolExecutor


def crunch(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def squares(n):
    label = "é"; total = sum([i * i for i in range(n)])
    return label, total


def run():
    with ThreadPoolExecutor() as pool:
        pool.submit(crunch, 10_000_000)
        pool.submit(squares, 10_000_000)
"""


def test_evidence_points_at_the_node_not_column_1(monkeypatch):
    from gil_lint.lsp import server as lsp

    found = lint_source(EVIDENCE_SOURCE, "ev.py", Settings(target_gil="enabled"))
    evidence = {d.row: d.evidence for d in found if d.code == "GIL101"}
    loop, comprehension = evidence[18][0], evidence[19][0]
    assert (loop.message, loop.row, loop.col) == ("loop over range(10_000_000) at line 6", 6, 5)
    # a code-point column: "é" is two bytes, ast's offset would say 31
    assert (comprehension.row, comprehension.col) == (12, 30)
    located = next(d for d in found if d.row == 18).to_dict()["evidence"][0]["location"]
    assert located == {"row": 6, "column": 5}

    # the editor's relatedInformation range starts at the node too (0-based, UTF-16)
    monkeypatch.setattr(lsp.GilLintServer, "encoding", property(lambda self: "utf-16"))
    lines = EVIDENCE_SOURCE.splitlines(keepends=True)
    snap = lsp.Snapshot("file:///ev.py", "ev.py", True, EVIDENCE_SOURCE, lines, 1)
    d = next(d for d in found if d.row == 19)
    related = lsp.server.to_lsp(d, snap).related_information
    assert related is not None
    start = related[0].location.range.start
    assert (start.line, start.character) == (11, 29)


def test_evidence_in_another_module_has_its_column():
    path = FIXTURES / "cpu_project" / "shop" / "service.py"
    evidence = [e for d in lint_file(path) if d.code == "GIL101" for e in d.evidence]
    assert any(e.path.endswith("mathutils.py") for e in evidence)
    for e in evidence:
        line = Path(e.path).read_text().splitlines()[e.row - 1]
        # the step's node starts at its column: `loop at ...` a loop, `` `f` (...) `` a call
        # (`f(10)` when the arguments it passes are known)
        called = re.search(r"`(?:[\w.]+\.)?(\w+)(?:\([^`]*\))?`", e.message)
        start = called.group(1) if called else ("for ", "while ")
        assert line[e.col - 1 :].startswith(start), (e, line)


def test_a_helper_in_another_module_that_cancels_tasks_is_not_offloaded(tmp_path):
    # the loop-touching call is found through the project like the blocking one
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text(
        "import asyncio, shutil\n\ndef stop_all(tasks):\n    for t in tasks:\n        t.cancel()\n"
        "    shutil.rmtree(tasks.run_dir)\n"
    )
    app = pkg / "app.py"
    app.write_text(
        "from pkg.helpers import stop_all\n\nasync def shutdown(ts):\n    stop_all(ts)\n"
    )
    [d] = lint_file(app)
    assert d.fix is None
    assert d.message.endswith(
        "move `shutil.rmtree(...)` (helpers.py:6) into a thread; `stop_all` also calls "
        "`t.cancel` (helpers.py:5), which must stay on the event loop's thread"
    )


def test_cost_model_across_modules():
    # issue #14: a memoized helper in another module fed only the defaults of its wrapper
    # blocks once (distributed's get_ip); a helper that only unlinks is not worth a finding
    path = FIXTURES / "async_project" / "svc" / "probes.py"
    found = {(d.row, d.code) for d in lint_file(path)}
    expected = expected_findings(path.read_text())
    assert found == expected, (sorted(expected - found), sorted(found - expected))
    d = next(d for d in lint_file(path) if d.row == 6)
    assert [(Path(e.path).name, e.row) for e in d.evidence] == [
        ("probes.py", 6),
        ("netinfo.py", 13),
        ("netinfo.py", 8),
    ]


def test_a_nested_def_runs_only_when_called():
    # issue #14, distributed worker.py:1300: a fallback defined first inside the helper was
    # read as the helper's own code, so the chain cited the fallback's getaddrinfo, not the
    # connect by host name that runs on every call
    code = (
        "import socket\n"
        "def local_ip(host):\n"
        "    def fallback():\n"
        "        return socket.getaddrinfo(socket.gethostname(), 80)[0][4][0]\n"
        "    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    sock.connect((host, 80))\n"
        "    return sock.getsockname()[0] or fallback()\n"
        "def unused_fallback():\n"
        "    def fallback():\n"
        "        return socket.gethostbyname('x')\n"
        "    return fallback\n"
        "async def f(host):\n"
        "    unused_fallback()\n"
        "    return local_ip(host)\n"
    )
    found = lint_source(code, "t.py", Settings())
    assert [(d.row, d.code) for d in found] == [(14, "GIL202")]
    assert [e.row for e in found[0].evidence] == [14, 6]


def test_what_an_import_resolves_to_does_not_depend_on_the_files_linted_before(tmp_path):
    """Two packages side by side (not the project's roots): `b` imports a module named like
    one of `a`'s. It resolves under `b`'s own import root only, whether `a` was linted
    first in the same process or not (`--jobs 1` and `--jobs 2` gave different findings)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "slow.py").write_text("import time\ndef wait():\n    time.sleep(1)\n")
    (tmp_path / "a" / "user.py").write_text("import slow\nasync def f():\n    slow.wait()\n")
    (tmp_path / "b").mkdir()
    b_src = "import slow\nasync def g():\n    slow.wait()\n"
    (tmp_path / "b" / "user.py").write_text(b_src)
    settings = Settings(project_root=tmp_path / "elsewhere")

    def codes(project: Project, pkg: str) -> list[str]:
        path = tmp_path / pkg / "user.py"
        return [d.code for d in lint_source(path.read_text(), str(path), settings, project=project)]

    alone = codes(Project(load_knowledge()), "b")
    after_a = Project(load_knowledge())
    assert codes(after_a, "a") == ["GIL201"]  # `a`'s own helper is found under its root
    assert codes(after_a, "b") == alone == []


def test_a_parameter_annotated_with_its_own_name_is_no_internal_error():
    # google-cloud-pubsub: `def __init__(self, queue: "queue.Queue")` — the string names the
    # module, but read in the function's scope it names the parameter, whose annotation
    # is that string again: a cycle, not an endless recursion
    source = (
        "import threading, typing\n"
        "if typing.TYPE_CHECKING:\n    import queue\n"
        "class Dispatcher:\n"
        '    def __init__(self, queue: "queue.Queue"):\n'
        "        self._queue = queue\n"
        "        self._lock = threading.Lock()\n"
        "    def dispatch(self, items):\n"
        "        self._queue.put(items)\n"
        "    async def drain(self):\n"
        "        with self._lock:\n"
        "            self._queue.get()\n"
    )
    found = lint_source(source, "dispatcher.py", Settings(select=("ALL",)))
    assert [d for d in found if d.code == "GIL003"] == []


def test_module_names_follow_the_package_through_folders_without_init(tmp_path):
    from gil_lint.engine.scopes import module_name_for, package_top

    (tmp_path / "pkg" / "sub" / "deep").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "deep" / "mod.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "tool.py").write_text("")
    assert module_name_for(str(tmp_path / "pkg" / "sub" / "deep" / "mod.py")) == (
        "pkg.sub.deep.mod"
    )
    assert module_name_for(str(tmp_path / "pkg" / "a.py")) == "pkg.a"
    assert module_name_for(str(tmp_path / "pkg" / "__init__.py")) == "pkg"
    assert module_name_for(str(tmp_path / "loose" / "tool.py")) == "tool"
    assert package_top(str(tmp_path / "pkg" / "sub" / "deep" / "mod.py")) == str(tmp_path / "pkg")
    assert package_top(str(tmp_path / "loose" / "tool.py")) is None
