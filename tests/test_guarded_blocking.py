"""Blocking through a branch the call never takes: a helper's blocking call under
``if host and port:`` on its parameters is not reported from a call that leaves them at a
falsy default (issue #14's review, redis ``get_node(node_name=...)``)."""

from __future__ import annotations

from pathlib import Path

from test_eval_files import reported_sites

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source

NODES = """\
import socket
import time


class Nodes:
    def get_node(self, host=None, port=None, node_name=None):
        if host and port:
            if host == "example":
                host = socket.gethostbyname(host)
            return self.cache.get((host, port))
        elif node_name:
            return self.cache.get(node_name)
        raise ValueError("host and port, or node_name")

    def lookup(self, host=None, port=None, node_name=None):
        # a wrapper passing its own parameters on is guarded by them in turn
        return self.get_node(host, port, node_name)

    def resolve(self, name, fresh=False):
        if fresh:
            time.sleep(1)
        return name

    def resolve_or_wait(self, name, fresh=False):
        if fresh:
            time.sleep(1)
        time.sleep(0.5)
        return name

    def reset(self, host=None):
        host = host or "example"
        if host:
            socket.gethostbyname(host)

    def pause(self, delay=None):
        if delay is not None:
            time.sleep(delay)

    def pause_twice(self, delay=None):
        return self.pause(delay)

    def lookup_if(self, host=None):
        if host is not None:
            socket.gethostbyname(host)


class Client:
    def __init__(self):
        self.nodes = Nodes()

    async def by_name(self, name):
        return self.nodes.get_node(node_name=name)

    async def by_name_through_wrapper(self, name):
        return self.nodes.lookup(node_name=name)

    async def by_falsy_constant(self, name):
        return self.nodes.resolve(name, False)

    async def by_address(self, host, port):
        return self.nodes.get_node(host=host, port=port)

    async def by_address_through_wrapper(self, host, port):
        return self.nodes.lookup(host, port)

    async def by_flag(self, name, fresh):
        return self.nodes.resolve(name, fresh=fresh)

    async def by_kwargs(self, **kwargs):
        return self.nodes.get_node(**kwargs)

    async def unguarded_too(self, name):
        return self.nodes.resolve_or_wait(name)

    async def reassigned(self):
        return self.nodes.reset()

    async def no_pause(self):
        self.nodes.pause()
        self.nodes.pause_twice(delay=None)

    async def empty_host_is_not_none(self):
        # `"" is not None`: the branch runs (falsy, but the guard asks only not None)
        self.nodes.lookup_if("")

    async def zero_pause(self):
        # the guard holds, but `time.sleep(0.0)` is no wait: the helper's sleep of its own
        # parameter is a poll when a call passes 0
        self.nodes.pause(0.0)
"""


def _rows(tmp_path: Path) -> list[int]:
    path = tmp_path / "nodes.py"
    path.write_text(NODES)
    settings = Settings(project_root=tmp_path, select=("GIL201", "GIL202"))
    # a root cause reached from several call sites is one finding, the others its evidence
    return sorted(r for r, _ in reported_sites(lint_source(NODES, str(path), settings)))


def test_a_call_that_leaves_the_guard_falsy_does_not_block(tmp_path):
    rows = _rows(tmp_path)
    lines = NODES.splitlines()
    found = {lines[r - 1].strip() for r in rows}
    # left at `None` (directly, and through a wrapper), or `False` passed
    assert not any("node_name=name" in line for line in found), found
    assert "return self.nodes.resolve(name, False)" not in found
    # passed on, an unguarded wait beside the guarded one, `**kwargs`, a reassigned guard:
    # still reported
    assert found == {
        "return self.nodes.get_node(host=host, port=port)",
        "return self.nodes.lookup(host, port)",
        "return self.nodes.resolve(name, fresh=fresh)",
        "return self.nodes.get_node(**kwargs)",
        "return self.nodes.resolve_or_wait(name)",
        "return self.nodes.reset()",
        'self.nodes.lookup_if("")',
    }, found


def test_a_call_on_the_way_to_raising_an_error_is_not_reported():
    # gradio's `if process.returncode != 0: raise Error(ffmpeg_failed())`, where the helper
    # asks `ffmpeg -version` for the message; an except clause that re-raises is a failure
    # path too. The same helper on a path that goes on stays reported.
    source = """\
import subprocess
import time


def version():
    return subprocess.run(["ffmpeg", "-version"], capture_output=True).stdout


async def combine(process):
    if process.returncode != 0:
        raise RuntimeError(f"failed: {version()}")
    try:
        process.check()
    except OSError:
        time.sleep(1)
        raise
    if process.returncode == 1:
        version()
        return None
    time.sleep(2)
"""
    found = lint_source(source, "app.py", Settings(select=("ALL",)))
    assert sorted((d.row, d.code) for d in found if d.code.startswith("GIL2")) == [
        (18, "GIL204"),
        (20, "GIL201"),
    ]


def test_a_helper_of_a_two_mode_class_does_not_block_where_the_async_mode_is_tested():
    # weaviate's auth: `if self.__colour == "async": return _execute()` before the sync
    # `httpx.Client` code; called from a coroutine defined under the same test, the
    # helper returns the coroutine. A coroutine with no such test still blocks.
    source = """\
import httpx
from somewhere import wrap


class Auth:
    def __init__(self, colour):
        self.__colour = colour

    def _get_token_endpoint(self):
        if self.__colour == "async":

            async def _execute():
                async with httpx.AsyncClient() as client:
                    return await client.get("x")

            return _execute()
        with httpx.Client() as client:
            return client.get("x")

    def session(self):
        if self.__colour == "async":

            async def _execute():
                return await wrap(self._get_token_endpoint())

            return _execute()
        return self._get_token_endpoint()

    async def other(self):
        return self._get_token_endpoint()
"""
    found = lint_source(source, "app.py", Settings(select=("ALL",)))
    assert [(d.row, d.code) for d in found if d.code.startswith("GIL2")] == [(30, "GIL202")]


def test_an_early_return_on_a_falsy_parameter_guards_what_follows():
    # skyvern's `validate_url` calls `is_blocked_host(host, resolve_dns=False)`, which
    # returns at `if not resolve_dns: return False` before its DNS lookup; the same holds
    # for `if p is None: raise`, `if not a or not b: continue` in a loop, and nested blocks
    source = """\
import socket
def is_blocked_host(host, resolve_dns=True):
    if host == "localhost":
        return True
    if not resolve_dns:
        return False
    return bool(socket.getaddrinfo(host, 80))
def lookup(host, resolver=None):
    if resolver is None:
        raise ValueError(host)
    for attempt in range(3):
        with open("/dev/null"):
            return socket.gethostbyname(host)
async def checked(url):
    return is_blocked_host(url, resolve_dns=False), lookup(url)
async def resolved(url, r):
    return is_blocked_host(url), lookup(url, r)
"""
    found = lint_source(source, "app.py", Settings(select=("GIL202",)))
    assert sorted((d.row, d.message.split(" calls ")[1].split(" (")[0]) for d in found) == [
        (17, "`is_blocked_host`")
    ]
    assert "1 more blocking call in this function" in found[0].message


def test_the_else_of_a_flag_a_call_sets_is_never_taken():
    # praisonai's `_resolve_approval_decision(..., is_async=True)`: the coroutine path
    # returns before the sync path's `future.result()`; `if not flag:` and `if flag:
    # return` guard the same way, and a call that leaves the flag false still blocks
    source = """\
import concurrent.futures
def wait(fut: concurrent.futures.Future):
    return fut.result()
class Approvals:
    def decide(self, fut, is_async=False):
        if fut is not None:
            if is_async:
                async def ask():
                    return 1
                return ask()
            else:
                return wait(fut)
        return None
    def decide_early(self, fut, is_async=False):
        if is_async:
            return None
        return wait(fut)
    def decide_not(self, fut, is_async=False):
        if not is_async:
            return wait(fut)
        return None
    async def check(self, fut):
        await self.decide(fut, is_async=True)
        await self.decide_early(fut, is_async=True)
        await self.decide_not(fut, True)
    async def check_sync(self, fut):
        return self.decide(fut)
"""
    found = lint_source(source, "app.py", Settings(select=("GIL205",)))
    assert [d.row for d in found] == [27]


def test_what_runs_only_when_no_loop_runs_is_not_reached_from_a_coroutine():
    # praisonai's event bus: `try: asyncio.get_running_loop() except RuntimeError:` waits
    # on a future through a sync bridge only when no loop runs; with one (a coroutine's
    # call) it schedules the callback instead. A `try` that also calls something else may
    # reach its handler with a loop running: still reported
    source = """\
import asyncio
import concurrent.futures
def bridge(coro):
    fut: concurrent.futures.Future = submit(coro)
    return fut.result()
def publish(callback, event):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        bridge(callback(event))
    else:
        asyncio.ensure_future(callback(event))
def publish_loose(callback, event):
    try:
        asyncio.get_running_loop()
        event.validate()
    except RuntimeError:
        bridge(callback(event))
async def spawn(callback):
    publish(callback, "spawned")
async def spawn_loose(callback):
    publish_loose(callback, "spawned")
"""
    found = lint_source(source, "app.py", Settings(select=("GIL205",)))
    assert [d.row for d in found] == [22]


def test_a_coroutine_a_sync_function_runs_alone_on_its_own_loop_blocks_nothing_else():
    # praisonai's stream bridge: a daemon thread makes a loop only to run `pump()`, which
    # waits on a bounded queue on purpose; nothing else is on that loop. One that starts
    # more work there (a gather), or is handed on as well, shares its loop: reported
    source = """\
import asyncio, queue, time
def bridge(stream, out: queue.Queue):
    def run():
        loop = asyncio.new_event_loop()
        async def pump():
            async for item in stream:
                out.put(item, timeout=0.1)
        loop.run_until_complete(pump())
    return run
def wait_ready(check):
    async def poll():
        while not await check():
            time.sleep(1)
    return asyncio.run(poll())
def fan_out(fetch, urls):
    async def crawl():
        time.sleep(1)
        return await asyncio.gather(*(fetch(u) for u in urls))
    return asyncio.run(crawl())
def handed(loop):
    async def tick():
        time.sleep(1)
    loop.create_task(tick())
    return asyncio.run(tick())
"""
    found = lint_source(source, "app.py", Settings(select=("GIL201", "GIL205")))
    assert [d.row for d in found] == [17, 22]


def test_a_private_coroutine_only_run_on_a_loop_of_its_own_blocks_nothing_else():
    # ray's reporter: an executor thread runs `asyncio.run(self._compose())`, and
    # `_compose` awaits `self._collect()`, which fetches with `requests`; nothing else is
    # on that loop. A public coroutine (any module may await it), one also awaited by a
    # coroutine on the serving loop, or one whose runner starts a task there, is reported
    source = """\
import asyncio, requests
class Reporter:
    def _run_in_executor(self):
        return asyncio.run(self._compose())
    async def _compose(self):
        return await self._collect()
    async def _collect(self):
        return requests.get("http://tpu/metrics")
    def _run_shared(self):
        return asyncio.run(self._compose_shared())
    async def _compose_shared(self):
        return await self._collect_shared()
    async def _collect_shared(self):
        return requests.get("http://tpu/metrics")
    async def serve(self):
        return await self._collect_shared()
    def _run_busy(self):
        return asyncio.run(self._busy())
    async def _busy(self):
        self.ticker = asyncio.create_task(self.tick())
        return await self._collect_busy()
    async def _collect_busy(self):
        return requests.get("http://tpu/metrics")
    def run_public(self):
        return asyncio.run(self.collect_public())
    async def collect_public(self):
        return requests.get("http://tpu/metrics")
"""
    found = lint_source(source, "app.py", Settings(select=("GIL202",)))
    assert [d.row for d in found] == [14, 23, 27]


def test_a_wait_whose_timeout_the_call_sets_to_zero_is_a_poll():
    # praisonai's message queue: the async `dequeue` calls the sync one with `timeout=0`,
    # which hands it to `Condition.wait`: a poll. Left at its default, or rebound in the
    # helper, the wait may block
    source = """\
import threading
class SyncQueue:
    def __init__(self):
        self._not_empty = threading.Condition()
        self._items = []
    def dequeue(self, timeout=None):
        with self._not_empty:
            if not self._items and timeout is not None:
                self._not_empty.wait(timeout)
            return self._items.pop() if self._items else None
    def dequeue_at_least(self, timeout=None):
        timeout = max(timeout or 0, 1)
        self._not_empty.wait(timeout)
class AsyncQueue:
    def __init__(self):
        self._sync = SyncQueue()
    async def poll(self):
        return self._sync.dequeue(timeout=0)
    async def wait(self):
        return self._sync.dequeue(timeout=5)
    async def poll_at_least(self):
        return self._sync.dequeue_at_least(timeout=0)
"""
    found = lint_source(source, "app.py", Settings(select=("GIL205",)))
    assert [d.row for d in found] == [20, 22]


def test_a_text_file_read_gives_way_to_a_guarded_wait_with_its_guard():
    # praisonai's `_resolve_approval_decision`: a diff preview reads a text file (GIL209's,
    # off by default) on every path, then the sync branch of `if is_async:` waits on a
    # future. The wait is the blocking kept, so its guard is the function's: a call
    # passing `is_async=True` never waits, and the preview does not undo that
    from gil_lint.engine.summaries import Step, _Facts

    read = ("text", (Step("`open`", "a.py", 3, 0),))
    wait = ("sync", (Step("`fut.result`", "a.py", 9, 0),))
    for order in (
        ((read, frozenset()), (wait, frozenset({"is_async is falsy"}))),
        (
            (wait, frozenset({"is_async is falsy"})),
            (read, frozenset()),
        ),
    ):
        facts = _Facts()
        for blocking, guard in order:
            facts.blocks(blocking, guard)
        assert facts.blocking == wait
        assert facts.guard == frozenset({"is_async is falsy"})
    # two waits: what every one of them needs
    facts = _Facts()
    facts.blocks(wait, frozenset({"is_async is falsy"}))
    facts.blocks(("sync", (Step("`lock.acquire`", "a.py", 12, 0),)), frozenset())
    assert facts.guard == frozenset()


def test_the_fallback_for_a_library_that_failed_to_import_is_not_reported():
    # python-a2a's streaming client: `requests` only when `import aiohttp` failed — the
    # degraded mode of an install without the async library, fixed by installing it
    source = """\
import requests

try:
    import httpx
except ImportError:
    httpx = None


class Client:
    def __init__(self):
        try:
            import aiohttp

            self._has_aiohttp = True
        except ImportError:
            self._has_aiohttp = False
        self.fast = True

    async def send(self, url):
        if not self._has_aiohttp:
            return requests.post(url)
        return await self.post(url)

    async def probe(self, url):
        if httpx is None:
            return requests.get(url)
        if self._has_aiohttp:
            return await self.post(url)
        else:
            return requests.get(url)

    async def poll(self, url):
        if not self.fast:
            return requests.get(url)
        return requests.head(url)
"""
    found = lint_source(source, "app.py", Settings(select=("GIL202",)))
    # a flag not set by an import failure still blocks (one finding for the function)
    assert sorted(d.row for d in found) == [34]
    # a flag the module also turns off for other reasons is not an import failure
    off = source.replace("self.fast = True", "self.fast = True\n        self._has_aiohttp = False")
    found = lint_source(off, "app.py", Settings(select=("GIL202",)))
    assert sorted(d.row for d in found) == [22, 31, 35]
