from __future__ import annotations

import ast

from gil_lint.diagnostics import Edit, Fix
from gil_lint.engine.constants import TRY_NODES
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.scopes import NESTED_SCOPES, walk_own
from gil_lint.engine.summaries import returned_values
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
    `asyncio.CancelledError` around an `await`, does not raise again, and lets the
    coroutine go on without end: a clause naming the error (also
    `from asyncio import CancelledError`, `asyncio.exceptions.CancelledError`, or in a
    tuple), `except BaseException`, or a bare `except:`, inside a loop that runs the
    `try` again, or followed by a loop that keeps awaiting. Also a `continue` in the
    `finally:` of such a `try`, which drops the error even when the clause re-raises it.

    Not reported:
    - a clause after one of the same `try` that takes the cancellation first
      (`except asyncio.CancelledError: raise` before `except BaseException:`);
    - a clause with a `raise` statement in it (bare `raise`, `raise exc`, or another
      exception, as `asyncio.timeout` itself does), a `raise` later in the function
      (the error, or a flag the clause sets, is kept and raised after cleaning up), the
      error or a flag kept and returned for the caller to raise (`first_error = e` ...
      `return first_error`, `cancelled = True` ... `return result, cancelled`), the
      error kept and thrown into a generator on the loop's next pass (`pending = err`
      ... `gen.athrow(pending)`: the generator raises it back), or the error handed to
      a function of the module that raises (`self._convert_error(exc)`);
    - a clause after which the coroutine ends: a `return`, a `break` or a flag the loop
      tests (`aborted = True` under `while not aborted:`, or set by a method of the
      module the clause calls: `self.close()` setting `self._closing`), then a few awaits in a row
      (send an error response, flush what is pending, record the job as cancelled), a
      loop that drains what is left in a queue (`while not q.empty():`, `while
      q.qsize():`), or
      winding-down awaits before the end (`await conn.close()`,
      `await self._shutdown()`, and `gather`/`wait` in a function that cancelled tasks;
      `[cancellation]` in `knowledge/concurrency.toml`): the task finishes, which is
      what a canceller waits for (whether a caller awaiting this coroutine should have
      seen the error depends on the caller);
    - a clause that tells a requested stop apart from other cancellations: it returns,
      raises or breaks under a test of the program's state (`if stopping: return`,
      `if self._closing.is_set(): raise`) and goes on otherwise — its author chose
      which cancellations end the coroutine (a database driver's `CancelledError`
      during an outage should not stop a service's periodic flush);
    - a `try` whose body has no `await`, `async for` or `async with`, or awaits
      `asyncio.shield(...)` (work protected from cancellation on purpose, waited out);
    - a `try` inside `with anyio.CancelScope(shield=True):` (or trio's, or
      `move_on_after(..., shield=True)`) in its function: no cancellation from outside
      reaches it — teardown that must close every stream whatever one `aclose()` raised;
    - a `try` in the `finally:` block of another that no loop runs again (cleanup on the
      way out: `finally: for client in clients: try: await client.disconnect() except
      BaseException: log`): a cancellation of the body is in flight and re-raised after
      it, and one arriving during the cleanup lets the rest of the cleanup run on the way
      out;
    - a shutdown function (`close`, `aclose`, `stop`, `on_stop`, `shutdown`, ...: the
      `shutdown-functions` knowledge) or a one-off callback (`engine/lifecycle.py`):
      stopping what is left after a cancellation arrives is what closing is for
      (`for agent in agents: try: await agent.stop() except CancelledError: pass`);
    - a `try` that only awaits an existing task or future (`await task`,
      `await self._waiter`, `await asyncio.wait((self.task,))`, also inside
      `async with asyncio.timeout(...)`): its own cancellation arrives as the same error, and
      `task.cancel()` then `try: await task` / `except CancelledError: pass` is the
      documented way to wait for a cancelled task to finish;
    - `except Exception`, which does not catch `CancelledError` since Python 3.8, and
      `concurrent.futures.CancelledError`, a different class since 3.8.

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
        "`{clause}` {verb} `asyncio.CancelledError` around an `await` in `async def {function}` "
        "and the coroutine goes on: cancelling the task (timeouts, `TaskGroup`, shutdown) "
        "does not stop it; {advice}"
    )
    FIX = "unsafe"
    TRIGGERS = (b"async",)  # only `async def` is checked; the blocking rules parse these files too
    VALID = [
        # shielded teardown: no cancellation from outside reaches the clause
        "import anyio\nasync def serve(streams):\n    try:\n        await streams[0].send()\n"
        "    finally:\n        with anyio.CancelScope(shield=True):\n"
        "            for s in streams:\n                try:\n                    await s.aclose()\n"
        "                except BaseException:\n                    pass\n",
        # an earlier clause re-raises the cancellation: the later one never sees it
        "import asyncio\nasync def receive(sub, log):\n    while True:\n        try:\n"
        "            await sub.get_message()\n        except asyncio.CancelledError:\n"
        "            raise\n        except BaseException:\n            log()\n",
        # cleanup in `finally:` goes on through one client's failure, cancellation or not
        "async def answer(request, clients):\n    try:\n        return await request.run()\n"
        "    finally:\n        for c in clients:\n            try:\n"
        "                await c.disconnect()\n            except BaseException as e:\n"
        "                print(e)\n",
        # a shutdown function stops the rest after a cancellation on purpose
        "import asyncio\nclass Manager:\n    async def on_stop(self):\n"
        "        for agent in self.agents:\n            try:\n"
        "                await agent.stop()\n            except asyncio.CancelledError:\n"
        "                pass\n",
        # the clause sets a flag; the loop breaks on it after one last event
        "import asyncio\nasync def f(stop, notify):\n    while True:\n        abort = False\n"
        "        try:\n            await stop.wait()\n        except asyncio.CancelledError:\n"
        "            abort = True\n        if abort:\n            await notify()\n            break\n",
        # the clause sets the flag the loop tests, then one last flush: the task ends
        "import asyncio\nasync def f(q, flush):\n    aborted = False\n    while not aborted:\n"
        "        try:\n            await q.get()\n        except asyncio.CancelledError:\n"
        "            aborted = True\n    await flush()\n",
        "import asyncio\nasync def f(g):\n    while True:\n        try:\n            await g()\n"
        "        except asyncio.CancelledError:\n            print('bye')\n            raise\n",
        "async def f(g):\n    while True:\n        try:\n            await g()\n"
        "        except BaseException as exc:\n            print(exc)\n            raise exc\n",
        "async def f(g):\n    while True:\n        try:\n            await g()\n"
        "        except Exception:\n            pass\n",
        "import asyncio\nasync def f(g):\n    while True:\n        try:\n            g()\n"
        "        except asyncio.CancelledError:\n            pass\n        await g()\n",
        # waiting for a cancelled task to finish
        "import asyncio\nasync def f(task, g):\n    task.cancel()\n    try:\n        await task\n"
        "    except asyncio.CancelledError:\n        pass\n    await g()\n",
        "import concurrent.futures\nasync def f(g):\n    try:\n        await g()\n"
        "    except concurrent.futures.CancelledError:\n        pass\n    await g()\n",
        "import asyncio\nasync def f(g):\n    try:\n        await g()\n"
        "    except asyncio.CancelledError:\n        raise TimeoutError from None\n    await g()\n",
        # the clause ends the coroutine: the task finishes
        "import asyncio\nasync def f(g):\n    while True:\n        try:\n            await g()\n"
        "        except asyncio.CancelledError:\n            return\n",
        # cleanup that must finish: shielded, and waited out through cancellations
        "import asyncio\nasync def f(cleanup):\n    while not cleanup.done():\n        try:\n"
        "            await asyncio.shield(cleanup)\n        except asyncio.CancelledError:\n"
        "            continue\n",
        # the cancellation is recorded and returned: the caller re-raises it
        "import asyncio\nasync def f(g):\n    cancelled = False\n    while True:\n"
        "        try:\n            await g()\n            break\n"
        "        except asyncio.CancelledError:\n            cancelled = True\n"
        "    return None, cancelled\n",
        # waiting out a task it holds, through cancellations passed on to it
        "import asyncio\nasync def f(task):\n    while not task.done():\n        try:\n"
        "            await asyncio.wait((task,))\n        except asyncio.CancelledError:\n"
        "            task.cancel()\n",
        # every handle is completed, the first error returned for the caller to raise
        "import asyncio\nasync def f(handles):\n    first = None\n    for h in handles:\n"
        "        try:\n            await h.close()\n        except BaseException as e:\n"
        "            if first is None:\n                first = e\n    return first\n",
        # a requested stop ends it; other cancellations (a driver's, in an outage) do not
        "import asyncio\nasync def f(g, state):\n    while True:\n        try:\n"
        "            await g()\n        except asyncio.CancelledError:\n"
        "            if state.stopping:\n                return\n",
        "import asyncio\nasync def f(g):\n    await g()\n    try:\n        await g()\n"
        "    except asyncio.CancelledError:\n        print('stopped')\n",
        # a nested sync def's await-less try is not this function's
        "async def f(g):\n    def h():\n        try:\n            g()\n        except:\n"
        "            pass\n    await g()\n    await g()\n",
        # kept and raised later
        "import asyncio\nasync def f(g, xs):\n    cancelled = False\n    for x in xs:\n"
        "        try:\n            await g(x)\n        except asyncio.CancelledError:\n"
        "            cancelled = True\n    if cancelled:\n        raise asyncio.CancelledError\n",
        # handed to a helper that raises it, converted
        "class S:\n    def _convert(self, exc):\n        raise OSError from exc\n"
        "    async def send(self, g):\n        while True:\n            try:\n"
        "                await g()\n            except BaseException as exc:\n"
        "                self._convert(exc)\n",
        # kept and thrown into the generator on the next pass, which raises it back
        "async def respond(gen, send):\n    reply, pending = None, None\n    while True:\n"
        "        step = gen.asend(reply) if pending is None else gen.athrow(pending)\n"
        "        reply = await step\n        try:\n            reply = await send(reply)\n"
        "        except BaseException as err:\n            pending = err\n"
        "        else:\n            pending = None\n",
        # `continue` of a loop inside `finally:` is that loop's
        "import asyncio\nasync def f(g, xs):\n    while True:\n        try:\n            await g()\n"
        "        finally:\n            for x in xs:\n                continue\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def f(g):\n    while True:\n        try:\n            await g()\n"
            "        except asyncio.CancelledError:\n            print('cancelled')\n",
            at="6:16-6:38",
            fixed="import asyncio\nasync def f(g):\n    while True:\n        try:\n            await g()\n"
            "        except asyncio.CancelledError:\n            print('cancelled')\n"
            "            raise\n",
            unsafe=True,
        ),
        Example(
            "async def f(g):\n    while True:\n        try:\n            await g()\n"
            "        except:  # noqa: E722\n            pass\n",
            at="5:9-5:15",
            fixed="async def f(g):\n    while True:\n        try:\n            await g()\n"
            "        except Exception:  # noqa: E722\n            pass\n",
            unsafe=True,
        ),
        Example(
            "async def f(g):\n    while True:\n        try:\n            await g()\n"
            "        except BaseException as e:\n            print(e)\n",
            at="5:16-5:29",
            fixed="async def f(g):\n    while True:\n        try:\n            await g()\n"
            "        except Exception as e:\n            print(e)\n",
            unsafe=True,
        ),
        # cleanup in the `finally:` of a `try` a loop runs again: the next round runs
        Example(
            "async def f(g, c):\n    while True:\n        try:\n            await g()\n"
            "        finally:\n            try:\n                await c()\n"
            "            except BaseException:\n                pass\n",
            at="8:20-8:33",
            fixed="async def f(g, c):\n    while True:\n        try:\n            await g()\n"
            "        finally:\n            try:\n                await c()\n"
            "            except Exception:\n                pass\n",
            unsafe=True,
        ),
        Example(
            "from asyncio import CancelledError\nasync def f(g):\n    for _ in range(3):\n"
            "        try:\n            await g()\n        except (CancelledError, OSError):\n"
            "            continue\n",
            at="6:16-6:41",
        ),
        Example(
            "import asyncio\nasync def f(s, g):\n    while True:\n        try:\n"
            "            async with s:\n                pass\n"
            "        except asyncio.exceptions.CancelledError: pass\n",
            at="7:16-7:49",
        ),
        Example(
            "import asyncio\nasync def f(g):\n    while True:\n        try:\n            await g()\n"
            "        finally:\n            continue\n",
            at="7:13-7:21",
        ),
        Example(
            "import asyncio\nasync def f(g):\n    while True:\n        try:\n            await g()\n"
            "        except asyncio.CancelledError:\n            break\n"
            "    while True:\n        await g()\n",
            at="6:16-6:38",
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
        if ctx.lifecycle.phase(function.node if function is not None else None) in (
            "once",
            "shutdown",
        ):
            return  # closing goes on through a cancellation on purpose
        name = getattr(function.node, "name", "?") if function is not None else "?"
        # the first clause that matches takes the error: one that re-raises it before an
        # `except BaseException:` leaves that clause nothing to swallow
        catching = [h for h in handlers if _catches_cancel(ctx, h.type)][:1]
        if (
            _awaits_task(ctx, body)
            or _shields(ctx, body)
            or _in_shielded_scope(ctx, node)
            or _in_finally(ctx, node)
        ):
            return
        swallowing = [
            h
            for h in catching
            if not _raises(h.body)
            and not _raises_later(function.node if function is not None else None, h)
            and not _hands_to_raiser(ctx, h)
            and not _tells_stop_apart(h)
            and _continues(ctx, node, h)
        ]
        for handler in swallowing:
            clause, at = _clause(ctx, handler)
            fix = _fix(ctx, handler)
            advice = (
                "catch `Exception` instead"
                if handler.type is None or _resolves(ctx, handler.type) == "builtins.BaseException"
                else "re-raise it with `raise` after cleaning up"
            )
            self.report(at, clause=clause, verb="catches", function=name, advice=advice, fix=fix)
        if swallowing or any(not _raises(h.body) for h in catching):
            return
        # `continue` in `finally:` drops the error in flight, re-raised or never caught
        for stmt in finalbody:
            for sub in _walk_outside_loops(stmt):
                if isinstance(sub, ast.Continue):
                    self.report(
                        sub,
                        clause="continue` in `finally:",
                        verb="drops",
                        function=name,
                        advice="move the `continue` out of the `finally:` block",
                    )
                    return


def _shields(ctx: ModuleContext, body: list[ast.stmt]) -> bool:
    """The ``try`` awaits ``asyncio.shield(...)``: work protected from cancellation on
    purpose (``while not cleanup.done(): try: await asyncio.shield(cleanup) except
    CancelledError: ...``), whose clause waits it out rather than swallowing a stop."""
    return any(
        isinstance(n, ast.Await)
        and isinstance(n.value, ast.Call)
        and ctx.call_name(n.value) == "asyncio.shield"
        for stmt in body
        for n in walk_own(stmt)
    )


# cancel scopes that, with `shield=True`, keep every cancellation from outside away
_SHIELDING_SCOPES = frozenset(
    {
        "anyio.CancelScope",
        "anyio.move_on_after",
        "anyio.fail_after",
        "trio.CancelScope",
        "trio.move_on_after",
        "trio.fail_after",
    }
)


def _in_shielded_scope(ctx: ModuleContext, node: ast.AST) -> bool:
    """The ``try`` runs inside ``with anyio.CancelScope(shield=True):`` (or trio's, or
    ``move_on_after(..., shield=True)``) in its own function: no cancellation from outside
    reaches it (teardown that must close every stream), so the clause swallows none."""
    current = ctx.parent(node)
    while current is not None and not isinstance(current, NESTED_SCOPES):
        if isinstance(current, (ast.With, ast.AsyncWith)):
            for item in current.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and ctx.call_name(call) in _SHIELDING_SCOPES
                    and any(
                        k.arg == "shield"
                        and isinstance(k.value, ast.Constant)
                        and k.value.value is True
                        for k in call.keywords
                    )
                ):
                    return True
        current = ctx.parent(current)
    return False


def _in_finally(ctx: ModuleContext, node: ast.AST) -> bool:
    """The ``try`` is in the ``finally:`` block of another in its own function, outside its
    loops: cleanup on the way out, which goes on through a failure (or cancellation) of one
    of its steps. (In a loop, a cancellation swallowed there would run the next round.)"""
    child, current = node, ctx.parent(node)
    in_finally = False
    while current is not None and not isinstance(current, NESTED_SCOPES):
        if in_finally and isinstance(current, (ast.For, ast.AsyncFor, ast.While)):
            return False  # the `try` with the `finally:` runs again (a loop inside it is fine)
        if isinstance(current, TRY_NODES) and any(
            child is stmt for stmt in getattr(current, "finalbody", [])
        ):
            in_finally = True
        child, current = current, ctx.parent(current)
    return in_finally


def _tells_stop_apart(handler: ast.ExceptHandler) -> bool:
    """The clause ends the coroutine when a stop was asked for and goes on otherwise
    (``if stopping: return`` then "a driver's CancelledError during an outage: keep
    flushing"): its author decided which cancellations stop it. A test on the state of
    the program (a name or an attribute, ``not`` it), not on the error."""
    for stmt in handler.body:
        if (
            isinstance(stmt, ast.If)
            and _state_test(stmt.test)
            and isinstance(stmt.body[-1], (ast.Return, ast.Raise, ast.Break))
        ):
            return True
    return False


def _state_test(test: ast.expr) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Call) and not test.args and isinstance(test.func, ast.Attribute):
        test = test.func.value  # `self._closing.is_set()`
    return isinstance(test, (ast.Name, ast.Attribute))


def _walk_outside_loops(root: ast.AST) -> list[ast.AST]:
    """``root`` and the nodes under it, not entering loops (their ``continue`` is theirs)."""
    out: list[ast.AST] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (*_LOOPS, *_FUNCTIONS, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _awaits(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, _AWAITS) for stmt in body for n in walk_own(stmt))


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_LOOPS = (ast.For, ast.While, ast.AsyncFor)


def _continues(ctx: ModuleContext, node: ast.AST, handler: ast.ExceptHandler) -> bool:
    """After the clause the coroutine goes on working: a loop runs the ``try`` (and its
    ``await``) again, or it awaits more than winding down after the ``try``. A clause that
    ends the coroutine (``return``, nothing left to run, or only ``close``/``shutdown``-like
    awaits before the end) lets the task finish, which is what the canceller waits for."""
    if any(isinstance(s, ast.Return) for s in handler.body):
        return False
    jumps = [n for s in handler.body for n in _walk_outside_loops(s)]
    breaks = any(isinstance(n, ast.Break) for n in jumps)
    # `aborted = True` (or `self.keep_alive = False`) in the clause, under `while not
    # aborted:` or before `if aborted: break`: the loop ends like a break
    flags = {
        ast.unparse(t)
        for n in jumps
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, (ast.Name, ast.Attribute))
    } | _flags_set_by_methods(ctx, jumps)
    # after `break` or `continue` the rest of the loop's body does not run
    skipping = breaks or any(isinstance(n, ast.Continue) for n in jumps)
    child, parent = node, ctx.parent(node)
    while parent is not None:
        for field in ("body", "orelse"):
            block = getattr(parent, field, None)
            if not skipping and isinstance(block, list) and child in block:
                following = block[block.index(child) + 1 :]
                if isinstance(parent, _LOOPS) and _exits_on(following, flags):
                    breaks = skipping = True
                elif _works_after(ctx, following, flags):
                    return True
        if isinstance(parent, _FUNCTIONS):
            break
        if isinstance(parent, _LOOPS) and child in parent.body:
            if isinstance(parent, ast.While) and _tests(parent.test, flags):
                breaks = True
            if not breaks:
                return True  # the loop runs the `try` and its `await` again
            breaks = skipping = False  # the `break` leaves this loop: what follows counts
        child, parent = parent, ctx.parent(parent)
    return False


def _flags_set_by_methods(ctx: ModuleContext, nodes: list[ast.AST]) -> set[str]:
    """The ``self`` attributes a method of this module the clause calls (``self.close()``)
    sets in its own body (``self._closing = True``): a flag the clause sets through it."""
    out: set[str] = set()
    for n in nodes:
        if not (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "self"
        ):
            continue
        fn = ctx.resolver.function_def(ctx.qualname(n.func))
        if fn is None:
            continue
        out.update(
            ast.unparse(t)
            for m in walk_own(fn)
            if isinstance(m, ast.Assign)
            for t in m.targets
            if isinstance(t, ast.Attribute)
            and isinstance(t.value, ast.Name)
            and t.value.id == "self"
        )
    return out


def _tests(expr: ast.expr, flags: set[str]) -> bool:
    """``expr`` reads one of the flags (names or attributes the clause assigned)."""
    return bool(flags) and any(
        isinstance(n, (ast.Name, ast.Attribute)) and ast.unparse(n) in flags for n in ast.walk(expr)
    )


def _exits_on(stmts: list[ast.stmt], flags: set[str]) -> bool:
    """``if aborted: ...; break``: a statement that leaves the loop on a flag the clause set."""
    return any(
        isinstance(stmt, ast.If)
        and _tests(stmt.test, flags)
        and any(
            isinstance(n, (ast.Break, ast.Return, ast.Raise))
            for s in stmt.body
            for n in _walk_outside_loops(s)
        )
        for stmt in stmts
    )


def _works_after(ctx: ModuleContext, stmts: list[ast.stmt], flags: set[str]) -> bool:
    """``stmts`` go on working without end: a loop that awaits something other than winding
    down (``await conn.close()``, ``await self._shutdown()``, ``await
    asyncio.gather(*cancelled)``: see ``[cancellation] cleanup_names``). A few awaits in a
    row (send an error response, flush what is pending, record the job as cancelled) are
    the coroutine finishing its work before it ends: the task still ends."""
    cleanup = ctx.knowledge.cleanup_names
    if _cancels_something(ctx):
        cleanup = cleanup | ctx.knowledge.cleanup_after_cancel
    for stmt in stmts:
        loops = [
            n
            for n in walk_own(stmt)
            if isinstance(n, _LOOPS)
            and not (isinstance(n, ast.While) and (_tests(n.test, flags) or _drains(n.test)))
        ]
        for n in (m for loop in loops for m in walk_own(loop)):
            if isinstance(n, (ast.AsyncFor, ast.AsyncWith)):
                return True
            if not isinstance(n, ast.Await):
                continue
            value = n.value
            func = value.func if isinstance(value, ast.Call) else None
            called = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else None
            )
            word = (called or "").lstrip("_")
            if not any(word == c or word.startswith(f"{c}_") for c in cleanup):
                return True
    return False


def _drains(test: ast.expr) -> bool:
    """``while not q.empty():`` / ``while q.qsize():`` (``> 0``): a loop that handles what
    is left in a queue and ends — pending work flushed as the coroutine winds down."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _queue_call(test.operand, "empty")
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Gt):
        right = test.comparators[0]
        return (
            isinstance(right, ast.Constant) and right.value == 0 and _queue_call(test.left, "qsize")
        )
    return _queue_call(test, "qsize")


def _queue_call(expr: ast.expr, method: str) -> bool:
    return (
        isinstance(expr, ast.Call)
        and not expr.args
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == method
    )


def _cancels_something(ctx: ModuleContext) -> bool:
    """The enclosing function calls ``.cancel()`` on something."""
    function = ctx.enclosing_function()
    return function is not None and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "cancel"
        for n in walk_own(function.node)
    )


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


def _raises_later(function: ast.AST | None, handler: ast.ExceptHandler) -> bool:
    """A ``raise`` after the clause in the function: the error (or a flag the clause sets)
    is kept and raised later (``cancelled = True`` ... ``if cancelled: raise``); or, in a
    loop, the kept error is thrown into a generator on the next pass (``pending = err``
    ... ``step = gen.athrow(pending)``: hata's command responder), which raises it back
    unless the generator handles it."""
    if function is None:
        return False
    if handler.name is not None and _thrown_next_pass(function, handler):
        return True
    end = getattr(handler, "end_lineno", None) or handler.lineno
    own = list(walk_own(function))
    if any(isinstance(n, ast.Raise) and n.lineno > end for n in own):
        return True
    # `first_error = e` (or `cancelled = True`) in the clause, `return first_error` (or
    # `return result, cancelled`) after it: the caller is told, and raises it
    kept = _kept_names(handler, flags=True)
    if not kept or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    returned = returned_values(function)
    return any(
        isinstance(n, ast.Name) and n.id in kept and id(n) in returned and n.lineno > end
        for n in own
    )


def _kept_names(handler: ast.ExceptHandler, *, flags: bool) -> set[str]:
    """The names the clause keeps the caught error in (``first_error = e``) and, with
    ``flags``, the ones it sets to ``True`` (``cancelled = True``)."""
    return {
        t.id
        for stmt in handler.body
        for n in walk_own(stmt)
        if isinstance(n, ast.Assign)
        and (
            (isinstance(n.value, ast.Name) and n.value.id == handler.name)
            or (flags and isinstance(n.value, ast.Constant) and n.value.value is True)
        )
        for t in n.targets
        if isinstance(t, ast.Name)
    }


def _thrown_next_pass(function: ast.AST, handler: ast.ExceptHandler) -> bool:
    """The clause keeps the error (``pending = err``) and the loop around it passes that
    name to ``.throw(...)`` or ``.athrow(...)``."""
    kept = _kept_names(handler, flags=False)
    if not kept:
        return False
    around = [
        n
        for n in walk_own(function)
        if isinstance(n, _LOOPS) and any(m is handler for m in ast.walk(n))
    ]
    if not around:
        return False
    loop = max(around, key=lambda n: (n.lineno, n.col_offset))  # the innermost
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("throw", "athrow")
        and any(isinstance(a, ast.Name) and a.id in kept for a in n.args)
        for n in walk_own(loop)
    )


def _hands_to_raiser(ctx: ModuleContext, handler: ast.ExceptHandler) -> bool:
    """The clause gives the caught error to a project function that raises
    (``self._convert_socket_error(exc)``): it re-raises, converted."""
    if handler.name is None:
        return False
    for stmt in handler.body:
        for n in walk_own(stmt):
            if not isinstance(n, ast.Call) or not any(
                isinstance(a, ast.Name) and a.id == handler.name for a in n.args
            ):
                continue
            qual = ctx.qualname(n.func)
            found = ctx.summaries.callee(qual, ctx.module_info) if qual else None
            candidates: list[ast.AST]
            if found is not None:
                candidates = [found[1]]
            elif isinstance(n.func, ast.Attribute):
                # `self._convert(exc)` defined on a base class: this module's methods of
                # that name
                candidates = [
                    s.node
                    for s in ctx.scopes.values()
                    if s.kind == "function" and getattr(s.node, "name", None) == n.func.attr
                ]
            else:
                candidates = []
            if any(isinstance(r, ast.Raise) for c in candidates for r in walk_own(c)):
                return True
    return False


_TIMEOUTS = frozenset({"asyncio.timeout", "asyncio.timeout_at"})


def _awaits_task(ctx: ModuleContext, body: list[ast.stmt]) -> bool:
    """Every ``await`` in ``body`` waits for an existing task or future (``await task``,
    ``await self._waiter``: a name, not a call; ``await asyncio.wait((self.task,))``),
    whose own cancellation also arrives as
    ``CancelledError``: the documented ``task.cancel()`` / ``try: await task`` /
    ``except CancelledError: pass`` wait for a cancelled task to finish."""
    awaited = [
        n
        for stmt in body
        for n in walk_own(stmt)
        if isinstance(n, _AWAITS)
        # `async with asyncio.timeout(...)`: its own cancellation becomes TimeoutError
        and not (
            isinstance(n, ast.AsyncWith)
            and all(
                isinstance(i.context_expr, ast.Call) and ctx.call_name(i.context_expr) in _TIMEOUTS
                for i in n.items
            )
        )
    ]
    return bool(awaited) and all(
        isinstance(a, ast.Await) and _waits_for_held(ctx, a.value) for a in awaited
    )


_HELD = (ast.Name, ast.Attribute, ast.Subscript)


def _waits_for_held(ctx: ModuleContext, value: ast.expr) -> bool:
    """``task``, ``self._waiter``, or ``asyncio.wait((self.task,))`` / ``asyncio.wait([t])``
    of tasks the code holds."""
    if isinstance(value, _HELD):
        return True
    if isinstance(value, ast.Call) and value.args and ctx.call_name(value) == "asyncio.wait":
        first = value.args[0]
        return isinstance(first, (ast.Tuple, ast.List, ast.Set)) and all(
            isinstance(e, _HELD) for e in first.elts
        )
    return False


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
