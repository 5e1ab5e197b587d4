"""Argument forms that make a blocking call return at once (engine/callforms.py and
``[non_blocking_forms]`` in the knowledge): not reported directly, nor through a helper;
the blocking forms next to them still are."""

from __future__ import annotations

import ast
import textwrap

import pytest

from gil_lint.config import Settings
from gil_lint.engine.callforms import argument, done_checked
from gil_lint.engine.knowledge import load_knowledge
from gil_lint.engine.lint import lint_source

SETTINGS = Settings(select=("ALL",), target_gil="enabled")


def codes(source: str) -> list[tuple[int, str]]:
    found = lint_source(textwrap.dedent(source), "mod.py", SETTINGS)
    return sorted((d.row, d.code) for d in found if d.code.startswith("GIL2"))


# Each case: a module whose last line is the call (inside `async def f`); the call must
# not be reported, and neither a sync helper holding it and called from `async def g`.
NON_BLOCKING = {
    "sqlite-memory": ("import sqlite3", "sqlite3.connect(':memory:')"),
    "sqlite-memory-keyword": ("import sqlite3", "sqlite3.connect(database=':memory:')"),
    # the null device never waits and holds no data
    "devnull": ("import os", 'open(os.devnull, "w")'),
    "devnull-imported": ("from os import devnull as NULL", "open(NULL)"),
    "devnull-constant": ("import os\nSILENT = os.devnull", "open(file=SILENT, mode='wb')"),
    # a file the package ships: a path built from `__file__` (crawl4ai's JS snippets)
    "packaged-join": (
        "import os",
        "open(os.path.join(os.path.dirname(__file__), host + '.js')).read()",
    ),
    "packaged-constant": (
        "from pathlib import Path\nHERE = Path(__file__).parent",
        "(HERE / 'schema.json').read_text()",
    ),
    "packaged-receiver": ("from pathlib import Path", "Path(__file__).with_name('x.json').open()"),
    "numerichost-keyword": (
        "import socket",
        "socket.getaddrinfo(host, 0, flags=socket.AI_NUMERICHOST)",
    ),
    "numerichost-positional": (
        "import socket",
        "socket.getaddrinfo(host, 0, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, "
        "socket.AI_NUMERICHOST)",
    ),
    "numerichost-or-passive": (
        "import socket",
        "socket.getaddrinfo(host, 0, flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST)",
    ),
    "numerichost-module-constant": (
        "import socket\nNUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV",
        "socket.getaddrinfo(host, 0, flags=NUMERIC)",
    ),
    "numerichost-constant-of-constants": (
        "from socket import AI_NUMERICHOST, AI_PASSIVE, getaddrinfo\n"
        "BASE = AI_NUMERICHOST\nFLAGS = BASE | AI_PASSIVE",
        "getaddrinfo(host, 0, flags=FLAGS)",
    ),
    # `|` only adds bits: whatever `flags` holds, AI_NUMERICHOST is set
    "numerichost-or-parameter": (
        "import socket",
        "socket.getaddrinfo(host, 0, flags=host.flags | socket.AI_NUMERICHOST)",
    ),
    "getnameinfo-numeric": (
        "import socket",
        "socket.getnameinfo(host, socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)",
    ),
    # no reverse DNS: a service name comes from the local services file at most
    "getnameinfo-host-only": (
        "import socket",
        "socket.getnameinfo(host, socket.NI_NUMERICHOST)",
    ),
    # the local machine, written as a literal: the hosts file at most, or parsed
    "gethostbyname-localhost": ("import socket", 'socket.gethostbyname("localhost")'),
    "gethostbyname-ex-localhost-upper": ("import socket", 'socket.gethostbyname_ex("LOCALHOST")'),
    "getaddrinfo-ipv4-literal": ("import socket", 'socket.getaddrinfo("127.0.0.1", 80)'),
    "getaddrinfo-ipv6-literal-keyword": (
        "import socket",
        'socket.getaddrinfo(host="::1", port=80)',
    ),
    "queue-put-unbounded-global": ("import queue\nq = queue.Queue()", "q.put(host)"),
    "queue-put-maxsize-0": ("import queue\nq = queue.Queue(maxsize=0)", "q.put(host)"),
    "queue-put-negative": ("import queue\nq = queue.LifoQueue(-1)", "q.put(host)"),
    "queue-put-priority": ("from queue import PriorityQueue\nq = PriorityQueue()", "q.put(host)"),
    "queue-put-block-false": ("import queue\nq = queue.Queue(10)", "q.put(host, block=False)"),
    "queue-put-false-positional": ("import queue\nq = queue.Queue(10)", "q.put(host, False)"),
    "queue-put-timeout-0": ("import queue\nq = queue.Queue(10)", "q.put(host, True, 0)"),
    "mp-queue-put-unbounded": (
        "import multiprocessing\nq = multiprocessing.Queue()",
        "q.put(host)",
    ),
    "mp-context-queue-put": (
        "import multiprocessing\nq = multiprocessing.get_context('spawn').Queue()",
        "q.put(host)",
    ),
    "queue-get-nowait": ("import queue\nq = queue.Queue()", "q.get_nowait()"),
    "queue-put-nowait": ("import queue\nq = queue.Queue(1)", "q.put_nowait(host)"),
    "queue-get-false": ("import queue\nq = queue.Queue()", "q.get(False)"),
    "queue-get-timeout-0": ("import queue\nq = queue.Queue()", "q.get(timeout=0)"),
    "simple-queue-get-false": ("import queue\nq = queue.SimpleQueue()", "q.get(block=False)"),
    "acquire-false": ("import threading\nlock = threading.Lock()", "lock.acquire(False)"),
    "acquire-timeout-0": (
        "import threading\nlock = threading.Semaphore()",
        "lock.acquire(timeout=0)",
    ),
    "thread-join-0": ("import threading\nt = threading.Thread()", "t.join(timeout=0)"),
    "process-join-0": ("import multiprocessing\np = multiprocessing.Process()", "p.join(0)"),
    "event-wait-0": ("import threading\nev = threading.Event()", "ev.wait(0)"),
    "event-wait-timeout-0": ("import threading\nev = threading.Event()", "ev.wait(timeout=0.0)"),
    "future-result-0": (
        "from concurrent.futures import Future\nfut = Future()",
        "fut.result(timeout=0)",
    ),
    "shutdown-no-wait": (
        "from concurrent.futures import ThreadPoolExecutor\nex = ThreadPoolExecutor()",
        "ex.shutdown(wait=False)",
    ),
}

BLOCKING = {
    "sqlite-file": ("import sqlite3", "sqlite3.connect('app.db')"),
    "no-flags": ("import socket", "socket.getaddrinfo(host, 0)"),
    # a path that is not the null device, or the null device's name as a string
    "open-a-path": ("import os", "open(host)"),
    "open-beside-a-parameter": ("from pathlib import Path", "(Path(host) / 'x.json').read_text()"),
    "open-devnull-as-mode": ("import os", "open(host, os.devnull)"),
    # a timeout of 0 does not skip the name lookup (only the listed calls' timeouts count)
    "create-connection-timeout-0": ("import socket", "socket.create_connection(host, timeout=0)"),
    "other-flags": ("import socket", "socket.getaddrinfo(host, 0, flags=socket.AI_PASSIVE)"),
    "flag-in-wrong-position": (
        "import socket",
        "socket.getaddrinfo(host, 0, socket.AI_NUMERICHOST)",
    ),
    "flags-from-a-call": ("import socket", "socket.getaddrinfo(host, 0, flags=flags())"),
    "flag-masked-out": (
        "import socket",
        "socket.getaddrinfo(host, 0, flags=host.flags & ~socket.AI_NUMERICHOST)",
    ),
    "constant-assigned-twice": (
        "import socket\nF = socket.AI_NUMERICHOST\nF = socket.AI_PASSIVE",
        "socket.getaddrinfo(host, 0, flags=F)",
    ),
    "gethostbyname-remote-literal": ("import socket", 'socket.gethostbyname("example.com")'),
    "gethostbyname-parameter": ("import socket", "socket.gethostbyname(host)"),
    # a reverse lookup of a literal address still asks the resolver
    "gethostbyaddr-literal": ("import socket", 'socket.gethostbyaddr("127.0.0.1")'),
    "getaddrinfo-localhost-in-port": ("import socket", 'socket.getaddrinfo(host, "localhost")'),
    "getnameinfo-host-numeric-service-named": (
        "import socket",
        "socket.getnameinfo(host, socket.NI_NUMERICSERV)",
    ),
    "queue-put-bounded": ("import queue\nq = queue.Queue(10)", "q.put(host)"),
    "queue-put-bounded-keyword": ("import queue\nq = queue.Queue(maxsize=10)", "q.put(host)"),
    "queue-put-unknown-bound": ("import queue\nq = queue.Queue(size())", "q.put(host)"),
    "queue-put-kwargs-bound": ("import queue\nq = queue.Queue(**opts)", "q.put(host)"),
    "queue-put-one-bounded-assignment": (
        "import queue\nq = queue.Queue()\nq = queue.Queue(5)",
        "q.put(host)",
    ),
    "mp-queue-put-bounded": ("import multiprocessing\nq = multiprocessing.Queue(4)", "q.put(host)"),
    "queue-get-unbounded": ("import queue\nq = queue.Queue()", "q.get()"),
    "queue-get-block-true": ("import queue\nq = queue.Queue()", "q.get(True)"),
    "queue-get-timeout-1": ("import queue\nq = queue.Queue()", "q.get(timeout=1)"),
    "acquire": ("import threading\nlock = threading.Lock()", "lock.acquire()"),
    "acquire-timeout-1": ("import threading\nlock = threading.Lock()", "lock.acquire(True, 1)"),
    "join": ("import threading\nt = threading.Thread()", "t.join()"),
    "event-wait-1": ("import threading\nev = threading.Event()", "ev.wait(1)"),
    "future-result": ("from concurrent.futures import Future\nfut = Future()", "fut.result()"),
    "shutdown": (
        "from concurrent.futures import ThreadPoolExecutor\nex = ThreadPoolExecutor()",
        "ex.shutdown()",
    ),
}


def _direct(setup: str, call: str) -> str:
    return f"{setup}\nasync def f(host):\n    return {call}\n"


def _through_helper(setup: str, call: str) -> str:
    return f"{setup}\ndef helper(host):\n    return {call}\nasync def g(host):\n    helper(host)\n"


@pytest.mark.parametrize(("setup", "call"), NON_BLOCKING.values(), ids=NON_BLOCKING.keys())
def test_non_blocking_forms_are_not_reported(setup, call):
    assert codes(_direct(setup, call)) == []
    assert codes(_through_helper(setup, call)) == []


# taking a thread lock in a helper (a registry's `_acquire()`) is no evidence of a wait: its
# holders are judged where a coroutine takes the lock itself (rules/lock_holds.py)
_DIRECT_ONLY = frozenset({"lock.acquire()", "lock.acquire(True, 1)"})


@pytest.mark.parametrize(("setup", "call"), BLOCKING.values(), ids=BLOCKING.keys())
def test_blocking_forms_still_are(setup, call):
    direct = codes(_direct(setup, call))
    helper = codes(_through_helper(setup, call))
    last = len(setup.splitlines()) + 2
    assert len(direct) == 1 and direct[0][0] == last, direct
    if call in _DIRECT_ONLY:
        assert helper == [], helper
    else:
        assert len(helper) == 1 and helper[0][0] == last + 2, helper


def test_a_flags_parameter_stays_blocking():
    """A flag passed in by the caller could be anything: tornado's bind_sockets(flags=...)."""
    assert codes(
        """
        import socket
        async def f(host, flags):
            return socket.getaddrinfo(host, 0, flags=flags)
        """
    ) == [(4, "GIL202")]


def test_a_queue_made_in_init_is_found_through_self():
    source = """
        import queue
        class Feed:
            def __init__(self, bounded):
                self.events = queue.Queue()
                self.jobs = queue.Queue(maxsize=8)
                self.closed = None
            def close(self):
                self.events = None
            async def emit(self, event):
                self.events.put(event)
                self.jobs.put(event)
        """
    assert codes(source) == [(12, "GIL205")]


def test_a_global_queue_made_again_elsewhere():
    """Every assignment counts, also one in a function that declares the name global."""
    source = """
        import queue
        events = queue.Queue()
        jobs = queue.Queue()
        def configure(size):
            global jobs
            jobs = queue.Queue(size)
        def reset():
            global events
            events = queue.Queue()
        async def emit(event):
            events.put(event)
            jobs.put(event)
        """
    assert codes(source) == [(13, "GIL205")]


def test_a_queue_whose_bound_is_not_in_sight_is_not_reported_and_a_bounded_one_is():
    """A bound is what makes a `put` wait, and a finding needs evidence of one: a queue
    passed in (botbuilder's per-turn `Queue()`, filled by the coroutine it is handed to) is
    not reported; one made with a bound where it is seen is."""
    source = """
        import queue
        async def f(q: queue.Queue, item):
            q.put(item)
        class Pipe:
            def __init__(self, q: queue.Queue):
                self.q = q
                self.out = queue.Queue(maxsize=8)
            async def send(self, item):
                self.q.put(item)
                self.out.put(item)
        """
    assert codes(source) == [(11, "GIL205")]


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        ("if fut.done():\n    return fut.result()", False),
        ("if fut.done() and ready:\n    return fut.exception()", False),
        ("if fut.cancelled():\n    return fut.result()", False),
        ("if not fut.done():\n    return None\nreturn fut.result()", False),
        ("if not fut.done():\n    raise RuntimeError\nelse:\n    pass\nreturn fut.result()", True),
        ("if not fut.done():\n    pass\nelse:\n    return fut.result()", False),
        ("for f in fs:\n    if not f.done():\n        continue\n    print(f.result())", False),
        ("while not fut.done():\n    await asyncio.sleep(0.1)\nreturn fut.result()", False),
        # a `break` leaves the loop with the future perhaps not done
        (
            "while not fut.done():\n    if late:\n        break\n"
            "    await asyncio.sleep(0.1)\nreturn fut.result()",
            True,
        ),
        # done() of another future, done() not as the condition, a later check
        ("if other.done():\n    return fut.result()", True),
        ("ok = fut.done()\nreturn fut.result()", True),
        ("if not fut.done():\n    log()\nreturn fut.result()", True),
        ("x = fut.result()\nif not fut.done():\n    return\nreturn x", True),
        ("if fut.done():\n    pass\nelse:\n    return fut.result()", True),
        ("if fut.done() or ready:\n    return fut.result()", True),
        # a done callback, then an await for its signal (anyio's from_thread)
        (
            "ev = asyncio.Event()\nfut.add_done_callback(lambda _: ev.set())\n"
            "try:\n    await ev.wait()\nexcept asyncio.CancelledError:\n"
            "    if not fut.cancelled():\n        fut.result()\n    raise\n"
            "return fut.result()",
            False,
        ),
        # ... but a callback with no await after it says nothing
        ("fut.add_done_callback(print)\nreturn fut.result()", True),
        ("fut.add_done_callback(print)\nx = fut.result()\nawait asyncio.sleep(0)", True),
        ("other.add_done_callback(print)\nawait asyncio.sleep(0)\nreturn fut.result()", True),
    ],
)
def test_done_guards(body, reported):
    inner = textwrap.indent(body, "    ")
    direct = (
        "import asyncio\nfrom concurrent.futures import Future\n"
        f"async def f(fut: Future, other: Future, fs: list[Future], ready, late):\n{inner}\n"
    )
    found = lint_source(direct, "mod.py", SETTINGS)
    assert bool([d for d in found if d.code == "GIL205"]) is reported, direct


def test_done_guard_in_a_helper():
    source = """
        from concurrent.futures import Future
        def peek(fut: Future):
            if fut.done():
                return fut.result()
            return None
        def wait(fut: Future):
            return fut.result()
        async def f(fut: Future):
            peek(fut)
            wait(fut)
        """
    assert codes(source) == [(11, "GIL205")]


def test_loop_getaddrinfo_is_async_already():
    source = """
        import asyncio
        async def f(host):
            loop = asyncio.get_running_loop()
            return await loop.getaddrinfo(host, 80)
        """
    assert codes(source) == []


def test_argument_by_keyword_or_position():
    call = ast.parse("f(a, b, *rest, flags=c)").body[0].value  # type: ignore[attr-defined]
    assert ast.unparse(argument(call, "flags", 5)) == "c"  # type: ignore[arg-type]
    assert ast.unparse(argument(call, "block", 1)) == "b"  # type: ignore[arg-type]
    assert argument(call, "block", 3) is None  # behind *rest: unknown
    assert argument(call, None, None) is None


def test_done_checked_needs_the_call_inside_the_function():
    tree = ast.parse("def f(fut):\n    if fut.done():\n        fut.result()\n")
    call = tree.body[0].body[0].body[0].value  # type: ignore[attr-defined]
    assert done_checked(call, tree.body[0])
    assert not done_checked(call, ast.parse("pass"))


def test_every_form_names_a_blocking_call():
    """A form for a call no category lists would never be consulted: a typo in the data."""
    k = load_knowledge()
    for name, forms in k.non_blocking_forms.items():
        assert k.blocking_category(name) is not None, name
        for form in forms:
            assert (
                form.values
                or form.flags
                or form.unbounded
                or form.done_guard
                or form.empty_guard
                or form.fresh
                or form.datagram
                or form.packaged
                or form.hosts
                or form.names
            ), name
            if form.values or form.flags or form.names:
                assert form.keyword is not None or form.position is not None, name


def test_forms_hold_across_modules(tmp_path):
    """A helper in another module of the project resolves its own constants and queues."""
    from gil_lint.engine.project import Project

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "net.py").write_text(
        "import queue, socket\n"
        "NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV\n"
        "events = queue.Queue()\n"
        "jobs = queue.Queue(maxsize=4)\n"
        "def is_ip(host):\n"
        "    return bool(socket.getaddrinfo(host, 0, flags=NUMERIC))\n"
        "def resolve(host):\n"
        "    return socket.getaddrinfo(host, 0)\n"
        "def emit(event):\n"
        "    events.put(event)\n"
        "def submit(job):\n"
        "    jobs.put(job)\n"
    )
    app = pkg / "app.py"
    app.write_text(
        "from pkg.net import emit, is_ip, resolve, submit\n"
        "async def handle(host):\n"
        "    is_ip(host)\n"
        "    resolve(host)\n"
        "    emit(host)\n"
        "    submit(host)\n"
    )
    project = Project(load_knowledge(), [tmp_path])
    settings = Settings(select=("ALL",), target_gil="enabled", project_root=tmp_path)
    found = lint_source(app.read_text(), str(app), settings, project=project)
    assert sorted((d.row, d.code) for d in found) == [(4, "GIL202"), (6, "GIL205")]


def test_sleep_zero_yields_and_returns_directly_and_through_a_helper():
    # review of issue #14: `time.sleep(0)` lets other threads take the GIL; it does not wait
    from gil_lint.config import Settings
    from gil_lint.engine.lint import lint_source

    for code in (
        "import time\nasync def f():\n    time.sleep(0)\n",
        "import time\ndef pause():\n    time.sleep(0)\nasync def f():\n    pause()\n",
    ):
        assert lint_source(code, "t.py", Settings()) == [], code
    waits = "import time\nasync def f():\n    time.sleep(0.001)\n"
    assert [d.code for d in lint_source(waits, "t.py", Settings())] == ["GIL201"]


EMPTY_GUARDED = {
    "after a while-empty poll": "    while q.empty():\n        await asyncio.sleep(0.1)\n"
    "    return q.get()\n",
    "inside if-not-empty": "    if not q.empty():\n        return q.get()\n",
    "after if-empty-return": "    if q.empty():\n        return None\n    return q.get()\n",
    "drained while not empty": "    while not q.empty():\n        print(q.get())\n",
}
EMPTY_NOT_GUARDED = {
    "no check": "    return q.get()\n",
    "a poll loop that can break": "    while q.empty():\n        if done():\n            break\n"
    "        await asyncio.sleep(0.1)\n    return q.get()\n",
    "another queue checked": "    while r.empty():\n        await asyncio.sleep(0.1)\n"
    "    return q.get()\n",
    "inside if-empty": "    if q.empty():\n        return q.get()\n",
    "inside while-empty": "    while q.empty():\n        return q.get()\n",
}
QUEUES = "import asyncio, queue\nq = queue.Queue(5)\nr = queue.Queue(5)\nasync def f():\n"


@pytest.mark.parametrize("body", EMPTY_GUARDED.values(), ids=list(EMPTY_GUARDED))
def test_get_on_a_queue_seen_holding_an_item_does_not_wait(body):
    # review of issue #14: `while q.empty(): await sleep(...)` then `q.get()` never blocks
    from gil_lint.config import Settings
    from gil_lint.engine.lint import lint_source

    assert lint_source(QUEUES + body, "t.py", Settings()) == []
    if "await" in body:
        return  # a poll loop needs an await: through a sync helper it would sleep, and block
    sync_body = body.replace("q.", "self.q.")
    helper = (
        "import queue\nclass C:\n    def __init__(self):\n        self.q = queue.Queue(5)\n"
        "    def take(self):\n"
        + "".join("    " + line + "\n" for line in sync_body.splitlines())
        + "    async def run(self):\n        return self.take()\n"
    )
    assert lint_source(helper, "t.py", Settings()) == [], helper


@pytest.mark.parametrize("body", EMPTY_NOT_GUARDED.values(), ids=list(EMPTY_NOT_GUARDED))
def test_get_without_an_empty_guard_still_blocks(body):
    from gil_lint.config import Settings
    from gil_lint.engine.lint import lint_source

    found = lint_source(QUEUES + body, "t.py", Settings())
    assert [d.code for d in found] == ["GIL205"]


LOCALHOST_NARROWED = {
    "equal": '    if host == "localhost":\n        host = socket.gethostbyname(host)\n',
    "equal-reversed-and": '    if port and "localhost" == host:\n'
    "        return socket.getaddrinfo(host, port)\n",
    "in-local-names": '    if host in ("localhost", "127.0.0.1"):\n'
    "        return socket.gethostbyname(host)\n",
    "nested": '    if host == "localhost":\n        if port:\n'
    "            return socket.gethostbyname(host)\n",
}
LOCALHOST_NOT_NARROWED = {
    "not-equal": '    if host != "localhost":\n        return socket.gethostbyname(host)\n',
    "else-branch": '    if host == "localhost":\n        pass\n    else:\n'
    "        return socket.gethostbyname(host)\n",
    "reassigned": '    if host == "localhost":\n        host = other\n'
    "        return socket.gethostbyname(host)\n",
    "or": '    if host == "localhost" or port:\n        return socket.gethostbyname(host)\n',
    "in-with-a-remote-name": '    if host in ("localhost", "example.com"):\n'
    "        return socket.gethostbyname(host)\n",
    "another-name": '    if other == "localhost":\n        return socket.gethostbyname(host)\n',
}


def _narrowing(body: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Findings with ``body`` in ``async def f`` itself, and in a helper it calls."""
    direct = f"import socket\nasync def f(host, port, other):\n{body}"
    helper = (
        f"import socket\ndef resolve(host, port, other):\n{body}"
        "async def f(host, port, other):\n    return resolve(host, port, other)\n"
    )
    return codes(direct), codes(helper)


@pytest.mark.parametrize("body", LOCALHOST_NARROWED.values(), ids=list(LOCALHOST_NARROWED))
def test_a_name_compared_equal_to_localhost_is_resolved_locally(body):
    # review of issue #14: redis's `if host == "localhost": host = gethostbyname(host)`
    assert _narrowing(body) == ([], [])


@pytest.mark.parametrize("body", LOCALHOST_NOT_NARROWED.values(), ids=list(LOCALHOST_NOT_NARROWED))
def test_a_name_not_narrowed_to_localhost_still_blocks(body):
    direct, helper = _narrowing(body)
    assert [c for _, c in direct] == ["GIL202"], direct
    assert [c for _, c in helper] == ["GIL202"], helper


def test_a_lock_made_just_before_cannot_be_held_by_anyone_else():
    """prefect's in-memory lock storage: `lock = threading.Lock(); lock.acquire()` takes a
    lock nobody has seen; one handed on first, or one taken in a loop, may be held."""
    assert codes(
        """
        import threading
        async def fresh(locks, key):
            lock = threading.Lock()
            lock.acquire()
            locks[key] = lock
        async def shared(locks, key):
            lock = threading.Lock()
            locks[key] = lock
            lock.acquire()
        async def reused(keys):
            lock = threading.Lock()
            for key in keys:
                lock.acquire()
        """
    ) == [(10, "GIL205"), (14, "GIL205")]


def test_reads_of_a_packaged_file_are_not_reported_and_a_later_open_is():
    # `with open(HERE / "data.json") as f: json.load(f)` reads a shipped file; the same name
    # bound again to a user's file is read from disk
    assert codes(
        """
        import json
        from pathlib import Path
        HERE = Path(__file__).parent
        async def f(user_file):
            with open(HERE / "data.json") as f:
                data = json.load(f)
            with open(user_file) as f:
                return f.read(), data
        """
    ) == [(8, "GIL209")]
