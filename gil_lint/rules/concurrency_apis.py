"""Recognising the concurrency APIs rules reason about: pools, threads, event loops.

Shared by the thread (GIL101, GIL102), multiprocessing (GIL301-GIL304) and asyncio
(GIL206, GIL402, GIL403) rules so that "what is a process pool" is decided in one
place, from the knowledge base.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

from gil_lint.diagnostics import Evidence
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.scopes import walk_own
from gil_lint.engine.summaries import Summary, truthy_names

PoolKind = Literal["thread", "process"]


@dataclass(frozen=True)
class Submission:
    """A callable handed to a thread, a process or a pool.

    ``kind`` is where it runs; ``func`` the callable expression as written;
    ``args`` the positional arguments it is called with (when the API shows
    them); ``api`` a short name for messages (``ThreadPoolExecutor.submit``).
    """

    kind: PoolKind
    func: ast.expr
    args: tuple[ast.expr, ...]
    call: ast.Call
    api: str


def pool_kind(ctx: ModuleContext, type_name: str | None) -> PoolKind | None:
    if type_name is None:
        return None
    k = ctx.knowledge
    if type_name in k.thread_pools:
        return "thread"
    if type_name in k.process_pools:
        return "process"
    return None


def constructed_pool(ctx: ModuleContext, call: ast.Call) -> PoolKind | None:
    """Whether ``call`` creates a thread or process pool (any alias or context)."""
    return pool_kind(ctx, ctx.resolver.call_result_type(call, ctx.scope))


def is_event_loop(ctx: ModuleContext, expr: ast.expr) -> bool:
    q = ctx.qualname(expr)
    if q is not None:
        return q in ctx.knowledge.event_loops
    # unresolved (a parameter, an attribute of an unknown object): go by its name
    tail = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", None)
    return tail in ctx.knowledge.event_loop_names


def calls_loop_api(
    ctx: ModuleContext, call: ast.Call, name: str | None, functions: frozenset[str], method: str
) -> bool:
    """``call`` (resolved to ``name``) is one of ``functions`` (``asyncio.create_task``...)
    or the event-loop ``method`` on a loop (``loop.create_task``, also unresolved loops)."""
    func = call.func
    return name in functions or (
        name is None
        and isinstance(func, ast.Attribute)
        and func.attr == method
        and is_event_loop(ctx, func.value)
    )


def method_call(ctx: ModuleContext, call: ast.Call) -> tuple[str | None, str] | None:
    """For ``recv.method(...)``: (qualified type of ``recv`` or None, method)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    return ctx.qualname(func.value), func.attr


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _tuple_items(expr: ast.expr | None) -> tuple[ast.expr, ...]:
    if isinstance(expr, (ast.Tuple, ast.List)):
        return tuple(expr.elts)
    return ()


_SUBMIT_NAMES = frozenset(
    {
        "Thread",
        "Process",
        "to_thread",
        "run_in_executor",
        "submit",
        "map",
        "apply",
        "apply_async",
        "map_async",
        "imap",
        "imap_unordered",
        "starmap",
        "starmap_async",
    }
)


def submission(ctx: ModuleContext, call: ast.Call) -> Submission | None:
    """If ``call`` hands a callable to a thread, process or pool: what, where, how.

    Several rules ask about every call; the answer is computed once per call.
    """
    cache: dict[ast.Call, Submission | None] = ctx.cache.setdefault("submission", {})
    if call in cache:
        return cache[call]
    func = call.func
    # cheap syntactic filter first: `x.attr(...)` can only be one of these attributes
    if isinstance(func, ast.Attribute) and func.attr not in _SUBMIT_NAMES:
        result = None
    else:
        result = _submission(ctx, call)
    cache[call] = result
    return result


def _submission(ctx: ModuleContext, call: ast.Call) -> Submission | None:
    k = ctx.knowledge
    name = ctx.call_name(call)
    if name in k.threads or name in k.process_starters:
        target = _keyword(call, "target")
        if target is None and len(call.args) >= 2:
            target = call.args[1]
        if target is None:
            return None
        kind: PoolKind = "thread" if name in k.threads else "process"
        api = "threading.Thread" if kind == "thread" else "multiprocessing.Process"
        args = _tuple_items(
            _keyword(call, "args") or (call.args[3] if len(call.args) > 3 else None)
        )
        return Submission(kind, target, args, call, api)
    if name == "asyncio.to_thread" and call.args:
        return Submission("thread", call.args[0], tuple(call.args[1:]), call, "asyncio.to_thread")
    if not isinstance(call.func, ast.Attribute):
        return None
    method = call.func.attr
    if method == "run_in_executor" and len(call.args) >= 2:
        if not is_event_loop(ctx, call.func.value):
            return None
        executor = call.args[0]
        if isinstance(executor, ast.Constant) and executor.value is None:
            where: PoolKind | None = "thread"  # the loop's default executor
        else:
            where = pool_kind(ctx, ctx.qualname(executor))
        if where is None:
            return None
        return Submission(where, call.args[1], tuple(call.args[2:]), call, "loop.run_in_executor")
    if method not in k.submit_methods:
        return None
    receiver_type = ctx.qualname(call.func.value)
    where = pool_kind(ctx, receiver_type)
    if where is None:
        return None
    func = call.args[0] if call.args else (_keyword(call, "fn") or _keyword(call, "func"))
    if func is None:
        return None
    short = (receiver_type or "").rpartition(".")[2]
    args = tuple(call.args[1:]) if method in ("submit", "apply_async", "apply") else ()
    return Submission(where, func, args, call, f"{short}.{method}")


def unwrap_partial(ctx: ModuleContext, func: ast.expr) -> ast.expr:
    """``functools.partial(f, ...)`` → ``f`` (repeatedly)."""
    while isinstance(func, ast.Call) and func.args and ctx.call_name(func) == "functools.partial":
        func = func.args[0]
    return func


def in_main_guard(ctx: ModuleContext, node: ast.AST) -> bool:
    """Inside ``if __name__ == "__main__":`` (either operand order)."""
    parent = ctx.parent(node)
    child = node
    while parent is not None:
        if isinstance(parent, ast.If) and child in parent.body and _is_main_test(parent.test):
            return True
        child, parent = parent, ctx.parent(parent)
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


def evidence_of(summary: Summary, ctx: ModuleContext) -> tuple[Evidence, ...]:
    """A summary's chain as Diagnostic evidence, each step at its node's column."""
    return tuple(ctx.evidence(step) for step in summary.chain)


def explain_sized(
    ctx: ModuleContext, summary: Summary, base: Summary | None, call: str, node: ast.AST
) -> str:
    """``summary``'s chain, and, when the arguments of the call shown as ``call`` are what
    make its work heavy (``base``, the summary for any arguments, weighs otherwise), that
    call: "loop over range(50,000,000) at line 7 via `crunch(50_000_000)` at line 35"."""
    chain = summary.explain(ctx.path)
    if base is None or base.weight == summary.weight:
        return chain
    shown = call if len(call) <= 60 else call[:57] + "..."
    return f"{chain} via `{shown}` at line {getattr(node, 'lineno', 1)}"


def thread_function(
    ctx: ModuleContext, call: ast.Call
) -> tuple[ast.FunctionDef, Submission | None] | None:
    """The function of this module that ``call`` runs in a worker thread: a ``Thread``
    subclass's ``run`` (with no submission), or a ``def`` of the module handed to a thread or
    a thread pool (with its submission). GIL102 and GIL104 ask about every call: kept per
    call."""
    cache: dict[ast.Call, tuple[ast.FunctionDef, Submission | None] | None]
    cache = ctx.cache.setdefault("thread_function", {})
    if call in cache:
        return cache[call]
    found: tuple[ast.FunctionDef, Submission | None] | None = None
    run = thread_subclass_run(ctx, call)
    if run is not None:
        found = (run, None)
    else:
        sub = submission(ctx, call)
        func = unwrap_partial(ctx, sub.func) if sub is not None and sub.kind == "thread" else None
        if isinstance(func, ast.Name):
            binding = ctx.resolver.lookup(func.id, ctx.scope)
            if (
                binding is not None
                and binding.kind == "def"
                and isinstance(binding.node, ast.FunctionDef)
            ):
                found = (binding.node, sub)
    cache[call] = found
    return found


def thread_subclass_run(ctx: ModuleContext, call: ast.Call) -> ast.FunctionDef | None:
    """``Worker(...)`` where ``class Worker(threading.Thread)`` defines ``run``: that ``run``."""
    classes = _thread_subclasses(ctx)
    if not classes:
        return None
    func = call.func
    tail = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if tail not in classes:
        return None
    scope = ctx.resolver.class_scope(ctx.resolver.call_result_type(call, ctx.scope))
    if scope is None:
        return None
    cls = scope.node
    assert isinstance(cls, ast.ClassDef)
    parent = scope.parent or ctx.module_scope
    if not any(ctx.qualname(b, parent) in ctx.knowledge.threads for b in cls.bases):
        return None
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "run":
            return stmt
    return None


def _thread_subclasses(ctx: ModuleContext) -> frozenset[str]:
    """Names of this module's classes that define ``run`` (candidates for Thread subclasses)."""
    cached = ctx.cache.get("thread_subclasses")
    if cached is None:
        cached = frozenset(
            s.node.name
            for s in ctx.scopes.values()
            if s.kind == "class"
            and isinstance(s.node, ast.ClassDef)
            and s.node.bases
            and any(isinstance(b, ast.FunctionDef) and b.name == "run" for b in s.node.body)
        )
        ctx.cache["thread_subclasses"] = cached
    return cached


def forkserver_default_applies(ctx: ModuleContext) -> bool:
    """Issue #19: the target is 3.14+, where forkserver is Linux's default start method,
    and the module does not choose ``fork`` itself (``set_start_method("fork")``,
    ``get_context("fork")``): then "it fails on Linux too" is true of its process code."""
    if not ctx.settings.targets(3, 14):
        return False
    memo = ctx.cache.get("forks_explicitly")
    if memo is None:
        memo = ctx.cache["forks_explicitly"] = any(
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("set_start_method", "get_context")
            and any(
                isinstance(arg, ast.Constant) and arg.value == "fork"
                for arg in (*node.args, *(kw.value for kw in node.keywords))
            )
            for node in ast.walk(ctx.tree)
        )
    return not memo


RUN_COROUTINE_THREADSAFE = "asyncio.run_coroutine_threadsafe"
_FUTURE_WAITS = frozenset({"concurrent.futures.wait", "concurrent.futures.as_completed"})


def threadsafe_future(ctx: ModuleContext, expr: ast.expr) -> bool:
    """``expr`` is the future of ``asyncio.run_coroutine_threadsafe(...)``: the call itself,
    or a local or global name every assignment of which is such a call."""
    if isinstance(expr, ast.Call):
        return ctx.call_name(expr) == RUN_COROUTINE_THREADSAFE
    if not isinstance(expr, ast.Name):
        return False
    binding = ctx.resolver.lookup(expr.id, ctx.scope)
    if binding is None or binding.kind != "value" or not binding.values:
        return False
    return all(
        isinstance(v, ast.Call) and ctx.call_name(v) == RUN_COROUTINE_THREADSAFE
        for v in binding.values
    )


def waited_threadsafe_future(ctx: ModuleContext, call: ast.Call) -> ast.expr | None:
    """``call`` waits for a ``run_coroutine_threadsafe`` future: ``fut.result()``,
    ``concurrent.futures.wait([fut])`` / ``as_completed([fut])``. The future, or None.
    (GIL408 reports these inside ``async def``; the blocking rules leave them to it.)"""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "result":
        return func.value if threadsafe_future(ctx, func.value) else None
    if not call.args or ctx.call_name(call) not in _FUTURE_WAITS:
        return None
    first = call.args[0]
    if isinstance(first, ast.Name):  # `futs = [run_coroutine_threadsafe(c, loop) for c in cs]`
        binding = ctx.resolver.lookup(first.id, ctx.scope)
        values = binding.values if binding is not None and binding.kind == "value" else []
        if len(values) == 1:
            first = values[0]
    if isinstance(first, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        items = [first.elt]
    elif isinstance(first, (ast.List, ast.Tuple, ast.Set)):
        items = list(first.elts)
    else:
        items = [first]
    return next(
        (
            i
            for i in items
            if threadsafe_future(ctx, i)
            or (
                isinstance(i, ast.Call)
                and ctx.call_name(i, ctx.scopes.get(first, ctx.scope)) == RUN_COROUTINE_THREADSAFE
            )
        ),
        None,
    )


def loop_running_branch(ctx: ModuleContext, node: ast.AST) -> bool | None:
    """Whether ``node`` is in a branch taken only while a loop runs on this thread (True)
    or only while none does (False), by a test on a name bound to
    ``asyncio.get_running_loop()`` in its function (``loop = asyncio.get_running_loop()``
    in a ``try``, ``None`` in its ``except RuntimeError``; then ``if loop and
    loop.is_running():`` / ``if loop is not None:`` ... ``else:``); None if neither."""
    function = ctx.enclosing_function()
    running = {
        t.id
        for n in walk_own(function.node if function is not None else ctx.tree)
        if isinstance(n, ast.Assign)
        and isinstance(n.value, ast.Call)
        and ctx.call_name(n.value) == "asyncio.get_running_loop"
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    if not running:
        return None
    child, parent = node, ctx.parent(node)
    while parent is not None and not isinstance(
        parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    ):
        if isinstance(parent, ast.If) and _says_running(parent.test, running):
            if any(child is s for s in parent.body):
                return True
            if any(child is s for s in parent.orelse):
                return False
        child, parent = parent, ctx.parent(parent)
    return None


def _says_running(test: ast.expr, running: set[str]) -> bool:
    """``test`` holds only while a running loop's name is set: the name itself, ``name is
    not None``, ``name.is_running()``, or an ``and`` with one of these."""
    if truthy_names(test, frozenset(running)):
        return True
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_says_running(v, running) for v in test.values)
    return (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "is_running"
        and isinstance(test.func.value, ast.Name)
        and test.func.value.id in running
    )
