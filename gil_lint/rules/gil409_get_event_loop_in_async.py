from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.fix.edits import fix_from, import_edit, imported_as, node_edit, usable_global
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.gil407_get_event_loop import GET_EVENT_LOOP


class GetEventLoopInAsync(Rule):
    """
    ## What it does
    Flags `asyncio.get_event_loop()` inside `async def`, where a loop always
    runs and `asyncio.get_running_loop()` is the call that says so.

    **Off by default** (`extend-select = ["GIL409"]`): the call works there on
    every Python version, so this is a modernisation, not a bug; GIL407 reports
    the call where no loop runs, which fails from Python 3.14.

    ## Why is this bad?
    `get_event_loop()` reads as "get or create a loop"; the code relies on a
    running one. `get_running_loop()` states it, raises if it is ever called
    from sync code by mistake, and is what the asyncio documentation recommends
    in coroutines and callbacks.

    ## Example
    ```python
    import asyncio

    async def fetch():
        loop = asyncio.get_event_loop()
        return await loop.run_in_executor(None, read_config)
    ```

    ## Use instead
    ```python
    import asyncio

    async def fetch():
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, read_config)
    ```

    ## Fix safety
    Safe: a loop is running inside `async def`, and both calls return it.
    """

    CODE = "GIL409"
    NAME = "get-event-loop-in-async"
    BRIEF = "`asyncio.get_event_loop()` inside `async def`, where `get_running_loop()` says it"
    MESSAGE = (
        "`{call}` inside `async def`: a loop is always running here — "
        "`asyncio.get_running_loop()` says so and never creates a stray loop"
    )
    FIX = "safe"
    DEFAULT = False
    TRIGGERS = (b"get_event_loop",)
    VALID = [
        "import asyncio\nasync def f():\n    loop = asyncio.get_running_loop()\n",
        # no loop runs here: GIL407's
        "import asyncio\nloop = asyncio.get_event_loop()\nloop.run_forever()\n",
        "import asyncio\nasync def f():\n    def cb():\n        return asyncio.get_event_loop()\n"
        "    return cb\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def fetch(read):\n    loop = asyncio.get_event_loop()\n"
            "    return await loop.run_in_executor(None, read)\n",
            at="3:12-3:36",
            fixed="import asyncio\nasync def fetch(read):\n    loop = asyncio.get_running_loop()\n"
            "    return await loop.run_in_executor(None, read)\n",
        ),
        Example(
            "from asyncio import get_event_loop\nasync def f():\n    return get_event_loop()\n",
            at="3:12-3:28",
            fixed="from asyncio import get_event_loop\nfrom asyncio import get_running_loop\n"
            "async def f():\n    return get_running_loop()\n",
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if node.args or node.keywords or ctx.call_name(node) not in GET_EVENT_LOOP:
            return
        if ctx.in_async():
            self.report(node, call=f"{ctx.segment(node.func)}()", fix=self._fix(node))

    def _fix(self, node: ast.Call) -> Fix | None:
        ctx = self.ctx
        func = node.func
        title = "Use `asyncio.get_running_loop()`"
        if isinstance(func, ast.Attribute):
            return fix_from(
                title, "safe", node_edit(ctx, func, f"{ctx.segment(func.value)}.get_running_loop")
            )
        existing = imported_as(ctx, "asyncio.get_running_loop")
        if existing and usable_global(ctx, existing[0]):
            return fix_from(title, "safe", node_edit(ctx, func, existing[0]))
        if existing or "get_running_loop" in ctx.module_scope.bindings:
            return None
        if not usable_global(ctx, "get_running_loop"):
            return None
        return fix_from(
            title,
            "safe",
            node_edit(ctx, func, "get_running_loop"),
            import_edit(ctx, "from asyncio import get_running_loop"),
        )
