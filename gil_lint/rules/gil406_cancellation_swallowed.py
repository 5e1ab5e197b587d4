from __future__ import annotations

import ast

from gil_lint.diagnostics import Edit, Fix
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.scopes import walk_own
from gil_lint.fix.edits import fix_from, newline_of, node_edit
from gil_lint.rules.base import Example, Rule

# what catches asyncio's CancelledError (a BaseException since Python 3.8); not
# `concurrent.futures.CancelledError`, a different class (an Exception) since then
_CATCHES_CANCEL = frozenset({"asyncio.CancelledError", "builtins.BaseException"})
_AWAITS = (ast.Await, ast.AsyncFor, ast.AsyncWith)


class CancellationSwallowed(Rule):
    """
    ## What it does
    Flags, inside an `async def`, an `except` clause that catches
    `asyncio.CancelledError` around an `await` and does not raise again: a clause
    naming it (also `from asyncio import CancelledError`, `asyncio.exceptions.CancelledError`,
    or in a tuple), `except BaseException`, or a bare `except:`. Also a `return` in the
    `finally:` of such a `try`, which swallows the error even when the clause re-raises.

    Not reported: a clause with a `raise` statement anywhere in it (bare `raise`,
    `raise exc`, or another exception); a `try` whose body has no `await`,
    `async for` or `async with` (nothing there can be cancelled); `except Exception`,
    which does not catch `CancelledError` since Python 3.8, nor
    `concurrent.futures.CancelledError` (another class since 3.8); and awaiting a
    task or future this function cancelled itself (`task.cancel()`, then
    `try: await task` / `except CancelledError: pass`), the documented way to wait for
    a cancelled task to finish.

    A `# noqa: E722` for the bare `except:` does not silence this rule.

    ## Why is this bad?
    `Task.cancel()` makes the pending `await` raise `CancelledError` in the task.
    asyncio relies on it reaching the top of the task: `asyncio.timeout`,
    `wait_for`, `TaskGroup` and `asyncio.run`'s shutdown cancel a task and wait
    for it to end. A task that catches the error and carries on keeps running:
    timeouts do not fire, task groups and servers hang on shutdown.

    ## Example
    ```python
    import asyncio

    async def worker(queue):
        while True:
            try:
                job = await queue.get()
                await handle(job)
            except BaseException:
                log.exception("job failed")
    ```

    ## Use instead
    ```python
    async def worker(queue):
        while True:
            try:
                job = await queue.get()
                await handle(job)
            except Exception:
                log.exception("job failed")
    ```
    or clean up and `raise` in the `except asyncio.CancelledError:` clause.

    ## Fix safety
    Unsafe. A bare `except:` or `except BaseException:` becomes `except Exception:`,
    which also lets `KeyboardInterrupt` and `SystemExit` through; a clause that names
    `CancelledError` alone gets a `raise` at its end, so the code after the `try`
    no longer runs when the task is cancelled.
    """

    CODE = "GIL406"
    NAME = "cancellation-swallowed"
    BRIEF = "`asyncio.CancelledError` caught around an `await` (by name, `BaseException` or bare `except:`) and not re-raised"
    MESSAGE = (
        "`{clause}` catches `asyncio.CancelledError` around an `await` in `async def {function}` "
        "and does not re-raise it: the task cannot be cancelled (timeouts, TaskGroup and "
        "shutdown hang); {advice}"
    )
    FIX = "unsafe"
    TRIGGERS = (b"except",)
    VALID = [
        "import asyncio\nasync def f(g):\n    try:\n        await g()\n"
        "    except asyncio.CancelledError:\n        print('bye')\n        raise\n",
        "async def f(g):\n    try:\n        await g()\n    except BaseException as exc:\n"
        "        print(exc)\n        raise exc\n",
        "async def f(g):\n    try:\n        await g()\n    except Exception:\n        pass\n",
        "import asyncio\nasync def f(g):\n    try:\n        g()\n"
        "    except asyncio.CancelledError:\n        pass\n",
        "import asyncio\nasync def f(task):\n    task.cancel()\n    try:\n        await task\n"
        "    except asyncio.CancelledError:\n        pass\n",
        "import concurrent.futures\nasync def f(g):\n    try:\n        await g()\n"
        "    except concurrent.futures.CancelledError:\n        pass\n",
        "import asyncio\ndef f(g):\n    try:\n        g()\n    except BaseException:\n        pass\n",
        "import asyncio\nasync def f(g):\n    try:\n        await g()\n"
        "    except asyncio.CancelledError:\n        raise TimeoutError from None\n",
        # a nested sync def's await-less try is not this function's
        "async def f(g):\n    def h():\n        try:\n            g()\n        except:\n"
        "            pass\n    await g()\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def f(g):\n    try:\n        await g()\n"
            "    except asyncio.CancelledError:\n        print('cancelled')\n",
            at="5:12-5:34",
            fixed="import asyncio\nasync def f(g):\n    try:\n        await g()\n"
            "    except asyncio.CancelledError:\n        print('cancelled')\n        raise\n",
            unsafe=True,
        ),
        Example(
            "async def f(g):\n    try:\n        await g()\n    except:  # noqa: E722\n"
            "        pass\n",
            at="4:5-4:11",
            fixed="async def f(g):\n    try:\n        await g()\n"
            "    except Exception:  # noqa: E722\n        pass\n",
            unsafe=True,
        ),
        Example(
            "async def f(g):\n    try:\n        await g()\n    except BaseException as e:\n"
            "        print(e)\n",
            at="4:12-4:25",
            fixed="async def f(g):\n    try:\n        await g()\n    except Exception as e:\n"
            "        print(e)\n",
            unsafe=True,
        ),
        Example(
            "from asyncio import CancelledError\nasync def f(g):\n    try:\n"
            "        await g()\n    except (CancelledError, OSError):\n        return None\n",
            at="5:12-5:37",
        ),
        Example(
            "import asyncio\nasync def f(s):\n    try:\n        async with s:\n            pass\n"
            "    except asyncio.exceptions.CancelledError: pass\n",
            at="6:12-6:45",
        ),
        Example(
            "import asyncio\nasync def f(g):\n    try:\n        await g()\n"
            "    except asyncio.CancelledError:\n        raise\n    finally:\n        return 1\n",
            at="8:9-8:17",
        ),
    ]

    def visit_Try(self, node: ast.Try) -> None:
        self._check(node)

    def visit_TryStar(self, node: ast.AST) -> None:
        self._check(node)

    def _check(self, node: ast.AST) -> None:
        ctx = self.ctx
        if not ctx.in_async():
            return
        body: list[ast.stmt] = getattr(node, "body", [])
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        finalbody: list[ast.stmt] = getattr(node, "finalbody", [])
        if not _awaits(body):
            return
        function = ctx.enclosing_function()
        name = getattr(function.node, "name", "?") if function is not None else "?"
        catching = [h for h in handlers if _catches_cancel(ctx, h.type)]
        if not catching:
            return
        if _awaits_own_cancelled(ctx, body, function.node if function is not None else None):
            return
        swallowing = [h for h in catching if not _raises(h.body)]
        for handler in swallowing:
            clause, at = _clause(ctx, handler)
            fix = _fix(ctx, handler)
            advice = (
                "catch `Exception` instead"
                if handler.type is None or _resolves(ctx, handler.type) == "builtins.BaseException"
                else "re-raise it with `raise` after cleaning up"
            )
            self.report(at, clause=clause, function=name, advice=advice, fix=fix)
        if len(swallowing) < len(catching):
            for stmt in finalbody:
                for sub in walk_own(stmt):
                    if isinstance(sub, ast.Return):
                        self.report(
                            sub,
                            clause="return` in `finally",
                            function=name,
                            advice="move the `return` out of the `finally:` block",
                        )
                        return


def _awaits(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, _AWAITS) for stmt in body for n in walk_own(stmt))


def _resolves(ctx: ModuleContext, expr: ast.expr) -> str | None:
    return ctx.qualname(expr)


def _catches_cancel(ctx: ModuleContext, expr: ast.expr | None) -> bool:
    if expr is None:
        return True
    if isinstance(expr, ast.Tuple):
        return any(_catches_cancel(ctx, e) for e in expr.elts)
    return _resolves(ctx, expr) in _CATCHES_CANCEL


def _raises(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Raise) for stmt in body for n in walk_own(stmt))


def _awaits_own_cancelled(
    ctx: ModuleContext, body: list[ast.stmt], function: ast.AST | None
) -> bool:
    """Every ``await`` in ``body`` waits for something this function cancels (``X.cancel()``
    with the same text as the awaited ``X``): waiting for a cancelled task to finish."""
    if function is None:
        return False
    cancelled = {
        ctx.segment(n.func.value)
        for n in walk_own(function)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "cancel"
    }
    if not cancelled:
        return False
    awaited = [n for stmt in body for n in walk_own(stmt) if isinstance(n, _AWAITS)]
    return all(isinstance(a, ast.Await) and ctx.segment(a.value) in cancelled for a in awaited)


def _clause(ctx: ModuleContext, handler: ast.ExceptHandler) -> tuple[str, ast.AST]:
    """How the clause reads in the message, and the node the finding underlines."""
    if handler.type is None:
        at = ast.Pass(
            lineno=handler.lineno,
            col_offset=handler.col_offset,
            end_lineno=handler.lineno,
            end_col_offset=handler.col_offset + len("except"),
        )
        return "except:", at
    return f"except {ctx.segment(handler.type)}", handler.type


def _fix(ctx: ModuleContext, handler: ast.ExceptHandler) -> Fix | None:
    message = "Catch `Exception`, which leaves `CancelledError` alone"
    if handler.type is None:
        row, col = handler.lineno, ctx.char_col(handler.lineno, handler.col_offset)
        line = ctx.lines[row - 1]
        if line[col - 1 : col - 1 + len("except:")] != "except:":
            return None
        return fix_from(
            message,
            "unsafe",
            Edit(row, col + len("except"), row, col + len("except"), " Exception"),
        )
    if _resolves(ctx, handler.type) == "builtins.BaseException":
        if ctx.resolver.lookup("Exception", ctx.scope) is not None:
            return None  # `Exception` is shadowed here
        return fix_from(message, "unsafe", node_edit(ctx, handler.type, "Exception"))
    if _resolves(ctx, handler.type) != "asyncio.CancelledError":
        return None  # a tuple: re-raising would re-raise the other errors too
    last = handler.body[-1]
    if last.lineno == handler.lineno:
        return None  # `except CancelledError: pass` on one line
    first = handler.body[0]
    indent = ctx.lines[first.lineno - 1][: ctx.char_col(first.lineno, first.col_offset) - 1]
    if indent.strip():
        return None
    end_row = getattr(last, "end_lineno", None) or last.lineno
    end_col = len(ctx.lines[end_row - 1]) + 1
    nl = newline_of(ctx.source)
    return fix_from(
        "Re-raise `CancelledError` at the end of the clause",
        "unsafe",
        Edit(end_row, end_col, end_row, end_col, f"{nl}{indent}raise"),
    )
