"""How big a loop is: constant folding, literal lengths and sizes passed in from a call site.

One size model for every rule that asks "how many times does this run": the function
summaries (is a loop CPU work, is it heavy), GIL103 (a thread per item of a fixed set of
workers?) and GIL404 (a bounded ``gather``?).

- ``int_value``: an ``int`` known before the code runs: a literal, arithmetic on known
  values (``10**7``, ``50 * 1_000_000``, ``1 << 20``, ``N + 1``), a name bound once to one
  (a module constant ``LIMIT = 10**6``, a local assigned once and never augmented), a
  parameter whose value a call site passed (``crunch(50_000_000)``), ``len`` of a literal.
- ``length``: how many items iterating a value yields: a literal collection or string,
  ``range`` of known values, a name bound once to one of those, a parameter given one, and
  wrappers that keep the size (``enumerate``, ``sorted``, ``reversed``, ``list``...).
- ``range_factor``: ``range(n * 1_000_000)``: the size is unknown, but scaled by a known
  constant that makes even one unit of ``n`` a big loop.

Unknown stays unknown: every function returns None when it cannot tell, and callers treat
None as "no evidence either way" (neither light nor heavy).

An ``Env`` maps a function's parameters to what one call site passed them: its ``int``
value and/or its length. ``bind`` builds it from a call's arguments (defaults included,
since the call shows which parameters it leaves out); ``merge`` combines the envs of the
items of ``pool.map(f, [a, b, c])`` into an upper bound.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Callable, Sequence
from typing import NamedTuple

from gil_lint.engine.scopes import Resolver, Scope, parameter_defaults, walk_own


class Known(NamedTuple):
    """What is known of one value: the ``int`` it is and/or how many items it iterates."""

    value: int | None = None
    length: int | None = None


# parameter -> what the call site passed it; a tuple so that it keys memos
Env = tuple[tuple[str, Known], ...]
EMPTY: Env = ()

# folding stops beyond these: a bigger number is not a loop count anyone runs
_LIMIT = 10**30
_MAX_DEPTH = 8
# builtins whose result iterates as many items as their (first) argument
_SAME_LENGTH = frozenset(
    f"builtins.{n}" for n in ("enumerate", "reversed", "sorted", "list", "tuple", "iter")
)
_REBOUND: weakref.WeakKeyDictionary[Scope, tuple[frozenset[str], frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def lookup(env: Env, name: str) -> Known | None:
    for param, known in env:
        if param == name:
            return known
    return None


class Sizes:
    """The size model as seen from one scope, with the parameters a call site bound."""

    def __init__(self, resolver: Resolver, scope: Scope, env: Env = EMPTY) -> None:
        self.resolver = resolver
        self.scope = scope
        self.env = env

    # -- ints --------------------------------------------------------------------------
    def int_value(self, expr: ast.expr, depth: int = 0) -> int | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value if type(expr.value) is int else None
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            operand = self.int_value(expr.operand, depth + 1)
            if operand is None:
                return None
            return -operand if isinstance(expr.op, ast.USub) else operand
        if isinstance(expr, ast.BinOp):
            left = self.int_value(expr.left, depth + 1)
            right = None if left is None else self.int_value(expr.right, depth + 1)
            if left is None or right is None:
                return None
            return _binop(expr.op, left, right)
        if isinstance(expr, ast.Name):
            known = self._name(expr.id, depth)
            return None if known is None else known.value
        if (
            isinstance(expr, ast.Call)
            and len(expr.args) == 1
            and not expr.keywords
            and self.resolver.qualname(expr.func, self.scope) == "builtins.len"
        ):
            return self.length(expr.args[0], depth + 1)
        return None

    # -- lengths -----------------------------------------------------------------------
    def length(self, expr: ast.expr, depth: int = 0) -> int | None:
        """How many items ``for x in expr`` runs over, if known."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            if any(isinstance(e, ast.Starred) for e in expr.elts):
                return None
            return len(expr.elts)
        if isinstance(expr, ast.Dict):
            return None if None in expr.keys else len(expr.keys)
        if isinstance(expr, ast.Constant) and isinstance(expr.value, (str, bytes)):
            return len(expr.value)
        if isinstance(expr, ast.Name):
            known = self._name(expr.id, depth)
            return None if known is None else known.length
        if isinstance(expr, ast.Call):
            name = self.resolver.qualname(expr.func, self.scope)
            if name == "builtins.range":
                return self.range_length(expr, depth)
            if name in _SAME_LENGTH and len(expr.args) == 1:
                return self.length(expr.args[0], depth + 1)
            if name == "builtins.zip" and expr.args:
                lengths = [self.length(a, depth + 1) for a in expr.args]
                seen = [n for n in lengths if n is not None]
                return min(seen) if seen else None
        return None

    def range_length(self, call: ast.Call, depth: int = 0) -> int | None:
        """``len(range(...))`` for a call of the builtin ``range`` with known arguments."""
        if not 1 <= len(call.args) <= 3 or call.keywords:
            return None
        if self.resolver.qualname(call.func, self.scope) != "builtins.range":
            return None
        values = [self.int_value(a, depth + 1) for a in call.args]
        if any(v is None for v in values):
            return None
        try:
            return len(range(*values))  # type: ignore[arg-type]
        except (ValueError, OverflowError):  # range(0, 10, 0); a length beyond sys.maxsize
            return None

    def range_factor(self, call: ast.expr) -> int | None:
        """``range(n * 1_000_000)``: the biggest known factor of an unknown stop (None when
        the stop is not such a product)."""
        if not (
            isinstance(call, ast.Call)
            and 1 <= len(call.args) <= 3
            and self.resolver.qualname(call.func, self.scope) == "builtins.range"
        ):
            return None
        stop = call.args[0] if len(call.args) == 1 else call.args[1]
        if not (isinstance(stop, ast.BinOp) and isinstance(stop.op, ast.Mult)):
            return None
        factors = [self.int_value(side) for side in (stop.left, stop.right)]
        known = [f for f in factors if f is not None]
        if len(known) != 1:
            return None  # both known: range_length tells; neither: nothing to go on
        return known[0]

    def is_range(self, expr: ast.expr) -> bool:
        return (
            isinstance(expr, ast.Call)
            and self.resolver.qualname(expr.func, self.scope) == "builtins.range"
        )

    def known(self, expr: ast.expr) -> Known | None:
        """What a call site passes as an argument: None when nothing is known of it."""
        value = self.int_value(expr)
        length = self.length(expr)
        if value is None and length is None:
            return None
        return Known(value, length)

    # -- names -------------------------------------------------------------------------
    def _name(self, name: str, depth: int) -> Known | None:
        binding = self.resolver.lookup(name, self.scope)
        fn = self.scope.function()
        if (
            self.env
            and fn is not None
            and binding is not None
            and binding is fn.bindings.get(name)
            and name not in _rebound(fn, self.resolver)[1]
        ):
            passed = lookup(self.env, name)
            if passed is not None:
                return passed
        if binding is None or binding.kind != "value" or len(binding.values) != 1:
            return None
        if name in _rebound(self._owner(name), self.resolver)[0]:
            return None  # `n = 10; n *= 1000`: the binding shows the first value only
        value = binding.values[0]
        if isinstance(value, ast.NamedExpr):
            return None
        # the value is evaluated where it was bound: a module constant in module scope
        owner = self._owner(name)
        at = self if owner is self.scope else Sizes(self.resolver, owner, self.env)
        result = Known(at.int_value(value, depth + 1), at.length(value, depth + 1))
        return None if result == Known() else result

    def _owner(self, name: str) -> Scope:
        """The scope whose binding ``name`` refers to from here."""
        s: Scope | None = self.scope
        if name in self.scope.globals:
            return self.resolver.module
        first = True
        while s is not None:
            if (s.kind != "class" or first) and name in s.bindings:
                return s
            first = False
            s = s.parent
        return self.scope


def _rebound(scope: Scope, resolver: Resolver) -> tuple[frozenset[str], frozenset[str]]:
    """In ``scope``: the names augmented (``n += 1``; for the module also the names a
    function declares ``global``: it may rebind them at any time), and the names stored to
    at all (a parameter stored to no longer holds what the call passed)."""
    found = _REBOUND.get(scope)
    if found is None:
        augmented: set[str] = set()
        stored: set[str] = set()
        for n in walk_own(scope.node):
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                augmented.add(n.target.id)
            elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                stored.add(n.id)
        if scope.kind == "module":
            for s in resolver.scopes.values():
                augmented.update(s.globals)
        found = _REBOUND[scope] = (frozenset(augmented), frozenset(stored | augmented))
    return found


def _binop(op: ast.operator, left: int, right: int) -> int | None:
    result: int
    if isinstance(op, ast.Add):
        result = left + right
    elif isinstance(op, ast.Sub):
        result = left - right
    elif isinstance(op, ast.Mult):
        result = left * right
    elif isinstance(op, ast.Pow):
        if right < 0 or right > 128 or abs(left) > 10**6:
            return None
        result = left**right
    elif isinstance(op, ast.LShift):
        if not 0 <= right <= 100:
            return None
        result = left << right
    elif isinstance(op, ast.FloorDiv) and right:
        result = left // right
    elif isinstance(op, ast.Mod) and right:
        result = left % right
    else:
        return None
    return result if abs(result) <= _LIMIT else None


# -- call sites --------------------------------------------------------------------------
def bind(
    args: ast.arguments,
    method: bool,
    positional: Sequence[ast.expr],
    keywords: Sequence[ast.keyword],
    known: Callable[[ast.expr], Known | None],
) -> Env:
    """The parameters of a function with signature ``args`` that a call passing
    ``positional`` and ``keywords`` gives known values (``known`` evaluates an argument at
    the call site). Defaults count for the parameters the call leaves out; a ``*args`` or
    ``**kwargs`` argument makes every later parameter unknown."""
    params = [*args.posonlyargs, *args.args]
    if method:
        params = params[1:]
    defaults = parameter_defaults(args)
    passed: dict[str, ast.expr | None] = {}
    open_ended = False
    for i, arg in enumerate(positional):
        if isinstance(arg, ast.Starred):
            open_ended = True
            break
        if i < len(params):
            passed[params[i].arg] = arg
    for kw in keywords:
        if kw.arg is None:
            open_ended = True
            continue
        passed[kw.arg] = kw.value
    env: list[tuple[str, Known]] = []
    for p in (*params, *args.kwonlyargs):
        expr = passed.get(p.arg)
        if expr is None and not open_ended:
            expr = defaults.get(p.arg)
        value = known(expr) if expr is not None else None
        if value is not None:
            env.append((p.arg, value))
    return tuple(env)


def merge(envs: Sequence[Env]) -> Env:
    """One env that bounds each of ``envs`` from above: a parameter is known only if every
    env knows it, as the largest value and length seen."""
    if not envs:
        return EMPTY
    out: list[tuple[str, Known]] = []
    for param, _ in envs[0]:
        seen = [lookup(e, param) for e in envs]
        if any(k is None for k in seen):
            continue
        values = [k.value for k in seen if k is not None]
        lengths = [k.length for k in seen if k is not None]
        value = None if None in values else max(v for v in values if v is not None)
        length = None if None in lengths else max(n for n in lengths if n is not None)
        if value is not None or length is not None:
            out.append((param, Known(value, length)))
    return tuple(out)


def shown(n: int) -> str:
    """``50,000,000``: a count as a message shows it."""
    return f"{n:,}"
