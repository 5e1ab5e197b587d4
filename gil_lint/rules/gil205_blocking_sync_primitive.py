from __future__ import annotations

import ast

from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule


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
    where the code assigns it (a local, a module global, `self.q = ...` in the class
    — a queue passed in as a parameter may be bounded and still counts); and
    `fut.result()` / `fut.exception()` once `fut.done()` was checked: inside
    `if fut.done():`, or after `if not fut.done(): return` (or `continue`, `break`,
    `raise`) or a `while not fut.done():` loop with no `break`, or after
    `fut.add_done_callback(...)` and an `await` (waiting for the callback's signal).
    A `done()` anywhere else in the function says nothing about the call. Which argument of which call
    does it is data: `[non_blocking_forms]` in `knowledge/blocking.toml`.

    ## Why is this bad?
    These block the event loop's thread until another thread acts. If that
    other thread is waiting for the event loop (a common pattern), the program
    deadlocks; otherwise every task stalls for the wait.

    ## Example
    ```python
    import queue

    jobs = queue.Queue()

    async def consume():
        job = jobs.get()
    ```

    ## Use instead
    `asyncio.Queue`, `asyncio.Lock`, `asyncio.Event`, `asyncio.wrap_future()`,
    or offload the wait:
    ```python
    import asyncio

    async def consume():
        job = await asyncio.to_thread(jobs.get)
    ```

    ## Fix safety
    No automatic fix: the right asyncio primitive depends on who else uses it.
    """

    CODE = "GIL205"
    VERIFY = "coroutine"
    NAME = "blocking-sync-primitive-in-async"
    BRIEF = "`threading` lock/event/condition waits, `queue.Queue.get/put`, `Future.result()`, `Thread.join()` in `async def`"
    CATEGORY = "sync"
    ADVICE = "use the {library} equivalent or `await {to_thread}({call})`"
    VALID = [
        "import asyncio\nasync def f(lock: asyncio.Lock):\n    async with lock:\n        pass\n",
        "import threading\nlock = threading.Lock()\nasync def f():\n"
        "    if lock.acquire(blocking=False):\n        lock.release()\n",
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
    ]
    INVALID = [
        Example(
            "import threading\nlock = threading.Lock()\nasync def f():\n    with lock:\n        pass\n",
            at="4:10-4:14",
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
    ]

    def visit_With(self, node: ast.With) -> None:
        ctx = self.ctx
        if not ctx.in_async():
            return
        for item in node.items:
            name = ctx.qualname(item.context_expr)
            if name in ctx.knowledge.sync_context_managers:
                self.report_blocking(
                    item.context_expr,
                    name,
                    advice="use {a_lock}, or move the critical section into a thread",
                )
