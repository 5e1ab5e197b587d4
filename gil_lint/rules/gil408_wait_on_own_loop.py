from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.fix.edits import cst, replace_call_fix
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import loop_running_branch, waited_threadsafe_future


class WaitOnOwnLoop(Rule):
    """
    ## What it does
    Flags a wait for the future of `asyncio.run_coroutine_threadsafe(coro, loop)`
    inside an `async def`: `.result()` on it (on the call itself or on a variable
    every assignment of which is such a call), and `concurrent.futures.wait` /
    `as_completed` given it (also a list of them, or a name bound to one).

    A sync function is not reported: `run_coroutine_threadsafe(...).result()` is
    the documented way for another thread to run a coroutine on a loop and wait.
    Nor is a branch taken only while no loop runs on this thread (`running =
    asyncio.get_running_loop()` in a `try`, `None` on `RuntimeError`; then `if
    running is not None: await asyncio.wrap_future(cf)` `else: cf.result()`).
    The future's `.result()` inside `async def` is reported by this rule and not
    also as a blocking wait (GIL205).

    ## Why is this bad?
    `run_coroutine_threadsafe` hands the coroutine to `loop`'s thread. Inside an
    `async def` this code already runs on a loop's thread: if `loop` is that loop
    (the usual case), `.result()` waits for work only this thread can run, and the
    program deadlocks (or hangs until the timeout). If it is another loop, every
    task of this one stalls until the other finishes.

    ## Example
    ```python
    import asyncio

    async def handler(loop):
        fut = asyncio.run_coroutine_threadsafe(fetch(), loop)
        return fut.result()
    ```

    ## Use instead
    ```python
    import asyncio

    async def handler(loop):
        fut = asyncio.run_coroutine_threadsafe(fetch(), loop)
        return await asyncio.wrap_future(fut)
    ```
    or simply `await fetch()` when `loop` is the running loop.

    ## Fix safety
    `fut.result()` → `await asyncio.wrap_future(fut)` (only without a timeout) is
    unsafe: it waits without blocking the loop, on this loop or another, but other
    tasks now run during the wait, and a cancelled wait raises
    `asyncio.CancelledError` instead of `concurrent.futures.CancelledError`.
    """

    CODE = "GIL408"
    NAME = "wait-on-own-loop"
    BRIEF = "`.result()` / `concurrent.futures.wait` on `asyncio.run_coroutine_threadsafe(...)` inside `async def`"
    MESSAGE = (
        "`{call}` waits inside `async def` for a coroutine handed to an event loop with "
        "`run_coroutine_threadsafe`; on this loop's thread it deadlocks — "
        "`await asyncio.wrap_future(...)` instead"
    )
    FIX = "unsafe"
    TRIGGERS = (b"run_coroutine_threadsafe",)
    VALID = [
        # a sync function run in another thread: the documented use
        "import asyncio\ndef call_from_thread(c, loop):\n"
        "    return asyncio.run_coroutine_threadsafe(c, loop).result()\n",
        "import asyncio\nasync def f(c, loop):\n"
        "    fut = asyncio.run_coroutine_threadsafe(c, loop)\n"
        "    return await asyncio.wrap_future(fut)\n",
        # a concurrent future from a pool is GIL205's business, not this rule's
        "from concurrent.futures import ThreadPoolExecutor\n"
        "async def f(ex: ThreadPoolExecutor):\n    return ex.submit(print).result(timeout=0)\n",
        # reassigned to something else: not known to be the loop's future
        "import asyncio\nasync def f(c, loop, other):\n"
        "    fut = asyncio.run_coroutine_threadsafe(c, loop)\n    fut = other\n"
        "    return fut.result()\n",
        # waited for only where no loop runs on this thread
        "import asyncio\nasync def close(c, other):\n    try:\n"
        "        running = asyncio.get_running_loop()\n    except RuntimeError:\n"
        "        running = None\n    cf = asyncio.run_coroutine_threadsafe(c, other)\n"
        "    if running is not None:\n        await asyncio.wrap_future(cf)\n"
        "    else:\n        cf.result(timeout=5)\n",
        # a nested sync def runs wherever it is called
        "import asyncio\nasync def f(c, loop):\n    def wait():\n"
        "        return asyncio.run_coroutine_threadsafe(c, loop).result()\n"
        "    return await asyncio.to_thread(wait)\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def f(c, loop):\n"
            "    fut = asyncio.run_coroutine_threadsafe(c, loop)\n    return fut.result()\n",
            at="4:12-4:24",
            fixed="import asyncio\nasync def f(c, loop):\n"
            "    fut = asyncio.run_coroutine_threadsafe(c, loop)\n"
            "    return await asyncio.wrap_future(fut)\n",
            unsafe=True,
        ),
        Example(
            "import asyncio\nasync def f(c):\n    loop = asyncio.get_running_loop()\n"
            "    asyncio.run_coroutine_threadsafe(c, loop).result()\n",
            at="4:5-4:55",
            fixed="import asyncio\nasync def f(c):\n    loop = asyncio.get_running_loop()\n"
            "    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(c, loop))\n",
            unsafe=True,
        ),
        Example(
            "import asyncio\nasync def f(c, loop):\n"
            "    fut = asyncio.run_coroutine_threadsafe(c, loop)\n    return fut.result(5)\n",
            at="4:12-4:25",
        ),
        Example(
            "import asyncio\nfrom concurrent import futures\nasync def f(c, loop):\n"
            "    fut = asyncio.run_coroutine_threadsafe(c, loop)\n    futures.wait([fut])\n",
            at="5:5-5:24",
        ),
        Example(
            "import asyncio, concurrent.futures\nasync def f(cs, loop):\n"
            "    futs = [asyncio.run_coroutine_threadsafe(c, loop) for c in cs]\n"
            "    for fut in concurrent.futures.as_completed(futs):\n        print(fut.result())\n",
            at="4:16-4:53",
        ),
        Example(
            "from asyncio import run_coroutine_threadsafe as submit\nasync def f(c, loop):\n"
            "    return submit(c, loop).result()\n",
            at="3:12-3:36",
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if not ctx.in_async():
            return
        future = waited_threadsafe_future(ctx, node)
        if future is None or loop_running_branch(ctx, node) is False:
            return  # a branch taken only while no loop runs on this thread
        self.report(node, call=_shown(ctx.segment(node)), fix=self._fix(node))

    def _fix(self, node: ast.Call) -> Fix | None:
        if node.args or node.keywords or not isinstance(node.func, ast.Attribute):
            return None

        def build(library: str, call: cst.Call) -> cst.BaseExpression | None:
            func = call.func
            if not isinstance(func, cst.Attribute):
                return None
            wrap = cst.Attribute(value=cst.Name(library), attr=cst.Name("wrap_future"))
            return cst.Call(func=wrap, args=[cst.Arg(value=func.value)])

        return replace_call_fix(
            self.ctx,
            node,
            message="Await the future with `asyncio.wrap_future` instead of blocking on it",
            applicability="unsafe",
            build=build,
        )


def _shown(text: str) -> str:
    """The call as written, shortened for the message when it is long."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 60 else one_line[:57] + "..."
