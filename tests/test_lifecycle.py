"""Code that runs once (issue #14: "a one-off call at start-up or shutdown is debatable"):
one-off callbacks and what only they call, start-up and shutdown functions by name
(engine/lifecycle.py), and files handed to an asynchronous file object. Each class has a
case that must stay reported next to the ones that are not."""

from __future__ import annotations

from textwrap import dedent

import pytest

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic
from gil_lint.engine.lint import lint_source


def lint(code: str, settings: Settings | None = None) -> list[Diagnostic]:
    found = lint_source(dedent(code), "app.py", settings or Settings(select=("ALL",)))
    # the async rules, GIL402, and engine errors (an internal error must fail the test)
    return [d for d in found if d.code.startswith(("GIL2", "GIL402", "GIL0"))]


def where(found: list[Diagnostic]) -> list[tuple[int, str]]:
    return sorted((d.row, d.code) for d in found)


# -- one-off callbacks: a dropped task ---------------------------------------------------------
ONE_OFF_CALLBACKS = {
    "__del__": """\
        import asyncio
        class Connection:
            def __del__(self):
                asyncio.ensure_future(self.close())
        """,
    "a weakref finalizer (a method)": """\
        import asyncio, weakref
        class Result:
            def __init__(self, cursor):
                self._finalizer = weakref.finalize(self, self._release, cursor)
            def _release(self, cursor):
                asyncio.get_running_loop().create_task(cursor.close())
        """,
    "a weakref.ref callback (a nested function)": """\
        import asyncio, weakref
        class Result:
            async def prepare(self, loop, cursor):
                def callback(wr):
                    loop.create_task(cursor.close())
                self._weak = weakref.ref(self, callback)
        """,
    "atexit.register": """\
        import asyncio, atexit
        def _goodbye():
            asyncio.ensure_future(flush())
        atexit.register(_goodbye)
        """,
    "@atexit.register": """\
        import asyncio, atexit
        @atexit.register
        def goodbye():
            asyncio.ensure_future(flush())
        """,
    "signal.signal": """\
        import asyncio, signal
        def on_term(signum, frame):
            asyncio.ensure_future(shutdown())
        signal.signal(signal.SIGTERM, on_term)
        """,
    "loop.add_signal_handler with functools.partial": """\
        import asyncio, functools, signal
        class Worker:
            def install(self, loop):
                loop.add_signal_handler(signal.SIGINT, functools.partial(self.on_signal, 2))
            def on_signal(self, signum):
                self.loop.create_task(self.wait_for_jobs(signum))
        """,
    "a lambda signal handler": """\
        import asyncio, signal
        async def run(loop):
            loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.create_task(stop()))
        """,
    "a function of the module that registers its parameter": """\
        import asyncio, signal
        from functools import partial
        class Worker:
            def __init__(self, loop):
                self.loop = loop
                self._add_signal_handler(signal.SIGINT, self.handle_sig)
            def _add_signal_handler(self, signum, handler):
                self.loop.add_signal_handler(signum, partial(handler, signum))
            def handle_sig(self, signum):
                self.loop.create_task(self._wait_for_tasks(signum))
        """,
    "a function that ends the program": """\
        import asyncio, sys
        def fatal(code):
            asyncio.ensure_future(report_crash(code))
            sys.exit(code)
        """,
    "what only a one-off callback calls": """\
        import asyncio, signal
        class Worker:
            def __init__(self, loop):
                loop.add_signal_handler(signal.SIGTERM, self.on_term)
            def on_term(self):
                self._begin_drain()
            def _begin_drain(self):
                asyncio.ensure_future(self.drain())
        """,
}


@pytest.mark.parametrize("code", ONE_OFF_CALLBACKS.values(), ids=list(ONE_OFF_CALLBACKS))
def test_a_task_dropped_in_a_one_off_callback_is_not_reported(code: str) -> None:
    assert where(lint(code)) == []


def test_a_registered_callback_that_a_request_path_calls_too_is_still_reported() -> None:
    found = lint(
        """\
        import asyncio, atexit
        def flush():
            asyncio.ensure_future(send_pending())
        atexit.register(flush)
        async def handle(request):
            flush()
        """
    )
    assert where(found) == [(3, "GIL402")]


def test_blocking_in_a_coroutine_only_a_signal_handler_starts_is_not_reported() -> None:
    found = lint(
        """\
        import asyncio, signal, time
        class Worker:
            def __init__(self, loop):
                loop.add_signal_handler(signal.SIGTERM, self.on_term)
            def on_term(self):
                self.task = asyncio.ensure_future(self._drain())
            async def _drain(self):
                time.sleep(0.5)
        """
    )
    assert where(found) == []


def test_a_helper_a_per_request_path_calls_too_is_still_reported() -> None:
    found = lint(
        """\
        import asyncio, signal, time
        class Worker:
            def __init__(self, loop):
                loop.add_signal_handler(signal.SIGTERM, self.on_term)
            def on_term(self):
                self.task = asyncio.ensure_future(self._drain())
            async def _drain(self):
                time.sleep(0.5)
            async def handle(self, request):
                await self._drain()
        """
    )
    assert where(found) == [(8, "GIL201")]


def test_a_helper_handed_on_as_a_value_is_not_one_off() -> None:
    # the signal handler passes `_tick` to a timer that may call it any number of times
    found = lint(
        """\
        import asyncio, signal
        class Worker:
            def __init__(self, loop):
                loop.add_signal_handler(signal.SIGUSR1, self.on_usr1)
            def on_usr1(self):
                self.loop.call_later(1, self._tick)
            def _tick(self):
                asyncio.ensure_future(self.report())
        """
    )
    assert where(found) == [(8, "GIL402")]


# -- shutdown -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "close",
        "close_if_idle",
        "_shutdown",
        "stop",
        "connection_lost",
        # the coroutine twins and camel-case spellings of the same names
        "_async_close",
        "stop_async",
        "connectionLost",
        "onClose",
    ],
)
def test_a_task_dropped_while_closing_is_not_reported(name: str) -> None:
    found = lint(
        f"""\
        class Protocol:
            def {name}(self):
                self.websocket.loop.create_task(self.websocket.close(1001))
        """
    )
    assert where(found) == []


def test_a_private_helper_only_close_calls_is_shutdown_code_too() -> None:
    found = lint(
        """\
        import asyncio
        class Client:
            def close(self):
                self._schedule_close()
            def _schedule_close(self):
                asyncio.ensure_future(self._session.close())
        """
    )
    assert where(found) == []


def test_a_connection_close_that_sleeps_is_still_reported() -> None:
    # close() runs once per connection, not once per process
    found = lint(
        """\
        import time
        class Connection:
            async def close(self):
                self.transport.close()
                time.sleep(0.1)
        """
    )
    assert where(found) == [(5, "GIL201")]


def test_a_task_dropped_at_start_up_is_still_reported() -> None:
    # the classic: start() makes the long-running task and keeps no reference to it
    found = lint(
        """\
        import asyncio
        class Service:
            def start(self):
                asyncio.create_task(self._run())
        """
    )
    assert where(found) == [(4, "GIL402")]


# -- start-up -------------------------------------------------------------------------------
def test_a_certificate_read_once_when_the_webhook_starts_is_not_reported() -> None:
    found = lint(
        """\
        from pathlib import Path
        class Updater:
            async def _start_webhook(self, cert):
                await self._bootstrap(cert=Path(cert).read_bytes() if cert else None)
        """
    )
    assert where(found) == []


def test_metadata_at_start_up_is_not_reported() -> None:
    found = lint(
        """\
        import os
        class Server:
            async def startup(self, config):
                if os.path.exists(config.uds):
                    os.unlink(config.uds)
        """
    )
    assert where(found) == []


def test_file_work_in_a_start_up_loop_is_still_reported() -> None:
    found = lint(
        """\
        async def main(paths):
            while True:
                for path in paths:
                    with open(path, "rb") as f:
                        print(f.read())
        """
    )
    assert where(found) == [(4, "GIL203")]


def test_a_wait_at_start_up_is_still_reported() -> None:
    found = lint(
        """\
        import time
        async def start():
            time.sleep(1)
        """
    )
    assert where(found) == [(3, "GIL201")]


def test_file_work_a_start_up_function_reaches_through_a_helper_is_still_reported() -> None:
    # a plugin's `start` that unpacks an uploaded directory: the helper's work has any size
    found = lint(
        """\
        import zipfile
        def extract(path, data):
            with open(path, "wb") as f:
                f.write(data)
        class UploadDirectory:
            async def start(self, scheduler):
                extract(scheduler.local_directory, self.data)
        """
    )
    assert where(found) == [(7, "GIL203")]


def test_file_work_a_helper_does_where_the_program_starts_is_not_reported() -> None:
    # `Tortoise.init()` reads its config file through a helper: once per process; so is a
    # wait before it starts anything (it delays the start-up only). In a loop of it, or
    # a wait once a task runs beside it, it is still reported
    found = lint(
        """\
        import asyncio, pickle, time
        def load_config(path):
            with open(path, "rb") as f:
                return pickle.load(f)
        def nap():
            time.sleep(1)
        class Tortoise:
            @classmethod
            async def init(cls, config_file):
                cls.config = load_config(config_file)
                nap()
                cls.poller = asyncio.create_task(cls.poll())
                nap()
            async def main(self, paths):
                self.config = load_config(paths[0])
                for p in paths:
                    self.extra = load_config(p)
        """
    )
    assert where(found) == [(13, "GIL201"), (17, "GIL203")]


def test_a_wait_where_the_program_starts_before_it_starts_anything_is_not_reported() -> None:
    # a lifespan registering with a proxy before the server takes requests, `main()`
    # fetching its settings: nothing else runs on the loop yet. After `await
    # site.start()` (serving) or a task, and in a per-request handler, it is reported
    found = lint(
        """\
        import contextlib, requests
        from aiohttp import web
        @contextlib.asynccontextmanager
        async def lifespan(app):
            requests.post("http://proxy/register")
            yield
        async def main():
            settings = requests.get("http://config/settings")
            site = web.TCPSite(runner)
            await site.start()
            requests.post("http://proxy/register")
        async def handle(request):
            return requests.get("http://backend/")
        class Memory:
            async def init(self):
                self.messages = requests.get("http://memory/session")
        """
    )
    # a memory object's `init(self)` runs once per session, not once per process
    assert where(found) == [(11, "GIL202"), (13, "GIL202"), (16, "GIL202")]


def test_a_helper_a_start_up_function_calls_in_its_loop_is_not_start_up_code() -> None:
    found = lint(
        """\
        import pickle
        class Worker:
            async def main(self):
                while True:
                    await self._poll_iteration()
            async def _poll_iteration(self):
                with open(self.path, "rb") as f:
                    return pickle.load(f)
        """
    )
    assert where(found) == [(7, "GIL203")]


def test_start_up_names_are_extendable() -> None:
    code = """\
        async def boot(path):
            with open(path, "rb") as f:
                return f.read()
        """
    assert where(lint(code)) == [(2, "GIL203")]
    mine = Settings(select=("ALL",), knowledge=(("startup-functions", ("boot",)),))
    assert where(lint(code, mine)) == []


def test_shutdown_names_are_extendable() -> None:
    code = """\
        import asyncio
        def retire(conn):
            asyncio.ensure_future(conn.drain())
        """
    assert where(lint(code)) == [(3, "GIL402")]
    mine = Settings(select=("ALL",), knowledge=(("shutdown-functions", ("retire*",)),))
    assert where(lint(code, mine)) == []


# -- a file handed to an asynchronous file object ---------------------------------------------
def test_a_file_handed_to_anyio_wrap_file_is_not_reported() -> None:
    found = lint(
        """\
        import anyio, io, sys
        async def serve_stdio(path):
            log = anyio.wrap_file(open(path, "a"))
            stdin = anyio.wrap_file(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8"))
            await log.write("started")
        """
    )
    assert where(found) == []


def test_a_helper_returning_an_fdopen_file_that_the_caller_wraps_is_not_reported() -> None:
    found = lint(
        """\
        import anyio, io, os
        def _claim_fd(fd, mode):
            private = os.dup(fd)
            return os.fdopen(private, mode, closefd=False), (lambda: os.close(private))
        async def stdio_server():
            stdin_buffer, restore = _claim_fd(0, "rb")
            stdin = anyio.wrap_file(io.TextIOWrapper(stdin_buffer, encoding="utf-8"))
            try:
                async for line in stdin:
                    print(line)
            finally:
                restore()
        """
    )
    assert where(found) == []


def test_a_helper_returning_a_file_that_the_caller_reads_is_still_reported() -> None:
    found = lint(
        """\
        import os
        def _claim_fd(fd, mode):
            return os.fdopen(os.dup(fd), mode)
        async def read_all():
            f = _claim_fd(0, "rb")
            return f.read()
        """
    )
    # one finding for the module's file work: the read written here, the helper's
    # `fdopen` its evidence
    (finding,) = found
    assert (finding.row, finding.code) == (6, "GIL203")
    assert 5 in [e.row for e in finding.evidence]


def test_a_wrapped_file_also_read_on_the_loop_is_still_reported() -> None:
    found = lint(
        """\
        import anyio
        async def copy(path):
            f = open(path, "rb")
            af = anyio.wrap_file(f)
            return f.read()
        """
    )
    assert where(found) == [(3, "GIL203")]


def test_a_private_helper_close_and_a_request_path_both_call_is_still_reported() -> None:
    found = lint(
        """\
        import asyncio
        class Client:
            def close(self):
                self._notify()
            def on_message(self, message):
                self._notify()
            def _notify(self):
                asyncio.ensure_future(self._send_ack())
        """
    )
    assert where(found) == [(8, "GIL402")]


def test_file_work_before_the_program_exits_is_not_reported() -> None:
    # a timer's callback that saves a screenshot, then ends the app
    found = lint(
        """\
        import sys
        async def take_screenshot(path, svg):
            with open(path, "w") as f:
                f.write(svg)
            sys.exit(0)
        """
    )
    assert where(found) == []


def test_a_function_that_may_return_before_exiting_is_still_reported() -> None:
    found = lint(
        """\
        import sys
        async def save(path, svg, done):
            with open(path, "wb") as f:
                f.write(svg)
            if not done:
                return
            sys.exit(0)
        """
    )
    assert where(found) == [(3, "GIL203")]


def test_a_memoized_lookup_at_start_up_is_not_reported() -> None:
    # distributed's `get_ip(host)` → `@memoize _get_ip`: once per start and address, the
    # cache answers later calls; the same call per request is reported
    found = lint(
        """\
        import functools, socket
        @functools.lru_cache
        def _get_ip(host, port):
            return socket.gethostbyname(host)
        def get_ip(host, port=80):
            return _get_ip(host, port)
        class Worker:
            async def start_unsafe(self):
                for port in self.ports:
                    self.ip = get_ip(self.scheduler_host)
            async def handle(self, request):
                return get_ip(request.host)
        """
    )
    assert where(found) == [(12, "GIL202")]


def test_a_name_that_only_contains_a_shutdown_word_is_not_shutdown_code() -> None:
    found = lint(
        """\
        import asyncio
        class Protocol:
            def closed_count(self):
                asyncio.ensure_future(self.report())
            def async_(self):
                asyncio.ensure_future(self.report())
        """
    )
    assert where(found) == [(4, "GIL402")]


def test_coroutines_a_module_steps_itself_run_on_no_event_loop() -> None:
    # gel's blocking client writes its I/O once, as coroutines, and drives them with
    # `coro.send(None)`: nothing else waits on a loop there. A module that only mentions
    # `send(None)` outside such a driver is linted as usual.
    driver = """\
        import socket
        class Conn:
            async def connect(self, host):
                return socket.getaddrinfo(host, 80)
        class Client:
            def _iter_coroutine(self, coro):
                try:
                    coro.send(None)
                except StopIteration as ex:
                    return ex.value
        """
    assert where(lint(driver)) == []
    generator = driver.replace("except StopIteration as ex:", "except ValueError as ex:")
    assert where(lint(generator)) == [(4, "GIL202")]


def test_launching_the_child_process_is_what_a_start_up_does() -> None:
    # crawl4ai's `ManagedBrowser.start()` launches Chrome with `subprocess.Popen`; waiting
    # for a process at start-up, or launching one per request, stays reported
    found = lint(
        """\
        import subprocess
        class Browser:
            async def start(self):
                self.process = subprocess.Popen(["chrome"])
                subprocess.run(["lsof", "-i:9222"])
            async def launch_builtin(self):
                self.process = subprocess.Popen(["chrome"])
            async def fetch(self, url):
                return subprocess.Popen(["curl", url])
        """
    )
    assert where(found) == [(5, "GIL204"), (9, "GIL204")]


def test_removing_what_the_object_made_is_what_closing_does() -> None:
    # crawl4ai's `cleanup()` removes the browser's temporary profile; a subprocess it waits
    # for, file work in a loop, or file work through a helper stay reported. (A periodic
    # `_cleanup_expired_sessions` is no shutdown: `cleanup` is, `cleanup_*` is not.)
    found = lint(
        """\
        import shutil, subprocess
        def _flush(path):
            with open(path, "wb") as f:
                f.write("done")
        class Browser:
            async def cleanup(self):
                shutil.rmtree(self.temp_dir)
                subprocess.run(["taskkill", "/pid", str(self.pid)])
            async def stop_all(self):
                for d in self.dirs:
                    shutil.rmtree(d)
            async def close(self, marker):
                _flush(marker)
        """
    )
    # the module's file work is one finding: the helper's call joins the loop's
    assert where(found) == [(8, "GIL204"), (11, "GIL203")]
    assert 13 in [e.row for e in found[1].evidence]


# -- start-up hooks: a function a framework runs when the server starts ----------------------
def test_a_function_handed_to_a_frameworks_start_up_hook_is_start_up_code():
    # blacksheep's `app.after_start += self.build_docs`, aiohttp's `on_startup.append`,
    # starlette's `@app.on_event("startup")`, quart's `@app.before_serving`: their own file
    # reads run once per start; the same read in a request handler stays reported
    found = lint(
        """\
        import pickle
        class Docs:
            def __init__(self, app):
                app.after_start += self.build_docs
            async def build_docs(self, app):
                with open("spec.json", "rb") as f:
                    return pickle.load(f)
        async def load_models(app):
            with open("models.json", "rb") as f:
                app["models"] = pickle.load(f)
        def make(app):
            app.on_startup.append(load_models)
            app.add_event_handler("startup", warm_index)
        async def warm_index():
            open("index.bin", "rb").read()
        @app.on_event("startup")
        async def warm():
            open("cache.bin", "rb").read()
        @app.before_serving
        async def prepare():
            open("ready", "rb").read()
        @app.on_event("shutdown")
        async def bye():
            open("bye", "rb").read()
        """
    )
    assert where(found) == [(24, "GIL203")]


def test_an_asgi_lifespan_is_start_up_code_whatever_its_name() -> None:
    # marimo's lifespans: `@asynccontextmanager async def logging(app: Starlette)`, handed
    # to `lifespan=` in another module; a registry file written once before the `yield`
    code = """\
        import contextlib, pickle
        from starlette.applications import Starlette

        def register(path, entry):
            with open(path, "wb") as f:
                pickle.dump(entry, f)

        @contextlib.asynccontextmanager
        async def registry(app: Starlette):
            register(app.state.registry, {"port": 1})
            yield

        @contextlib.asynccontextmanager
        async def transaction(conn):
            register(conn.log, conn.entry)
            yield
        """
    # a context manager taking something else (entered per request) is not a lifespan
    found = lint(code)
    assert where(found) == [(15, "GIL203")]
    assert [e.row for e in found[0].evidence] == [15, 5]


STOPPING = """\
import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

@contextlib.asynccontextmanager
async def lifespan(app):
    warmup = threading.Thread(target=print)
    warmup.start()
    try:
        yield
    finally:
        warmup.join()

@contextlib.asynccontextmanager
async def session(conn):
    worker = threading.Thread(target=print)
    try:
        yield conn
    finally:
        worker.join()

class Agent:
    def __init__(self):
        self._executor = ThreadPoolExecutor()
        self._thread = threading.Thread(target=print)

    async def run(self):
        try:
            await asyncio.gather(self.publisher.run_forever(), self.reporter.run_forever())
        finally:
            self._executor.shutdown()

    async def start_listening(self):
        try:
            while not self._stop.is_set():
                await self.poll()
        finally:
            self._thread.join()

    async def fetch_all(self, jobs):
        try:
            await asyncio.gather(*jobs)
        finally:
            self._executor.shutdown()

    async def handle(self):
        try:
            while not self._stop.is_set():
                await self.poll()
        finally:
            self._thread.join()

    async def serve(self):
        while True:
            try:
                await self.server.serve_forever()
            finally:
                self._thread.join()
"""


def test_joining_what_a_service_made_once_its_main_wait_is_over_is_not_reported() -> None:
    # after a lifespan's `yield`, after a start-up function's serving loop, after a wait
    # on something that runs until stopped: the service is stopping, and joining its
    # threads and executors is what stopping does. A context manager used per request, a
    # gather of the request's jobs, a loop a handler runs, and a `finally:` inside a
    # reconnect loop still wait on the loop while it serves
    found = where(lint(STOPPING, Settings(select=("GIL205",))))
    assert [row for row, _ in found] == [21, 45, 52, 59], found


def test_a_lifespans_teardown_runs_once_per_process() -> None:
    # after the `yield` the server takes no more requests: saving state through a helper
    # or deregistering is once per process. A per-request context manager's teardown, and a
    # helper's file work in the `finally:` of a plugin's serving loop, are still reported
    found = lint(
        """\
        import contextlib, json, requests
        def save_state(state):
            with open("state.json", "w") as f:
                json.dump(state, f)
        @contextlib.asynccontextmanager
        async def lifespan(app):
            yield
            save_state(app.state)
            requests.post("http://proxy/deregister")
        @contextlib.asynccontextmanager
        async def session(conn):
            try:
                yield conn
            finally:
                requests.post("http://audit/closed")
        class Plugin:
            async def start(self):
                try:
                    while not self.stopped:
                        await self.poll()
                finally:
                    save_state(self.state)
        """
    )
    assert where(found) == [(15, "GIL202"), (22, "GIL209")]


def test_a_string_test_named_like_start_sets_nothing_going() -> None:
    # `str.startswith` is no `start()`: mitmproxy's `main()` checks its argv before the
    # `--version` path runs `git` through helpers
    found = lint(
        """\
        import subprocess, sys
        async def main():
            if sys.argv[1].startswith("http"):
                print("use --mode reverse")
            subprocess.run(["git", "describe"])
        async def serve():
            await site.start()
            subprocess.run(["git", "describe"])
        """
    )
    assert where(found) == [(8, "GIL204")]
