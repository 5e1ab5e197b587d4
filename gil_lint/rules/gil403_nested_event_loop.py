from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.fix.edits import await_fix
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import calls_loop_api


class NestedEventLoop(Rule):
    """
    ## What it does
    Flags `asyncio.run(...)` and `loop.run_until_complete(...)` called inside
    an `async def`.

    ## Why is this bad?
    A coroutine already runs on an event loop. `asyncio.run` raises
    `RuntimeError: asyncio.run() cannot be called from a running event loop`;
    `run_until_complete` on the running loop raises too, and on another loop it
    blocks this one until the other finishes.

    ## Example
    ```python
    import asyncio

    async def handler():
        result = asyncio.run(fetch())
    ```

    ## Use instead
    ```python
    async def handler():
        result = await fetch()
    ```

    ## Fix safety
    Replacing `asyncio.run(coro)` with `await coro` is safe: it is what the
    code meant, and the original raises at run time.
    """

    CODE = "GIL403"
    NAME = "nested-event-loop"
    BRIEF = "`asyncio.run` / `loop.run_until_complete` inside `async def`"
    MESSAGE = (
        "`{call}` inside `async def` starts a nested event loop; `await` the coroutine instead"
    )
    FIX = "safe"
    TRIGGERS = (b"async",)
    VALID = [
        "import asyncio\nasync def g():\n    pass\nasync def f():\n    await g()\n",
        "import asyncio\nasync def g():\n    pass\ndef main():\n    asyncio.run(g())\n",
        "import asyncio\nasync def f(runner):\n    runner.run(1)\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def g():\n    pass\nasync def f():\n    asyncio.run(g())\n",
            at="5:5-5:21",
            fixed="import asyncio\nasync def g():\n    pass\nasync def f():\n    await g()\n",
        ),
        Example(
            "import asyncio\nasync def f(c):\n    loop = asyncio.get_running_loop()\n"
            "    return loop.run_until_complete(c)\n",
            at="4:12-4:38",
            fixed="import asyncio\nasync def f(c):\n    loop = asyncio.get_running_loop()\n"
            "    return await c\n",
        ),
        Example("from asyncio import run\nasync def f(c):\n    run(c)\n", at="3:5-3:11"),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if not ctx.in_async():
            return
        name = ctx.call_name(node)
        if calls_loop_api(ctx, node, name, ctx.knowledge.loop_runners, "run_until_complete"):
            self.report(node, call=ctx.segment(node.func) or str(name), fix=self._fix(node))

    def _fix(self, node: ast.Call) -> Fix | None:
        # only `asyncio.run(coro)` / `loop.run_until_complete(coro)` with the coroutine alone
        if len(node.args) != 1 or node.keywords:
            return None
        return await_fix(self.ctx, node, "Await the coroutine instead", "safe", inner=node.args[0])
