"""Command-line reach (issue #14): a function only the package's command-line code uses runs
one command alone on its loop, like that code, and the event-loop rules are quiet in it
(``engine/callers.py``, ``cli-code-ignore``)."""

from __future__ import annotations

from pathlib import Path

from gil_lint.config import Settings, settings_from_table
from gil_lint.engine.discovery import discover
from gil_lint.engine.runner import lint_paths

PROFILER = """\
import pickle
class Profiler:
    async def create_profile(self, name):
        answer = input("name? ")
        with open(name, "rb") as f:
            return pickle.load(f), answer
    async def serve(self, path):
        with open(path, "rb") as f:
            return f.read()
"""
CLI = """\
import asyncio
from app.profiler import Profiler
def main():
    asyncio.run(Profiler().create_profile("x"))
"""


def _package(root: Path, **modules: str) -> Path:
    for rel, text in {"app/__init__.py": "", "app/cli/__init__.py": "", **modules}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


USES = (
    "from app.profiler import Profiler\nasync def h(p):\n    await Profiler().create_profile(p)\n"
)


def _found(
    root: Path, settings: Settings | None = None, *, cache: bool = False
) -> list[tuple[str, int, str]]:
    # GIL207 (a prompt, opt-in) is on: the command-line code here prompts
    settings = settings or Settings(project_root=root, extend_select=("GIL207",))
    files = [str(f) for f in discover([str(root / "app")], settings).files]
    result = lint_paths(files, settings, use_cache=cache)
    return sorted(
        (Path(d.path).relative_to(root).as_posix(), d.row, d.code) for d in result.diagnostics
    )


def test_a_function_only_command_line_code_uses_is_quiet(tmp_path):
    # crawl4ai's interactive profile builder, called from `cli.py` alone
    root = _package(tmp_path, **{"app/profiler.py": PROFILER, "app/cli/main.py": CLI})
    # `serve` is mentioned by no other module: public API, reported
    assert _found(root) == [("app/profiler.py", 8, "GIL203")]


def test_a_function_other_code_also_uses_stays_reported(tmp_path):
    root = _package(
        tmp_path,
        **{"app/profiler.py": PROFILER, "app/cli/main.py": CLI, "app/server.py": USES},
    )
    assert _found(root) == [
        ("app/profiler.py", 4, "GIL207"),
        ("app/profiler.py", 5, "GIL203"),
    ]


def test_a_use_in_its_own_module_or_tests_only_decides_as_it_should(tmp_path):
    # used in its own module by other code: reported; a test's use does not count against
    # it, but a test alone is no command-line use either
    own = PROFILER + "async def again(p):\n    await Profiler().create_profile(p)\n"
    test = USES.replace("async def h(p)", "async def test_it(p)")
    root = _package(tmp_path, **{"app/profiler.py": own, "app/cli/main.py": CLI})
    assert ("app/profiler.py", 5, "GIL203") in _found(root)
    root = _package(
        tmp_path / "t",
        **{"app/profiler.py": PROFILER, "app/tests/test_p.py": test, "app/cli/main.py": CLI},
    )
    assert _found(root) == [("app/profiler.py", 8, "GIL203")]
    only_tests = _package(
        tmp_path / "u", **{"app/profiler.py": PROFILER, "app/tests/test_p.py": test}
    )
    assert ("app/profiler.py", 5, "GIL203") in _found(only_tests)


def test_cli_code_ignore_empty_lints_it_like_the_rest(tmp_path):
    root = _package(tmp_path, **{"app/profiler.py": PROFILER, "app/cli/main.py": CLI})
    strict = settings_from_table(
        {"cli-code-ignore": []}, "p", Settings(project_root=root, extend_select=("GIL207",))
    )
    # the prompt is reported; the profile's file read is not, for another reason: only the
    # command's `main` calls it, which the program starts at (start-up reach), so the
    # module's file-work finding is `serve`'s
    assert [row for _, row, _ in _found(root, strict)] == [4, 8]


def test_the_cache_sees_a_new_caller(tmp_path):
    # the command-line module is one of the finding's dependencies: a server that starts
    # calling the profiler brings the findings back on a warm run
    root = _package(tmp_path, **{"app/profiler.py": PROFILER, "app/cli/main.py": CLI})
    assert [row for _, row, _ in _found(root, cache=True)] == [8]
    assert [row for _, row, _ in _found(root, cache=True)] == [8]  # (from the cache)
    (root / "app" / "cli" / "main.py").write_text(CLI + "# the command moved to the server\n")
    (root / "app" / "server.py").write_text(USES)
    assert [row for _, row, _ in _found(root, cache=True)] == [4, 5]


def test_a_function_its_module_uses_only_from_command_line_functions_is_quiet(tmp_path):
    # crawl4ai: `interactive_manager` (only `cli.py` calls it) calls `create_profile`
    menu = PROFILER + (
        "    async def interactive_manager(self):\n"
        "        while True:\n"
        "            await self.create_profile(input('name? '))\n"
    )
    cli = CLI.replace("create_profile", "interactive_manager")
    root = _package(tmp_path, **{"app/profiler.py": menu, "app/cli/main.py": cli})
    assert _found(root) == [("app/profiler.py", 8, "GIL203")]
    # a server that also runs the menu brings both back
    root = _package(
        tmp_path / "s",
        **{
            "app/profiler.py": menu,
            "app/cli/main.py": cli,
            "app/server.py": USES.replace("create_profile", "interactive_manager"),
        },
    )
    assert [row for _, row, _ in _found(root)] == [4, 5, 12]


# a code generator's driver: it takes each job's coroutine iterator and steps it by hand
FAKE_LOOP = """\
import heapq
class FakeEventLoop:
    def __init__(self):
        self._jobs = []
    def add_job(self, func, *args):
        heapq.heappush(self._jobs, (0, func(*args).__await__()))
    def flush(self):
        while self._jobs:
            _, it = heapq.heappop(self._jobs)
            try:
                next(it)
            except StopIteration:
                continue
"""
COMPONENT = """\
import pickle
async def to_code(config):
    with open(config["path"], "rb") as f:
        return pickle.load(f)
"""
DASHBOARD = """\
import asyncio
async def handler(path):
    with open(path, "rb") as f:
        return f.read()
"""


def test_coroutines_the_package_steps_itself_block_no_event_loop(tmp_path):
    # ESPHome's components' `to_code` coroutines run on its code generator's FakeEventLoop;
    # its dashboard, which imports asyncio, runs on a real loop
    root = _package(
        tmp_path,
        **{
            "app/coroutine.py": FAKE_LOOP,
            "app/components/__init__.py": "",
            "app/components/sensor.py": COMPONENT,
            "app/dashboard.py": DASHBOARD,
        },
    )
    assert _found(root) == [("app/dashboard.py", 3, "GIL203")]


def test_without_a_driver_in_the_package_coroutines_run_on_a_loop(tmp_path):
    # stepping a plain generator (`next(it)` with no `__await__()`) drives no coroutine
    plain = FAKE_LOOP.replace("func(*args).__await__()", "iter(func(*args))")
    root = _package(
        tmp_path,
        **{
            "app/coroutine.py": plain,
            "app/components/__init__.py": "",
            "app/components/sensor.py": COMPONENT,
        },
    )
    assert _found(root) == [("app/components/sensor.py", 3, "GIL203")]


# kafka-python's selector loop: it tells coroutines apart and sends and throws into them
SCHEDULER = """\
import inspect
class Task:
    def __init__(self, coro):
        self.coro = coro
    def step(self, value=None, exc=None):
        try:
            if exc is not None:
                return self.coro.throw(exc)
            return self.coro.send(value)
        except StopIteration as final:
            return final.value
def spawn(fn, *args):
    result = fn(*args)
    return Task(result) if inspect.iscoroutine(result) else result
"""


def test_a_package_that_schedules_its_own_coroutines_blocks_no_event_loop(tmp_path):
    root = _package(
        tmp_path,
        **{
            "app/selector.py": SCHEDULER,
            "app/components/__init__.py": "",
            "app/components/sensor.py": COMPONENT,
        },
    )
    assert _found(root) == []
    # telling coroutines apart and stepping a generator with `next` schedules nothing
    helper = SCHEDULER.replace("self.coro.throw(exc)", "None").replace(
        "self.coro.send(value)", "next(self.coro)"
    )
    root = _package(
        tmp_path / "b",
        **{
            "app/selector.py": helper,
            "app/components/__init__.py": "",
            "app/components/sensor.py": COMPONENT,
        },
    )
    assert _found(root) == [("app/components/sensor.py", 3, "GIL203")]


def test_a_module_that_steps_a_coroutine_once_then_hands_it_to_asyncio_schedules_nothing(
    tmp_path,
):
    # shiny's `run_coro_hybrid`: the package's coroutines still run on asyncio's loop
    hybrid = "import asyncio\n" + SCHEDULER
    root = _package(
        tmp_path,
        **{
            "app/utils.py": hybrid,
            "app/components/__init__.py": "",
            "app/components/sensor.py": COMPONENT,
        },
    )
    assert _found(root) == [("app/components/sensor.py", 3, "GIL203")]


# -- start-up reach ----------------------------------------------------------------------------
DEPS = """\
import shutil
def _cleanup(folder):
    shutil.rmtree(folder)
async def init_managers(folder):
    _cleanup(folder)
    with open(folder + "/state.bin", "rb") as f:
        return f.read()
async def reload_state(folder):
    with open(folder + "/state.bin", "rb") as f:
        return f.read()
"""
APP = """\
from contextlib import asynccontextmanager
from fastapi import FastAPI
from app.deps import init_managers
@asynccontextmanager
async def lifespan(app: FastAPI):
    await init_managers("/srv")
    yield
app = FastAPI(lifespan=lifespan)
"""
ROUTES = """\
from app.deps import reload_state
async def reload(request):
    return await reload_state("/srv")
"""


def _places(root: Path) -> list[int]:
    """The rows of the deps module's file-work finding and its evidence (one per module)."""
    settings = Settings(project_root=root)
    files = [str(f) for f in discover([str(root / "app")], settings).files]
    found = [d for d in lint_paths(files, settings).diagnostics if d.path.endswith("deps.py")]
    return sorted({d.row for d in found} | {e.row for d in found for e in d.evidence})


def test_a_function_only_another_modules_lifespan_calls_is_start_up_code(tmp_path):
    # magentic-ui's `init_managers`, awaited in its app's lifespan alone: its file work
    # (written there, or in a helper) runs once; `reload_state`, a route's, stays
    root = _package(tmp_path, **{"app/deps.py": DEPS, "app/web.py": APP, "app/routes.py": ROUTES})
    assert _places(root) == [9, 10]


def test_a_start_up_function_another_module_also_calls_elsewhere_stays_reported(tmp_path):
    # a route calls it too, or a comment mentions it (the text says more than the tree)
    also = ROUTES + "async def again(request):\n    return await init_managers('/srv')\n"
    also = also.replace("import reload_state", "import init_managers, reload_state")
    root = _package(tmp_path, **{"app/deps.py": DEPS, "app/web.py": APP, "app/routes.py": also})
    assert _places(root) == [3, 5, 6, 7, 9, 10]
    noted = APP.replace("    yield", "    yield  # init_managers ran")
    root = _package(tmp_path, **{"app/web.py": noted, "app/routes.py": ROUTES})
    assert _places(root) == [3, 5, 6, 7, 9, 10]


STREAM = """\
import threading
class Stream:
    def __init__(self):
        self.handlers = {}
        self.lock = threading.RLock()
    def get_handler(self, handle):
        with self.lock:
            return self.handlers.get(handle)
    async def on_connect(self, handle, handler, fetch):
        with self.lock:
            self.handlers[handle] = handler
            self.total = len(self.handlers) + fetch(handle)
"""
SOCKETS = """\
from app.stream import Stream
async def on_message(stream: Stream, handle):
    return stream.get_handler(handle)
"""


def test_a_lock_a_sync_helper_takes_is_a_threads_only_if_a_thread_may_run_it(tmp_path):
    # appdaemon's stream handlers: `get_handler` is a sync method, but only the socket
    # handlers (coroutines) call it, so every holder of the lock is on the loop's thread
    root = _package(tmp_path, **{"app/stream.py": STREAM, "app/sockets.py": SOCKETS})
    assert _found(root) == []
    # called from a worker thread too (or handed on as a thread's target): a thread's lock
    worker = SOCKETS + "def poll(stream, handle):\n    return stream.get_handler(handle)\n"
    root = _package(tmp_path, **{"app/sockets.py": worker})
    assert _found(root) == [("app/stream.py", 10, "GIL205")]
    handed = SOCKETS + "import threading\nthreading.Thread(target=Stream().get_handler)\n"
    root = _package(tmp_path, **{"app/sockets.py": handed})
    assert _found(root) == [("app/stream.py", 10, "GIL205")]
