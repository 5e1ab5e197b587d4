from __future__ import annotations

import ast

from gil_lint.engine.callers import command_line_reach
from gil_lint.engine.callforms import fresh_when_entered
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.project import Project
from gil_lint.engine.scopes import Scope
from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule, offload_text
from gil_lint.rules.lock_holds import Holds, loads_object, lock_holds, lock_target


class BlockingSyncPrimitiveInAsync(BlockingCallRule):
    """
    ## What it does
    Flags waits on primitives made for threads inside an `async def`:
    `threading.Lock/RLock/Semaphore.acquire()` and `with lock:`,
    `threading.Event.wait()`, `Condition.wait()`, `Thread.join()`,
    `queue.Queue.get()/put()`, `concurrent.futures.Future.result()`,
    `multiprocessing` queue and pool-result waits.

    A call that cannot wait is not reported, directly or a few helpers down:
    `acquire(blocking=False)` / `acquire(False)` / `acquire(timeout=0)`,
    `get(block=False)` / `get(False)` / `put(item, block=False)`, `timeout=0` on
    `get`, `put`, `join`, `wait` and `Future.result`, `shutdown(wait=False)`,
    `get_nowait()` / `put_nowait()`; `put()` on a queue made without a bound
    (`queue.Queue()`, `Queue(maxsize=0)`, `SimpleQueue()`, `multiprocessing.Queue()`),
    where the code assigns it (a local, a module global, `self.q = ...` in the class),
    or on a queue whose making is not in sight (a parameter, an attribute set from one):
    a bound is what makes `put` wait, and a finding needs evidence of one; and
    `fut.result()` / `fut.exception()` once `fut.done()` was checked: inside
    `if fut.done():`, or after `if not fut.done(): return` (or `continue`, `break`,
    `raise`) or a `while not fut.done():` loop with no `break`, or after
    `fut.add_done_callback(...)` and an `await` (waiting for the callback's signal).
    The same guards count for a queue seen holding an item: `q.get()` inside
    `if not q.empty():` or `while not q.empty():`, or after `if q.empty(): return` or a `while q.empty():` poll
    loop with no `break`.
    A `done()` anywhere else in the function says nothing about the call. Which argument of which call
    does it is data: `[non_blocking_forms]` in `knowledge/blocking.toml`.

    A `threading.Lock` or `RLock` that only coroutines take (in this module), none
    of which awaits, yields or enters `async with` / `async for` while holding it, is
    never held when one asks for it — the loop runs one coroutine at a time — and is
    not reported; a section that holds it across a blocking call blocks the loop by
    that call, which is reported where it is (GIL203, GIL204, ...). A
    `threading.Lock` or `RLock` is waited for as long as its longest critical
    section holds it. When every section is in sight and none is known
    to be long, taking it is not reported, whoever else takes it: the lock is made here
    (`self._lock = threading.Lock()`, a private module global, a local) and only entered
    with `with`, or `acquire()`d with its `release()` in sight; no section awaits,
    yields, makes a blocking call (itself or through the project's helpers), waits on
    another primitive or runs a heavy loop. Another library's function the knowledge
    does not list (`np.frombuffer`, `progress.update`), a callback or a method of an
    object of unknown type is no evidence either way, and does not make a section
    long; nor is a mapping's, a set's or a deque's own method in its container form,
    `exchange.ohlcvs.get(pair, {})`, `.pop(key, None)`. A public lock (`self.lock`, a public module global), one
    passed in or handed on, a `Condition` or semaphore is reported as before, and the
    message names the section that holds the lock long when one does. A `Lock` or
    `RLock` taken in a helper the coroutine calls (a registry's `_acquire()`) is not
    followed, as `with lock:` in a helper is not: its holders are judged where a
    coroutine takes the lock itself.

    ## Why is this bad?
    These block the event loop's thread until another thread acts. If that
    other thread is waiting for the event loop (a common pattern), the program
    deadlocks; otherwise every task stalls for the wait.

    A call in code that runs once is not reported: in a one-off callback (`__del__`,
    a `weakref`/`atexit`/signal handler, code that ends with `sys.exit()`) or what
    only such code calls (`engine/lifecycle.py`); nor in a shutdown function
    (`close`, `aclose`, `teardown`, `stop`, ...: the `shutdown-functions`
    knowledge), where waiting for threads, an executor or a teardown lock is the
    shutdown itself; nor once a service's main wait is over: after a lifespan's
    `yield` (in the `finally:` around it, or below it), in the `finally:` of a
    start-up function's serving loop (`while not self._stop.is_set(): await ...`),
    or of a `try` that awaits while its function runs something until stopped
    (`await asyncio.gather(self.publisher.run_forever(), ...)`). The same `finally:`
    in a context manager used per request, around a gather of a request's jobs, or
    inside a reconnect loop, still is. One in a start-up function before that still
    is: it holds the loop while other work may be waiting.

    ## Example
    ```python
    import queue

    jobs = queue.Queue()

    async def consume():
        job = jobs.get()
    ```

    ## Use instead
    What to use depends on who else uses the object. If only coroutines in
    the module do, its asyncio counterpart (`asyncio.Lock`, `asyncio.Event`,
    `asyncio.Queue`, ...; `await asyncio.wrap_future(fut)` for a
    `concurrent.futures.Future`):
    ```python
    import asyncio

    jobs = asyncio.Queue()

    async def consume():
        job = await jobs.get()
    ```
    If threads use it too (a sync function or lambda uses it — not a sync helper
    that only the package's coroutines call, which runs on the loop's thread — or
    it is passed to a call such as `threading.Thread(args=...)`), an asyncio primitive would
    not exclude or wake them: wait for it in a thread instead. A `Lock` or
    `Semaphore` is acquired with `await asyncio.to_thread(lock.acquire)` and
    released in a `finally`; an `RLock` or `Condition` belongs to the thread
    that acquired it, so the whole critical section goes into one function run
    with `asyncio.to_thread`:
    ```python
    async def consume():
        job = await asyncio.to_thread(jobs.get)
    ```
    A lock the module's coroutines take in several places (`with self.lock:`) is
    one finding, on the first, the other places its evidence: the decision is about
    the lock.

    APIs with no asyncio counterpart (`Thread.join`, `multiprocessing` queues
    and pools, `Executor.shutdown`, `concurrent.futures.wait`) are offloaded
    the same way; the advice keeps every argument of the call.

    ## Fix safety
    No automatic fix: the right replacement depends on who else uses the
    object, which the advice names when the module shows it.
    """

    CODE = "GIL205"
    VERIFY = "coroutine"
    NAME = "blocking-sync-primitive-in-async"
    BRIEF = "`threading` lock/event/condition waits, `queue.Queue.get/put`, `Future.result()`, `Thread.join()` in `async def`"
    QUIET_AT_SHUTDOWN = True
    CATEGORY = "sync"
    # the fallback: advice_for names the equivalent where one exists
    ADVICE = "offload the wait: `await {to_thread}({call}, ...)`"
    VALID = [
        # a lock made just before it is entered: nothing else has seen it to hold it
        "import threading\nclass P:\n    def alive(self):\n        with self._lock:\n"
        "            return True\n    async def start(self, wait):\n"
        "        self._lock = threading.Lock()\n        with self._lock:\n"
        "            await wait()\n",
        # joining the worker thread is what closing does
        "import threading\nclass Conn:\n    async def close(self):\n"
        "        self._stop.set()\n        self._thread.join()\n",
        "import asyncio\nasync def f(lock: asyncio.Lock):\n    async with lock:\n        pass\n",
        "import threading\nlock = threading.Lock()\nasync def f():\n"
        "    if lock.acquire(blocking=False):\n        lock.release()\n",
        # only coroutines take it, and none awaits while holding it: never held when asked
        "import threading\nlock = threading.Lock()\nasync def f(d):\n    with lock:\n"
        "        d.clear()\n",
        "import queue\nq = queue.Queue()\nasync def f():\n    return q.get_nowait()\n",
        "import queue\nq = queue.Queue()\nasync def f():\n    return q.get(block=False)\n",
        "import asyncio\nasync def f():\n    t = asyncio.create_task(g())\n    await t\n"
        "    return t.result()\nasync def g():\n    pass\n",
        "import threading\nlock = threading.Lock()\ndef f():\n    with lock:\n        pass\n",
        "from concurrent.futures import Future\nasync def f(fut: Future):\n"
        "    if fut.done():\n        return fut.result()\n",
        "from concurrent.futures import Future\nasync def f(futs: list[Future]):\n"
        "    for fut in futs:\n        if not fut.done():\n            continue\n"
        "        print(fut.exception())\n",
        # polled until it holds an item: get() returns at once
        "import asyncio, queue\nq = queue.Queue(5)\nasync def f():\n"
        "    while q.empty():\n        await asyncio.sleep(0.1)\n    return q.get()\n",
        # an unbounded queue never makes put() wait
        "import queue\nq = queue.Queue()\nasync def f(item):\n    q.put(item)\n",
        "import multiprocessing\nclass Parent:\n    def __init__(self):\n"
        "        self.results = multiprocessing.Queue()\n"
        "    async def report(self, item):\n        self.results.put(item)\n",
        "import queue\nq = queue.Queue(1)\nasync def f(item):\n    q.put_nowait(item)\n",
        "import asyncio\nfrom concurrent.futures import Future\nasync def f(fut: Future):\n"
        "    done = asyncio.Event()\n    loop = asyncio.get_running_loop()\n"
        "    fut.add_done_callback(lambda _: loop.call_soon_threadsafe(done.set))\n"
        "    await done.wait()\n    return fut.result()\n",
        "import threading\nt = threading.Thread(target=print)\nasync def f():\n"
        "    t.join(timeout=0)\n",
        # every section tests a flag, cancels a timer or copies a list: held microseconds
        "import threading\nclass Scheduler:\n    def __init__(self):\n"
        "        self._lock = threading.Lock()\n        self._stopped = False\n"
        "        self._timer = None\n    def stop(self):\n        with self._lock:\n"
        "            self._stopped = True\n            if self._timer:\n"
        "                self._timer.cancel()\n    async def run(self):\n"
        "        with self._lock:\n            if self._stopped:\n                return\n",
        "import threading\n_lock = threading.Lock()\n_items = []\ndef add(item):\n"
        "    _lock.acquire()\n    try:\n        _items.append(item)\n    finally:\n"
        "        _lock.release()\nasync def snapshot():\n    with _lock:\n"
        "        return list(_items)\n",
    ]
    INVALID = [
        # held across an `await`: another coroutine can find it taken, and wait on the loop
        Example(
            "import threading\nlock = threading.Lock()\nasync def f(x):\n    with lock:\n"
            "        await x\n",
            at="4:10-4:14",
        ),
        # shared with a thread: advice to acquire it in a thread, not an asyncio lock
        Example(
            "import threading\nlock = threading.Lock()\ndef work():\n    with lock:\n"
            "        pass\nasync def f():\n    with lock:\n        pass\n",
            at="7:10-7:14",
        ),
        Example(
            "from concurrent.futures import ThreadPoolExecutor\nasync def f(ex: ThreadPoolExecutor):\n"
            "    ex.shutdown(cancel_futures=True)\n",
            at="3:5-3:37",
        ),
        Example(
            "import multiprocessing\nasync def f(q: multiprocessing.Queue):\n    return q.get()\n",
            at="3:12-3:19",
        ),
        Example(
            "import threading\nev = threading.Event()\nasync def f():\n    ev.wait()\n",
            at="4:5-4:14",
        ),
        Example(
            "import queue\nq = queue.Queue()\nasync def f():\n    return q.get()\n", at="4:12-4:19"
        ),
        Example(
            "from concurrent.futures import ThreadPoolExecutor\nasync def f(ex: ThreadPoolExecutor):\n"
            "    fut = ex.submit(print)\n    return fut.result()\n",
            at="4:12-4:24",
        ),
        Example(
            "import threading\nasync def f():\n    t = threading.Thread(target=print)\n    t.start()\n"
            "    t.join()\n",
            at="5:5-5:13",
        ),
        Example(
            "import queue\nq = queue.Queue(maxsize=100)\nasync def f(item):\n    q.put(item)\n",
            at="4:5-4:16",
        ),
        Example(
            "from concurrent.futures import Future\nasync def f(fut: Future):\n"
            "    if not fut.done():\n        print('waiting')\n    return fut.result()\n",
            at="5:12-5:24",
        ),
        # a thread holds it across a wait: the event loop waits as long
        Example(
            "import threading\nclass Loader:\n    def __init__(self):\n"
            "        self._lock = threading.Lock()\n        self._ready = threading.Event()\n"
            "    def load(self):\n        with self._lock:\n            self._ready.wait()\n"
            "    async def peek(self):\n        with self._lock:\n            pass\n",
            at="10:14-10:24",
        ),
    ]

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        # a lock's key (lock_target) → the index of its finding in this module
        self._locks: dict[tuple[str, int, str], int] = {}

    def visit_With(self, node: ast.With) -> None:
        ctx = self.ctx
        if not ctx.in_async():
            return
        function = ctx.enclosing_function()
        for item in node.items:
            name = ctx.qualname(item.context_expr)
            if (
                name in ctx.knowledge.sync_context_managers
                and not self.one_off(node, None)
                and not (
                    function is not None
                    and fresh_when_entered(item.context_expr, node, function.node)
                )
                and not self._held_briefly(item.context_expr, name)
                and not self._joins_lock_finding(item.context_expr)
            ):
                self.report_blocking(item.context_expr, name)
                self._note_lock(item.context_expr)

    def _joins_lock_finding(self, lock: ast.expr) -> bool:
        """``with self.lock:`` in a second coroutine of the module, for a lock already
        reported here: one finding per lock (the decision is about the lock: who else takes
        it, and how long), the other places its evidence (appdaemon's stream handlers take
        one lock in three coroutines)."""
        ctx = self.ctx
        target = lock_target(ctx, lock, ctx.scope)
        index = self._locks.get(_lock_key(target)) if target is not None else None
        if index is None:
            return False
        function = ctx.enclosing_function()
        fname = function.qualname.rpartition(".")[2] if function is not None else "?"
        also = ctx.evidence_at(lock, f"also taken in `{fname}()`")
        self._join(index, also, "place{s} taking it")
        return True

    def _note_lock(self, lock: ast.expr) -> None:
        ctx = self.ctx
        target = lock_target(ctx, lock, ctx.scope)
        if target is not None:
            index = len(ctx.diagnostics) - 1
            self._locks.setdefault(_lock_key(target), index)
            self._base.setdefault(index, ctx.diagnostics[index].message)

    def blocks(self, node: ast.Call, name: str) -> bool:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "acquire":
            return not self._held_briefly(func.value, name.rpartition(".")[0])
        return True

    def report_blocking(self, node: ast.AST, name: str, advice: str | None = None) -> None:
        super().report_blocking(node, name, advice)
        lock = (
            node.func.value
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            else node
        )
        cls = name.rpartition(".")[0] if isinstance(node, ast.Call) else name
        if isinstance(lock, ast.expr):
            hold = self._holds(lock, cls).long
            if hold is not None:  # the place that holds the lock long, as evidence
                where = self.ctx.evidence_at(
                    hold.node, f"`{hold.function}` holds it across {hold.what}{hold.then}"
                )
                self.ctx.join_evidence(len(self.ctx.diagnostics) - 1, where)

    def _held_briefly(self, lock: ast.expr, cls: str) -> bool:
        """Every critical section of this lock is in sight and short: the wait for it lasts
        microseconds (rules/lock_holds.py). Or only coroutines take it, and none of its
        sections hands control back to the loop: one coroutine runs at a time, so the lock
        is never held when one asks for it."""
        holds = self._holds(lock, cls)
        if holds.short:
            return True
        if not holds.hands_back and primitive_users(self.ctx, lock)[0] == "coroutines":
            # never held when a coroutine asks: a section that holds it long blocks the
            # loop by its own call, reported where that call is (a GIL203 through
            # `_save_metadata`), not again on every `with` (strands' offload store)
            return True
        # a section known to hold it long keeps the finding; a call of unknown effect
        # (another library's function the knowledge does not list: `np.frombuffer`,
        # `progress.update`) is no evidence that it is long, whoever takes the lock
        # (agentscope's audio buffer, shared with its PortAudio callback thread)
        if (holds.long is not None and not holds.long.unsure) or holds.hands_back:
            return False
        return holds.long is not None

    def _holds(self, lock: ast.expr, cls: str) -> Holds:
        target = lock_target(self.ctx, lock, self.ctx.scope)
        if target is None:
            return Holds(short=False)
        return lock_holds(self.ctx, target, cls)

    def advice_for(self, node: ast.AST, name: str, words: dict[str, str]) -> str | None:
        """Name an equivalent only where the event-loop library has one and only coroutines
        use the object; a primitive shared with threads, or one with no counterpart
        (``Thread.join``, multiprocessing, ``Executor.shutdown``), is waited for in a thread."""
        ctx = self.ctx
        if isinstance(node, ast.Call):
            offload = f"`{offload_text(ctx, node, words)}`"
            if not isinstance(node.func, ast.Attribute):
                return f"offload the wait: {offload}"  # `wait(futures)`: no object to swap
            cls, method, obj = name.rpartition(".")[0], node.func.attr, node.func.value
        elif isinstance(node, ast.expr) and name in _SHARED_PRIMITIVES:  # `with lock:`
            cls, method, obj, offload = name, "__enter__", node, ""
        else:
            return None
        shown = ctx.segment(obj)
        future = cls == "concurrent.futures.Future" and method == "result"
        if future and offload and words["library"] == "asyncio":
            return f"use `await asyncio.wrap_future({shown})`, or {offload}"
        if cls not in _SHARED_PRIMITIVES:
            # no counterpart on the loop (a thread, a process, a pool, a future): wait in a
            # thread
            return f"offload the wait: {offload}"
        equivalent = _equivalent(cls, words["library"])
        users, where = primitive_users(ctx, obj)
        if cls in _LOCKS and method in ("__enter__", "acquire"):
            advice = _lock_advice(cls, method, users, where, shown, equivalent, words)
            hold = self._holds(obj, cls).long
            if hold is None:
                return advice
            return f"{hold.message()}; {advice}"
        if method in ("wait", "wait_for") and cls == "threading.Condition":
            in_thread = (
                f"run the whole `with {shown}: {shown}.{method}(...)` block in one function "
                f"with `await {words['to_thread']}(...)` (a condition is waited on by the "
                "thread that holds it)"
            )
        else:
            in_thread = f"offload the wait: {offload}"
        if users == "threads":
            return f"threads use it too ({where}), so it must stay a thread primitive: {in_thread}"
        if equivalent is None:
            return in_thread
        if users == "coroutines":
            return f"only coroutines use it: {_swap(equivalent, shown, method)}"
        return (
            f"if only coroutines use it, {_swap(equivalent, shown, method)}; "
            f"if threads do too, {in_thread}"
        )


# thread primitives with a counterpart for coroutines: which one, by library
_ASYNCIO_EQUIVALENTS = {
    "threading.Lock": "Lock",
    "threading.RLock": "Lock",
    "threading.Semaphore": "Semaphore",
    "threading.BoundedSemaphore": "BoundedSemaphore",
    "threading.Condition": "Condition",
    "threading.Event": "Event",
    "threading.Barrier": "Barrier",
    "queue.Queue": "Queue",
    "queue.LifoQueue": "LifoQueue",
    "queue.PriorityQueue": "PriorityQueue",
    "queue.SimpleQueue": "Queue",
}
# trio and anyio have these under the same names (their queues are memory channels)
_EVERYWHERE = frozenset({"Lock", "Semaphore", "Condition", "Event"})
_SHARED_PRIMITIVES = frozenset(_ASYNCIO_EQUIVALENTS)
_LOCKS = frozenset(
    {
        "threading.Lock",
        "threading.RLock",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "threading.Condition",
    }
)
# these belong to the thread that acquired them: released by another one, they raise
_OWNED_LOCKS = frozenset({"threading.RLock", "threading.Condition"})


def _swap(equivalent: str, shown: str, method: str) -> str:
    """ "make it `asyncio.Queue()` and `await q.get()`": the counterpart, and how it is used."""
    if method == "__enter__":
        return f"make it `{equivalent}()` and use `async with {shown}:`"
    return f"make it `{equivalent}()` and `await {shown}.{method}(...)`"


def _equivalent(cls: str, library: str) -> str | None:
    short = _ASYNCIO_EQUIVALENTS.get(cls)
    if short is None or (library != "asyncio" and short not in _EVERYWHERE):
        return None
    return f"{library}.{short}"


def _lock_advice(
    cls: str,
    method: str,
    users: str,
    where: str,
    shown: str,
    equivalent: str | None,
    words: dict[str, str],
) -> str:
    to_thread = words["to_thread"]
    if cls in _OWNED_LOCKS:
        in_thread = (
            f"take and release it inside one function run with `await {to_thread}(...)` "
            "(it belongs to the thread that acquired it)"
        )
    else:
        # not `await to_thread(lock.acquire)` then `release()` in a `finally`: a task cancelled
        # while the thread waits leaves the lock taken, once the thread gets it
        in_thread = (
            f"take and release it inside one function run with `await {to_thread}(...)` (a "
            f"cancelled `await {to_thread}({shown}.acquire)` would leave it held)"
        )
    restructure = ", or restructure so the event loop never waits for it"
    if users == "threads":
        return (
            f"threads use it too ({where}), so {words['a_lock']} would not exclude them: "
            f"{in_thread}{restructure}"
        )
    reentrant = " (not reentrant)" if cls == "threading.RLock" else ""
    if users == "coroutines" and equivalent is not None:
        return f"only coroutines use it: {_swap(equivalent, shown, method)}{reentrant}"
    if equivalent is None:
        return in_thread + restructure
    return (
        f"if only coroutines use it, {_swap(equivalent, shown, method)}{reentrant}; "
        f"if threads do too, {in_thread}"
    )


# -- who uses a primitive: only coroutines, or threads too ----------------------------------
_NEUTRAL_PARENTS = (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.If, ast.IfExp, ast.Assert)


def primitive_users(ctx: ModuleContext, obj: ast.expr) -> tuple[str, str]:
    """Who uses the lock / event / queue ``obj`` in this module: "coroutines" (every use is
    in an ``async def``), "threads" (and where: a sync function or lambda that uses it, or a
    call it is passed to) or "unknown" (a parameter, another object's attribute: its
    other users are out of sight)."""
    target = lock_target(ctx, obj, ctx.scope)
    if target is None:
        return "unknown", ""
    cache: dict[object, tuple[str, str]] = ctx.cache.setdefault("primitive_users", {})
    key = (target[0], id(target[1]), target[2])
    if key not in cache:
        cache[key] = _classify_uses(ctx, target)
    return cache[key]


def _classify_uses(ctx: ModuleContext, target: tuple[str, object, str]) -> tuple[str, str]:
    kind, owner, attr = target
    scopes = ctx.scopes
    parents: dict[ast.AST, ast.AST] = {}
    foreign = False
    # (node, its scope, the function it runs in: None at module or class level)
    stack: list[tuple[ast.AST, Scope, ast.AST | None]] = [(ctx.tree, ctx.module_scope, None)]
    while stack:
        node, scope, function = stack.pop()
        children = []
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            inner, inner_function = scope, function
            if child in scopes and isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
            ):
                inner = scopes[child]
                inner_function = None if isinstance(child, ast.ClassDef) else child
            use = loads_object(ctx, child, scope, kind, owner, attr)
            if use:
                where = _thread_use(ctx, child, parents, function)
                if where is not None:
                    return "threads", where
            foreign = foreign or use is None
            children.append((child, inner, inner_function))
        stack.extend(reversed(children))  # the first use in source order is the one cited
    # `other.lock` may be this object, used by code we cannot place
    return ("unknown" if foreign else "coroutines"), ""


def _thread_use(
    ctx: ModuleContext, use: ast.AST, parents: dict[ast.AST, ast.AST], function: ast.AST | None
) -> str | None:
    """Where ``use`` shows the object is used off the loop, or None (a coroutine's use, a
    module-level one, a test like ``if lock is None``)."""
    parent = parents.get(use)
    line = getattr(use, "lineno", 0)
    if isinstance(parent, ast.Attribute) or (
        isinstance(parent, ast.withitem) and parent.context_expr is use
    ):
        if function is None or isinstance(function, ast.AsyncFunctionDef):
            return None
        if isinstance(function, ast.Lambda):
            return f"a lambda uses it at line {line}"
        if _runs_on_the_loop(ctx, function):
            return None  # a sync helper only coroutines call: the loop's own thread
        return f"`{getattr(function, 'name', '?')}` uses it at line {line}"
    if isinstance(parent, _NEUTRAL_PARENTS) or parent is None:
        return None
    # an argument, an element of the arguments, a value stored or returned: passed on
    node: ast.AST = use
    while isinstance(parent, (ast.Tuple, ast.List, ast.Starred, ast.keyword)):
        node, parent = parent, parents.get(parent)
    if isinstance(parent, ast.Call) and node is not parent.func:
        return f"it is passed to `{ctx.segment(parent.func)}(...)` at line {line}"
    return f"it is handed on at line {line}"


def _runs_on_the_loop(ctx: ModuleContext, function: ast.AST) -> bool:
    """``function``, a sync ``def``, is called only from coroutines of its package
    (``engine/callers.py``): appdaemon's ``get_handler``, which its socket handlers call,
    takes the handlers lock on the loop's thread, not in a worker."""
    project = ctx.project
    name = getattr(function, "name", None)
    if not isinstance(project, Project) or name is None:
        return False
    cache: dict[str, bool] = ctx.cache.setdefault("runs_on_the_loop", {})
    if name not in cache:
        cache[name] = command_line_reach(project).only_called_from_coroutines(ctx.path, name)
    return cache[name]


def _lock_key(target: tuple[str, object, str]) -> tuple[str, int, str]:
    kind, owner, attr = target
    return kind, id(owner), attr
