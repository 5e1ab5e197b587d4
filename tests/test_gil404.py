"""GIL404 across modules: a bound found in another module of the project (a semaphore
taken by an imported coroutine, a connection pool inherited from a base class)."""

from __future__ import annotations

from pathlib import Path

from gil_lint.config import Settings
from gil_lint.engine.knowledge import load_knowledge
from gil_lint.engine.lint import lint_source
from gil_lint.engine.project import Project

# GIL404 is off by default
GIL404_ON = Settings(select=("GIL404",))

CORE = """\
import asyncio


class ConnectionPool:
    def __init__(self, limit=512):
        self.limit = limit

    async def start(self):
        self.semaphore = asyncio.Semaphore(self.limit)


class Plain:
    async def ping(self, worker):
        pass


class Server:
    def __init__(self, connection_limit):
        self.rpc = ConnectionPool(limit=connection_limit)
        self.plain = Plain()
"""

HELPERS = """\
import asyncio

_gate = asyncio.BoundedSemaphore(8)


async def fetch(session, url):
    async with _gate:
        return await session.get(url)


async def fetch_unbounded(session, url):
    return await session.get(url)
"""

SCHEDULER = """\
import asyncio

from pkg import Server
from pkg.helpers import fetch, fetch_unbounded


class ServerNode(Server):
    pass


class Scheduler(ServerNode):
    async def profile(self, workers):
        return await asyncio.gather(*(self.rpc(w).profile() for w in workers))

    async def ping(self, workers):
        return await asyncio.gather(*(self.plain.ping(w) for w in workers))


async def crawl(session, urls):
    return await asyncio.gather(*(fetch(session, u) for u in urls))


async def crawl_unbounded(session, urls):
    return await asyncio.gather(*(fetch_unbounded(session, u) for u in urls))
"""


def _lint(tmp_path: Path) -> dict[int, str]:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .core import Server\n")
    (pkg / "core.py").write_text(CORE)
    (pkg / "helpers.py").write_text(HELPERS)
    path = pkg / "scheduler.py"
    path.write_text(SCHEDULER)
    project = Project(load_knowledge(), [tmp_path])
    settings = Settings(project_root=tmp_path, select=("GIL404",))
    found = lint_source(SCHEDULER, str(path), settings, project=project)
    lines = SCHEDULER.splitlines()
    return {d.row: lines[d.row - 1].strip() for d in found}


def test_bounds_in_other_modules_are_found(tmp_path):
    found = _lint(tmp_path)
    # the pool inherited through two bases (one re-exported) keeps a semaphore;
    # `fetch` in another module takes one
    assert 13 not in found and 20 not in found, found
    # a client class with no semaphore, a coroutine with none: still reported
    assert set(found) == {16, 24}, found


# -- gathers that start nothing new, or whose client caps concurrency (#14's review) --------
def _findings(source: str, tmp_path: Path) -> list[int]:
    path = tmp_path / "mod.py"
    path.write_text(source)
    settings = Settings(project_root=tmp_path, select=("GIL404",))
    return [d.row for d in lint_source(source, str(path), settings)]


HELD_TASKS = """\
import asyncio


class Nodes:
    async def aclose(self, attr="nodes_cache"):
        await asyncio.gather(
            *(asyncio.create_task(node.disconnect()) for node in getattr(self, attr).values())
        )

    async def drop(self):
        await asyncio.gather(*(asyncio.ensure_future(n.close()) for n in self.nodes.values()))

    async def _disconnect(self, connections):
        connections = tuple(connections)
        return await asyncio.gather(*(c.disconnect() for c in connections))

    async def disconnect_all(self):
        await self._disconnect(self._available + self._in_use)


def cancel_all(loop):
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in tasks:
        t.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class Fetcher:
    def reset(self, tps):
        assignment = self._subscriptions.assignment
        waiters = []
        for tp in tps:
            state = assignment.state_value(tp)
            state.await_reset()
            waiters.append(state.wait_for_position())
        return asyncio.gather(*waiters)
"""


def test_gathers_over_existing_objects_are_not_reported(tmp_path):
    assert _findings(HELD_TASKS, tmp_path) == []


NEW_WORK = """\
import asyncio


class Nodes:
    async def refresh(self, attr):
        # a new request per node: work starts here
        await asyncio.gather(
            *(asyncio.create_task(node.refresh()) for node in getattr(self, attr).values())
        )


async def fetch_all(session, urls):
    waiters = []
    for u in urls:
        request = session.get(u)
        waiters.append(request)
    return await asyncio.gather(*waiters)


async def poll(tps, start):
    waiters = []
    for tp in tps:
        job = asyncio.create_task(start(tp))
        waiters.append(job.wait_for_result())
    return await asyncio.gather(*waiters)
"""


def test_gathers_that_start_work_per_item_are_still_reported(tmp_path):
    assert _findings(NEW_WORK, tmp_path) == [7, 17, 25]


POOLED = """\
import asyncio

import aiomcache


class Cache:
    def __init__(self, host, port, pool_size=2):
        self.client = aiomcache.Client(host, port, pool_size=pool_size)
        self.open = aiomcache.Client(host, port)

    async def multi_set(self, pairs):
        tasks = []
        for key, value in pairs:
            tasks.append(self.client.set(key, value))
        await asyncio.gather(*tasks)

    async def multi_set_open(self, pairs):
        await asyncio.gather(*(self.open.set(k, v) for k, v in pairs))


async def store(pairs):
    client = aiomcache.Client("localhost", 11211, pool_size=0)
    await asyncio.gather(*(client.set(k, v) for k, v in pairs))
"""


def test_a_client_with_a_pool_size_bounds_its_requests(tmp_path):
    # `pool_size=N` caps connections on any client; none, or 0, caps nothing
    assert _findings(POOLED, tmp_path) == [18, 23]


def test_a_parameter_rebound_to_a_copy_of_itself_is_still_held():
    # `connections = tuple(connections)`: the pool's own connections, only disconnected
    code = (
        "import asyncio\nfrom typing import Iterable\n"
        "async def disconnect_all(connections: Iterable['Connection']):\n"
        "    connections = tuple(connections)\n"
        "    return await asyncio.gather(*(c.disconnect() for c in connections))\n"
    )
    assert [d.code for d in lint_source(code, "t.py", GIL404_ON)] == []
    # a rebinding to something new is judged as such
    fresh = code.replace("tuple(connections)", "make_connections(connections)")
    assert [d.code for d in lint_source(fresh, "t.py", GIL404_ON)] == ["GIL404"]
