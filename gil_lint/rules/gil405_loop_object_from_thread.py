from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.scopes import FunctionNode, walk_own
from gil_lint.engine.summaries import LoopContact
from gil_lint.fix.edits import checked_segment, fix_from, module_import, node_edit
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import (
    Submission,
    submission,
    thread_subclass_run,
    unwrap_partial,
)

# calls that start a coroutine on the loop: from a thread, `run_coroutine_threadsafe`
_SCHEDULERS = frozenset(
    {"asyncio.create_task", "asyncio.ensure_future", "asyncio.AbstractEventLoop.create_task"}
)


# words one of which a module that hands a thread loop objects must contain
_LOOP_WORDS = ("asyncio", "loop", "call_soon", "create_task", "create_future", "set_result")


class LoopObjectFromThread(Rule):
    """
    ## What it does
    Flags a callable run in a worker thread that calls an event-loop API which is
    not thread-safe, itself or through helpers of the project: `loop.call_soon`,
    `call_later`, `call_at`, `create_task`, `create_future`, `stop`;
    `asyncio.create_task`, `ensure_future`, `get_running_loop`; an `asyncio.Future`'s
    or `Task`'s `set_result`, `set_exception`, `cancel`, `add_done_callback`; and the
    methods of `asyncio.Queue`, `Event`, `Lock`, `Condition` and `Semaphore` that wake
    waiters (`put_nowait`, `get_nowait`, `set`, `clear`, `release`, `notify`). The list
    is `[loop_affine]` in `knowledge/concurrency.toml`, the same knowledge that keeps the
    blocking rules from advising `to_thread` for such a helper.

    Worker threads are the same as for GIL101: a function given to `asyncio.to_thread`,
    `loop.run_in_executor`, an executor's `submit`/`map`, `threading.Thread(target=...)`,
    or the `run()` of a `threading.Thread` subclass; `functools.partial` and lambdas are
    looked through. The finding is on that hand-off (the same helper called on the
    loop's thread is correct), with the chain down to the call as evidence.

    The receiver's type comes from annotations (`fut: asyncio.Future`), from what the
    code assigns (`fut = loop.create_future()`), or from the argument at the hand-off
    (`run_in_executor(None, work, fut)` types `work`'s parameter). A receiver of unknown
    type counts only for the loop's own methods on a name like `loop`; `fut.set_result`
    on an unknown `fut` may be a `concurrent.futures.Future`'s, which is thread-safe,
    and is not reported. Not reported either: a thread that runs an event loop of its own
    (`asyncio.run`, `new_event_loop`, `loop.run_forever()` in the same function), and
    `asyncio.get_running_loop()` in a `try` that catches `RuntimeError` (asking whether a
    loop runs), and `asyncio.current_task(loop)` / `asyncio.all_tasks(loop)` naming the loop
    (a watchdog sampling what a blocked loop runs, from its own thread).

    ## Why is this bad?
    asyncio's loops, futures, tasks and primitives are not thread-safe. Called from
    another thread, `call_soon` or `set_result` changes the loop's state while it runs
    (corrupting it at worst) and does not wake the loop: the callback or the waiting
    coroutine may sit until some unrelated event arrives, or forever.
    `asyncio.get_running_loop()` and `asyncio.create_task()` raise `RuntimeError` in a
    thread with no loop. Only `loop.call_soon_threadsafe` and
    `asyncio.run_coroutine_threadsafe` are meant to be called from other threads.

    ## Example
    ```python
    import asyncio

    def work(loop, fut):
        fut.set_result(compute())

    async def main():
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        await loop.run_in_executor(None, work, loop, fut)
    ```

    ## Use instead
    ```python
    def work(loop, fut):
        loop.call_soon_threadsafe(fut.set_result, compute())
    ```
    and `asyncio.run_coroutine_threadsafe(coro, loop)` instead of `create_task(coro)`.

    ## Fix safety
    Where the call is in the thread's function itself and that function has a loop at
    hand (a parameter or global that is an event loop): `loop.call_soon(...)` →
    `loop.call_soon_threadsafe(...)` is safe (the same call, made thread-safe).
    `fut.set_result(x)` → `loop.call_soon_threadsafe(fut.set_result, x)` (and the
    other methods) and `create_task(coro)` → `asyncio.run_coroutine_threadsafe(coro, loop)`
    are unsafe: the call now happens later, on the loop's thread, so its errors
    (`InvalidStateError` on a cancelled future) are raised there, and
    `run_coroutine_threadsafe` returns a `concurrent.futures.Future`, not a task.
    """

    CODE = "GIL405"
    NAME = "loop-object-from-thread"
    BRIEF = "a function run in a worker thread calls a non-thread-safe event-loop API (`call_soon`, `fut.set_result`, `create_task`, `queue.put_nowait`...)"
    MESSAGE = (
        "`{name}` runs in a worker thread ({api}) and calls {call}{chain}, which is not "
        "thread-safe; {advice}"
    )
    FIX = "unsafe"
    TRIGGERS = (b"Thread", b"Executor", b"Pool", b"to_thread", b"run_in_executor")
    VALID = [
        # the thread-safe forms
        "import asyncio\ndef work(loop, fut):\n    loop.call_soon_threadsafe(fut.set_result, 1)\n"
        "async def main():\n    loop = asyncio.get_running_loop()\n    fut = loop.create_future()\n"
        "    await asyncio.to_thread(work, loop, fut)\n",
        "import asyncio\ndef work(coro, loop):\n"
        "    return asyncio.run_coroutine_threadsafe(coro, loop).result()\n"
        "async def main(c):\n    loop = asyncio.get_running_loop()\n"
        "    await asyncio.to_thread(work, c, loop)\n",
        # a concurrent.futures.Future is thread-safe
        "import threading\nfrom concurrent.futures import Future\n"
        "def work(fut: Future):\n    fut.set_result(1)\n"
        "def main():\n    fut = Future()\n    threading.Thread(target=work, args=(fut,)).start()\n",
        # unknown receiver: may be a concurrent future
        "import asyncio, threading\ndef work(fut):\n    fut.set_result(1)\n"
        "def main(fut):\n    threading.Thread(target=work, args=(fut,)).start()\n",
        # the thread runs its own loop
        "import asyncio, threading\ndef serve():\n    loop = asyncio.new_event_loop()\n"
        "    loop.call_soon(print)\n    loop.run_forever()\n"
        "def main():\n    threading.Thread(target=serve).start()\n",
        # asking whether a loop runs
        "import asyncio, threading\ndef work():\n    try:\n        asyncio.get_running_loop()\n"
        "    except RuntimeError:\n        return None\n"
        "def main():\n    threading.Thread(target=work).start()\n",
        # the same helper on the loop's thread is fine
        "import asyncio\ndef work(loop):\n    loop.call_soon(print)\n"
        "async def main():\n    work(asyncio.get_running_loop())\n",
    ]
    INVALID = [
        Example(
            "import asyncio\ndef work(loop, fut):\n    fut.set_result(1)\n"
            "async def main():\n    loop = asyncio.get_running_loop()\n"
            "    fut = loop.create_future()\n    await loop.run_in_executor(None, work, loop, fut)\n",
            at="7:11-7:54",
            fixed="import asyncio\ndef work(loop, fut):\n    loop.call_soon_threadsafe(fut.set_result, 1)\n"
            "async def main():\n    loop = asyncio.get_running_loop()\n"
            "    fut = loop.create_future()\n    await loop.run_in_executor(None, work, loop, fut)\n",
            unsafe=True,
        ),
        Example(
            "import asyncio, threading\ndef tick(loop):\n    loop.call_soon(print, 'tick')\n"
            "def main(loop):\n    threading.Thread(target=tick, args=(loop,)).start()\n",
            at="5:5-5:48",
            fixed="import asyncio, threading\ndef tick(loop):\n"
            "    loop.call_soon_threadsafe(print, 'tick')\n"
            "def main(loop):\n    threading.Thread(target=tick, args=(loop,)).start()\n",
        ),
        Example(
            "import asyncio\nfrom concurrent.futures import ThreadPoolExecutor\n"
            "queue = asyncio.Queue()\ndef produce(item):\n    queue.put_nowait(item)\n"
            "def main(items):\n    with ThreadPoolExecutor() as ex:\n"
            "        ex.map(produce, items)\n",
            at="8:9-8:31",
        ),
        Example(
            "import asyncio\nasync def job():\n    pass\n"
            "def helper(loop):\n    loop.create_task(job())\n"
            "def work(loop):\n    helper(loop)\n"
            "async def main():\n    loop = asyncio.get_running_loop()\n"
            "    await asyncio.to_thread(work, loop)\n",
            at="10:11-10:40",
        ),
        Example(
            "import asyncio, threading\nclass Notifier(threading.Thread):\n"
            "    def __init__(self, event: asyncio.Event):\n        super().__init__()\n"
            "        self.event = event\n    def run(self):\n        self.event.set()\n"
            "def main(ev):\n    Notifier(ev).start()\n",
            at="9:5-9:17",
        ),
        Example(
            "import asyncio\nasync def main():\n    fut = asyncio.get_running_loop().create_future()\n"
            "    await asyncio.to_thread(lambda: fut.set_result(1))\n",
            at="4:11-4:55",
        ),
    ]

    def _may_touch_loop(self) -> bool:
        """A module whose text names no event loop, no asyncio and no loop API hands its
        threads nothing of the loop's. Most threaded code is like that: checked once per
        module, it spares the analysis of every hand-off. (Missed: a thread function in
        another module that reaches a loop of that module's own, e.g. a global one.)"""
        cache = self.ctx.cache
        found = cache.get("gil405_may_touch_loop")
        if found is None:
            source = self.ctx.source
            found = cache["gil405_may_touch_loop"] = any(t in source for t in _LOOP_WORDS)
        return bool(found)

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if not self._may_touch_loop():
            return
        run = thread_subclass_run(ctx, node)
        entry: FunctionNode | ast.Lambda | None
        types: dict[str, str] = {}
        if run is not None:
            entry, module = run, ctx.module_info
            name, api = f"{ctx.segment(node.func)}.run", "a `threading.Thread` subclass"
        else:
            sub = submission(ctx, node)
            if sub is None or sub.kind != "thread":
                return
            func = unwrap_partial(ctx, sub.func)
            if isinstance(func, ast.Lambda):
                entry, module, name = func, ctx.module_info, "lambda"
            else:
                qual = ctx.qualname(func)
                found = ctx.summaries.callee(qual, ctx.module_info) if qual else None
                if found is None or isinstance(found[1], ast.AsyncFunctionDef):
                    return
                module, entry = found
                name = ctx.segment(func)
                types = _argument_types(ctx, sub, func, entry)
            api = f"`{sub.api}`"
        contact = ctx.summaries.loop_contact_in_thread(
            module, entry, ctx.settings.max_call_depth, types
        )
        if contact is None:
            return
        shown = f"`{contact.written}`"
        owner = contact.name.rpartition(".")[0]
        if owner.count(".") and owner != "asyncio.AbstractEventLoop":
            shown = f"{shown} of an `{owner}`"
        chain = ""
        if len(contact.chain) > 1:
            chain = " (" + " → ".join(s.message for s in contact.chain) + ")"
        evidence = [ctx.evidence(s) for s in contact.chain]
        self.report(
            node,
            name=name,
            api=api,
            call=shown,
            chain=chain,
            advice=_advice(contact),
            evidence=evidence,
            fix=_fix(ctx, entry, contact) if module is ctx.module_info else None,
        )


def _advice(contact: LoopContact) -> str:
    if contact.name in _SCHEDULERS:
        return "hand the coroutine to the loop with `asyncio.run_coroutine_threadsafe(coro, loop)`"
    if contact.name == "asyncio.get_running_loop":
        return "a worker thread has no running loop: pass the loop in from the loop's thread"
    if contact.name in ("asyncio.current_task", "asyncio.all_tasks"):
        return "a worker thread has no running loop: ask on the loop's thread"
    return "schedule it on the loop's thread with `loop.call_soon_threadsafe(...)`"


def _argument_types(
    ctx: ModuleContext, sub: Submission, func: ast.expr, entry: FunctionNode
) -> dict[str, str]:
    """``entry``'s parameters typed by the arguments at the hand-off (for asyncio types)."""
    args: list[ast.expr] = []
    if isinstance(sub.func, ast.Call) and sub.func is not func:  # functools.partial(f, a, ...)
        args.extend(sub.func.args[1:])
    args.extend(sub.args)
    if not args:
        return {}
    params = [a.arg for a in (*entry.args.posonlyargs, *entry.args.args)]
    if isinstance(func, ast.Attribute) and params and params[0] in ("self", "cls"):
        params = params[1:]  # a bound method: the instance is passed already
    out: dict[str, str] = {}
    for param, arg in zip(params, args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        typed = ctx.qualname(arg)
        if typed is not None and typed.startswith("asyncio."):
            out[param] = typed
    return out


def _fix(ctx: ModuleContext, entry: FunctionNode | ast.Lambda, contact: LoopContact) -> Fix | None:
    """The call made thread-safe, where it stands in ``entry`` as a statement of its own."""
    call = contact.call
    if len(contact.chain) != 1 or isinstance(entry, ast.Lambda) or call.keywords:
        return None
    if not any(isinstance(n, ast.Expr) and n.value is call for n in walk_own(entry)):
        return None
    func = call.func
    args = [_argument_text(ctx, a) for a in call.args]
    if any(a is None for a in args):
        return None
    name = contact.name
    if name == "asyncio.AbstractEventLoop.call_soon" and isinstance(func, ast.Attribute):
        loop = checked_segment(ctx, func.value)
        if loop is None:
            return None
        text = f"{loop}.call_soon_threadsafe({', '.join(a for a in args if a)})"
        return fix_from("Use `call_soon_threadsafe`", "safe", node_edit(ctx, call, text))
    loop_name = _loop_at_hand(ctx, entry)
    if loop_name is None:
        return None
    if name in _SCHEDULERS:
        if len(args) != 1:
            return None
        imported = module_import(ctx, "asyncio")
        if imported is None:
            return None
        asyncio_name, added = imported
        text = f"{asyncio_name}.run_coroutine_threadsafe({args[0]}, {loop_name})"
        return fix_from(
            "Hand the coroutine to the loop with `run_coroutine_threadsafe`",
            "unsafe",
            node_edit(ctx, call, text),
            added,
        )
    if name.count(".") < 2 or not isinstance(func, ast.Attribute):
        return None  # a function of asyncio (`get_running_loop`): nothing to schedule
    method = checked_segment(ctx, func)
    if method is None:
        return None
    text = f"{loop_name}.call_soon_threadsafe({', '.join([method, *(a for a in args if a)])})"
    return fix_from(
        "Schedule the call on the loop's thread with `call_soon_threadsafe`",
        "unsafe",
        node_edit(ctx, call, text),
    )


def _argument_text(ctx: ModuleContext, arg: ast.expr) -> str | None:
    if isinstance(arg, ast.Starred):
        inner = checked_segment(ctx, arg.value)
        return None if inner is None else f"*{inner}"
    return checked_segment(ctx, arg)


def _loop_at_hand(ctx: ModuleContext, entry: FunctionNode) -> str | None:
    """A parameter of ``entry``, an attribute of its instance or a module global that is an
    event loop: by its type, or, untyped, by a name like ``loop``. (Asked through bindings:
    the resolver memoises by node identity, so no made-up nodes are passed to it.)"""
    scope = ctx.scopes.get(entry)
    if scope is None:
        return None
    k = ctx.knowledge
    resolver = ctx.resolver

    def is_loop(name: str, typed: str | None) -> bool:
        return typed in k.event_loops or (typed is None and name in k.event_loop_names)

    params = [a.arg for a in (*entry.args.posonlyargs, *entry.args.args, *entry.args.kwonlyargs)]
    for param in params:
        binding = scope.bindings.get(param)
        if (
            binding is not None
            and binding.kind != "self"
            and is_loop(param, resolver.binding_qualname(binding, scope))
        ):
            return param
    instance = scope.bindings.get(params[0]) if params else None
    if instance is not None and instance.kind == "self":
        # a method: a loop the instance keeps (`self.loop = loop` in `__init__`)
        cls = resolver.class_scope(instance.qualname)
        for attr, assigned in cls.self_attributes.items() if cls is not None else ():
            types = {resolver.qualname(value, where) for value, where in assigned}
            if len(types) == 1 and is_loop(attr, types.pop()):
                return f"{params[0]}.{attr}"
    for global_name, binding in ctx.module_scope.bindings.items():
        if (
            resolver.binding_qualname(binding, ctx.module_scope) in k.event_loops
            and resolver.lookup(global_name, scope) is binding
        ):
            return global_name
    return None
