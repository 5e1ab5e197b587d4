"""How long a ``threading.Lock`` can make the event loop wait: the longest critical section
anybody holds it for (GIL205).

A coroutine that takes a thread lock waits at most as long as another holder keeps it. When
every critical section of the lock in the module only tests a flag, copies a list or
cancels a timer, that wait is microseconds: not worth a finding. To say so, every section
must be in sight:

- the lock is a ``threading.Lock()`` / ``RLock()`` made here, kept in a private place: a
  ``self._x`` attribute of one class (no subclass of it in the module, no use on another
  receiver), a private module global (``_lock``) or a function's local / closure variable;
- every use of it is ``with lock:``, ``lock.acquire()`` paired with a ``lock.release()``
  in the same block (or in the ``finally`` of the ``try`` that follows), ``if
  lock.acquire(...):``, ``lock.release()``, ``lock.locked()`` or a test (``if lock is
  None``). Passed to a call, returned, stored elsewhere, made into a ``Condition``: other
  holders are out of sight, and the acquisition is reported as before.

A section is *short* when nothing in it can wait or compute for long: no ``await`` or
``yield``, no blocking call of the unbounded or content wait class (directly, or through
the project's helpers: their summaries), no wait on another thread primitive (``with
other_lock:``, ``event.wait()``), no heavy loop and no CPU-bound library call on data known
to be big (the size model: ``median(recent)`` of a short deque is short), and no call of
another library the knowledge does not list (it may do I/O). A callback, a method of an
object of unknown type or an attribute of the project's own with no method behind it is no
evidence either way: it does not make a section long (a finding needs a section known to
hold the lock long; in four fresh review sets every lock reported for such a call was held
for microseconds).
A resolved library call the knowledge does not list as blocking is short; a metadata
syscall (``os.stat``) is microseconds (the cost model) and short too. What runs once (lazy
initialisation, ``engine/once.py``) does not make a section long.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gil_lint.engine.callforms import returns_immediately
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.once import enclosing_class, runs_once
from gil_lint.engine.scopes import Scope, is_none
from gil_lint.engine.summaries import walk_scoped

# the locks whose holds are critical sections (a semaphore is a wait by nature: its holders
# may keep it for the whole of their work; a Condition is waited on)
SECTION_LOCKS = frozenset({"threading.Lock", "threading.RLock"})
# a use of the lock that neither holds it nor hands it on
_QUERIES = frozenset({"release", "locked"})
_NEUTRAL = (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Assert)


@dataclass(frozen=True)
class Hold:
    """What makes one critical section long: ``what`` (``threading.Event.wait``, an
    ``await``, a helper), in function ``function``, at ``node`` of this module; ``then``: the
    helper's chain to its blocking call (`` → `open` (line 50)``), or empty."""

    function: str
    what: str
    node: ast.expr | ast.stmt
    then: str = ""
    # a call of unknown effect: it may wait, or not
    unsure: bool = False

    def message(self) -> str:
        """``"`add` holds it across `self._flush` (line 57) → `open` (line 50)"``"""
        row = self.node.lineno
        return f"`{self.function}` holds it across {self.what} (line {row}){self.then}"


@dataclass(frozen=True)
class Holds:
    """The verdict on a lock: ``short`` when every critical section is in sight and short;
    else ``long``: a section in sight that holds it across a known wait (even when other
    holders are out of sight), or across a call of unknown effect (only when all are in
    sight), or None. ``hands_back``: a section in sight hands control back to the loop (an
    ``await``, ``async for`` / ``async with``, a ``yield``), or not all are in sight — a
    thread lock only coroutines take, in sections that never do, is never held when one of
    them asks for it: the loop runs one coroutine at a time."""

    short: bool
    long: Hold | None = None
    hands_back: bool = True


UNSEEN = Holds(short=False)


def lock_holds(ctx: ModuleContext, target: tuple[str, object, str], cls: str) -> Holds:
    """How long the lock ``target`` (a ``primitive_users`` target: ("name", binding, id) or
    ("self", class scope, attr)) of type ``cls`` can be held. Memoised per module."""
    if cls not in SECTION_LOCKS:
        return UNSEEN
    cache: dict[object, Holds] = ctx.cache.setdefault("lock_holds", {})
    key = (target[0], id(target[1]), target[2])
    if key not in cache:
        cache[key] = UNSEEN  # a lock taken while it is held, in turn: judged long
        cache[key] = _judge(ctx, target)
    return cache[key]


def lock_target(ctx: ModuleContext, obj: ast.expr, scope: Scope) -> tuple[str, object, str] | None:
    """("name", binding, id) for a module or local variable; ("self", class scope, attr)
    for ``self.attr``; None for anything else."""
    if isinstance(obj, ast.Name):
        binding = ctx.resolver.lookup(obj.id, scope)
        if binding is None or binding.kind != "value":
            return None  # a parameter, an import: used from elsewhere too
        return "name", binding, obj.id
    if isinstance(obj, ast.Attribute) and isinstance(obj.value, ast.Name):
        binding = ctx.resolver.lookup(obj.value.id, scope)
        if binding is not None and binding.kind == "self":
            # the method's class, also from a function nested in the method (`self` is
            # the method's, closed over)
            cls = ctx.resolver.class_scope(binding.qualname)
            if cls is not None:
                return "self", cls, obj.attr
    return None


def _judge(ctx: ModuleContext, target: tuple[str, object, str]) -> Holds:
    kind, owner, attr = target
    sections, seen_all = _sections(ctx, kind, owner, attr)
    # a known wait explains best; a call of unknown effect only if nothing else is long. A
    # section in sight that holds it long says so even when other holders are out of sight
    hands_back = not seen_all or any(
        isinstance(n, _HANDS_BACK)
        for body, scope in sections
        for n, _ in walk_scoped(body, scope, ctx.module_info, stop_at_loops=False)
    )
    unsure: Hold | None = None
    for body, scope in sections:
        for hold in _long_parts(ctx, body, scope, target):
            if not hold.unsure:
                return Holds(short=False, long=hold, hands_back=hands_back)
            unsure = unsure or hold
    if not (seen_all and _private(ctx, kind, owner, attr) and _made_here(ctx, kind, owner, attr)):
        return Holds(short=False, hands_back=hands_back)
    return Holds(short=unsure is None, long=unsure, hands_back=hands_back)


_HANDS_BACK = (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Yield, ast.YieldFrom)


def _private(ctx: ModuleContext, kind: str, owner: object, attr: str) -> bool:
    """Out of other modules' reach by convention: a ``self._x`` attribute, a ``_x`` module
    global; a function's local or closure variable is private whatever its name."""
    if attr.startswith("_"):
        return True
    scope = _binding_scope(ctx, owner) if kind == "name" else None
    return scope is not None and scope.kind != "module"


def _is_lock_call(ctx: ModuleContext, value: ast.expr, scope: Scope) -> bool:
    return isinstance(value, ast.Call) and ctx.call_name(value, scope) in SECTION_LOCKS


def _made_here(ctx: ModuleContext, kind: str, owner: object, attr: str) -> bool:
    """Every value the lock's place is given is a new ``threading.Lock()`` / ``RLock()``:
    one passed in (``self._lock = lock``) is shared with code out of sight."""
    if kind == "name":
        # `_lock: threading.Lock | None = None` until a function makes it: a placeholder
        values = [v for v in getattr(owner, "values", []) if not is_none(v)]
        scope = _binding_scope(ctx, owner)
        return (
            scope is not None and bool(values) and all(_is_lock_call(ctx, v, scope) for v in values)
        )
    if not isinstance(owner, Scope) or owner.kind != "class":
        return False
    assigned = list(owner.self_attributes.get(attr, ()))
    in_body = owner.bindings.get(attr)
    if in_body is not None:
        if in_body.kind != "value":
            return False
        assigned += [(v, owner) for v in in_body.values]
    assigned = [(v, s) for v, s in assigned if not is_none(v)]
    return bool(assigned) and all(_is_lock_call(ctx, v, s) for v, s in assigned)


def _binding_scope(ctx: ModuleContext, binding: object) -> Scope | None:
    for scope in ctx.scopes.values():
        if any(b is binding for b in scope.bindings.values()):
            return scope
    return None


# -- the critical sections ----------------------------------------------------------------
Section = tuple[Sequence[ast.AST], Scope]


def _sections(
    ctx: ModuleContext, kind: str, owner: object, attr: str
) -> tuple[list[Section], bool]:
    """The critical sections of the lock in the module, with the scope each runs in; and
    whether they are all of them: False if a use of it is anything else (handed on, used on
    another receiver, subclassed)."""
    seen_all = not (kind == "self" and isinstance(owner, Scope) and _subclassed(ctx, owner))
    parents: dict[ast.AST, ast.AST] = {}
    sections: list[Section] = []
    for node, scope in _walk_with_scopes(ctx, parents):
        use = loads_object(ctx, node, scope, kind, owner, attr)
        if use is None and kind == "self" and attr.startswith("_"):
            # `with entry._lock:` on another object of the module: a private attribute is
            # by convention the module's own, so its sections are in sight too; judged
            # with this lock's, they can only make it longer (cognee's cache entries)
            use = True
        if not use:
            seen_all = seen_all and use is not None
            continue
        section = _section(ctx, node, parents)
        if section is None:
            seen_all = False
        elif section:
            sections.append((section, scope))
    return sections, seen_all


def _section(
    ctx: ModuleContext, node: ast.AST, parents: dict[ast.AST, ast.AST]
) -> Sequence[ast.AST] | None:
    """The statements the use ``node`` of the lock holds it for; empty for a use that does
    not hold it (``lock.release()``, a test); None for one that hands it on."""
    parent = parents.get(node)
    if isinstance(parent, ast.withitem) and parent.context_expr is node:
        with_stmt = parents.get(parent)
        if not isinstance(with_stmt, ast.With):
            return None  # `async with` a thread lock is not a lock's protocol
        # `with lock, other:` holds it while entering `other` too
        later = with_stmt.items[with_stmt.items.index(parent) + 1 :]
        if not later:
            return with_stmt.body
        entering = ast.With(items=later, body=with_stmt.body)
        return [ast.copy_location(entering, with_stmt)]
    if isinstance(parent, ast.Attribute) and parent.value is node:
        call = parents.get(parent)
        if not (isinstance(call, ast.Call) and call.func is parent):
            return None
        if parent.attr in _QUERIES:
            return []
        return _acquired(ctx, call, parents) if parent.attr == "acquire" else None
    if isinstance(parent, _NEUTRAL) or (isinstance(parent, ast.If) and parent.test is node):
        return []
    return None


def _subclassed(ctx: ModuleContext, owner: Scope) -> bool:
    name = getattr(owner.node, "name", None)
    return any(
        isinstance(n, ast.ClassDef)
        and any(
            isinstance(b, (ast.Name, ast.Attribute)) and ast.unparse(b).endswith(str(name))
            for b in n.bases
        )
        for n in ast.walk(ctx.tree)
    )


def _walk_with_scopes(
    ctx: ModuleContext, parents: dict[ast.AST, ast.AST]
) -> Iterator[tuple[ast.AST, Scope]]:
    """Every node of the module with the scope it is evaluated in; fills ``parents``."""
    scopes = ctx.scopes
    stack: list[tuple[ast.AST, Scope]] = [(ctx.tree, ctx.module_scope)]
    while stack:
        node, scope = stack.pop()
        yield node, scope
        inner = scopes.get(node, scope) if node in scopes else scope
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            stack.append((child, inner))


def loads_object(
    ctx: ModuleContext, node: ast.AST, scope: Scope, kind: str, owner: object, attr: str
) -> bool | None:
    """Whether ``node`` loads the object (a lock here, GIL205's primitive there) bound to
    ``attr`` (a ``name`` of ``owner``'s scope, or ``self.<attr>`` of class ``owner``); None
    for ``x.<attr>`` on a receiver other than the class's ``self`` (it may be the object,
    used where we cannot follow)."""
    if kind == "name":
        return (
            isinstance(node, ast.Name)
            and node.id == attr
            and isinstance(node.ctx, ast.Load)
            and ctx.resolver.lookup(attr, scope) is owner
        )
    if not (isinstance(node, ast.Attribute) and node.attr == attr):
        return False
    if not isinstance(node.value, ast.Name):
        return None
    binding = ctx.resolver.lookup(node.value.id, scope)
    # `instance = cls.instance()` (a singleton's accessor returning `Self`), `other: Waiter`:
    # an instance of the class, whose `_lock` is that class's lock too
    if (
        binding is not None
        and binding.kind != "self"
        and isinstance(owner, Scope)
        and ctx.resolver.qualname(node.value, scope) == owner.qualname
    ):
        return isinstance(node.ctx, ast.Load)
    if binding is None or binding.kind != "self":
        return None
    # another class's `self._lock` is another object (a subclass was ruled out before); a
    # function nested in a method closes over the method's `self`
    return ctx.resolver.class_scope(binding.qualname) is owner and isinstance(node.ctx, ast.Load)


def _acquired(
    ctx: ModuleContext, call: ast.Call, parents: dict[ast.AST, ast.AST]
) -> Sequence[ast.AST] | None:
    """The statements ``lock.acquire()`` guards: up to the ``lock.release()`` that follows it
    in the same block, or the ``try`` right after it whose ``finally`` releases it; the body
    of ``if lock.acquire(...):``. None when the release is not in sight."""
    assert isinstance(call.func, ast.Attribute)
    held = ctx.segment(call.func.value)
    stmt = parents.get(call)
    if isinstance(stmt, ast.If) and stmt.test is call:
        return stmt.body
    if not isinstance(stmt, ast.Expr):
        return None
    block = _block_of(stmt, parents.get(stmt))
    if block is None:
        return None
    after = block[block.index(stmt) + 1 :]
    for i, later in enumerate(after):
        if _releases(ctx, later, held):
            return after[:i]
        if isinstance(later, ast.Try) and any(_releases(ctx, s, held) for s in later.finalbody):
            return after[: i + 1]
    return None


def _block_of(stmt: ast.stmt, parent: ast.AST | None) -> list[ast.stmt] | None:
    if parent is None:
        return None
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and stmt in block:
            return block
    return None


def _releases(ctx: ModuleContext, stmt: ast.stmt, held: str) -> bool:
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    func = stmt.value.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "release"
        and (ctx.segment(func.value) == held)
    )


# -- what makes a section long ------------------------------------------------------------
def _long_parts(
    ctx: ModuleContext, body: Sequence[ast.AST], scope: Scope, target: tuple[str, object, str]
) -> Iterator[Hold]:
    """The things in the section ``body`` (run in ``scope``) that can hold the lock long."""
    function = scope.function()
    fn = function.node if function is not None else None
    fname = getattr(fn, "name", "<module>")
    once = (
        fn
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and function is not None
        else None
    )
    # `raise QueueFull("...")`: making the exception to raise (its arguments still count)
    raised: set[int] = set()
    for node, inner in walk_scoped(body, scope, ctx.module_info, stop_at_loops=False):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            raised.add(id(node.exc))
        if id(node) in raised:
            continue
        what = _long_node(ctx, node, inner, target)
        if what is None:
            continue
        if (
            once is not None
            and function is not None
            and runs_once(once, node, enclosing_class(function))
        ):
            continue  # lazy initialisation: long the first time only
        assert isinstance(node, (ast.expr, ast.stmt))
        yield Hold(fname, what[0], node, what[1], unsure=what[0].endswith(_UNKNOWN))


Why = tuple[str, str]  # what, then the chain behind it (see Hold)


def _long_node(
    ctx: ModuleContext, node: ast.AST, scope: Scope, target: tuple[str, object, str]
) -> Why | None:
    """Why ``node`` can hold a lock long, as the message says it; None if it cannot."""
    if isinstance(node, ast.Await):
        return "an `await`", ""
    if isinstance(node, ast.AsyncWith):
        return f"`async with {ctx.segment(node.items[0].context_expr)}:`", ""
    if isinstance(node, ast.AsyncFor):
        return "an `async for`", ""
    if isinstance(node, (ast.Yield, ast.YieldFrom)):
        return "a `yield` (until its consumer resumes it)", ""
    if isinstance(node, ast.With):
        for item in node.items:
            name = ctx.qualname(item.context_expr, scope)
            if name in ctx.knowledge.sync_context_managers and not loads_object(
                ctx, item.context_expr, scope, *target
            ):  # the same lock again is an RLock's re-entry (a Lock's would deadlock)
                inner = lock_target(ctx, item.context_expr, scope)
                if inner is not None and lock_holds(ctx, inner, name).short:
                    continue  # a lock each of whose sections is short: entered briefly
                return f"`with {ctx.segment(item.context_expr)}:`, another lock", ""
        return None
    if isinstance(node, (ast.For, ast.While)):
        found = ctx.summaries.loop_evidence(node, scope, ctx.module_info)
        if found.weight == "heavy" and found.chain:
            return f"a {_LINE.sub('', found.chain[0].message)}", ""
        return None
    if isinstance(node, ast.Call):
        return _long_call(ctx, node, scope)
    return None


_UNKNOWN = ", a call of unknown effect"
_LINE = re.compile(r" at line \d+$")


def _long_call(ctx: ModuleContext, call: ast.Call, scope: Scope) -> Why | None:
    k = ctx.knowledge
    name = ctx.call_name(call, scope)
    func = call.func
    if name is None:
        # `callback()`, `self._on_done()`, `conn.close()` on an object of unknown type: no
        # evidence either way, and a finding needs evidence (precision first)
        return None
    shown = name.removeprefix("builtins.")
    category = k.blocking_category(name)
    if category is not None:
        if returns_immediately(name, call, ctx.resolver, scope, k):
            return None
        if k.wait_class(category) == "metadata":
            return None  # one syscall on a name: microseconds (the cost model)
        return f"`{shown}`", ""
    if name in k.cpu_bound:
        # heavy only on data known to be big (`median(recent)` of a short deque is not)
        weight, _ = ctx.summaries.library_weight(name, call, scope, ctx.module_info)
        return (f"`{shown}`, CPU-heavy", "") if weight == "heavy" else None
    if name in k.non_blocking or name in k.pure or name.startswith("builtins."):
        return None
    found = ctx.summaries.callee(name, ctx.module_info)
    if found is None:
        if _makes_project_class(ctx, func, scope):
            return None  # `Entry(...)` of a class with no `__init__` of its own here
        # the knowledge lists the standard library's waits; another library's unlisted
        # call may wait. `self._callback()` (an attribute of the project's own, no method)
        # is no evidence either way
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top == ctx.module_name.partition(".")[0]:
            return None
        if _container_call(call):
            return None
        return f"`{ctx.segment(func)}(...)`{_UNKNOWN}", ""
    if isinstance(found[1], ast.AsyncFunctionDef):
        return None  # calling it makes a coroutine: nothing runs yet
    summary = ctx.summary_of(func, scope, [(call.args, call.keywords)])
    if summary is None:
        return None
    summary = ctx.summaries.at_call(summary, call, scope, ctx.module_info)
    helper = ctx.segment(func)
    # a section that writes the helper's own state file is not microseconds either
    blocking = summary.file_work
    if blocking is not None:
        chain = blocking[1]
        return f"`{helper}`", "".join(f" → {s.located(ctx.path)}" for s in chain)
    if summary.weight == "heavy":
        return f"`{helper}`", f" → {summary.explain(ctx.path)}"
    return None


# the methods only a mapping, a set or a deque has, in the forms only they take: on an
# object of unknown type (`exchange.ohlcvs.get(pair, {})`, `cache.pop(key, None)`) they are
# a container's, in memory; `get(url)`, `update(...)`, `add(row)`, `keys()` (redis) may be
# a client's
_CONTAINER_ONLY = {
    # method: the numbers of positional arguments it takes in a container's form
    "get": (2,),
    "pop": (2,),
    "setdefault": (1, 2),
    "popitem": (0,),
    "discard": (1,),
    "popleft": (0,),
    "appendleft": (1,),
}
_LITERALS = (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set)


def _container_call(call: ast.Call) -> bool:
    """``call`` is a container's own method, by its name and form (``_CONTAINER_ONLY``);
    ``get``/``pop`` only with a literal default (``d.get(k, {})``, ``d.pop(k, None)``)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or call.keywords:
        return False
    counts = _CONTAINER_ONLY.get(func.attr)
    if counts is None or len(call.args) not in counts:
        return False
    if func.attr in ("get", "pop"):
        return isinstance(call.args[1], _LITERALS)
    return True


def _makes_project_class(ctx: ModuleContext, func: ast.expr, scope: Scope) -> bool:
    if not isinstance(func, ast.Name):
        return False
    binding = ctx.resolver.lookup(func.id, scope)
    return binding is not None and binding.kind == "class"
