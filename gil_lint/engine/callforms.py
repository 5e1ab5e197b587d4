"""Argument forms that make an otherwise blocking call return at once.

Shared by the async rules (a direct call) and the function summaries (a call
inside a helper), so that `lock.acquire(blocking=False)`,
`os.waitpid(pid, os.WNOHANG)`, `getaddrinfo(..., flags=AI_NUMERICHOST)` or `put()`
on an unbounded queue is never reported, directly or through a chain.

Which argument of which call does it is data: ``[non_blocking_forms]`` in
``knowledge/blocking.toml`` (an ``ArgumentForm`` each). The code here reads
arguments, resolves flag expressions and receivers, and finds ``done()`` guards.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

from gil_lint.engine.knowledge import (
    ArgumentForm,
    BoundArgument,
    Knowledge,
    load_knowledge,
    same_constant,
)
from gil_lint.engine.scopes import Resolver, Scope, is_none, parameter_defaults, walk_own

# flag expressions followed through module constants at most this deep (`A = B | C`)
_MAX_FLAG_DEPTH = 4
_STATEMENT_LISTS = ("body", "orelse", "finalbody")
_EXITS = (ast.Return, ast.Continue, ast.Break, ast.Raise)


def returns_immediately(
    name: str,
    call: ast.Call,
    resolver: Resolver | None = None,
    scope: Scope | None = None,
    knowledge: Knowledge | None = None,
) -> bool:
    """Whether this call of the blocking function ``name`` cannot wait.

    ``resolver`` and ``scope`` (where the call is) let flags and receivers be resolved
    through assignments, and a ``done()`` guard be found in the enclosing function.
    Without them those forms count as blocking.
    """
    k = knowledge or load_knowledge()
    if name in k.wait_functions:
        # os.waitpid(pid, os.WNOHANG) polls
        return any(
            isinstance(n, (ast.Name, ast.Attribute))
            and (getattr(n, "attr", None) or getattr(n, "id", None)) == "WNOHANG"
            for arg in (*call.args, *(kw.value for kw in call.keywords))
            for n in ast.walk(arg)
        )
    forms = k.forms(name)
    fn_scope = scope.function() if scope is not None else None
    function = fn_scope.node if fn_scope is not None else None
    return any(_holds(form, call, resolver, scope, function, k) for form in forms)


def call_category(
    name: str, call: ast.Call, knowledge: Knowledge, looped: Callable[[], bool] | None = None
) -> str | None:
    """The blocking category of this call of ``name``: its knowledge category, except that a
    ``[file]`` glob in a ``[metadata.forms]`` form only lists directories: "metadata"; and a
    ``[file]`` opener in a ``[text.forms]`` form (``open(p)``, ``open(p, "w")``,
    ``path.open()``) opens a text file: "text" (GIL209). ``looped``: the call is in a loop of
    its function, so a text file is read or written many times, or many files are (every
    file a walk lists): that is ``[file]``'s bulk work (GIL203), not one small file."""
    category = knowledge.blocking_category(name)
    if category == "file" and any(_lists_only(call, f) for f in knowledge.metadata_forms_of(name)):
        return "metadata"
    if category == "file" and any(_text_mode(call, form) for form in knowledge.text_forms_of(name)):
        category = "text"
    return "file" if category == "text" and looped is not None and looped() else category


def _lists_only(call: ast.Call, form: ArgumentForm) -> bool:
    """A ``[metadata.forms]`` condition: a glob that lists directories and reads no tree.
    ``missing``: the argument is not passed (nor can be, through ``*args`` or ``**kwargs``)
    or is a constant among ``values`` (``recursive=False``). ``flat``: the argument is a
    string literal or f-string with no ``**`` in its text (``path.glob("*.json")``)."""
    arg = argument(call, form.keyword, form.position)
    if form.missing:
        if arg is None:
            return not hides_arguments(call)
        return isinstance(arg, ast.Constant) and any(
            same_constant(arg.value, v) for v in form.values
        )
    if form.flat:
        if isinstance(arg, ast.Constant):
            return isinstance(arg.value, str) and "**" not in arg.value
        if isinstance(arg, ast.JoinedStr):
            text = [v.value for v in arg.values if isinstance(v, ast.Constant)]
            return all(isinstance(t, str) and "**" not in t for t in text)
    return False


def hides_arguments(call: ast.Call) -> bool:
    """``f(*args)`` or ``f(**kwargs)``: which arguments were passed cannot be told."""
    return any(isinstance(a, ast.Starred) for a in call.args) or any(
        kw.arg is None for kw in call.keywords
    )


def _text_mode(call: ast.Call, form: ArgumentForm) -> bool:
    """The mode ``form`` names is left out (``"r"``) or a string without ``"b"``; one that
    cannot be told (a name, ``*args``, ``**kwargs``) is not taken for text."""
    if not form.text_mode:
        return False
    mode = argument(call, form.keyword, form.position)
    if mode is None:  # not passed, or hidden in `*args` / `**kwargs`
        return not hides_arguments(call)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "b" not in mode.value


def _holds(
    form: ArgumentForm,
    call: ast.Call,
    resolver: Resolver | None,
    scope: Scope | None,
    function: ast.AST | None,
    k: Knowledge,
) -> bool:
    if form.done_guard:
        return function is not None and done_checked(call, function)
    if form.empty_guard:
        return function is not None and done_checked(call, function, ready=_NONEMPTY)
    if form.unbounded:
        return resolver is not None and scope is not None and _unbounded(call, resolver, scope, k)
    if form.fresh:
        return function is not None and _fresh(call, function)
    if form.datagram:
        return function is not None and _datagram(call, function)
    if form.receiver:
        arg = call.func.value if isinstance(call.func, ast.Attribute) else None
    else:
        arg = argument(call, form.keyword, form.position)
    if arg is None:
        return False
    if form.packaged:
        return resolver is not None and scope is not None and packaged(arg, resolver, scope)
    if form.hosts:
        return local_host(arg, call, function, form.hosts)
    if form.names:
        return (
            resolver is not None
            and scope is not None
            and names_value(arg, resolver, scope, form.names)
        )
    if form.values:
        return isinstance(arg, ast.Constant) and any(
            type(arg.value) in (bool, int, float, str) and arg.value == v for v in form.values
        )
    if form.flags:
        if resolver is None or scope is None:
            return False
        named = flag_names(arg, resolver, scope)
        return all(flag in named for flag in form.flags)
    return False


def argument(call: ast.Call, keyword: str | None, position: int | None) -> ast.expr | None:
    """The argument passed as ``keyword=`` or at ``position``; None when not passed (or
    when ``*args`` / ``**kwargs`` hide where it went)."""
    for kw in call.keywords:
        if keyword is not None and kw.arg == keyword:
            return kw.value
    if position is None:
        return None
    before = call.args[: position + 1]
    if any(isinstance(a, ast.Starred) for a in before):
        return None
    return call.args[position] if len(call.args) > position else None


# -- flags: `socket.AI_NUMERICHOST | socket.AI_PASSIVE`, through module constants ----------
def flag_names(expr: ast.expr, resolver: Resolver, scope: Scope, depth: int = 0) -> frozenset[str]:
    """The qualified names of the flags ``expr`` surely sets. ``|`` only adds bits, so the
    parts that cannot be told (a parameter, a call, a number) add nothing, and the rest
    still count: ``flags | AI_NUMERICHOST`` sets ``AI_NUMERICHOST`` whatever ``flags`` is."""
    if depth > _MAX_FLAG_DEPTH:
        return frozenset()
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        left = flag_names(expr.left, resolver, scope, depth + 1)
        return left | flag_names(expr.right, resolver, scope, depth + 1)
    if isinstance(expr, ast.Name):
        binding = resolver.lookup(expr.id, scope)
        if binding is not None and binding.kind == "value":
            # a constant assigned once (`_NUMERIC_ONLY = socket.AI_NUMERICHOST | ...`)
            if len(binding.values) != 1:
                return frozenset()
            return flag_names(binding.values[0], resolver, scope, depth + 1)
        if binding is not None and binding.kind != "import":
            return frozenset()  # a parameter, a loop variable...
    if isinstance(expr, (ast.Name, ast.Attribute)):
        name = resolver.qualname(expr, scope)
        return frozenset([name]) if name else frozenset()
    return frozenset()


def names_value(
    expr: ast.expr, resolver: Resolver, scope: Scope, names: Sequence[str], depth: int = 0
) -> bool:
    """``expr`` is one of ``names`` (``os.devnull``, however ``os`` was imported), or a name
    assigned once to one of them."""
    if depth > _MAX_FLAG_DEPTH or not isinstance(expr, (ast.Name, ast.Attribute)):
        return False
    if isinstance(expr, ast.Name):
        binding = resolver.lookup(expr.id, scope)
        if binding is not None and binding.kind == "value":
            return len(binding.values) == 1 and names_value(
                binding.values[0], resolver, scope, names, depth + 1
            )
        if binding is not None and binding.kind != "import":
            return False  # a parameter, a loop variable...
    return resolver.qualname(expr, scope) in names


# -- files shipped with the package: paths built from `__file__` ---------------------------
def packaged(expr: ast.expr, resolver: Resolver, scope: Scope, depth: int = 0) -> bool:
    """``expr`` builds a path from the module's ``__file__`` (``os.path.join(
    os.path.dirname(__file__), name + ".js")``, ``Path(__file__).parent / "schema.json"``),
    directly or through names assigned once to such an expression: a file the package ships,
    small and read from the page cache, not data of unknown size."""
    if depth > _MAX_FLAG_DEPTH:
        return False
    for node in ast.walk(expr):
        if not isinstance(node, ast.Name):
            continue
        if node.id == "__file__":
            return True
        binding = resolver.lookup(node.id, scope)
        if (
            binding is not None
            and binding.kind == "value"
            and len(binding.values) == 1
            and packaged(binding.values[0], resolver, scope, depth + 1)
        ):
            return True
    return False


# -- hosts: a name of the local machine, resolved from the hosts file at most --------------
def local_host(
    arg: ast.expr, call: ast.Call, function: ast.AST | None, hosts: Sequence[str]
) -> bool:
    """``arg`` is ``"localhost"`` (one of ``hosts``) or a numeric address written as a
    literal, or a name that an enclosing ``if name == "localhost":`` narrowed to one, not
    assigned again on the way to the call."""
    if isinstance(arg, ast.Constant):
        return _names_local(arg.value, hosts)
    if not isinstance(arg, ast.Name) or function is None:
        return False
    path = _path_to(function, call)
    if path is None:
        return False
    steps = list(itertools.pairwise(path))
    for i in range(len(steps) - 1, -1, -1):  # the nearest enclosing `if` first
        parent, child = steps[i]
        if isinstance(parent, _NESTED_DEFS):
            return False  # the `if` is in another function
        if not (
            isinstance(parent, ast.If)
            and child in parent.body
            and _compared_local(parent.test, arg.id, hosts)
        ):
            continue
        # not assigned again between the `if` and the call
        for inner, inner_child in steps[i:]:
            for block in _blocks(inner):
                if inner_child in block:
                    earlier = block[: block.index(inner_child)]
                    if any(_stores(stmt, arg.id) for stmt in earlier):
                        return False
        return True
    return False


_NESTED_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _names_local(value: object, hosts: Sequence[str]) -> bool:
    if not isinstance(value, str):
        return False
    if value.lower() in hosts:
        return True
    import ipaddress  # rare: only for a host written as a literal

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _compared_local(test: ast.expr, name: str, hosts: Sequence[str]) -> bool:
    """``name == "localhost"`` (either side, ``and`` other conditions), or ``name in
    ("localhost", "127.0.0.1")``: true only for local names."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_compared_local(v, name, hosts) for v in test.values)
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq):
        if isinstance(right, ast.Name):
            left, right = right, left
        return (
            isinstance(left, ast.Name)
            and left.id == name
            and isinstance(right, ast.Constant)
            and _names_local(right.value, hosts)
        )
    if isinstance(op, ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
        return (
            isinstance(left, ast.Name)
            and left.id == name
            and bool(right.elts)
            and all(
                isinstance(e, ast.Constant) and _names_local(e.value, hosts) for e in right.elts
            )
        )
    return False


def _stores(stmt: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
        for n in ast.walk(stmt)
    )


# -- receivers: a queue constructed without a bound ----------------------------------------
def _datagram(call: ast.Call, function: ast.AST) -> bool:
    """The receiver is a local name the function binds (only) to ``socket.socket(...)``
    with ``SOCK_DGRAM`` among its arguments (``with socket.socket(AF_INET, SOCK_DGRAM) as
    s:`` too): a UDP socket, whose ``connect`` only records the peer address."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    name = func.value.id
    made: list[ast.expr] = []
    for node in walk_own(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            made.append(node.value)
        elif isinstance(node, ast.withitem) and getattr(node.optional_vars, "id", None) == name:
            made.append(node.context_expr)
    made = [value for value in made if not is_none(value)]  # `s = None` before the `try`
    if not _numeric_peer(call, function):
        return False  # a host name: the connect looks it up (DNS), which can wait
    return bool(made) and all(
        isinstance(value, ast.Call)
        and any(
            getattr(n, "id", getattr(n, "attr", None)) == "SOCK_DGRAM"
            for a in (*value.args, *(k.value for k in value.keywords))
            for n in ast.walk(a)
        )
        for value in made
    )


def _numeric_peer(call: ast.Call, function: ast.AST) -> bool:
    """``connect((host, port))`` where ``host`` is a numeric address (or ``localhost``)
    written as a literal, or a parameter whose default is one (``reachable="8.8.8.8"``: the
    default says what it holds)."""
    address = call.args[0] if call.args else None
    host = address.elts[0] if isinstance(address, ast.Tuple) and address.elts else None
    if isinstance(host, ast.Name) and isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        host = parameter_defaults(function.args).get(host.id)
    return isinstance(host, ast.Constant) and _names_local(host.value, ("localhost",))


def _fresh(call: ast.Call, function: ast.AST) -> bool:
    """``lock = threading.Lock()`` then ``lock.acquire()``: the receiver is a local name a
    statement of the same block assigned a new object (a call), and the statements from
    there to the call's do not use the name (nothing has seen the object yet)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    made = _made_at(function, func.value.id)
    return made is not None and _first_use(made[0][made[1] + 1 :], func.value.id, call)


def _made_at(function: ast.AST, place: str) -> tuple[list[ast.stmt], int] | None:
    """The block of ``function`` and the index in it of the first statement that assigns
    ``place`` (``lock``, ``self._lock``: ``_place``) a new object, a call's result."""
    for node in walk_own(function):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if block.__class__ is not list:
                continue
            for index, stmt in enumerate(block):
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and _place(stmt.targets[0]) == place
                    and isinstance(stmt.value, ast.Call)
                ):
                    return block, index
    return None


def fresh_when_entered(lock: ast.expr, entered: ast.stmt, function: ast.AST) -> bool:
    """``self._lock = threading.Lock()`` (or a local ``lock = ...``), then the first
    statement of the same block that uses it is ``entered``, ``with self._lock:``: nothing
    else has seen the new lock, so nothing holds it (aiomisc's process service)."""
    key = _place(lock)
    made = _made_at(function, key) if key is not None else None
    if made is None:
        return False
    block, index = made
    for later in block[index + 1 :]:
        if later is entered:
            return True
        if any(_place(n) == key for n in ast.walk(later)):
            return False
    return False


def _place(expr: ast.AST) -> str | None:
    """``lock`` or ``self._lock``: a local name, or an attribute of one."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        return f"{expr.value.id}.{expr.attr}"
    return None


def _first_use(block: Sequence[ast.stmt], name: str, call: ast.Call) -> bool:
    """The first statement of ``block`` that uses ``name`` holds ``call``, and uses it
    there only as ``call``'s receiver."""
    for stmt in block:
        uses = [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name]
        if not uses:
            continue
        return (
            isinstance(stmt, ast.Expr)
            and stmt.value is call
            and len(uses) == 1
            and uses[0] is call.func.value  # type: ignore[attr-defined]
        )
    return False


def _unbounded(call: ast.Call, resolver: Resolver, scope: Scope, k: Knowledge) -> bool:
    """The receiver was made with no bound — or where it was made cannot be told (a
    parameter, an attribute set from one): a bound is what makes a ``put`` wait, and a
    finding needs evidence of one (botbuilder's per-turn ``Queue()``, passed to the
    coroutine that fills it)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    return _made_unbounded(func.value, resolver, scope, k) is not False


def put_never_waits(call: ast.Call, resolver: Resolver, scope: Scope, k: Knowledge) -> bool:
    """``q.put(item)`` on a queue seen made with no bound (``asyncio.Queue()`` assigned to
    the local, the global or ``self.q``; ``[unbounded_constructors]``): the awaitable
    returns without suspending, and cannot raise. Unlike ``_unbounded``, a receiver whose
    making cannot be told is not taken for unbounded: this is evidence a finding goes
    away on (GIL402's task that runs to its end in its first step)."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "put"
        and _made_unbounded(func.value, resolver, scope, k) is True
    )


def _made_unbounded(
    receiver: ast.expr, resolver: Resolver, scope: Scope, k: Knowledge
) -> bool | None:
    """Whether every call that made ``receiver`` (``constructions``) gave its queue no
    bound; None when where it was made cannot be told."""
    made = constructions(receiver, resolver, scope)
    if made is None:
        return None
    return all(_unbounded_construction(value, where, resolver, k) for value, where in made)


def constructions(
    receiver: ast.expr, resolver: Resolver, scope: Scope
) -> list[tuple[ast.Call, Scope]] | None:
    """The calls that made ``receiver`` — every assignment of the local or global name, or
    of ``self.x`` in the class — or None when any assignment is not a call (``None``
    assignments aside), or where it comes from cannot be told (a parameter)."""
    if isinstance(receiver, ast.Call):
        return [(receiver, scope)]
    values: list[tuple[ast.expr, Scope]] = []
    if isinstance(receiver, ast.Name):
        binding = resolver.lookup(receiver.id, scope)
        if binding is None or binding.kind != "value":
            return None
        values = [(v, scope) for v in binding.values]
        if resolver.module.bindings.get(receiver.id) is binding:
            # a function that declares it `global` may assign it too
            values += [
                (v, s)
                for s in resolver.scopes.values()
                if receiver.id in s.globals and receiver.id in s.bindings
                for v in s.bindings[receiver.id].values or [receiver]
            ]
    elif isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
        binding = resolver.lookup(receiver.value.id, scope)
        if binding is None or binding.kind != "self":
            return None
        cls = resolver.class_scope(binding.qualname)
        if cls is None:
            return None
        values = list(cls.self_attributes.get(receiver.attr, ()))
    made = [(v, s) for v, s in values if not is_none(v)]
    if not made or not all(isinstance(v, ast.Call) for v, _ in made):
        return None
    return [(v, s) for v, s in made if isinstance(v, ast.Call)]


def _unbounded_construction(
    value: ast.Call, scope: Scope, resolver: Resolver, k: Knowledge
) -> bool:
    made = resolver.call_result_type(value, scope)
    bound = k.unbounded_constructors.get(made or "")
    if bound is None:
        return False
    return _no_bound(value, bound)


def _no_bound(value: ast.Call, bound: BoundArgument) -> bool:
    if bound.keyword is None and bound.position is None:
        return True  # SimpleQueue
    if any(kw.arg is None for kw in value.keywords):
        return False  # **kwargs may hold the bound
    arg = argument(value, bound.keyword, bound.position)
    if arg is None:
        return not any(isinstance(a, ast.Starred) for a in value.args)
    if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub):
        arg = arg.operand
        return isinstance(arg, ast.Constant) and type(arg.value) is int
    return isinstance(arg, ast.Constant) and type(arg.value) is int and arg.value <= 0


# -- done() guards ---------------------------------------------------------------------------
# What makes a receiver "ready" (its wait returns at once): the methods whose result says
# so, and whether that result must be true or false. A future is done when `done()` or
# `cancelled()` is true; a queue holds an item when `empty()` is false.
_DONE = (frozenset({"done", "cancelled"}), True)
_NONEMPTY = (frozenset({"empty"}), False)


def polled_get(call: ast.Call, function: ast.AST | None) -> bool:
    """``q.get()`` where the code saw ``q`` holding an item (``while not q.empty():``), on
    a project queue class too (shiny's ``PriorityQueueFIFO`` wraps a ``queue`` one): its
    ``get`` takes that item. A coroutine runs nothing else between the check and the get,
    so a project wrapper's ``get`` is judged like the stdlib's (``empty_guard``)."""
    return (
        function is not None
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "get"
        and done_checked(call, function, ready=_NONEMPTY)
    )


def done_checked(
    call: ast.Call, function: ast.AST, ready: tuple[frozenset[str], bool] = _DONE
) -> bool:
    """``fut.result()`` where ``fut.done()`` (or ``cancelled()``) is known true: inside
    ``if fut.done():`` (``and`` other conditions) or ``while not q.empty():``, in the
    ``else`` of ``if not fut.done():``, or after ``if not fut.done(): return`` / a
    ``while not fut.done():`` loop with no ``break``, earlier in an enclosing block; or after
    ``fut.add_done_callback(...)`` and an ``await`` (see ``_callback_awaited``). Nothing
    else counts (a ``done()`` mentioned elsewhere says nothing about this call)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    receiver = ast.dump(func.value)
    path = _path_to(function, call)
    if path is None:
        return False
    for parent, child in itertools.pairwise(path):
        if isinstance(parent, ast.If):
            if child in parent.body and _checks_done(
                parent.test, receiver, positive=True, ready=ready
            ):
                return True
            if child in parent.orelse and _checks_done(
                parent.test, receiver, positive=False, ready=ready
            ):
                return True
        # `while not q.empty(): q.get()`: each pass starts with the check, like an `if`
        if (
            isinstance(parent, ast.While)
            and child in parent.body
            and _checks_done(parent.test, receiver, positive=True, ready=ready)
        ):
            return True
        for block in _blocks(parent):
            if child in block:
                earlier = block[: block.index(child)]
                if any(_guards(stmt, receiver, ready) for stmt in earlier):
                    return True
                if ready is _DONE and _callback_awaited(earlier, child, call, receiver):
                    return True
    return False


def _callback_awaited(
    earlier: Sequence[ast.AST], child: ast.AST, call: ast.Call, receiver: str
) -> bool:
    """``fut.add_done_callback(cb)``, then an ``await`` before the call: the coroutine
    waits for the callback's signal (anyio's ``from_thread``), so the future is done."""
    for i, stmt in enumerate(earlier):
        if _adds_done_callback(stmt, receiver):
            after = [*earlier[i + 1 :], child]
            return any(
                isinstance(n, ast.Await)
                and (n.lineno, n.col_offset) < (call.lineno, call.col_offset)
                for root in after
                for n in walk_own(root)
            )
    return False


def _adds_done_callback(stmt: ast.AST, receiver: str) -> bool:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "add_done_callback"
        and ast.dump(func.value) == receiver
    )


def _blocks(node: ast.AST) -> Iterator[Sequence[ast.AST]]:
    for name in _STATEMENT_LISTS:
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block


# what a call on a non-blocking socket raises instead of waiting
_WOULD_BLOCK = frozenset({"BlockingIOError"})


# what the event loop calls on a protocol: a class with one of these is a transport's protocol
_PROTOCOL_METHODS = frozenset(
    {"connection_made", "data_received", "datagram_received", "eof_received", "buffer_updated"}
)
# the calls that put a socket in non-blocking mode, as written
NON_BLOCKING_MODE = ("setblocking(False)", "setblocking(0)", "settimeout(0)")


def switched_socket(call: ast.Call, name: str, function: ast.AST | None) -> bool:
    """``sock.connect(addr)`` in a function that also calls ``sock.setblocking(False)`` (or
    ``settimeout(0)``) on the same receiver, as written: the socket is in non-blocking
    mode, so the call returns at once or raises ``BlockingIOError`` (home-assistant's
    source-address probe, a UDP ``connect`` that sends nothing)."""
    func = call.func
    if (
        function is None
        or not name.startswith("socket.socket.")
        or not isinstance(func, ast.Attribute)
    ):
        return False
    return ast.unparse(func.value) in _switched_receivers(function)


@lru_cache(maxsize=1024)
def _switched_receivers(function: ast.AST) -> frozenset[str]:
    """The receivers, as written, that ``function``'s own code puts in non-blocking mode."""
    return frozenset(
        ast.unparse(n.func.value)
        for n in walk_own(function)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and _switches(n)
    )


def _switches(call: ast.Call) -> bool:
    """``x.setblocking(False)``, ``x.setblocking(0)`` or ``x.settimeout(0)``."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and len(call.args) == 1
        and f"{func.attr}({ast.unparse(call.args[0])})" in NON_BLOCKING_MODE
    )


def protocol_socket(call: ast.Call, name: str, cls: ast.ClassDef | None) -> bool:
    """``self._sock.send(data)`` in an asyncio protocol (a class with ``connection_made``,
    ``data_received``, ...), or on a socket attribute its class switches itself
    (``self._sock.setblocking(False)``): the socket a protocol keeps is its transport's,
    which the event loop put in non-blocking mode, so the call returns at once or raises
    ``BlockingIOError`` (habluetooth writes its mgmt socket directly, around a kernel bug)."""
    func = call.func
    if (
        cls is None
        or not name.startswith("socket.socket.")
        or not isinstance(func, ast.Attribute)
        or not isinstance(func.value, ast.Attribute)
        or not isinstance(func.value.value, ast.Name)
        or func.value.value.id != "self"
    ):
        return False
    return _protocol_class(cls) or func.value.attr in _switched_sockets(cls)


@lru_cache(maxsize=1024)
def _protocol_class(cls: ast.ClassDef) -> bool:
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in _PROTOCOL_METHODS
        for n in cls.body
    )


@lru_cache(maxsize=1024)
def _switched_sockets(cls: ast.ClassDef) -> frozenset[str]:
    """The ``self`` attributes the class puts in non-blocking mode anywhere."""
    found: set[str] = set()
    for n in ast.walk(cls):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Attribute)
            and isinstance(n.func.value.value, ast.Name)
            and n.func.value.value.id == "self"
            and _switches(n)
        ):
            found.add(n.func.value.attr)
    return frozenset(found)


def expects_would_block(call: ast.AST, function: ast.AST | None) -> bool:
    """``try: sock.accept() except BlockingIOError: loop.add_reader(...)``: the code knows
    the socket is non-blocking and handles "would block" itself, so the call returns at
    once (anyio's and asyncio's own socket code)."""
    return function is not None and id(call) in _would_block_calls(function)


@lru_cache(maxsize=4096)
def _would_block_calls(function: ast.AST) -> frozenset[int]:
    """The ids of the nodes in the body of a ``try`` (of ``function``'s own code) whose
    handlers catch ``BlockingIOError``: found once per function, asked of each call."""
    return frozenset(id(n) for n in in_try_bodies([function], _catches_would_block))


def in_try_bodies(
    roots: Sequence[ast.AST], catches: Callable[[ast.ExceptHandler], bool]
) -> Iterator[ast.AST]:
    """The nodes of the roots' own code (no nested defs) in the body of a ``try`` one of
    whose handlers ``catches`` matches: what that handler guards."""
    for root in roots:
        for node in walk_own(root):
            if isinstance(node, ast.Try) and any(catches(h) for h in node.handlers):
                for stmt in node.body:
                    yield from walk_own(stmt)


def _catches_would_block(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    names = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    return any(
        isinstance(n, (ast.Name, ast.Attribute))
        and ast.unparse(n).rsplit(".", 1)[-1] in _WOULD_BLOCK
        for n in names
    )


def _path_to(root: ast.AST, target: ast.AST) -> list[ast.AST] | None:
    """The nodes from ``root`` down to ``target``, both included."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(root, [root])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for child in ast.iter_child_nodes(node):
            stack.append((child, [*path, child]))
    return None


def _ready_when(expr: ast.expr, receiver: str, ready: tuple[frozenset[str], bool]) -> bool | None:
    """For ``fut.done()`` / ``q.empty()`` on ``receiver``: the truth value of ``expr`` that
    means the receiver is ready; None for any other expression."""
    methods, when = ready
    if (
        isinstance(expr, ast.Call)
        and not expr.args
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in methods
        and ast.dump(expr.func.value) == receiver
    ):
        return when
    return None


def _checks_done(
    test: ast.expr, receiver: str, *, positive: bool, ready: tuple[frozenset[str], bool] = _DONE
) -> bool:
    """``test`` true (``positive``) or false implies the receiver is ready."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _checks_done(test.operand, receiver, positive=not positive, ready=ready)
    if positive and isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_checks_done(v, receiver, positive=True, ready=ready) for v in test.values)
    # `not (a or not done)` style is left alone: only the check itself, or its negation
    return _ready_when(test, receiver, ready) is positive


def _guards(stmt: ast.AST, receiver: str, ready: tuple[frozenset[str], bool]) -> bool:
    """``if not fut.done(): return`` or ``while not fut.done(): ...`` (no ``break``); for a
    queue ``if q.empty(): return`` or ``while q.empty(): ...``."""
    if exits_early(stmt):
        assert isinstance(stmt, ast.If)
        return _checks_done(stmt.test, receiver, positive=False, ready=ready)
    if isinstance(stmt, ast.While) and not stmt.orelse:
        return _checks_done(stmt.test, receiver, positive=False, ready=ready) and not _breaks(stmt)
    return False


def exits_early(stmt: ast.AST) -> bool:
    """``if <test>: ...; return`` (or ``raise``, ``continue``, ``break``) with no ``else``:
    the rest of its block runs only where the test was false."""
    return (
        isinstance(stmt, ast.If)
        and not stmt.orelse
        and bool(stmt.body)
        and isinstance(stmt.body[-1], _EXITS)
    )


def _breaks(loop: ast.While) -> bool:
    """A ``break`` of this loop (not of a loop nested in it)."""
    stack: list[ast.AST] = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return True
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            stack.extend(node.orelse)  # a break in the nested loop's else ends ours
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False
