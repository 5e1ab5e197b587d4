"""Code that runs once: one-off callbacks, start-up, shutdown.

A finding in code that runs once in the life of a process (or of an object, as it goes
away) is one a maintainer shrugs at: a dropped task in ``__del__``, a certificate read
once when the server starts. This module tells, for each function of a module, which
phase of the program's life it belongs to; the rules decide what that quiets
(``rules/blocking.py``, GIL402).

- **once**: ``__del__``; a function whose body ends by ending the program
  (``sys.exit(code)``, a textual app's ``self.exit()``: ``[lifecycle] exits``) with no
  ``return`` before it; a callable registered to run once, when an object is collected,
  at exit or on a signal (``[lifecycle] callbacks``: ``weakref.finalize(obj, fn)``,
  ``weakref.ref(obj, fn)``, ``atexit.register(fn)`` — also as a decorator —,
  ``signal.signal(sig, fn)``, ``loop.add_signal_handler(sig, fn)``), written as a name, a
  method (``self.fn``), a lambda or ``functools.partial(fn, ...)``; registered through a
  function of the module that hands one of its parameters on (``def _on_signal(self,
  sig, handler): self.loop.add_signal_handler(sig, partial(handler, sig))``); and what
  only such code refers to. A registered function that other code of the module also
  refers to (a per-request path calling the same ``flush``) is not once.
- **startup** / **shutdown**: a function named for the phase (``[lifecycle] startup``:
  ``start``, ``start_*``, ``main``...; ``shutdown``: ``close``, ``aclose``, ``stop``...); an
  ASGI lifespan whatever its name (an ``@asynccontextmanager`` whose one parameter is the
  app: ``[lifecycle] lifespan_apps``) is start-up code.

"What only they refer to": a private function (``_name``, or one nested in another
function) every reference to which, in this module, is inside code of the phase (or, for
once, is its registration) is of that phase too: ``create_task(self._drain())`` in a
signal handler makes ``_drain`` once. References are counted by name (``_drain`` and
``x._drain`` anywhere in the module), so a second class with a method of the same name
keeps both reported; a public function may be called from other modules, so it is of a
phase only by its own name or registration. References from other modules are not seen.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from gil_lint.engine.knowledge import Knowledge
from gil_lint.engine.scopes import NESTED_SCOPES as _NESTED
from gil_lint.engine.scopes import Resolver, Scope, walk_own

Phase = Literal["once", "startup", "shutdown"]
# functions and lambdas: the code a phase is a property of
Code = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
_CODE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
# a fixed point over chains of private helpers: deeper chains than this are not followed
_MAX_ROUNDS = 8


@dataclass(frozen=True)
class Lifecycle:
    """The phase of each function and lambda of one module (by ``id`` of its node)."""

    once: frozenset[int] = frozenset()
    startup: frozenset[int] = frozenset()
    shutdown: frozenset[int] = frozenset()
    # the start-up functions the program itself starts at (and what only they call)
    process_startup: frozenset[int] = frozenset()
    # ... those functions themselves (``main``, an ASGI lifespan), not what they call
    process_entry: frozenset[int] = frozenset()
    # name → each reference to it, with its innermost code (the walk's own record), and the
    # outermost function (of the module, or a method of a class) of each function
    refs: Mapping[str, list[Ref]] = field(default_factory=dict, compare=False)
    outermost: Mapping[int, str] = field(default_factory=dict, compare=False)

    def users(self, name: str) -> list[str | None]:
        """The outermost function of each reference to ``name`` in the module (None for one
        outside any function, or in a lambda outside a function): who uses it."""
        return [
            None if code is None else self.outermost.get(id(code))
            for _, code, _, _ in self.refs.get(name, ())
        ]

    def starts_process(self, code: ast.AST | None) -> bool:
        """``code`` is (or only serves) a function the program starts at: ``main``,
        ``init``, ``startup``... (``[lifecycle] process_startup``)."""
        return code is not None and id(code) in self.process_startup

    def enters_process(self, code: ast.AST | None) -> bool:
        """``code`` is itself a function the program starts at (``main``, ``init``, an ASGI
        lifespan): not one only such a function calls, which may run after it started
        other work, nor an instance method (a memory object's ``async def init(self)``
        runs once per session, not per process; a ``@classmethod`` ``init`` is the
        class's)."""
        return code is not None and id(code) in self.process_entry

    def phase(self, code: ast.AST | None) -> Phase | None:
        """``once`` before ``shutdown`` before ``startup``; None for code of no phase."""
        if code is None:
            return None
        key = id(code)
        if key in self.once:
            return "once"
        if key in self.shutdown:
            return "shutdown"
        if key in self.startup:
            return "startup"
        return None


@dataclass
class _Def:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    # the scope the ``def`` statement is in (its decorators are resolved there)
    scope: Scope
    # the class it is a method of, or None
    cls: ast.ClassDef | None
    # the function it is nested in, or None (a module function or a method)
    outer: Code | None

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def private(self) -> bool:
        """Not reachable from another module by its name: ``_name`` (not a dunder) or a
        function nested in another."""
        name = self.name
        dunder = name.startswith("__") and name.endswith("__")
        return self.outer is not None or (name.startswith("_") and not dunder)


# a reference to a name: the Name or Attribute node, the innermost code around it, whether
# it is in a loop of that code, and whether it is called there (not handed on as a value,
# which whoever receives it may call any number of times)
Ref = tuple[ast.expr, Code | None, bool, bool]


@dataclass
class _Module:
    """What one walk of the module collects."""

    defs: list[_Def] = field(default_factory=list)
    # name → every reference to it (Name loads and attributes of that name)
    refs: dict[str, list[Ref]] = field(default_factory=dict)
    # calls, with the scope they are in, the code around them and the enclosing class
    calls: list[tuple[ast.Call, Scope, Code | None, ast.ClassDef | None]] = field(
        default_factory=list
    )
    # `x.y += f` statements (a framework's hook list: `app.after_start += f`)
    added: list[ast.AugAssign] = field(default_factory=list)


def lifecycle(
    tree: ast.Module, scopes: dict[ast.AST, Scope], resolver: Resolver, knowledge: Knowledge
) -> Lifecycle:
    """The phases of ``tree``'s functions (see the module's docstring)."""
    table = knowledge.lifecycle
    module = _collect(tree, scopes)
    if not module.defs:
        return Lifecycle()
    registered, registrations = _registered(module, resolver, knowledge)
    once = {
        id(d.node)
        for d in module.defs
        if d.name == "__del__" or _ends_program(d.node, scopes, resolver, knowledge)
    }
    once |= {id(c) for c in registered if isinstance(c, ast.Lambda)}
    # a registered function is once if every other reference to it is in once code too
    once = _spread(module, once, registrations, {id(c) for c in registered})
    startup = {id(d.node) for d in module.defs if d.name in table.startup}
    startup |= _hooked(module, table.startup_hooks)
    lifespans = {id(d.node) for d in module.defs if _lifespan(d, resolver, table.lifespan_apps)}
    startup |= lifespans
    process = {id(d.node) for d in module.defs if d.name in table.process_startup} | lifespans
    # the functions themselves, not instance methods: once per object, not per process
    entry = {id(d.node) for d in module.defs if id(d.node) in process and not _per_object(d)}
    shutdown = {id(d.node) for d in module.defs if d.name in table.shutdown}
    return Lifecycle(
        frozenset(once),
        frozenset(_spread(module, startup, frozenset(), set(), loops=False)),
        frozenset(_spread(module, shutdown, frozenset(), set())),
        frozenset(_spread(module, process, frozenset(), set(), loops=False)),
        frozenset(entry),
        module.refs,
        _outermost(module),
    )


def _outermost(module: _Module) -> dict[int, str]:
    """Each function's outermost enclosing function (itself, for a module function or a
    method), by ``id`` of its node."""
    by_id = {id(d.node): d for d in module.defs}
    found: dict[int, str] = {}
    for d in module.defs:
        top = d
        while top.outer is not None and id(top.outer) in by_id:
            top = by_id[id(top.outer)]
        if top.outer is None:
            found[id(d.node)] = top.name
    return found


def _hooked(module: _Module, hooks: frozenset[str]) -> set[int]:
    """The functions handed to a framework's start-up hooks (``[lifecycle] startup_hooks``):
    ``app.on_startup.append(f)``, ``app.after_start += self.f``, ``@app.before_serving``,
    ``@app.on_event("startup")``, ``app.add_event_handler("startup", f)``. Found by the
    name handed over, among the module's functions."""
    names: set[str] = set()

    def handed(expr: ast.expr) -> None:
        if isinstance(expr, ast.Name):
            names.add(expr.id)
        elif isinstance(expr, ast.Attribute):
            names.add(expr.attr)

    def events(call: ast.Call) -> bool:
        return any(isinstance(a, ast.Constant) and a.value in hooks for a in call.args)

    for added in module.added:
        if isinstance(added.op, ast.Add) and getattr(added.target, "attr", None) in hooks:
            handed(added.value)
    for call, _, _, _ in module.calls:
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        if func.attr == "append" and call.args and getattr(func.value, "attr", None) in hooks:
            handed(call.args[0])
        elif func.attr == "add_event_handler" and len(call.args) >= 2 and events(call):
            handed(call.args[1])
    found = {id(d.node) for d in module.defs if d.name in names}
    for d in module.defs:
        for decorator in d.node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if (isinstance(target, ast.Attribute) and target.attr in hooks) or (
                isinstance(decorator, ast.Call) and events(decorator)
            ):
                found.add(id(d.node))
    return found


def _per_object(d: _Def) -> bool:
    """An instance method: defined directly in a class, and neither a ``classmethod`` nor
    a ``staticmethod``."""
    if d.cls is None or d.outer is not None:
        return False
    return not any(
        _called_name(dec.func if isinstance(dec, ast.Call) else dec)
        in ("classmethod", "staticmethod")
        for dec in d.node.decorator_list
    )


def _lifespan(d: _Def, resolver: Resolver, apps: frozenset[str]) -> bool:
    """``@contextlib.asynccontextmanager`` over an ``async def`` whose one parameter is the
    application (named ``app``, or annotated with one of ``apps``): an ASGI lifespan,
    whatever its name (``async def logging(app: Starlette)``)."""
    fn = d.node
    if not isinstance(fn, ast.AsyncFunctionDef) or d.cls is not None:
        return False
    if not any(
        resolver.qualname(dec, d.scope) == "contextlib.asynccontextmanager"
        for dec in fn.decorator_list
    ):
        return False
    a = fn.args
    params = [*a.posonlyargs, *a.args]
    if len(params) != 1 or a.vararg or a.kwarg or a.kwonlyargs:
        return False
    param = params[0]
    annotation = param.annotation
    if annotation is not None:
        return resolver.qualname(annotation, d.scope) in apps
    return param.arg in ("app", "_app")


def _ends_program(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    scopes: dict[ast.AST, Scope],
    resolver: Resolver,
    knowledge: Knowledge,
) -> bool:
    """The function's last statement ends the program (``sys.exit(...)``,
    ``self.exit()`` on a textual ``App``; ``[lifecycle] exits``), and no ``return`` or
    ``yield`` can leave before it: each call ends the program, so it runs at most once."""
    last = fn.body[-1]
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)):
        return False
    scope = scopes.get(fn)
    if scope is None or resolver.qualname(last.value.func, scope) not in knowledge.lifecycle.exits:
        return False
    leaves = (ast.Return, ast.Yield, ast.YieldFrom)
    return not any(isinstance(n, leaves) for n in _own(fn.body))


def _spread(
    module: _Module,
    phase: set[int],
    registrations: frozenset[int],
    candidates: set[int],
    *,
    loops: bool = True,
) -> set[int]:
    """Add the private functions (and ``candidates``) every reference to which is a call
    inside code of ``phase`` or is one of ``registrations``. A candidate nothing refers to was
    registered by its decorator (``@atexit.register``). Without ``loops``, a reference in a
    loop of the phase's code does not count as of the phase (a start-up function's loop is
    its steady state)."""
    found = set(phase)
    for _ in range(_MAX_ROUNDS):
        grew = False
        for d in module.defs:
            key = id(d.node)
            if key in found or not (d.private or key in candidates):
                continue
            refs = module.refs.get(d.name, [])
            if (refs or key in candidates) and all(
                id(node) in registrations
                or (code is not None and id(code) in found and call and (loops or not looped))
                for node, code, looped, call in refs
            ):
                found.add(key)
                grew = True
        if not grew:
            break
    return found


def _registered(
    module: _Module, resolver: Resolver, knowledge: Knowledge
) -> tuple[list[Code], frozenset[int]]:
    """The functions and lambdas registered as one-off callbacks, and the references
    (Name and Attribute nodes) that register them."""
    table = knowledge.lifecycle
    wrappers = _wrappers(module, resolver, knowledge)
    registered: list[Code] = []
    registrations: set[int] = set()
    for d in module.defs:  # `@atexit.register`
        for decorator in d.node.decorator_list:
            name = resolver.qualname(decorator, d.scope)
            if name is not None and table.callbacks.get(name) == 0:
                registered.append(d.node)
    for call, scope, code, cls in module.calls:
        position = _callback_position(call, scope, resolver, knowledge, wrappers)
        if position is None or position >= len(call.args):
            continue
        for found, ref in _callables(call.args[position], module, code, cls):
            registered.append(found)
            if ref is not None:
                registrations.add(id(ref))
    return registered, frozenset(registrations)


def _callback_position(
    call: ast.Call,
    scope: Scope,
    resolver: Resolver,
    knowledge: Knowledge,
    wrappers: dict[str, int],
) -> int | None:
    """Where ``call`` takes a one-off callback, if it registers one."""
    table = knowledge.lifecycle
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in table.callback_methods:
        return table.callback_methods[func.attr]
    name = resolver.qualname(func, scope)
    if name is not None and name in table.callbacks:
        return table.callbacks[name]
    if isinstance(func, ast.Attribute) and _on_self(func):
        return wrappers.get(func.attr)
    if isinstance(func, ast.Name):
        return wrappers.get(func.id)
    return None


def _wrappers(module: _Module, resolver: Resolver, knowledge: Knowledge) -> dict[str, int]:
    """Functions of the module that register one of their parameters as a one-off
    callback: their name → the position (after ``self``) of that parameter."""
    found: dict[str, int] = {}
    methods = {id(d.node) for d in module.defs if d.cls is not None}
    for call, scope, code, _ in module.calls:
        if not isinstance(code, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        position = _callback_position(call, scope, resolver, knowledge, {})
        if position is None or position >= len(call.args):
            continue
        callback = _unwrapped(call.args[position])
        if not isinstance(callback, ast.Name):
            continue
        params = [a.arg for a in (*code.args.posonlyargs, *code.args.args)]
        if callback.id not in params:
            continue
        index = params.index(callback.id)
        found[code.name] = index - 1 if id(code) in methods else index
    return found


def _is_partial(expr: ast.expr) -> bool:
    """``functools.partial(...)`` / ``partial(...)``, however imported."""
    if not (isinstance(expr, ast.Call) and expr.args):
        return False
    func = expr.func
    return (isinstance(func, ast.Name) and func.id == "partial") or (
        isinstance(func, ast.Attribute) and func.attr == "partial"
    )


def _unwrapped(expr: ast.expr) -> ast.expr:
    """``functools.partial(fn, ...)`` → ``fn``."""
    while _is_partial(expr):
        assert isinstance(expr, ast.Call)
        expr = expr.args[0]
    return expr


def _callables(
    expr: ast.expr, module: _Module, code: Code | None, cls: ast.ClassDef | None
) -> Iterator[tuple[Code, ast.expr | None]]:
    """The functions (with the reference that names each) or the lambda ``expr`` stands
    for: a name, ``self.method``, a lambda, ``functools.partial`` of one of these."""
    expr = _unwrapped(expr)
    if isinstance(expr, ast.Lambda):
        yield expr, None
    elif isinstance(expr, ast.Name):
        # the innermost function of that name around the registration, else the module's
        around = _around(code, module)
        best: tuple[int, _Def] | None = None
        for d in module.defs:
            if d.name != expr.id or d.cls is not None:
                continue
            if d.outer is None:
                rank = len(around)
            elif any(d.outer is a for a in around):
                rank = next(i for i, a in enumerate(around) if d.outer is a)
            else:
                continue
            if best is None or rank < best[0]:
                best = (rank, d)
        if best is not None:
            yield best[1].node, expr
    elif isinstance(expr, ast.Attribute) and _on_self(expr) and cls is not None:
        for d in module.defs:
            if d.cls is cls and d.name == expr.attr:
                yield d.node, expr


def _around(code: Code | None, module: _Module) -> list[Code]:
    """``code`` and the functions it is nested in, innermost first."""
    out: list[Code] = []
    outer_of = {id(d.node): d.outer for d in module.defs}
    while code is not None:
        out.append(code)
        code = outer_of.get(id(code))
    return out


def _on_self(func: ast.Attribute) -> bool:
    return isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")


def _collect(tree: ast.Module, scopes: dict[ast.AST, Scope]) -> _Module:
    """One walk: the functions, the references to each name and the calls, each with the
    innermost function or lambda around it (and, for a reference, whether it is in a loop
    of that function: there it runs more than once)."""
    module = _Module()
    module_scope = scopes[tree]
    called: set[int] = set()
    # (node, innermost code, innermost class, innermost scope, in a loop of the code)
    stack: list[tuple[ast.AST, Code | None, ast.ClassDef | None, Scope, bool]] = [
        (tree, None, None, module_scope, False)
    ]
    while stack:
        node, code, cls, scope, looped = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            method_of = cls if _directly_in(node, cls) else None
            module.defs.append(_Def(node, scope, method_of, code))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            ref: Ref = (node, code, looped, id(node) in called)
            module.refs.setdefault(node.id, []).append(ref)
        elif isinstance(node, ast.Attribute):
            ref = (node, code, looped, id(node) in called)
            module.refs.setdefault(node.attr, []).append(ref)
        elif isinstance(node, ast.Call):
            module.calls.append((node, scope, code, cls))
            called.add(id(node.func))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute):
            module.added.append(node)
        inner_scope = scopes.get(node, scope)
        if isinstance(node, _CODE):
            for child in _header(node):
                stack.append((child, code, cls, scope, looped))
            for child in _body(node):
                stack.append((child, node, cls, inner_scope, False))
        elif isinstance(node, ast.ClassDef):
            for child in (*node.decorator_list, *node.bases, *node.keywords):
                stack.append((child, code, cls, scope, looped))
            for child in node.body:
                stack.append((child, code, node, inner_scope, looped))
        else:
            for child in ast.iter_child_nodes(node):
                again = looped or repeats(node, child)
                stack.append((child, code, cls, inner_scope, again))
    return module


_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def repeats(parent: ast.AST, child: ast.AST) -> bool:
    """``child`` of ``parent`` may run many times each time ``parent`` runs: a loop's body
    (and a ``while``'s test), a comprehension's element (not a ``for`` loop's iterable,
    evaluated once)."""
    if isinstance(parent, (ast.For, ast.AsyncFor)):
        return child is not parent.iter
    if isinstance(parent, ast.While):
        return True
    if isinstance(parent, _COMPREHENSIONS):
        return child is not parent.generators[0]
    return False


def repeated_nodes(fn: ast.AST) -> frozenset[int]:
    """The ids of the nodes of ``fn``'s own code (not of functions or classes in it) that a
    loop or comprehension of it may run many times (``repeats``)."""
    found: set[int] = set()

    def walk(node: ast.AST, looped: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (*_CODE, ast.ClassDef)):
                continue
            inside = looped or repeats(node, child)
            if inside:
                found.add(id(child))
            walk(child, inside)

    walk(fn, False)
    return frozenset(found)


def in_loop(node: ast.AST, parent_of: Callable[[ast.AST], ast.AST | None]) -> bool:
    """``node`` is in a loop (or a comprehension) of the function or lambda around it."""
    child, parent = node, parent_of(node)
    while parent is not None and not isinstance(parent, (*_CODE, ast.ClassDef, ast.Module)):
        if repeats(parent, child):
            return True
        child, parent = parent, parent_of(parent)
    return False


def _own(stmts: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of ``stmts``, not of the functions or classes defined in them."""
    for stmt in stmts:
        if not isinstance(stmt, _NESTED):
            yield from walk_own(stmt)


def _runs_until_stopped(node: ast.AST) -> bool:
    """A call whose name says it runs until the program stops (``serve_forever``,
    ``run_forever``, ``wait_forever``)."""
    return isinstance(node, ast.Call) and named_to_run_forever(node.func)


def named_to_run_forever(func: ast.expr) -> bool:
    """``server.serve_forever``, ``client.loop_forever``: a callable whose name says it
    runs until stopped."""
    return "forever" in _called_name(func).lower()


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


# calls that set other work going on the loop (or serving): after one, a blocking call in
# a start-up function holds that work up, not only the start-up (see sets_work_going)
_CONCURRENT = frozenset(
    {
        "create_task", "ensure_future", "gather", "start_soon", "create_server",
        "create_unix_server", "call_soon", "call_later", "call_at", "add_reader",
        "add_writer", "run_forever",
    }
)  # fmt: skip
# ... and those named for it, as a word (`start`, `start_server`, `startPolling`; not
# `str.startswith`)
_STARTS = re.compile(r"(start|serve|spawn)(_|[A-Z0-9]|$)")
# ... and those whose name alone says too little (`event.wait()`), by what they resolve to
_CONCURRENT_CALLS = frozenset({"asyncio.wait", "asyncio.as_completed", "asyncio.TaskGroup"})


def sets_work_going(call: ast.Call, call_name: Callable[[ast.Call], str | None]) -> bool:
    """A call that sets work going: ``_CONCURRENT``, ``_CONCURRENT_CALLS``, or one named
    ``start*`` / ``serve*`` / ``spawn*`` (``await site.start()`` serves an aiohttp app,
    ``thread.start()``)."""
    name = _called_name(call.func)
    if name in _CONCURRENT or _STARTS.match(name.lstrip("_")):
        return True
    return name in ("wait", "as_completed", "TaskGroup") and call_name(call) in _CONCURRENT_CALLS


def runs_alone(node: ast.AST, fn: Code, call_name: Callable[[ast.Call], str | None]) -> bool:
    """No call before ``node`` in ``fn``'s own code sets other work going on the loop (a
    task, a gather, a server, a callback): a blocking call there delays only ``fn``, as
    a program's ``main`` or an ASGI lifespan before its first task does."""
    row, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
    for n in _own(_body(fn)):  # type: ignore[arg-type]
        if (
            isinstance(n, ast.Call)
            and (n.lineno, n.col_offset) < (row, col)
            and sets_work_going(n, call_name)
        ):
            return False
    return True


def after_main_wait(
    node: ast.AST, parent_of: Callable[[ast.AST], ast.AST | None], startup: bool
) -> bool:
    """``node`` runs once its function's main wait is over, as the program (or the
    service the function runs) stops: what a start-up context manager (a lifespan) does
    after its ``yield`` (in a ``finally:`` around it, or below it), the ``finally:`` of a
    start-up function's serving loop (a ``while`` that awaits), and the ``finally:`` of a
    ``try`` that awaits while the function runs something until stopped
    (``await asyncio.gather(self.publisher.run_forever(), ...)``). ``startup``: the
    function is start-up code (``Lifecycle.phase``). Such code runs once, like a
    shutdown function's: joining the threads and executors the service made is what
    stopping does."""
    if in_loop(node, parent_of):
        return False  # a loop's code runs on every pass, not once at the end
    path: list[ast.AST] = [node]
    parent = parent_of(node)
    while parent is not None and not isinstance(parent, (*_CODE, ast.ClassDef, ast.Module)):
        path.append(parent)
        parent = parent_of(parent)
    if not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    fn = parent
    lifespan = startup and any(
        _called_name(d.func if isinstance(d, ast.Call) else d).endswith("contextmanager")
        for d in fn.decorator_list
    )
    until_stopped: bool | None = None
    path.append(fn)
    for child, outer in pairwise(path):
        if isinstance(outer, ast.Try) and any(s is child for s in outer.finalbody):
            body = list(_own(outer.body))
            if lifespan and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body):
                return True
            if startup and any(
                isinstance(n, ast.While) and any(isinstance(m, ast.Await) for m in walk_own(n))
                for n in body
            ):
                return True
            if any(isinstance(n, ast.Await) for n in body):
                if until_stopped is None:
                    until_stopped = any(_runs_until_stopped(n) for n in _own(fn.body))
                if until_stopped:
                    return True
        if lifespan:
            for field_name in ("body", "orelse", "finalbody"):
                stmts = getattr(outer, field_name, None)
                if isinstance(stmts, list) and any(s is child for s in stmts):
                    before = stmts[: next(i for i, s in enumerate(stmts) if s is child)]
                    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own(before)):
                        return True
    return False


def _directly_in(node: ast.AST, cls: ast.ClassDef | None) -> bool:
    return cls is not None and any(s is node for s in cls.body)


def _header(node: Code) -> list[ast.AST]:
    """What runs where a function is defined: decorators, defaults, annotations."""
    args = node.args
    out: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
    if not isinstance(node, ast.Lambda):
        out.extend(node.decorator_list)
    return out


def _body(node: Code) -> list[ast.AST]:
    return [node.body] if isinstance(node, ast.Lambda) else list(node.body)
