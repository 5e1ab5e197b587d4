"""GIL404 across modules: a bound found in another module of the project (a semaphore
taken by an imported coroutine, a connection pool inherited from a base class)."""

from __future__ import annotations

from pathlib import Path

from gil_lint.config import Settings
from gil_lint.engine.knowledge import load_knowledge
from gil_lint.engine.lint import lint_source
from gil_lint.engine.project import Project

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
