"""The observer installed in every Python process ``gil-lint observe`` starts.

``gil-lint observe`` copies this file, as ``sitecustomize.py``, into a temporary folder put
first on ``PYTHONPATH``: Python's ``site`` imports it at start-up in the command and in every
Python child it starts (subprocesses, multiprocessing, pytest-xdist workers). It uses the
standard library only: the observed interpreter may be another one, without gil-lint.

With ``GIL_LINT_OBSERVE_DIR`` unset it does nothing but chain to the ``sitecustomize`` it
shadows. With it set, it records, into one JSON-lines file per process in that folder:

- ``stall``: an asyncio callback (``Handle._run``: every task step and ``call_soon`` /
  ``call_later`` callback of the pure-Python loops) that ran longer than the threshold, not
  counting the time the thread waited for a CPU (on Linux: other processes' load) nor
  garbage collections (started by whichever allocation came when they were due), with the
  stack of the loop's thread sampled while it ran: the innermost frame in project code seen
  most often is the blocking line;
- ``work``: one call of a function run in a worker thread (a ``Thread`` target or ``run()``,
  a ``concurrent.futures`` thread-pool work item) that took at least a few milliseconds:
  its wall interval, the CPU time of its thread (``time.thread_time``) and, on Linux, how
  long the thread waited for a CPU (other processes' load, not the GIL);
- ``reached``: the project functions that started. On Python 3.12+ a ``sys.monitoring``
  ``PY_START`` callback that disables itself for each function after its first call (all
  project code, no lasting cost). Before 3.12, where a trace hook would double the run
  time, only the functions that hold findings (``GIL_LINT_OBSERVE_WATCH``) are watched: their
  modules are compiled, when imported, with one call at the top of each such body; a file
  not loaded through the import system (the ``__main__`` script, a test module pytest
  rewrites) is reported as ``unwatched``.

"Project code" is a file under one of the folders in ``GIL_LINT_OBSERVE_ROOTS``. Nothing here
changes what the observed code computes; errors of the observer are swallowed.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

_ENV_DIR = "GIL_LINT_OBSERVE_DIR"
_ENV_ROOTS = "GIL_LINT_OBSERVE_ROOTS"
_ENV_THRESHOLD = "GIL_LINT_OBSERVE_THRESHOLD_MS"
_ENV_SITE = "GIL_LINT_OBSERVE_SITE"
_ENV_WATCH = "GIL_LINT_OBSERVE_WATCH"
_HOOK_NAME = "__gil_lint_reached__"

SAMPLE_INTERVAL_S = 0.005  # the loop thread's stack is read this often while a callback runs
FLUSH_INTERVAL_S = 0.5  # records reach the file at least this often (killed workers count)
MIN_WORK_S = 0.005  # thread work shorter than this is not recorded
MAX_STACK = 12  # project frames kept per stall, innermost first

Frame = tuple[str, int, str]  # (filename, line, function)


class _Observer:
    def __init__(self, out_dir: str, roots: list[str], threshold_s: float) -> None:
        self.out_dir = out_dir
        self.roots = tuple(os.path.normcase(r) for r in roots)  # folders end with os.sep
        self.threshold_s = threshold_s
        self.lock = threading.Lock()
        self.pending: list[dict[str, Any]] = []
        self.project_file: dict[str, bool] = {}
        self.reached: set[Frame] = set()
        self.seen_codes: set[Any] = set()
        self.reach_mode = "none"
        self.watch: dict[str, set[int]] = {}  # file -> first lines of the watched bodies
        self.instrumented: set[str] = set()
        argv0 = sys.argv[0] if getattr(sys, "argv", None) else ""
        self.script = os.path.abspath(argv0) if argv0 not in ("", "-c", "-m") else None
        # loop thread id -> [start time, samples]; the sampler reads it, Handle._run writes it
        self.running: dict[int, list[Any]] = {}
        self.sampler: threading.Thread | None = None
        self.path = ""
        self._new_file()

    def _new_file(self) -> None:
        self.path = os.path.join(self.out_dir, f"{os.getpid()}-{time.monotonic_ns()}.jsonl")
        self.pending.append({"kind": "process", "pid": os.getpid(), "argv": list(sys.argv)})

    def after_fork(self) -> None:
        """In a forked child: a file of its own, no inherited records, a new sampler."""
        self.lock = threading.Lock()
        self.pending = []
        self.running = {}
        self.sampler = None
        self._new_file()

    # -- what is project code ------------------------------------------------------------
    def is_project(self, filename: str) -> bool:
        known = self.project_file.get(filename)
        if known is None:
            # "<frozen runpy>", "<string>": no file, never the project's
            real = filename and not filename.startswith("<")
            full = os.path.normcase(os.path.abspath(filename)) if real else ""
            known = bool(full) and full.startswith(self.roots) and not _is_environment(full)
            self.project_file[filename] = known
        return known

    def project_stack(self, frame: Any) -> list[Frame]:
        stack: list[Frame] = []
        while frame is not None and len(stack) < MAX_STACK:
            code = frame.f_code
            if self.is_project(code.co_filename) and not _is_own(code.co_filename):
                stack.append((os.path.abspath(code.co_filename), frame.f_lineno, code.co_name))
            frame = frame.f_back
        return stack

    # -- records ---------------------------------------------------------------------------
    def record(self, item: dict[str, Any]) -> None:
        with self.lock:
            self.pending.append(item)
        self.ensure_sampler()

    def flush(self, final: bool = False) -> None:
        with self.lock:
            items, self.pending = self.pending, []
            fresh = self.reached.difference(self.seen_codes)
            self.seen_codes.update(fresh)
        if fresh:
            items.append({"kind": "reached", "functions": [list(f) for f in fresh]})
        if final and self.reach_mode == "import":
            items.append(
                {
                    "kind": "watched",
                    "instrumented": sorted(self.instrumented),
                    "unwatched": sorted(self.unwatched()),
                }
            )
        if not items:
            return
        try:
            with open(self.path, "a", encoding="utf-8") as f:
                for item in items:
                    f.write(json.dumps(item) + "\n")
        except (OSError, TypeError, ValueError):
            pass

    def ensure_sampler(self) -> None:
        if self.sampler is not None:
            return
        with self.lock:
            if self.sampler is not None:
                return
            t = threading.Thread(target=self._sample_loop, name="gil-lint-observe", daemon=True)
            self.sampler = t
        _OWN_THREADS.add(t)
        t.start()

    def _sample_loop(self) -> None:
        last_flush = time.perf_counter()
        after = min(self.threshold_s / 4, 0.01)
        while True:
            time.sleep(SAMPLE_INTERVAL_S)
            now = time.perf_counter()
            if self.running:
                frames = sys._current_frames()
                for tid, state in list(self.running.items()):
                    if now - state[0] >= after and tid in frames:
                        if state[3] is None:  # a long callback: from now on, count its
                            state[3] = _run_queue_wait(state[2])  # wait for a CPU
                        state[1].append(tuple(self.project_stack(frames[tid])))
                del frames
            if now - last_flush >= FLUSH_INTERVAL_S:
                last_flush = now
                self.flush()

    # -- the event loop ---------------------------------------------------------------------
    def run_handle(self, original: Any, handle: Any) -> Any:
        tid = threading.get_ident()
        outer = self.running.get(tid)
        # start, stacks sampled, the thread's id for the kernel, its wait for a CPU so far,
        # seconds in garbage collection, the running collection's start
        state: list[Any] = [time.perf_counter(), [], threading.get_native_id(), None, 0.0, None]
        self.running[tid] = state
        self.ensure_sampler()
        try:
            return original(handle)
        finally:
            elapsed = time.perf_counter() - state[0]
            if outer is None:
                self.running.pop(tid, None)
            else:  # a nested loop's callback: the outer one is still running
                self.running[tid] = outer
            if elapsed >= self.threshold_s:
                # time the machine's other load kept the thread off a CPU is not the
                # callback's doing: on a busy machine it would turn any callback into a stall
                waited = 0.0 if state[3] is None else max(_run_queue_wait() - state[3], 0.0)
                # nor is a garbage collection that some allocation happened to start: it
                # pauses every thread, and the line it interrupted is not what blocked
                own = elapsed - waited - state[4]
                if own >= self.threshold_s:
                    self._stall(handle, own, waited, state[4], state[1])

    def gc_phase(self, phase: str, info: Any) -> None:
        state = self.running.get(threading.get_ident())
        if state is None:
            return
        if phase == "start":
            state[5] = time.perf_counter()
        elif state[5] is not None:
            state[4] += time.perf_counter() - state[5]
            state[5] = None

    def _stall(
        self,
        handle: Any,
        elapsed: float,
        waited: float,
        collecting: float,
        samples: list[tuple[Frame, ...]],
    ) -> None:
        stacks = [s for s in samples if s]
        if stacks:
            innermost = Counter(s[0] for s in stacks).most_common(1)[0][0]
            stack = next(s for s in stacks if s[0] == innermost)
            lines = sorted({(f[0], f[1]) for s in stacks for f in s})
        else:
            where = _callback_location(handle)
            stack = (where,) if where is not None and self.is_project(where[0]) else ()
            lines = [(f[0], f[1]) for f in stack]
        self.record(
            {
                "kind": "stall",
                "ms": round(elapsed * 1000, 1),
                "waited_for_cpu_ms": round(waited * 1000, 1),
                "garbage_collection_ms": round(collecting * 1000, 1),
                "stack": [list(f) for f in stack],
                "lines": [list(x) for x in lines],
                "samples": len(samples),
                "callback": _describe(handle),
                "test": _current_test(),
            }
        )

    # -- worker threads -----------------------------------------------------------------------
    def run_work(self, fn: Any, call: Any, site: Frame | None) -> Any:
        waited0 = _run_queue_wait()
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        try:
            return call()
        finally:
            wall1 = time.perf_counter()
            if wall1 - wall0 >= MIN_WORK_S:
                where = _function_location(fn)
                if where is not None and (
                    self.is_project(where[0]) or (site is not None and self.is_project(site[0]))
                ):
                    self.record(
                        {
                            "kind": "work",
                            "function": list(where),
                            "site": list(site) if site is not None else None,
                            "thread": threading.get_ident(),
                            "start": wall0,
                            "end": wall1,
                            "cpu": time.thread_time() - cpu0,
                            "waited": max(_run_queue_wait() - waited0, 0.0),
                            "test": _current_test(),
                        }
                    )

    def caller_site(self) -> Frame | None:
        frame: Any = sys._getframe(2)
        while frame is not None:
            filename = frame.f_code.co_filename
            if self.is_project(filename) and not _is_own(filename):
                return (os.path.abspath(filename), frame.f_lineno, frame.f_code.co_name)
            frame = frame.f_back
        return None

    # -- which project functions ran ------------------------------------------------------
    def unwatched(self) -> set[str]:
        """Watched files this process ran without going through the import system."""
        found = set()
        # the script's name: CPython deletes `__main__.__file__` once the script has run
        names = [self.script, *(getattr(m, "__file__", None) for m in list(sys.modules.values()))]
        for filename in names:
            if isinstance(filename, str):
                full = os.path.normcase(os.path.abspath(filename))
                if full in self.watch and full not in self.instrumented:
                    found.add(full)
        return found

    def reached_code(self, code: Any, offset: int) -> Any:
        """``sys.monitoring`` PY_START: note a project function's first call, then never
        hear of that function again."""
        if self.is_project(code.co_filename):
            self.reached.add((os.path.abspath(code.co_filename), code.co_firstlineno, ""))
        return sys.monitoring.DISABLE  # type: ignore[attr-defined,unused-ignore]


_OWN_THREADS: set[Any] = set()  # the observer's own threads
_OWN_FILE = os.path.normcase(os.path.abspath(__file__))


def _is_own(filename: str) -> bool:
    return os.path.normcase(os.path.abspath(filename)) == _OWN_FILE


_ENV_MARKERS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


def _is_environment(path: str) -> bool:
    """A virtual environment or installed package inside the project folder is not the
    project's code."""
    return any(m in path for m in _ENV_MARKERS)


def _run_queue_wait(native_id: int | None = None) -> float:
    """Seconds a thread (this one by default) has been ready to run but waiting for a CPU
    (Linux's schedstat): time a busy machine took from it, not time it spent waiting for
    the GIL or for I/O. 0 where the kernel does not say."""
    try:
        tid = threading.get_native_id() if native_id is None else native_id
        fd = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
        try:
            return int(os.read(fd, 128).split()[1]) / 1e9
        finally:
            os.close(fd)
    except (OSError, IndexError, ValueError, AttributeError):
        return 0.0


def _current_test() -> str | None:
    test = os.environ.get("PYTEST_CURRENT_TEST")
    if test:
        return test.rsplit(" (", 1)[0]
    return None


def _function_location(fn: Any) -> Frame | None:
    import functools

    for _ in range(8):
        if isinstance(fn, functools.partial):
            # asyncio.to_thread: partial(contextvars.Context.run, func, ...)
            run_in_context = getattr(fn.func, "__name__", "") == "run" and fn.args
            fn = fn.args[0] if run_in_context else fn.func
            continue
        inner = getattr(fn, "__wrapped__", None) or getattr(fn, "__func__", None)
        if inner is not None and inner is not fn:
            fn = inner
            continue
        break
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    return (os.path.abspath(code.co_filename), code.co_firstlineno, code.co_name)


def _callback_location(handle: Any) -> Frame | None:
    cb = getattr(handle, "_callback", None)
    owner = getattr(cb, "__self__", None)
    coro = getattr(owner, "get_coro", lambda: None)() if owner is not None else None
    code = getattr(coro, "cr_code", None)
    if code is not None:
        return (os.path.abspath(code.co_filename), code.co_firstlineno, code.co_name)
    return _function_location(cb)


def _describe(handle: Any) -> str:
    try:
        cb = handle._callback
        owner = getattr(cb, "__self__", None)
        get_coro = getattr(owner, "get_coro", None)
        if get_coro is not None:
            return f"task step {getattr(get_coro(), '__qualname__', '?')}"
        return str(getattr(cb, "__qualname__", type(cb).__name__))
    except Exception:
        return "?"


# -- installation -------------------------------------------------------------------------------
def _patch_asyncio(observer: _Observer, events: Any) -> None:
    original = events.Handle._run
    if getattr(original, "_gil_lint_observe", False):
        return

    def _run(self: Any) -> Any:
        return observer.run_handle(original, self)

    _run._gil_lint_observe = True  # type: ignore[attr-defined]
    events.Handle._run = _run


def _patch_futures(observer: _Observer, thread_mod: Any) -> None:
    work_item = thread_mod._WorkItem
    if getattr(work_item.run, "_gil_lint_observe", False):
        return
    original_run = work_item.run
    original_submit = thread_mod.ThreadPoolExecutor.submit

    def run(self: Any) -> Any:
        site = getattr(self, "_gil_lint_site", None)
        return observer.run_work(self.fn, lambda: original_run(self), site)

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        site = observer.caller_site()
        fut = original_submit(self, fn, *args, **kwargs)
        # the item just queued is the last one: tag it with where it was submitted
        try:
            queue = self._work_queue.queue
            if queue and getattr(queue[-1], "future", None) is fut:
                queue[-1]._gil_lint_site = site
        except Exception:
            pass
        return fut

    run._gil_lint_observe = True  # type: ignore[attr-defined]
    work_item.run = run
    thread_mod.ThreadPoolExecutor.submit = submit


def _patch_threading(observer: _Observer) -> None:
    original_start = threading.Thread.start

    def start(self: Any) -> Any:
        if self not in _OWN_THREADS:
            with contextlib.suppress(Exception):
                _measure_thread(observer, self)
        return original_start(self)

    threading.Thread.start = start  # type: ignore[method-assign]


def _measure_thread(observer: _Observer, thread: Any) -> None:
    """Time the thread's ``run()`` (a target, or a subclass's ``run``), through an instance
    attribute that shadows the method for this thread only."""
    target = getattr(thread, "_target", None)
    bound_run = thread.run
    fn = target if target is not None else getattr(bound_run, "__func__", bound_run)
    if target is None and fn is threading.Thread.run:
        return
    # a pool's worker loop is measured per work item, not as one long call
    if getattr(fn, "__module__", None) in ("concurrent.futures.thread", "multiprocessing.pool"):
        return
    site = observer.caller_site()

    def run() -> Any:
        try:
            return observer.run_work(fn, bound_run, site)
        finally:
            # the thread no longer holds this closure (which holds the thread): no cycle is
            # left for the garbage collector, as none would be without the observer
            thread.__dict__.pop("run", None)

    thread.run = run


class _ImportHook:
    """Patches ``asyncio.events`` and ``concurrent.futures.thread`` when they are imported,
    so that a process which never imports them pays nothing."""

    def __init__(self, observer: _Observer) -> None:
        self.observer = observer

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in ("asyncio.events", "concurrent.futures.thread"):
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module
        observer = self.observer

        def exec_module(module: Any) -> None:
            original(module)
            try:
                if name == "asyncio.events":
                    _patch_asyncio(observer, module)
                else:
                    _patch_futures(observer, module)
            except Exception:
                pass

        loader.exec_module = exec_module
        return spec


def _install_reach(observer: _Observer) -> None:
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:
        for tool in (3, 4):
            if monitoring.get_tool(tool) is None:
                monitoring.use_tool_id(tool, "gil-lint observe")
                monitoring.register_callback(
                    tool, monitoring.events.PY_START, observer.reached_code
                )
                monitoring.set_events(tool, monitoring.events.PY_START)
                observer.reach_mode = "monitoring"
                return
    watch_file = os.environ.get(_ENV_WATCH)
    if not watch_file:
        return
    with open(watch_file, encoding="utf-8") as f:
        raw = json.load(f)
    observer.watch = {
        os.path.normcase(os.path.abspath(k)): {int(n) for n in v} for k, v in raw.items()
    }
    import builtins

    setattr(builtins, _HOOK_NAME, observer.reached.add)
    _install_loader(observer)
    observer.reach_mode = "import"


def _inject(tree: Any, path: str, lines: set[int]) -> None:
    """A call noting the body's start at the top of each watched function and class body
    (after its docstring), placed on the line of the statement it precedes."""
    import ast

    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if first not in lines or not node.body:
            continue
        body = node.body
        at = 0
        if (
            isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            at = 1
        anchor = body[min(at, len(body) - 1)]
        call = ast.Expr(
            ast.Call(
                ast.Name(_HOOK_NAME, ast.Load()),
                [ast.Constant((path, first, node.name))],  # type: ignore[arg-type]
                [],
            )
        )
        for n in ast.walk(call):
            ast.copy_location(n, anchor)
        body.insert(at, call)


def _install_loader(observer: _Observer) -> None:
    """Python files are loaded by a ``SourceFileLoader`` that compiles watched files with
    the calls of ``_inject`` (never cached as bytecode) and every other file as usual."""
    import importlib.machinery as m

    class _WatchingLoader(m.SourceFileLoader):
        def get_code(self, fullname: str) -> Any:
            path = self.get_filename(fullname)
            full = os.path.normcase(os.path.abspath(path))
            lines = observer.watch.get(full)
            if lines is None:
                return super().get_code(fullname)
            try:
                import ast

                tree = ast.parse(self.get_data(path), path)
                _inject(tree, os.path.abspath(path), lines)
                code = compile(tree, path, "exec", dont_inherit=True)
            except Exception:
                return super().get_code(fullname)
            observer.instrumented.add(full)
            observer.reached.add((os.path.abspath(path), 0, "<module>"))
            return code

    hook = m.FileFinder.path_hook(
        (m.ExtensionFileLoader, m.EXTENSION_SUFFIXES),
        (_WatchingLoader, m.SOURCE_SUFFIXES),
        (m.SourcelessFileLoader, m.BYTECODE_SUFFIXES),
    )
    for i, existing in enumerate(sys.path_hooks):
        if getattr(existing, "__name__", "") == "path_hook_for_FileFinder":
            sys.path_hooks[i] = hook
            break
    else:
        sys.path_hooks.append(hook)
    for key, finder in list(sys.path_importer_cache.items()):
        if isinstance(finder, m.FileFinder):
            del sys.path_importer_cache[key]


def install() -> _Observer | None:
    out_dir = os.environ.get(_ENV_DIR)
    if not out_dir or not os.path.isdir(out_dir):
        return None
    roots = [r for r in os.environ.get(_ENV_ROOTS, "").split(os.pathsep) if r]
    try:
        threshold_s = float(os.environ.get(_ENV_THRESHOLD, "50")) / 1000
    except ValueError:
        threshold_s = 0.05
    observer = _Observer(out_dir, roots, threshold_s)
    for name, patch in (
        ("asyncio.events", _patch_asyncio),
        ("concurrent.futures.thread", _patch_futures),
    ):
        module = sys.modules.get(name)
        if module is not None:
            patch(observer, module)
    sys.meta_path.insert(0, _ImportHook(observer))
    _patch_threading(observer)
    _install_reach(observer)
    import gc

    gc.callbacks.append(observer.gc_phase)
    atexit.register(observer.flush, True)
    os.register_at_fork(after_in_child=observer.after_fork)
    original_exit = os._exit

    def _exit(code: int) -> Any:  # multiprocessing's forked children end here, not at atexit
        try:
            observer.flush(True)
        finally:
            original_exit(code)

    os._exit = _exit  # type: ignore[assignment]
    return observer


def _chain() -> None:
    """Import the ``sitecustomize`` this one shadows, if there is one."""
    here = os.environ.get(_ENV_SITE) or os.path.dirname(os.path.abspath(__file__))
    this = sys.modules.get("sitecustomize")
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != os.path.abspath(here)]
    try:
        sys.modules.pop("sitecustomize", None)
        import importlib

        importlib.import_module("sitecustomize")
    except ImportError:
        pass
    except Exception as e:  # the shadowed sitecustomize failed: as site.py would, say so
        print(f"Error in sitecustomize; set PYTHONVERBOSE for traceback:\n{e!r}", file=sys.stderr)
    finally:
        sys.path[:] = saved
        if this is not None:
            sys.modules["sitecustomize"] = this


if __name__ == "sitecustomize":
    try:
        _OBSERVER = install()
    except Exception:
        _OBSERVER = None
    _chain()
