from __future__ import annotations

import ast

from gil_lint.engine.project import ModuleInfo
from gil_lint.engine.scopes import FunctionNode, walk_own
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import loop_running_branch

GET_EVENT_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
# what a function does with a loop it has to run itself: no loop is running there
_DRIVERS = frozenset({"run_until_complete", "run_forever"})
# exceptions whose handler catches get_event_loop's "no current event loop" error
_CATCHES = frozenset({"RuntimeError", "Exception", "BaseException"})


class GetEventLoop(Rule):
    """
    ## What it does
    Flags `asyncio.get_event_loop()` where no event loop runs: at module level
    (an `if __name__ == "__main__":` block included), and in a sync function
    that then runs the loop itself (`loop.run_until_complete(...)`,
    `loop.run_forever()`). Inside `async def` the call works (a loop is
    running); the opt-in GIL409 suggests `get_running_loop()` there.

    Not reported: a call after `asyncio.set_event_loop(...)` in the same
    function (or module), or after a call of a project function that sets the loop
    (`loop = initialize_event_loop()`), one inside a `try` that catches `RuntimeError` or in the
    handler of a `try` that ran `asyncio.run` (it fails only when a loop runs), one
    in a branch taken only while a loop runs (`loop = asyncio.get_running_loop()`,
    then `if loop and loop.is_running():` or `if loop is not None:`), and a
    sync function that only stores the loop (`self.loop = get_event_loop()`):
    it is usually called from code the loop runs, where the call works
    (precision first).

    ## Why is this bad?
    With no loop running, `get_event_loop()` used to create one. That is
    deprecated (a `DeprecationWarning` from Python 3.12), and from Python 3.14
    it raises `RuntimeError: There is no current event loop` — a script that
    worked on 3.11 fails at start-up.

    ## Example
    ```python
    import asyncio

    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())
    ```

    ## Use instead
    ```python
    import asyncio

    asyncio.run(main())  # or: loop = asyncio.new_event_loop()
    ```

    ## Fix safety
    No fix: `asyncio.run(main())` changes how the program starts and stops,
    which is the author's choice.
    """

    CODE = "GIL407"
    NAME = "get-event-loop"
    BRIEF = "`asyncio.get_event_loop()` where no loop runs (an error from 3.14)"
    MESSAGE = (
        "`{call}` where no event loop is running {fate}; run the entry coroutine with "
        "`asyncio.run(main())`, or create the loop with `asyncio.new_event_loop()`"
    )
    TRIGGERS = (b"get_event_loop",)
    VALID = [
        "import asyncio\nasync def f():\n    loop = asyncio.get_running_loop()\n",
        # a loop runs here: it works (the opt-in GIL409 prefers get_running_loop)
        "import asyncio\nasync def f():\n    loop = asyncio.get_event_loop()\n",
        # stores the loop: the class is built by code the loop runs
        "import asyncio\nclass P:\n    def __init__(self):\n"
        "        self.loop = asyncio.get_event_loop()\n",
        "import asyncio\nloop = asyncio.new_event_loop()\nasyncio.set_event_loop(loop)\n"
        "loop = asyncio.get_event_loop()\nloop.run_forever()\n",
        "import asyncio\ndef main(c):\n    try:\n        loop = asyncio.get_event_loop()\n"
        "    except RuntimeError:\n        loop = asyncio.new_event_loop()\n"
        "    loop.run_until_complete(c)\n",
        # asyncio.run failed: a loop is running, and get_event_loop returns it
        "import asyncio\ndef run(c):\n    try:\n        return asyncio.run(c)\n"
        "    except RuntimeError:\n        loop = asyncio.get_event_loop()\n"
        "        return loop.run_until_complete(c)\n",
        # a loop is running in this branch (dspy's `run_async` under nest_asyncio)
        "import asyncio\ndef run(c):\n    try:\n        loop = asyncio.get_running_loop()\n"
        "    except RuntimeError:\n        loop = None\n    if loop and loop.is_running():\n"
        "        return asyncio.get_event_loop().run_until_complete(c)\n"
        "    return asyncio.run(c)\n",
        # a helper made the loop and set it (robyn's `initialize_event_loop`)
        "import asyncio\ndef make_loop():\n    loop = asyncio.new_event_loop()\n"
        "    asyncio.set_event_loop(loop)\n    return loop\n"
        "def serve(server):\n    make_loop()\n    server.start()\n"
        "    asyncio.get_event_loop().run_forever()\n",
        # someone else's get_event_loop
        "from kombu.asynchronous import get_event_loop\nhub = get_event_loop()\n",
        "import asyncio\nasync def f():\n    def cb():\n        return asyncio.get_event_loop()\n"
        "    return cb\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def main():\n    pass\n"
            "loop = asyncio.get_event_loop()\nloop.run_until_complete(main())\n",
            at="4:8-4:32",
        ),
        Example(
            "import asyncio\ndef run(coro):\n    loop = asyncio.get_event_loop()\n"
            "    return loop.run_until_complete(coro)\n",
            at="3:12-3:36",
        ),
        Example(
            "import asyncio\ndef serve(server):\n"
            "    asyncio.get_event_loop().run_until_complete(server)\n",
            at="3:5-3:29",
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if node.args or node.keywords or ctx.call_name(node) not in GET_EVENT_LOOP:
            return
        call = f"{ctx.segment(node.func)}()"
        if ctx.in_async():
            return  # it works there: the opt-in GIL409's business
        if (
            self._caught(node)
            or self._loop_was_set(node)
            or loop_running_branch(self.ctx, node) is True
        ):
            return
        function = ctx.enclosing_function()
        if function is not None and not self._drives_loop(node, function.node):
            return
        fate = (
            "raises RuntimeError on Python 3.14+"
            if ctx.settings.targets(3, 14)
            else "is deprecated, and later Pythons raise RuntimeError instead of creating one"
        )
        self.report(node, call=call, fate=fate)

    def _caught(self, node: ast.AST) -> bool:
        """Inside the body of a ``try`` whose handlers catch RuntimeError; or in a handler
        of a ``try`` that ran ``asyncio.run``, which raises RuntimeError only when a loop
        is running (``except RuntimeError: loop = asyncio.get_event_loop()`` gets it)."""
        child, parent = node, self.ctx.parent(node)
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.Lambda)):
            handled = self.ctx.parent(parent) if isinstance(parent, ast.ExceptHandler) else None
            if isinstance(handled, ast.Try) and self._runs_loop(handled):
                return True
            if isinstance(parent, ast.Try) and child in parent.body:
                for handler in parent.handlers:
                    kinds = handler.type
                    names = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
                    if kinds is None or any(
                        isinstance(n, (ast.Name, ast.Attribute))
                        and self.ctx.segment(n).rsplit(".", 1)[-1] in _CATCHES
                        for n in names
                        if n is not None
                    ):
                        return True
            child, parent = parent, self.ctx.parent(parent)
        return False

    def _runs_loop(self, node: ast.Try) -> bool:
        """The ``try`` body calls ``asyncio.run(...)``."""
        return any(
            isinstance(n, ast.Call) and self.ctx.call_name(n) == "asyncio.run"
            for stmt in node.body
            for n in ast.walk(stmt)
        )

    def _loop_was_set(self, node: ast.Call) -> bool:
        """``asyncio.set_event_loop(...)`` runs before ``node`` in the same function/module,
        itself or in a project function called there (robyn's ``loop =
        initialize_event_loop()``, which makes the loop and sets it)."""
        ctx = self.ctx
        root = ctx.scope.function()
        for n in walk_own(root.node if root is not None else ctx.tree):
            if not isinstance(n, ast.Call) or n.lineno >= node.lineno:
                continue
            name = ctx.call_name(n) or ""
            if name.endswith("set_event_loop"):
                return True
            found = ctx.summaries.callee(name, ctx.module_info) if name else None
            if found is not None and _sets_loop(*found):
                return True
        return False

    def _drives_loop(self, node: ast.Call, function: ast.AST) -> bool:
        """The function runs the loop it got: ``get_event_loop().run_until_complete(...)``,
        or ``loop = get_event_loop()`` and then ``loop.run_until_complete/run_forever``."""
        parent = self.ctx.parent(node)
        if isinstance(parent, ast.Attribute):
            return parent.attr in _DRIVERS
        if not (
            isinstance(parent, ast.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)
        ):
            return False
        name = parent.targets[0].id
        return any(
            isinstance(n, ast.Attribute)
            and n.attr in _DRIVERS
            and isinstance(n.value, ast.Name)
            and n.value.id == name
            for n in walk_own(function)
        )


def _sets_loop(module: ModuleInfo, fn: FunctionNode) -> bool:
    """``fn``'s own code calls ``asyncio.set_event_loop(...)``."""
    scope = module.scopes[fn]
    return any(
        isinstance(n, ast.Call)
        and (module.resolver.qualname(n.func, scope) or "").endswith("set_event_loop")
        for n in walk_own(fn)
    )
