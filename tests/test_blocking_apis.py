"""The blocking APIs of issue #15, one call each (``tests/blocking_apis.txt``), and the
receivers that must stay silent: async clients, shadowed names, names rebound to another
type."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gil_lint.config import ConfigError, Settings, load_settings, settings_from_table
from gil_lint.engine.lint import lint_source

TABLE = Path(__file__).parent / "blocking_apis.txt"
# the share of the table's rows that must be reported (known gaps are marked `!`)
REPORTED_BAR = 0.90


def _rows() -> list[tuple[bool, str, str, str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        gap = line.startswith("!")
        code, imports, setup, call = (part.strip() for part in line.lstrip("!").split(" | "))
        rows.append((gap, code, imports, setup, call))
    return rows


ROWS = _rows()


def _source(imports: str, setup: str, call: str) -> tuple[str, int]:
    """The row as a module, and the row of its call."""
    lines = [f"import {m.strip()}" for m in imports.split(",") if m.strip() != "builtins"]
    lines.append("async def case(p, q, u, fd, fd2, fh, b, sock, addr, rl, wl, xl, data, other,")
    lines.append("               sql, dsn, req, a, msg, ops, params, path, argv, env,")
    lines.append("               work, items, conns, out, Model):")
    if setup != "-":
        lines.append(f"    {setup}")
    lines.append(f"    {call}")
    return "\n".join(lines) + "\n", len(lines)


def _codes_on(source: str, row: int) -> list[str]:
    # every blocking rule, the opt-in metadata rule (GIL208) too
    # ... reported there, or joined to the finding of the setup's blocking call in the same
    # coroutine (`db = sqlite3.connect(p)` then `db.rollback()`: one finding, "also" evidence)
    settings = Settings(extend_select=("GIL208", "GIL209"))
    return [
        d.code
        for d in lint_source(source, "case.py", settings)
        if d.row == row or any(e.row == row and e.message.startswith("also") for e in d.evidence)
    ]


@pytest.mark.parametrize(
    ("gap", "code", "imports", "setup", "call"),
    ROWS,
    ids=[f"{r[1]}-{r[4]}" for r in ROWS],
)
def test_one_call(gap: bool, code: str, imports: str, setup: str, call: str):
    source, row = _source(imports, setup, call)
    found = _codes_on(source, row)
    if gap:
        assert code not in found, f"reported now: drop the `!` of this row\n{source}"
    else:
        assert found == [code], source


def test_enough_of_the_table_is_reported():
    reported = sum(1 for gap, *_ in ROWS if not gap)
    assert len(ROWS) >= 171
    assert reported / len(ROWS) >= REPORTED_BAR


SILENT = {
    # async clients and files
    "async_client": "import httpx\nasync def f(u):\n    c = httpx.AsyncClient()\n"
    "    return await c.get(u)\n",
    "async_client_annotated": "import httpx\nasync def f(c: httpx.AsyncClient, u):\n"
    "    r = c.get(u)\n    return await r\n",
    "aiofiles": "import aiofiles\nasync def f(p):\n    async with aiofiles.open(p) as fh:\n"
    "        return await fh.read()\n",
    "asyncio_lock": "import asyncio\nasync def f(lock: asyncio.Lock):\n    await lock.acquire()\n",
    "asyncio_queue": "import asyncio\nq: asyncio.Queue = asyncio.Queue()\nasync def f():\n"
    "    return await q.get()\n",
    "in_memory_file": "import io\nasync def f():\n    buf = io.StringIO()\n"
    "    buf.write('x')\n    return buf.read()\n",
    # a parameter shadows the global client
    "shadowed_global": "import requests\nSESSION = requests.Session()\n"
    "async def f(SESSION, u):\n    return SESSION.get(u)\n",
    "shadowed_closure": "import io\ndef outer(f: io.TextIOWrapper):\n"
    "    async def inner(f: int):\n        return f.read()\n    return inner\n",
    # rebound to another type
    "rebound_global": "import requests, httpx\nSESSION = requests.Session()\n"
    "def setup():\n    global SESSION\n    SESSION = httpx.AsyncClient()\n"
    "async def f(u):\n    return SESSION.get(u)\n",
    "rebound_local": "import io\nasync def f(fh: io.TextIOWrapper):\n"
    "    fh: int = 7\n    return fh.read()\n",
    "rebound_annotated_global": "import httpx\nclient = httpx.Client()\nclient: int = 4\n"
    "async def f():\n    return client.send()\n",
    # an abstract file type may be in memory
    "typing_io": "import typing\nasync def f(fh: typing.IO[str]):\n    return fh.read()\n",
    # pure path-string functions
    "path_strings": "import os.path\nasync def f(p):\n"
    "    return os.path.normpath(os.path.join(os.path.abspath(p), os.path.relpath(p),"
    " os.path.expanduser(p)))\n",
    # timeouts of zero poll
    "select_zero": "import select\nasync def f(r):\n    return select.select(r, [], [], 0)\n",
    "selector_zero": "import selectors\nasync def f(sel: selectors.BaseSelector):\n"
    "    return sel.select(0)\n",
    "shutdown_nowait": "import concurrent.futures\n"
    "async def f(ex: concurrent.futures.ThreadPoolExecutor):\n    ex.shutdown(wait=False)\n",
    # making a redis pipeline sends nothing
    "redis_pipeline": "import redis\nasync def f(r: redis.Redis):\n"
    "    pipe = r.pipeline()\n    pipe.set('a', 1)\n    return pipe\n",
    # a coroutine function's result is a coroutine, whatever it returns
    "async_factory": "import httpx\nasync def make() -> httpx.Client:\n    return httpx.Client()\n"
    "async def f(u):\n    c = make()\n    return c.get(u)\n",
}


@pytest.mark.parametrize("source", SILENT.values(), ids=SILENT.keys())
def test_silent(source: str):
    found = [(d.row, d.code) for d in lint_source(source, "case.py", Settings())]
    assert not [f for f in found if f[1].startswith("GIL20")], found


REPORTED = {
    # every receiver form of the issue, one each
    "stored_on_self": "import sqlite3\nclass Store:\n    def __init__(self, p):\n"
    "        self.db = sqlite3.connect(p)\n    async def get(self, sql):\n"
    "        return self.db.execute(sql)\n",
    "class_body_annotation": "import threading\nclass Worker:\n    lock: threading.RLock\n"
    "    async def run(self):\n        self.lock.acquire()\n",
    "module_global": "import requests\nSESSION = requests.Session()\nasync def f(u):\n"
    "    return SESSION.get(u)\n",
    "return_annotation": "import httpx\ndef make_client() -> httpx.Client:\n"
    "    return build()\nasync def f(u):\n    c = make_client()\n    return c.get(u)\n",
    "return_value": "import httpx\ndef make_client():\n    return httpx.Client(timeout=5)\n"
    "async def f(u):\n    return make_client().get(u)\n",
    "alias": "import io\nasync def f(ff: io.BufferedReader):\n    fh = ff\n    return fh.read()\n",
    "closure": "import io\ndef outer(fh: io.TextIOWrapper):\n    async def inner():\n"
    "        return fh.read()\n    return inner\n",
    "string_annotation": "import httpx\nasync def f(c: 'httpx.Client', u):\n    return c.get(u)\n",
    "future_annotations": "from __future__ import annotations\nimport httpx\n"
    "async def f(c: httpx.Client | None, u):\n    return c.get(u)\n",
    "annotated_local": "import urllib3\nasync def f(u):\n"
    "    c: urllib3.PoolManager = make()\n    return c.request('GET', u)\n",
    "rebound_back": "import io\nasync def f(fh: io.TextIOWrapper):\n    fh: int = 7\n"
    "    fh: io.TextIOWrapper = reopen()\n    return fh.read()\n",
    "string_parameter_then_rebound": "import io\nasync def f(fh: 'io.TextIOWrapper', p):\n"
    "    data = fh.read()\n    fh = p\n    return data\n",
}


@pytest.mark.parametrize("source", REPORTED.values(), ids=REPORTED.keys())
def test_reported(source: str):
    found = [d.code for d in lint_source(source, "case.py", Settings())]
    assert len([c for c in found if c.startswith("GIL20")]) == 1, found


def test_user_taught_driver():
    """``[tool.gil-lint.knowledge]`` returns/bases teach gil-lint a driver of one's own."""
    source = (
        "import mycorp.db\nasync def f(q):\n    conn = mycorp.db.connect()\n"
        "    return conn.query(q)\n"
    )
    assert lint_source(source, "case.py", Settings()) == []
    settings = Settings(
        knowledge=(
            ("bases", ("mycorp.db.Connection=mycorp.db.BaseConnection",)),
            ("blocking-network", ("mycorp.db.BaseConnection.query",)),
            ("returns", ("mycorp.db.connect=mycorp.db.Connection",)),
        )
    )
    found = lint_source(source, "case.py", settings)
    assert [(d.row, d.code) for d in found] == [(4, "GIL202")]


def test_user_tables_from_pyproject(tmp_path):
    """The README's driver example, read from a pyproject.toml by the CLI."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.gil-lint.knowledge]\n"
        'blocking-network = ["mycorp.db.BaseConnection.query"]\n'
        'returns = { "mycorp.db.connect" = "mycorp.db.Connection" }\n'
        'bases = { "mycorp.db.Connection" = "mycorp.db.BaseConnection" }\n'
        'aliases = { "mycorp.db.conn.Connection" = "mycorp.db.Connection" }\n',
        encoding="utf-8",
    )
    settings = settings_from_table(
        {"knowledge": {"returns": {"a.connect": "a.Conn"}, "bases": {"a.Conn": "a.Base"}}},
        "pyproject.toml",
    )
    assert ("returns", ("a.connect=a.Conn",)) in settings.knowledge
    loaded = load_settings(config=tmp_path / "pyproject.toml")
    source = (
        "import mycorp.db.conn\nasync def f(c: mycorp.db.conn.Connection, q):\n"
        "    return c.query(q)\n"
    )
    assert [d.code for d in lint_source(source, "case.py", loaded)] == ["GIL202"]


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({"returns": ["a.b"]}, "expected a table of qualified names"),
        ({"returns": {"a.b": 3}}, "expected a qualified name, got 3"),
        ({"bases": {"a b": "c"}}, "'a b' is not a qualified name"),
        ({"aliases": {"a": "b=c"}}, "expected a qualified name, got 'b=c'"),
    ],
)
def test_bad_user_tables_are_one_line(table, fragment):
    with pytest.raises(ConfigError) as e:
        settings_from_table({"knowledge": table}, "pyproject.toml")
    assert fragment in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_user_table_exits_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.gil-lint.knowledge]\nreturns = ["x"]\n', encoding="utf-8"
    )
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "gil_lint", "--no-cache", str(tmp_path / "a.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "expected a table of qualified names" in done.stderr


def test_lazily_made_global_client():
    """``SESSION = None`` at import, made in a function under ``global``: the coroutine
    calls the session; and a global rebound to an async client is not reported."""
    source = (
        "import requests\nSESSION = None\ndef setup():\n    global SESSION\n"
        "    SESSION = requests.Session()\nasync def f(u):\n    return SESSION.get(u)\n"
    )
    assert [(d.row, d.code) for d in lint_source(source, "case.py", Settings())] == [(7, "GIL202")]


def test_a_non_blocking_call_ends_a_helper_chain():
    """A call listed non-blocking (``threading.Thread.start``, or the user's) is not
    followed into its body, however many helpers down."""
    source = (
        "import time\ndef helper():\n    time.sleep(1)\ndef wrapper():\n    helper()\n"
        "async def f():\n    wrapper()\n"
    )
    assert [d.code for d in lint_source(source, "case.py", Settings())] == ["GIL201"]
    quiet = Settings(knowledge=(("non-blocking", ("case.helper",)),))
    assert lint_source(source, "case.py", quiet) == []


def test_inherited_entries_keep_the_class_and_survive_a_cycle():
    from gil_lint.engine.knowledge import load_knowledge

    k = load_knowledge()
    # listed on the base only: found there; the finding keeps the subclass's name
    assert k.entry("urllib3.HTTPSConnectionPool.urlopen") == "urllib3.HTTPConnectionPool.urlopen"
    assert k.blocking_category("urllib3.ProxyManager.request_encode_url") == "network"
    assert k.blocking_category("multiprocessing.pool.ThreadPool.map") == "sync"
    # listed on the subclass itself: its own entry wins
    assert k.entry("multiprocessing.pool.ThreadPool.apply_async") == (
        "multiprocessing.pool.ThreadPool.apply_async"
    )
    # a base's unknown method stays the subclass's name
    assert k.entry("urllib3.HTTPSConnectionPool.is_same_host") == (
        "urllib3.HTTPSConnectionPool.is_same_host"
    )
    looped = load_knowledge((("bases", ("a.A=a.B", "a.B=a.A")),))
    assert looped.blocking_category("a.A.run") is None
