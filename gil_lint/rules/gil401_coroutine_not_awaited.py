from __future__ import annotations

import ast

from gil_lint.fix.edits import await_fix
from gil_lint.rules.base import Example, Rule

# Decorators that keep an `async def` a coroutine function.
_TRANSPARENT_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "abc.abstractmethod",
        "typing.override",
        "typing_extensions.override",
        "functools.wraps",
    }
)


# tests that tell a coroutine function from a plain one
_COROUTINE_TESTS = frozenset({"inspect.iscoroutinefunction", "asyncio.iscoroutinefunction"})


class CoroutineNotAwaited(Rule):
    """
    ## What it does
    Flags a call to a coroutine function — an `async def` of this module
    (functions and methods called on `self`) or an asyncio coroutine API such
    as `asyncio.sleep` — used as a statement, without `await`, a task or
    `asyncio.run`.

    An `async def` with decorators other than `staticmethod`, `classmethod`
    and `abstractmethod` is not considered: a decorator may turn it into a
    plain function. Nor is a call under `if not inspect.iscoroutinefunction(f):`
    on the same callee (or in the `else` of the positive test): code shared
    with a generated sync twin, a branch that never runs where `f` is async.

    ## Why is this bad?
    Calling a coroutine function only creates a coroutine object; its body
    never runs. Python warns "coroutine ... was never awaited" at garbage
    collection, long after the bug happened, and the work silently never
    happens.

    ## Example
    ```python
    async def save(item): ...

    async def handler(item):
        save(item)
    ```

    ## Use instead
    ```python
    async def handler(item):
        await save(item)
    ```

    ## Fix safety
    Adding `await` is unsafe: it changes when the work runs, and in a sync
    function `await` is not allowed at all (no fix is offered there, and the
    message says what to do instead: schedule it on the running loop and keep the
    task, run it with `asyncio.run` where no loop runs, or make the caller async).
    """

    CODE = "GIL401"
    NAME = "coroutine-not-awaited"
    BRIEF = "calling an `async def` (or an asyncio coroutine API) as a statement without `await`"
    MESSAGE = "`{call}` returns a coroutine that is never awaited, so it never runs; {advice}"
    # `await` is a syntax error outside `async def`
    SYNC_ADVICE = (
        "this function is not `async def`: schedule it on the running loop and keep the task "
        "(`loop.create_task(...)`), run it with `asyncio.run(...)` where no loop runs, or make "
        "the caller a coroutine that awaits it"
    )
    FIX = "unsafe"
    TRIGGERS = (b"async",)
    VALID = [
        "async def g():\n    pass\nasync def f():\n    await g()\n",
        "import asyncio\nasync def g():\n    pass\nasync def f():\n"
        "    t = asyncio.create_task(g())\n    await t\n",
        "def g():\n    pass\nasync def f():\n    g()\n",
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        "async def agen():\n    yield 1\nasync def f():\n    agen()\n",
        # the sync twin's branch (neo4j's unasync-generated code)
        "import inspect\nclass C:\n    async def close(self):\n        pass\n"
        "    async def f(self):\n        if not inspect.iscoroutinefunction(self.close):\n"
        "            self.close()\n",
        "import asyncio\nclass C:\n    async def close(self):\n        pass\n"
        "    async def f(self):\n        if asyncio.iscoroutinefunction(self.close):\n"
        "            await self.close()\n        else:\n            self.close()\n",
        "import functools\ndef deco(fn):\n    return fn\n@deco\nasync def g():\n    pass\n"
        "def f():\n    g()\n",
    ]
    INVALID = [
        Example(
            "async def g():\n    pass\nasync def f():\n    g()\n",
            at="4:5-4:8",
            fixed="async def g():\n    pass\nasync def f():\n    await g()\n",
            unsafe=True,
        ),
        Example("import asyncio\nasync def f():\n    asyncio.sleep(1)\n", at="3:5-3:21"),
        Example(
            "class C:\n    async def save(self):\n        pass\n    async def run(self):\n"
            "        self.save()\n",
            at="5:9-5:20",
            fixed="class C:\n    async def save(self):\n        pass\n    async def run(self):\n"
            "        await self.save()\n",
            unsafe=True,
        ),
        Example("async def g():\n    pass\ndef f():\n    g()\n", at="4:5-4:8"),
        # the test is about another function: this call still makes a coroutine
        Example(
            "import inspect\nasync def g():\n    pass\nasync def f(h):\n"
            "    if not inspect.iscoroutinefunction(h):\n        g()\n",
            at="6:9-6:12",
        ),
    ]

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if not isinstance(call, ast.Call):
            return
        ctx = self.ctx
        name = ctx.call_name(call)
        if name is None:
            return
        if name in ctx.knowledge.coroutine_functions or self._is_local_coroutine(name):
            if self._only_when_not_a_coroutine_function(node, call):
                return
            fix = await_fix(ctx, call, "Add `await`", "unsafe")
            advice = "add `await`" if ctx.in_async() else self.SYNC_ADVICE
            self.report(call, call=ctx.segment(call.func) or name, advice=advice, fix=fix)

    def _only_when_not_a_coroutine_function(self, node: ast.Expr, call: ast.Call) -> bool:
        """``if not inspect.iscoroutinefunction(self.close): self.close()`` (or the ``else``
        of the positive test): code shared by a generated sync twin (neo4j's ``_async`` and
        ``_sync`` packages); where the callee is an ``async def`` that branch never runs."""
        ctx = self.ctx
        callee = ctx.segment(call.func)
        child: ast.AST = node
        parent = ctx.parent(node)
        while parent is not None and not isinstance(
            parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        ):
            if isinstance(parent, ast.If):
                test, negated = parent.test, False
                if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                    test, negated = test.operand, True
                if (
                    isinstance(test, ast.Call)
                    and len(test.args) == 1
                    and ctx.segment(test.args[0]) == callee
                    and ctx.qualname(test.func, ctx.scope) in _COROUTINE_TESTS
                ):
                    in_body = any(s is child for s in parent.body)
                    return in_body == negated
            child, parent = parent, ctx.parent(parent)
        return False

    def _is_local_coroutine(self, name: str) -> bool:
        ctx = self.ctx
        fn = ctx.resolver.function_def(name)
        if not isinstance(fn, ast.AsyncFunctionDef):
            return False
        for d in fn.decorator_list:
            if ctx.qualname(d, ctx.scopes[fn].parent) not in _TRANSPARENT_DECORATORS and not (
                isinstance(d, ast.Name) and d.id in _TRANSPARENT_DECORATORS
            ):
                return False
        return not _is_generator(fn)


def _is_generator(fn: ast.AsyncFunctionDef) -> bool:
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False
