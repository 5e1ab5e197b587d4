from __future__ import annotations

import ast
from dataclasses import replace

from gil_lint.diagnostics import Edit, Fix
from gil_lint.engine.callforms import put_never_waits
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.project import ModuleInfo
from gil_lint.engine.scopes import FunctionNode, handler_catches, walk_own
from gil_lint.engine.summaries import is_generator
from gil_lint.fix.edits import (
    checked_segment,
    fix_from,
    import_edit,
    insertion_row,
    newline_of,
    node_edit,
    usable_global,
)
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.blocking import in_deprecated_code
from gil_lint.rules.concurrency_apis import calls_loop_api


class DanglingTask(Rule):
    """
    ## What it does
    Flags `asyncio.create_task(...)`, `asyncio.ensure_future(...)` and
    `loop.create_task(...)` whose result is thrown away.

    ## Why is this bad?
    Nobody handles the task's exception (asyncio logs "Task exception was never
    retrieved" at best, when the task is collected), and nothing waits for it to
    finish: when the program shuts down it is cut off wherever it is (`asyncio.run`
    cancels the tasks left; a loop closed without that destroys them pending).
    And the event loop keeps only a weak
    reference to tasks: a task nobody holds can be garbage collected before it
    finishes — it silently disappears mid-way. (In practice that needs nothing else
    to hold what it waits on; a task waiting on a future another object keeps
    stays alive, but still loses its exception.) A coroutine that catches every
    error itself (its body one `try` with an `except Exception` that does not raise
    again) loses none, and the message does not say it does.

    ## Example
    ```python
    import asyncio

    async def main():
        asyncio.create_task(worker())
    ```

    ## Use instead
    ```python
    background_tasks = set()

    async def main():
        task = asyncio.create_task(worker())
        background_tasks.add(task)
        task.add_done_callback(background_tasks.discard)
    ```
    or an `asyncio.TaskGroup`.

    The tasks a module drops are one finding, on the first; the other places (the same
    coroutine from four listener kinds, or `data_received` beside `eof_received`) are its
    evidence, since one helper that keeps the tasks fixes them all — and the fix wraps
    every one of them.

    A task whose coroutine cannot suspend is not reported: a project `async def` with
    no `async for` or `async with` that awaits nothing but the project's own
    coroutines that cannot either (a metrics hook that only counts, a cache set in
    memory; followed through typed receivers, `coro = f(); create_task(coro)` too), and
    `q.put(x)` on an asyncio queue made with no bound (`self.q = asyncio.Queue()`), as
    the task's coroutine or awaited by one: `put` returns at once there. It
    runs to its end in its first step, while the loop still holds the task, and an
    exception it raises is logged when the task goes. A stub (`...`, `pass`, `raise
    NotImplementedError`, `@abstractmethod`) or a public `Protocol`'s method says
    nothing of the body that runs, and is taken to suspend. A private protocol
    (`class _SpanSink(Protocol)`) stands for the package's own classes: those that
    define all its methods and take the calls it describes; the call cannot suspend
    when none of their methods can (a body that only declares does nothing there).
    Objects another module holds are followed to their class: `from .base import
    metrics` where `metrics = Metrics()`, `registry.metrics` where the class sets
    `self.metrics = Metrics()`. Nor is `asyncio.ensure_future(f())`
    where `f` is a project `def` that returns a future it keeps (`return future`),
    or a call that returns a future (`loop.run_in_executor(...)`,
    `asyncio.wrap_future(...)`): `ensure_future` hands that future back and makes no
    task, and the executor runs the work to its end.

    A task dropped while something goes away is not reported (`engine/lifecycle.py`):
    in `__del__`, in a callable registered with `weakref.finalize` / `weakref.ref`,
    `atexit.register`, `signal.signal` or `loop.add_signal_handler` (also through
    `functools.partial`, a lambda, or a function of the module that registers its
    parameter), in a function that ends with `sys.exit()`, and in what only such code
    calls; and in a shutdown function (`close`,
    `close_*`, `aclose`, `shutdown`, `stop`, `connection_lost`, `__aexit__`, ...; the
    `shutdown-functions` knowledge) and the private helpers only it calls; and a task
    that runs such a function itself (`create_task(self._close(...))` after a protocol
    error). Nothing waits for such a task, and the object or the program is ending
    anyway. A task dropped in
    `start()` is still reported: that is where a long-running task goes missing.

    ## Fix safety
    Keeping a reference is unsafe as a fix: where to keep it (and when to
    drop it) is a design decision; the fix stores it in a module-level set.
    """

    CODE = "GIL402"
    NAME = "dangling-task"
    BRIEF = "`asyncio.create_task` / `ensure_future` / `loop.create_task` result thrown away"
    # the harms in the order they bite: a task waiting on a future someone else holds is
    # rarely collected in practice, but its exception surfaces late, and shutdown cuts it
    # off (`asyncio.run` cancels what is left; it does not wait for it)
    MESSAGE = (
        "The task from `{call}` is not kept: {unseen}nothing awaits it, so shutdown cuts it "
        "off wherever it is, and the loop holds it only weakly, so it may be garbage "
        "collected before it finishes"
    )
    FIX = "unsafe"
    TRIGGERS = (b"create_task", b"ensure_future")
    VALID = [
        "import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n    await t\n",
        # runs to its end in its first step: the loop holds the task until then
        "import asyncio\nclass Stats:\n    def __init__(self):\n        self.n = 0\n"
        "    async def count(self):\n        self.n += 1\n"
        "async def f(stats: Stats):\n    asyncio.create_task(stats.count())\n",
        # a task that closes something: the object is going away
        "import asyncio\nclass C:\n    def on_error(self):\n"
        "        asyncio.create_task(self._close(failed=True))\n",
        "import asyncio\nasync def f(c):\n    async with asyncio.TaskGroup() as tg:\n"
        "        tg.create_task(c)\n",
        "import asyncio\nasync def f(c):\n    return asyncio.ensure_future(c)\n",
        "async def f(scheduler, c):\n    scheduler.create_task(c)\n",
        # the object or the program is going away
        "import asyncio\nclass C:\n    def __del__(self):\n        asyncio.ensure_future(self.close())\n",
        "import asyncio, signal\ndef on_term(signum, frame):\n"
        "    asyncio.ensure_future(stop())\nsignal.signal(signal.SIGTERM, on_term)\n",
        "class P:\n    def close_if_idle(self):\n"
        "        self.ws.loop.create_task(self.ws.close(1001))\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def f(c):\n    asyncio.create_task(c)\n",
            at="3:5-3:27",
            fixed="import asyncio\n\n\n_background_tasks = set()\n\n\ndef _keep_task(task):\n"
            "    # the event loop holds tasks weakly: keep a reference until the task is done\n"
            "    _background_tasks.add(task)\n"
            "    task.add_done_callback(_background_tasks.discard)\n    return task\n\n\n"
            "async def f(c):\n    _keep_task(asyncio.create_task(c))\n",
            unsafe=True,
        ),
        Example(
            "import asyncio\n\n\n_background_tasks = set()\n\n\ndef _keep_task(task):\n"
            "    _background_tasks.add(task)\n"
            "    task.add_done_callback(_background_tasks.discard)\n    return task\n\n\n"
            "async def f(c):\n    asyncio.ensure_future(c)  # fire and forget\n",
            at="14:5-14:29",
            fixed="import asyncio\n\n\n_background_tasks = set()\n\n\ndef _keep_task(task):\n"
            "    _background_tasks.add(task)\n"
            "    task.add_done_callback(_background_tasks.discard)\n    return task\n\n\n"
            "async def f(c):\n    _keep_task(asyncio.ensure_future(c))  # fire and forget\n",
            unsafe=True,
        ),
        Example(
            "import asyncio\nasync def f(c):\n    loop = asyncio.get_running_loop()\n"
            "    loop.create_task(c)\n",
            at="4:5-4:24",
        ),
        Example(
            "import asyncio\nasync def f(a, b):\n    asyncio.create_task(a())\n"
            "def g(b):\n    asyncio.ensure_future(b())\n",
            at="3:5-3:29",
            fixed="import asyncio\n\n\n_background_tasks = set()\n\n\ndef _keep_task(task):\n"
            "    # the event loop holds tasks weakly: keep a reference until the task is done\n"
            "    _background_tasks.add(task)\n"
            "    task.add_done_callback(_background_tasks.discard)\n    return task\n\n\n"
            "async def f(a, b):\n    _keep_task(asyncio.create_task(a()))\n"
            "def g(b):\n    _keep_task(asyncio.ensure_future(b()))\n",
            unsafe=True,
        ),
        Example("def f(loop, c):\n    loop.create_task(c)\n", at="2:5-2:24"),
        # at start-up the task is the long-running one: it must be kept
        Example(
            "import asyncio\nclass S:\n    def start(self):\n        asyncio.create_task(self.run())\n",
            at="4:9-4:40",
        ),
        Example(
            "from asyncio import create_task as spawn\nasync def f(c):\n    spawn(c)\n",
            at="3:5-3:13",
        ),
    ]

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        # the module's first dropped task → its finding and first message: every task the
        # module drops is one finding (one helper keeps them), the others its evidence
        self._first: tuple[int, str] | None = None

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if not isinstance(call, ast.Call):
            return
        ctx = self.ctx
        name = ctx.call_name(call)
        if not calls_loop_api(ctx, call, name, ctx.knowledge.task_creators, "create_task"):
            return
        if in_deprecated_code(ctx):
            return  # on its way out: a maintainer removes it rather than fixes it
        function = ctx.enclosing_function()
        if ctx.lifecycle.phase(function.node if function is not None else None) in _ENDING:
            return  # the object or the program is going away: nothing waits for the task
        runs = _task_function(ctx, call)
        if runs is not None and runs.rpartition(".")[2] in ctx.knowledge.lifecycle.shutdown:
            return  # the task closes something: nothing waits for its end either
        if _never_suspends(ctx, call):
            return  # it runs to its end in its first step, while the loop holds it
        if name == "asyncio.ensure_future" and _hands_back_a_future(ctx, call):
            return  # ensure_future returns that future: no task is made
        if self._first is not None:
            self._join(call)
            return
        # a coroutine that catches every error itself loses none: the message does not say so
        unseen = (
            ""
            if _handles_own_errors(ctx, call)
            else "an exception it raises is only logged, when the task is collected; "
        )
        self.report(
            call,
            call=ctx.segment(call.func) or str(name),
            unseen=unseen,
            fix=keep_task_fix(ctx, call),
        )
        self._first = (len(ctx.diagnostics) - 1, ctx.diagnostics[-1].message)

    def _join(self, call: ast.Call) -> None:
        """Another dropped task of this module: evidence on the first finding, and its call
        wrapped by the same fix."""
        assert self._first is not None
        ctx = self.ctx
        index, message = self._first
        runs = _task_function(ctx, call) or ctx.segment(call.func)
        more = len(ctx.diagnostics[index].evidence) + 1  # the places joined so far
        places = "place" if more == 1 else "places"
        ctx.join_evidence(
            index,
            ctx.evidence_at(call, f"also `{runs}` dropped"),
            f"{message} (and in {more} more {places} here)",
        )
        found = ctx.diagnostics[index]
        text = checked_segment(ctx, call)
        if found.fix is not None:
            if text is None:
                # a place the fix cannot wrap: offer none rather than a partial one
                ctx.diagnostics[index] = replace(found, fix=None)
            else:
                wrap = node_edit(ctx, call, f"{_KEEP_TASK_FUNC}({text})")
                ctx.diagnostics[index] = replace(
                    found, fix=replace(found.fix, edits=(*found.fix.edits, wrap))
                )


# phases of the program's life (engine/lifecycle.py) where a dropped task is a shrug
_ENDING = ("once", "shutdown")


def _never_suspends(ctx: ModuleContext, call: ast.Call) -> bool:
    """The task runs a project coroutine that cannot suspend (``Summaries.may_suspend``): a
    metrics hook that only counts, a cache set in memory; or ``q.put(x)`` on an asyncio
    queue made with no bound (``put_never_waits``), itself or awaited. The loop holds a new task until
    its first step has run, and that step runs it to its end: nothing is lost to the
    garbage collector, and an exception it raises is still logged when the task goes."""
    coro = _coroutine_call(ctx, call)
    if coro is not None and put_never_waits(coro, ctx.resolver, ctx.scope, ctx.knowledge):
        return True  # `create_task(q.put(x))` on an unbounded asyncio queue
    found = _task_callee(ctx, call)
    return found is not None and not ctx.summaries.may_suspend(*found)


_EVERYTHING = frozenset({"Exception", "BaseException"})


def _handles_own_errors(ctx: ModuleContext, call: ast.Call) -> bool:
    """The task runs a project coroutine that catches every error it can raise and does not
    raise again: its body (past a docstring and statements that await and raise nothing)
    is one ``try`` — or a ``while`` loop around one — with an ``except Exception`` (or
    ``BaseException``, bare) that ends without ``raise``. Its exception cannot go unseen
    (skyvern's screencast ack); the task is still reported — a reference nobody keeps is
    still weak, and shutdown still cannot reach it."""
    found = _task_callee(ctx, call)
    if found is None or not isinstance(found[1], ast.AsyncFunctionDef):
        return False
    body = list(found[1].body)
    guarded = [i for i, stmt in enumerate(body) if _guarded_try(stmt)]
    if len(guarded) != 1:
        return False
    rest = body[: guarded[0]] + body[guarded[0] + 1 :]
    return not any(
        isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Raise))
        for stmt in rest
        for n in walk_own(stmt)
    )


def _guarded_try(stmt: ast.stmt) -> bool:
    """``try: ... except Exception: log(...)`` (no ``raise`` in that handler, nor in the
    ``else`` or ``finally``), or ``while ...:`` whose whole body is one."""
    if isinstance(stmt, ast.While) and len(stmt.body) == 1 and not stmt.orelse:
        stmt = stmt.body[0]
    if not isinstance(stmt, ast.Try) or any(
        isinstance(n, ast.Raise) for s in (*stmt.orelse, *stmt.finalbody) for n in walk_own(s)
    ):
        return False
    return any(
        handler_catches(h, _EVERYTHING)
        and not any(isinstance(n, ast.Raise) for s in h.body for n in walk_own(s))
        for h in stmt.handlers
    )


def _hands_back_a_future(ctx: ModuleContext, call: ast.Call) -> bool:
    """``asyncio.ensure_future(self.reqSummaryAsync())`` where that is a project ``def``
    (not ``async def``) that returns a future it keeps (``return future``, a name or an
    attribute, never a call's result nor a coroutine it made): ``ensure_future`` hands the
    same future back and makes no task (ib_async's request methods). So it does for a
    call the knowledge says returns a future (``[returns]``: ``loop.run_in_executor``,
    ``asyncio.wrap_future``): aioxmpp's cache write-back runs in the executor, which
    holds it to its end."""
    coro = _coroutine_call(ctx, call)
    maker = ctx.call_name(coro) if coro is not None else None
    if (
        maker is not None
        and maker not in ctx.knowledge.task_creators
        and ctx.knowledge.returns_of(maker) == "asyncio.Future"
    ):
        return True
    found = _task_callee(ctx, call)
    if found is None or not isinstance(found[1], ast.FunctionDef) or is_generator(found[1]):
        return False
    module, fn = found
    returns = [n.value for n in walk_own(fn) if isinstance(n, ast.Return)]
    if not returns:
        return False
    scope = module.scopes[fn]
    for value in returns:
        if isinstance(value, ast.Attribute):
            continue
        if not isinstance(value, ast.Name):
            return False
        binding = module.resolver.lookup(value.id, scope)
        if binding is None or binding.kind != "value":
            return False
        for made in binding.values:
            callee = (
                module.resolver.qualname(made.func, scope) if isinstance(made, ast.Call) else None
            )
            made_by = ctx.summaries.callee(callee, module) if callee is not None else None
            if made_by is not None and isinstance(made_by[1], ast.AsyncFunctionDef):
                return False  # `coro = self._run(); return coro`: a coroutine
    return True


def _task_function(ctx: ModuleContext, call: ast.Call) -> str | None:
    """The coroutine function the task runs, as written: ``cb.cb`` in
    ``loop.create_task(cb.cb(con_ref, message))``; None when it is not a call."""
    coro = _coroutine_call(ctx, call)
    return ctx.segment(coro.func) if coro is not None else None


def _task_callee(ctx: ModuleContext, call: ast.Call) -> tuple[ModuleInfo, FunctionNode] | None:
    """The project function whose call made the task's coroutine (``_coroutine_call``)."""
    coro = _coroutine_call(ctx, call)
    name = ctx.call_name(coro) if coro is not None else None
    return ctx.summaries.callee(name, ctx.module_info) if name is not None else None


def _coroutine_call(ctx: ModuleContext, call: ast.Call) -> ast.Call | None:
    """The call that made the task's coroutine: the argument itself, or the one call a
    local it names was assigned (``coro = self._shutdown(); loop.create_task(coro)``)."""
    coro = call.args[0] if call.args else None
    if isinstance(coro, ast.Name):
        binding = ctx.resolver.lookup(coro.id, ctx.scope)
        values = binding.values if binding is not None and binding.kind == "value" else []
        coro = values[0] if len(values) == 1 else None
    return coro if isinstance(coro, ast.Call) else None


_TASKS_SET = "_background_tasks"
_KEEP_TASK_FUNC = "_keep_task"
_KEEP_TASK = (
    f"{_TASKS_SET} = set()",
    "",
    "",
    f"def {_KEEP_TASK_FUNC}(task):",
    "    # the event loop holds tasks weakly: keep a reference until the task is done",
    f"    {_TASKS_SET}.add(task)",
    f"    task.add_done_callback({_TASKS_SET}.discard)",
    "    return task",
)


def keep_task_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL402: ``asyncio.create_task(c)`` → ``_keep_task(asyncio.create_task(c))``.

    The module-level helper (added once, after the imports) keeps the task in a set
    and discards it when done: the documented idiom for fire-and-forget tasks. Unsafe:
    the task now outlives a cancelled caller's reference until it finishes.
    """
    scope = ctx.module_scope
    helper = scope.bindings.get(_KEEP_TASK_FUNC)
    if helper is not None and helper.kind != "def":
        return None
    if helper is None and _TASKS_SET in scope.bindings:
        return None  # the set's name is taken by something else
    if not usable_global(ctx, _KEEP_TASK_FUNC):
        return None
    text = checked_segment(ctx, call)
    if text is None:
        return None
    edits: list[Edit | None] = [node_edit(ctx, call, f"{_KEEP_TASK_FUNC}({text})")]
    if helper is None:
        nl = newline_of(ctx.source)
        row = insertion_row(ctx)
        following = ctx.lines[row - 1 : row + 1] if row <= len(ctx.lines) else []
        blank = 0
        for line in following:
            if line.strip():
                break
            blank += 1
        # two blank lines around a top-level def, counting those already below the imports
        after = nl * max(0, 2 - blank) if row <= len(ctx.lines) else ""
        edits.append(import_edit(ctx, f"{nl}{nl}{nl.join(_KEEP_TASK)}{after}"))
    return fix_from("Keep a reference to the task until it is done", "unsafe", *edits)
