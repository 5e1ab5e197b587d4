"""Calls that run once: lazy initialisation.

``if self._config is None: self._config = load(path)`` blocks the first time the function
runs and never again; so does the early-return form (``if self._config is not None: return
self._config`` then the load) and the else-branch form (``if self.data: pass else:
self.data = load()``). Like a memoized helper called with constants (summaries), such a
call is a one-off at start-up, not a wait a maintainer would move off the event loop.

The value must outlive the call for this to hold: the guarded target is an attribute
(``self._x``, ``cls._x``, ``module.x``) or a name the function declares ``global`` or
``nonlocal``; a local is filled again on every call. The guarded region must assign that
target (anywhere in it, e.g. in one branch of an ``if``/``else`` whose other branch loads
the same state through a helper).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from functools import lru_cache

from gil_lint.engine.constants import unpacked
from gil_lint.engine.scopes import FunctionNode, Scope, walk_own


def enclosing_class(function: Scope) -> ast.ClassDef | None:
    """The class whose method ``function`` (a function's scope) is, if it is one."""
    parent = function.parent
    return parent.node if parent is not None and isinstance(parent.node, ast.ClassDef) else None


def runs_once(function: FunctionNode, call: ast.AST, cls: ast.ClassDef | None = None) -> bool:
    """``call`` (a node of ``function``'s own body) is inside a lazy-initialisation region;
    ``cls``, the class ``function`` is a method of, lets a branch fill the value through
    one of its methods (``else: self._load()``)."""
    return id(call) in once_nodes(function, cls)


@lru_cache(maxsize=4096)
def once_nodes(function: FunctionNode, cls: ast.ClassDef | None = None) -> frozenset[int]:
    """The ids of the nodes of ``function`` that run only while a kept target is unset."""
    if not any(isinstance(n, ast.If) for n in _own_nodes_of(function.body)):
        return frozenset()
    kept = _kept_names(function)
    methods = (
        {m.name: m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if cls is not None
        else {}
    )
    found: set[int] = set()
    for region in _regions(function.body, kept, methods):
        for stmt in region:
            found.update(id(n) for n in walk_own(stmt))
    return frozenset(found)


def _kept_names(function: FunctionNode) -> frozenset[str]:
    """Names declared ``global`` / ``nonlocal``: their value outlives the call."""
    names: set[str] = set()
    for stmt in _own_nodes_of(function.body):
        if isinstance(stmt, (ast.Global, ast.Nonlocal)):
            names.update(stmt.names)
    return frozenset(names)


Methods = dict[str, FunctionNode]


def _regions(
    body: Sequence[ast.stmt], kept: frozenset[str], methods: Methods
) -> Iterator[Sequence[ast.stmt]]:
    """The statement lists that run only while a kept target is still unset."""
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.If):
            target, unset_branch = _guard(stmt.test, kept)
            if target is not None:
                # each branch taken while it is unset, that fills it: `if self.data: pass
                # elif ...: self.data = load() else: self._load_all()`; a sibling branch
                # that does other work (and never fills it) is not lazy initialisation
                branches = [stmt.body] if unset_branch else _chain(stmt.orelse)
                filling = [b for b in branches if b and _fills(b, target, methods)]
                yield from filling
                rest = body[index + 1 :]
                # `if self._x is not None: return self._x` then fill it: the rest runs once
                if not unset_branch and _exits(stmt.body) and _fills(rest, target, methods):
                    yield rest
                    return
                for branch in branches:
                    if not any(branch is f for f in filling):
                        yield from _regions(branch, kept, methods)
                yield from _regions(stmt.orelse if unset_branch else stmt.body, kept, methods)
                continue
            yield from _regions(stmt.body, kept, methods)
            yield from _regions(stmt.orelse, kept, methods)
        elif isinstance(stmt, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
            yield from _regions(stmt.body, kept, methods)
        elif isinstance(stmt, ast.Try):
            for part in (stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)):
                yield from _regions(part, kept, methods)


def _chain(orelse: list[ast.stmt]) -> list[list[ast.stmt]]:
    """The branches of an ``elif`` chain: ``elif a: A elif b: B else: C`` → [A, B, C]."""
    branches: list[list[ast.stmt]] = []
    while len(orelse) == 1 and isinstance(orelse[0], ast.If):
        branches.append(orelse[0].body)
        orelse = orelse[0].orelse
    branches.append(orelse)
    return branches


def _fills(region: Sequence[ast.stmt], target: str, methods: Methods) -> bool:
    """``region`` assigns ``target``, itself or through a method of the class it calls
    (``self._load_everything()``)."""
    if _assigns(region, target):
        return True
    for node in _own_nodes_of(region):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("self", "cls")
            and node.func.attr in methods
            and _assigns(methods[node.func.attr].body, target)
        ):
            return True
    return False


def _guard(test: ast.expr, kept: frozenset[str]) -> tuple[str | None, bool]:
    """(the kept target the test checks, True when its body runs while the target is unset)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        target, unset = _guard(test.operand, kept)
        return target, not unset
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        # the body runs only if every operand holds: `if memoize and _cached: return
        # _cached` (a flag that turns the cache off is the exception, not the rule)
        for operand in test.values:
            target, unset = _guard(operand, kept)
            if target is not None:
                return target, unset
        return None, False
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        op = test.ops[0]
        if isinstance(op, (ast.Is, ast.Eq)):
            return _target(test.left, kept), True
        if isinstance(op, (ast.IsNot, ast.NotEq)):
            return _target(test.left, kept), False
        return None, False
    return _target(test, kept), False  # `if self._x:` runs its body once it is set


def _target(expr: ast.expr, kept: frozenset[str]) -> str | None:
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, (ast.Name, ast.Attribute)):
        return ast.dump(expr)
    if isinstance(expr, ast.Name) and expr.id in kept:
        return ast.dump(ast.Name(id=expr.id, ctx=ast.Load()))
    return None


def _assigns(region: Sequence[ast.stmt], target: str) -> bool:
    for node in _own_nodes_of(region):
        if isinstance(node, ast.Assign):
            targets: list[ast.expr] = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = [node.target]
        else:
            continue
        for t in targets:
            for part in unpacked(t):
                if _dump_load(part) == target:
                    return True
    return False


def _dump_load(expr: ast.expr) -> str:
    """``ast.dump`` of the expression as if it were read (stores and loads compare equal)."""
    if isinstance(expr, ast.Name):
        return ast.dump(ast.Name(id=expr.id, ctx=ast.Load()))
    if isinstance(expr, ast.Attribute):
        return ast.dump(ast.Attribute(value=expr.value, attr=expr.attr, ctx=ast.Load()))
    return ""


def _exits(body: Sequence[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


def _own_nodes_of(stmts: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    for stmt in stmts:
        yield from walk_own(stmt)
