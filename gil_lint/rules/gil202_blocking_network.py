from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.rules.base import Example
from gil_lint.rules.blocking import SQLITE_ADVICE, BlockingCallRule, offload_text

# name lookups each library does without blocking (anyio's and trio's take the same arguments)
_ASYNC_GETADDRINFO = {
    "asyncio": "asyncio.get_running_loop().getaddrinfo",
    "trio": "trio.socket.getaddrinfo",
    "anyio": "anyio.getaddrinfo",
}
# lookups with no async counterpart whose arguments match: only a thread will do
_DNS_WITHOUT_COUNTERPART = frozenset(
    {"socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getfqdn"}
)


# a DB-API cursor the object keeps (`self.cursor`) is shared by its coroutines: offloading
# `execute` alone lets another coroutine's query run between it and the fetch, and a cursor
# is not thread-safe
_CURSOR_METHODS = frozenset({"execute", "executemany", "fetchone", "fetchmany", "fetchall"})
_SHARED_CURSOR_ADVICE = (
    "use an async driver, or run the whole query (execute and fetch) in one function with "
    "`await {to_thread}(...)` under an `asyncio.Lock`: offloading `{call}` alone lets another "
    "coroutine's query run on this shared cursor between execute and fetch, and a cursor is "
    "not thread-safe"
)


def _shared_cursor_call(node: ast.Call, name: str) -> bool:
    """``self.cursor.execute(...)``: a DB-API cursor method on a cursor kept in an
    attribute, shared by every coroutine of the object."""
    cls, _, method = name.rpartition(".")
    func = node.func
    return (
        method in _CURSOR_METHODS
        and cls.rpartition(".")[2].lower().endswith("cursor")
        and isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Attribute)
    )


class BlockingNetworkInAsync(BlockingCallRule):
    """
    ## What it does
    Flags synchronous network and database clients used inside an `async def`:
    `requests` (module functions and `Session` methods), `httpx`'s sync API,
    `urllib.request.urlopen`, `urllib3`, `http.client`, blocking `socket`
    methods, `sqlite3`, `psycopg2`, `pymysql`, sync `redis`, `smtplib`, `ftplib`.

    Name resolution that cannot wait is not reported: `socket.getaddrinfo` whose
    `flags` (by keyword or sixth argument) include `socket.AI_NUMERICHOST` — written
    directly, or-ed with other flags, or through a constant the module assigns once —
    and `socket.getnameinfo` with `NI_NUMERICHOST` (no reverse lookup; a service
    name comes from the local services file at most). Flags that come
    from a parameter may be anything, and are taken to block (`flags |
    socket.AI_NUMERICHOST` is not: `|` only adds bits). Nor is a lookup of the
    local machine: `socket.gethostbyname("localhost")`, `getaddrinfo("::1", port)`
    (a numeric address literal is parsed), or of a name the enclosing
    `if host == "localhost":` narrowed to it: the hosts file at most. The same holds
    when the call is a few helpers down.

    Nor is `connect` on a UDP socket the function makes (`socket.socket(AF_INET,
    SOCK_DGRAM)`) to a numeric address (a literal, or the default of the parameter
    passed: `reachable="8.8.8.8"`): it records the peer — the usual way to ask which
    local address routes to it — and sends nothing. To a host name it looks the name up,
    and is reported.

    Nor is a socket that cannot wait: one switched to non-blocking mode
    (`sock.setblocking(False)`, `settimeout(0)`) in the same function — a coroutine's
    own or a helper's it calls — or as a `self` attribute anywhere in its class; one
    whose `BlockingIOError` the code handles; and one an asyncio protocol keeps (a class with `connection_made`, `data_received`,
    ...): that is its transport's socket, which the event loop put in non-blocking mode.

    Nor is a helper whose blocking call sits under `if host and port:` (or
    `if host:`, `if host == "x":`, `if host is not None:`, or after an early
    `if not resolve: return` / `if host is None: raise`) on its own parameters,
    called with one of them left at a falsy default (`get_node(node_name=n)` with
    `host=None`; `None` only, for `is not None`) or given such a constant; or
    whose blocking call sits in the `else` of `if is_async:` (or under `if not
    is_async:`, or after `if is_async: return`), called with `is_async=True`: that
    branch never runs from this call. Nor is a helper that hands its own parameter to
    a non-blocking form (`cond.wait(timeout)`, `q.get(block=block)`), called with the
    constant that makes it a poll (`dequeue(timeout=0)`). Nor is one in the `except RuntimeError` of a
    `try` that only asks `asyncio.get_running_loop()`: it runs only where no loop
    does, never under a coroutine. (All the blocking
    rules follow helpers this way.)

    Nor is the fallback for a library that failed to import: a call under `if not
    self._has_aiohttp:` (`if aiohttp is None:`, or the `else:` of `if HAS_AIOHTTP:`)
    where the module sets that flag to `False` (the name to `None`) only in an
    `except ImportError:` clause — the degraded mode of an install without the async
    library, which installing it fixes (all the blocking rules, in the coroutine itself).

    ## Why is this bad?
    A synchronous client waits for the network on the event loop's thread. For
    the whole round trip — often hundreds of milliseconds — every other task
    is frozen, so the service handles one request at a time.

    A call in code that runs once is not reported: in a one-off callback (`__del__`,
    a `weakref`/`atexit`/signal handler, code that ends with `sys.exit()`) or what
    only such code calls (`engine/lifecycle.py`); nor in a function the program
    starts at (`main`, `init`, an ASGI lifespan), outside its loops, before it sets
    other work going (a task, a `gather`, a server): it delays the start-up only.
    One in another start-up function, or in a shutdown function, still is: it
    holds the loop while other work may be waiting.

    ## Example
    ```python
    import requests

    async def fetch(url):
        return requests.get(url).json()
    ```

    ## Use instead
    An async client (`httpx.AsyncClient`, `aiohttp`, `asyncpg`); for a name
    lookup, `await loop.getaddrinfo(...)` (`trio.socket.getaddrinfo`,
    `anyio.getaddrinfo`). Or offload:
    ```python
    import asyncio
    import requests

    async def fetch(url):
        response = await asyncio.to_thread(requests.get, url)
        return response.json()
    ```

    ## Fix safety
    The fix (`await asyncio.to_thread(func, *args)`) is unsafe: the call then
    runs in another thread, which matters if the client object is not
    thread-safe or the code relies on thread-local state. `sqlite3` gets no fix
    and no `to_thread` advice: a connection belongs to the thread that made it,
    and `to_thread` runs each call on whichever worker is free — the advice is
    an async driver (`aiosqlite`) or one thread that owns the connection. Nor
    does a DB-API cursor the object keeps (`self.cursor.execute(...)`): its
    coroutines share it, so offloading `execute` alone lets another's query run
    between it and the fetch; the advice is an async driver, or the whole query
    in one thread call under an `asyncio.Lock`. Nor does a helper whose blocking
    call is on a SQLAlchemy `Session` its object keeps (`self.db.commit()` in a
    task recorder every running node calls): a Session is not thread-safe, and
    run in threads the callers would share it; the advice is an `AsyncSession`,
    or the work in one thread under an `asyncio.Lock`.

    The calls a module makes on one client object (`self.conn.execute(...)` in
    every method of a storage class, or on the `cursor = self.conn.cursor()` each
    method opens), or on a parameter of one declared type that each of its
    coroutines is handed (`db: Session = Depends(get_db)` in every endpoint of a
    router; `Optional[Session]` is a `Session`), are one finding — on a call outside start-up and shutdown code and outside an
    `except` clause (within one function, the first) — with
    the others as its evidence: the fix
    is one decision about that client. So are the helper calls a module makes on
    objects of one project class (`store.describe()`, `store.run(sql)` on a
    synchronous `RecordStore`),
    but not a class's calls of its own methods (`self.search` behind
    `async_search`: each async wrapper is its own problem).

    A project helper that blocks a few calls down gets the same fix, run in a
    thread whole, unless it (or a helper it calls) touches event-loop objects:
    cancels a task, sets a future's result, schedules a callback on the loop,
    sets an asyncio event. Those are not thread-safe, so there is no fix and the
    advice names the blocking call to move into a thread instead.
    """

    CODE = "GIL202"
    VERIFY = "coroutine"
    NAME = "blocking-network-in-async"
    BRIEF = "sync HTTP/DB/socket clients (`requests`, sync `httpx`, `urllib`, `sqlite3`, `psycopg2`, `redis`, …) in `async def`"
    CATEGORY = "network"
    FIX = "unsafe"
    ONE_PER_RECEIVER = True
    ADVICE = "use an async client or `await {to_thread}({call}, ...)`"
    VALID = [
        # a non-blocking socket: the code handles "would block" itself
        "import socket\nasync def f(sock: socket.socket, loop):\n    while True:\n        try:\n"
        "            return sock.accept()\n        except BlockingIOError:\n"
        "            await loop.sock_accept(sock)\n",
        # a parameter shadows the global client; making a redis pipeline sends nothing
        "import requests\nSESSION = requests.Session()\nasync def f(SESSION, url):\n    return SESSION.get(url)\n",
        "import redis\nasync def f(r: redis.Redis):\n    pipe = r.pipeline()\n    pipe.set('k', 1)\n    return pipe\n",
        "import httpx\nasync def f(url):\n    async with httpx.AsyncClient() as c:\n"
        "        return await c.get(url)\n",
        "import aiohttp\nasync def f(url):\n    async with aiohttp.ClientSession() as s:\n"
        "        async with s.get(url) as r:\n            return await r.text()\n",
        "import asyncio, requests\nasync def f(url):\n    return await asyncio.to_thread(requests.get, url)\n",
        "import asyncio, functools, requests\nasync def f(url):\n"
        "    loop = asyncio.get_running_loop()\n"
        "    return await loop.run_in_executor(None, functools.partial(requests.get, url))\n",
        "import requests\ndef f(url):\n    return requests.get(url)\n",
        "import requests\nasync def f(url):\n    return requests.Request('GET', url)\n",
        "import socket\nasync def f(path):\n    s = socket.socket(socket.AF_UNIX)\n"
        "    s.setblocking(False)\n    s.connect(path)\n",
        # the socket of an asyncio protocol is its transport's, which the loop made
        # non-blocking; so is a socket attribute the class switches itself
        "import asyncio, socket\nclass Mgmt(asyncio.Protocol):\n"
        "    def __init__(self, sock: socket.socket):\n        self._sock = sock\n"
        "    def connection_made(self, transport):\n        self.transport = transport\n"
        "    def write(self, data):\n        self._sock.send(data)\n"
        "async def f(p: Mgmt):\n    p.write(b'x')\n",
        "import socket\nclass Link:\n    def __init__(self, sock: socket.socket):\n"
        "        self._sock = sock\n        self._sock.setblocking(False)\n"
        "    async def write(self, data):\n        self._sock.send(data)\n",
        # a UDP socket's connect records the peer: the local address of a route, no packet
        "import socket\nasync def f(reachable='8.8.8.8'):\n    s = None\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    s.connect((reachable, 80))\n    return s.getsockname()[0]\n",
        # a numeric host is parsed, never looked up
        "import socket\nasync def f(ip):\n"
        "    return socket.getaddrinfo(ip, 0, flags=socket.AI_NUMERICHOST)\n",
        "import socket\nNUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV\n"
        "async def f(ip, port):\n    return socket.getaddrinfo(ip, port, flags=NUMERIC)\n",
        "import socket\ndef is_ip(ip):\n"
        "    return bool(socket.getaddrinfo(ip, 0, 0, 0, 0, socket.AI_NUMERICHOST))\n"
        "async def f(host):\n    return is_ip(host)\n",
        "import asyncio\nasync def f(host):\n"
        "    return await asyncio.get_running_loop().getaddrinfo(host, 80)\n",
        # the local machine: the hosts file at most
        "import socket\nasync def f(port):\n    return socket.getaddrinfo('localhost', port)\n",
        "import socket\ndef resolve(host):\n    if host == 'localhost':\n"
        "        host = socket.gethostbyname(host)\n    return host\n"
        "async def f(host):\n    return resolve(host)\n",
        # the blocking branch needs `host` and `port`, which the call leaves at `None`
        "import socket\ndef get_node(cache, host=None, port=None, name=None):\n"
        "    if host and port:\n        host = socket.gethostbyname(host)\n"
        "        return cache.get((host, port))\n    return cache.get(name)\n"
        "async def f(cache, name):\n    return get_node(cache, name=name)\n",
    ]
    INVALID = [
        # a socket a plain class keeps: blocking, unless something says otherwise
        Example(
            "import socket\nclass Link:\n    def __init__(self, sock: socket.socket):\n"
            "        self._sock = sock\n    async def write(self, data):\n"
            "        self._sock.send(data)\n",
            at="6:9-6:30",
        ),
        # the receiver's type: a module global, an inherited method, a factory's annotation
        Example(
            "import requests\nSESSION = requests.Session()\nasync def f(url):\n    return SESSION.get(url)\n",
            at="4:12-4:28",
        ),
        Example(
            "import urllib3\nasync def f(pool: urllib3.HTTPSConnectionPool):\n    return pool.urlopen('GET', '/')\n",
            at="3:12-3:36",
        ),
        Example(
            "import httpx\ndef make_client() -> httpx.Client:\n    return build()\nasync def f(url):\n    return make_client().get(url)\n",
            at="5:12-5:34",
        ),
        Example(
            "import requests\nasync def f(url):\n    return requests.get(url, timeout=5)\n",
            at="3:12-3:40",
            fixed="import requests\nimport asyncio\nasync def f(url):\n"
            "    return await asyncio.to_thread(requests.get, url, timeout=5)\n",
            unsafe=True,
        ),
        Example(
            "import requests\nasync def f(url):\n    return requests.Session().get(url)\n",
            at="3:12-3:39",
        ),
        Example(
            "import requests\nasync def f(url):\n    s = requests.Session()\n    return s.post(url)\n",
            at="4:12-4:23",
        ),
        Example(
            "import requests\nasync def f(url):\n    with requests.Session() as s:\n        return s.get(url)\n",
            at="4:16-4:26",
        ),
        Example(
            "from urllib.request import urlopen\nasync def f(url):\n    return urlopen(url).read()\n",
            at="3:12-3:24",
            fixed="from urllib.request import urlopen\nimport asyncio\nasync def f(url):\n"
            "    return (await asyncio.to_thread(urlopen, url)).read()\n",
            unsafe=True,
        ),
        Example(
            "import urllib.request\nasync def f(url):\n    return urllib.request.urlopen(url)\n",
            at="3:12-3:39",
        ),
        Example(
            "import sqlite3\nasync def f():\n    conn = sqlite3.connect('x.db')\n", at="3:12-3:35"
        ),
        Example(
            "import httpx\nasync def f(url):\n    with httpx.Client() as c:\n        return c.get(url)\n",
            at="4:16-4:26",
        ),
        Example(
            "import requests\nclass Api:\n    def __init__(self):\n        self.session = requests.Session()\n"
            "    async def get(self, url):\n        return self.session.get(url)\n",
            at="6:16-6:37",
        ),
        Example(
            "import requests\nasync def f(url, session: requests.Session):\n    return session.get(url)\n",
            at="3:12-3:28",
        ),
        Example(
            "import socket\nasync def f(host):\n"
            "    return socket.getaddrinfo(host, 80, flags=socket.AI_PASSIVE)\n",
            at="3:12-3:65",
        ),
        Example(
            "import socket\nasync def f(host, flags):\n"
            "    return socket.getaddrinfo(host, 80, flags=flags)\n",
            at="3:12-3:53",
        ),
    ]

    def advice_for(self, node: ast.AST, name: str, words: dict[str, str]) -> str | None:
        """A name lookup is not a client: the loop's own ``getaddrinfo`` where the library
        has one with the same arguments, a thread otherwise."""
        if not isinstance(node, ast.Call):
            return None
        if name.startswith("sqlite3."):
            return SQLITE_ADVICE.format(**words)
        if _shared_cursor_call(node, name):
            return _SHARED_CURSOR_ADVICE.format(call=self.ctx.segment(node.func), **words)
        offload = f"`{offload_text(self.ctx, node, words)}`"
        if name == "socket.getaddrinfo":
            return f"use `await {_ASYNC_GETADDRINFO[words['library']]}(...)` or {offload}"
        if name in _DNS_WITHOUT_COUNTERPART:
            return f"offload it: {offload}"
        return None

    def make_fix(self, node: ast.Call, name: str) -> Fix | None:
        if name.startswith("sqlite3."):
            return None  # a connection made or used in a worker thread is that thread's
        if _shared_cursor_call(node, name):
            return None  # the fix would offload the one call, not the query
        return super().make_fix(node, name)
