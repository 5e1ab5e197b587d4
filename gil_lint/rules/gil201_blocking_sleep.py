from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.engine.context import ModuleContext
from gil_lint.fix.edits import async_library, cst, replace_call_fix
from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule


class BlockingSleepInAsync(BlockingCallRule):
    """
    ## What it does
    Flags `time.sleep()` called inside an `async def`. `time.sleep(0)`, which only
    lets other threads take the GIL and returns, is not reported.

    ## Why is this bad?
    `time.sleep()` blocks the thread that runs the event loop. While it sleeps,
    no other task, callback or I/O completion can run: every coroutine in the
    program stalls for the whole duration.

    A call in code that runs once is not reported: in a one-off callback (`__del__`,
    a `weakref`/`atexit`/signal handler, code that ends with `sys.exit()`) or what
    only such code calls (`engine/lifecycle.py`); nor in a function the program
    starts at (`main`, `init`, an ASGI lifespan), outside its loops, before it sets
    other work going (a task, a `gather`, a server): it delays the start-up only.
    One in another start-up function, or in a shutdown function, still is: it
    holds the loop while other work may be waiting.

    ## Example
    ```python
    import time

    async def poll():
        time.sleep(1)
    ```

    ## Use instead
    ```python
    import asyncio

    async def poll():
        await asyncio.sleep(1)
    ```

    ## Fix safety
    The fix is safe: `await asyncio.sleep(x)` waits the same time without
    blocking the loop. `import asyncio` is added if needed.
    """

    CODE = "GIL201"
    VERIFY = "coroutine"
    NAME = "blocking-sleep-in-async"
    BRIEF = "`time.sleep()` in `async def`"
    CATEGORY = "sleep"
    FIX = "safe"
    ADVICE = "use `await {sleep}(...)`"
    VALID = [
        "import time\nclass Throttle:\n    def __enter__(self):\n        time.sleep(1)\n    def __exit__(self, *a):\n        pass\nasync def f():\n    t = Throttle()\n    return t\n",
        "import contextlib, time\n@contextlib.contextmanager\ndef slow():\n    time.sleep(1)\n    yield\nasync def f():\n    return slow()\n",
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        # sleep(0) yields the GIL to other threads and returns at once
        "import time\nasync def f():\n    time.sleep(0)\n",
        "import time\nasync def f():\n    time.sleep(0.0)\n",
        "import time\ndef f():\n    time.sleep(1)\n",
        "import time\nasync def f():\n    def inner():\n        time.sleep(1)\n    return inner\n",
        "import asyncio, time\nasync def f():\n    await asyncio.to_thread(time.sleep, 1)\n",
        "import asyncio, time\nasync def f():\n"
        "    await asyncio.get_running_loop().run_in_executor(None, lambda: time.sleep(1))\n",
        "async def f(time):\n    time.sleep(1)\n",
        "import trio\nasync def f():\n    await trio.sleep(1)\n",
    ]
    INVALID = [
        Example(
            "import time\nclass Throttle:\n    def __enter__(self):\n        time.sleep(1)\n    def __exit__(self, *a):\n        pass\nasync def f():\n    with Throttle():\n        pass\n",
            at="8:10-8:20",
        ),
        Example(
            "import contextlib, time\n@contextlib.contextmanager\ndef slow():\n    time.sleep(1)\n    yield\nasync def f():\n    with slow():\n        pass\n",
            at="7:10-7:16",
        ),
        Example(
            "import time\nasync def f():\n    time.sleep(1)\n",
            at="3:5-3:18",
            fixed="import time\nimport asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        ),
        Example(
            "import asyncio as aio\nimport time as t\nasync def f():\n    t.sleep(0.5)  # back off\n",
            at="4:5-4:17",
            fixed="import asyncio as aio\nimport time as t\nasync def f():\n"
            "    await aio.sleep(0.5)  # back off\n",
        ),
        Example(
            '"""Poller."""\nfrom __future__ import annotations\n\nfrom time import sleep as nap\n\n'
            "async def f(delay):\n    while True:\n        nap(\n            delay,\n        )\n",
            at="8:9-10:10",
            fixed='"""Poller."""\nfrom __future__ import annotations\n\nfrom time import sleep as nap\n'
            "import asyncio\n\nasync def f(delay):\n    while True:\n"
            "        await asyncio.sleep(\n            delay,\n        )\n",
        ),
        Example("from time import sleep as nap\nasync def f():\n    nap(2)\n", at="3:5-3:11"),
        Example("from time import *\nasync def f():\n    sleep(2)\n", at="3:5-3:13"),
        Example("async def f():\n    time.sleep(2)\n", at="2:5-2:18"),
        Example(
            "import time\nasync def f():\n    def inner():\n        pass\n    time.sleep(1)\n",
            at="5:5-5:18",
        ),
        Example(
            "import time\nclass C:\n    async def m(self):\n        time.sleep(1)\n", at="4:9-4:22"
        ),
    ]

    def make_fix(self, node: ast.Call, name: str) -> Fix | None:
        return sleep_fix(self.ctx, node)


def _attr(name: str, attr: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name(name), attr=cst.Name(attr))


def sleep_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL201: ``time.sleep(x)`` → ``await asyncio.sleep(x)``.

    Safe: it waits the same time, and lets other tasks run meanwhile.
    """
    if call.keywords or len(call.args) != 1 or isinstance(call.args[0], ast.Starred):
        return None
    library = async_library(ctx) or "asyncio"
    return replace_call_fix(
        ctx,
        call,
        message=f"Replace with `await {library}.sleep(...)`",
        applicability="safe",
        build=lambda aio, c: c.with_changes(func=_attr(aio, "sleep")),
        library=library,
    )
