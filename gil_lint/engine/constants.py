"""Branches a module's own constants never take.

Code generated for two worlds from one source keeps both in each copy: pymongo's async
package is written once and ``unasync``-ed into the sync one, so every module of
``pymongo/asynchronous/`` says ``_IS_SYNC = False`` and holds ``if _IS_SYNC:
socket.getaddrinfo(...)`` next to ``else: await loop.getaddrinfo(...)``. The first branch
never runs there; a finding in it is wrong.

A literal test (``if True:  # ASYNC``, psycopg's marker for the async twin of its
generated code) is decided the same way.

A *module constant* is a name the module binds once, at its top level, to ``True`` or
``False`` (``_IS_SYNC = False``, ``_IS_SYNC: bool = False``), and never binds again (no
second assignment, no ``global`` declaration of it in a function, no import, ``for``,
``with ... as``, ``del``). An ``if`` or ``elif`` whose test the constants decide — the name,
``not`` it, an ``and``/``or`` of tests one of which decides — loses the branch that never
runs before the module's scopes are built, so no rule and no function summary sees it.
Another module may still assign ``mod._IS_SYNC = True`` at run time; a flag meant to be
switched so is rarely written as a private constant, and the name's own module never does.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

# `if _IS_SYNC`, `elif not DEBUG and x`: a constant in an `if`/`elif` test (a text filter
# before any walk; most modules have no constant or never test one)
_IF = re.compile(r"\b(?:if|elif)\b[^:]*$")
# `if True:` / `elif not False:`: a literal test (code generated from one source for two
# worlds marks its branch so: psycopg's `if True:  # ASYNC`)
_LITERAL_MARKS = ("if True", "if False")  # `elif True` too
_LITERAL = re.compile(r"\b(?:if|elif)\s+(?:not\s+)?(?:True|False)\s*:")
# the fields that hold statement lists (an `except` clause and a `case` are nodes of their own)
_BODIES = ("body", "orelse", "finalbody")
TRY_NODES = (ast.Try, getattr(ast, "TryStar", ast.Try))  # `try`/`except*` (3.11)
# statements that bind the name they carry
_NAMED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def prune_constant_branches(tree: ast.Module, lines: list[str] | None = None) -> None:
    """Empty, in place, the branches of ``tree``'s ``if`` statements that its module
    constants never take (``lines``, the source's, spare the walk when no test names one)."""
    candidates = _candidates(tree)
    literal = True
    if lines is not None:
        text = "\n".join(lines)
        candidates = {name: value for name, value in candidates.items() if _tested(name, text)}
        literal = any(m in text for m in _LITERAL_MARKS) and _LITERAL.search(text) is not None
    if not candidates and not literal:
        return
    stores: dict[str, int] = dict.fromkeys(candidates, 0)
    # each `if` statement, with the statement list it is in; statements only (a module
    # constant is not rebound inside an expression: a walrus at module level would be odd)
    tests: list[tuple[list[ast.stmt], ast.If]] = []
    blocks: list[list[ast.stmt]] = [tree.body]
    while blocks:
        block = blocks.pop()
        for stmt in block:
            cls = stmt.__class__
            if cls is ast.If:
                tests.append((block, stmt))  # type: ignore[arg-type]
            if stores:
                for bound in _bound_by(stmt):
                    if bound in stores:
                        stores[bound] += 1
            for field in _BODIES:
                inner = getattr(stmt, field, None)
                if inner:
                    blocks.append(inner)
            if cls in TRY_NODES:
                blocks.extend(h.body for h in stmt.handlers)  # type: ignore[attr-defined]
                if stores:
                    for h in stmt.handlers:  # type: ignore[attr-defined]
                        if h.name in stores:
                            stores[h.name] += 2
            elif cls is ast.Match:
                blocks.extend(c.body for c in stmt.cases)  # type: ignore[attr-defined]
    constants = {name: value for name, value in candidates.items() if stores[name] == 1}
    if not constants and not literal:
        return
    for body, stmt in tests:
        decided = _decide(stmt.test, constants)
        if decided is True:
            stmt.orelse = []
            if isinstance(stmt.body[-1], (ast.Return, ast.Raise)) and stmt in body:
                # `if not _IS_SYNC: return await ...` then the sync twin: never reached
                del body[body.index(stmt) + 1 :]
        elif decided is False and not _is_pass(stmt.body):
            stmt.body = [ast.copy_location(ast.Pass(), stmt.body[0])]


def _bound_by(stmt: ast.stmt) -> list[str]:
    """The names ``stmt`` itself binds (not those of statements nested in it); a
    ``global``/``nonlocal`` declaration, an import, a ``def`` or a ``class`` counts twice, so
    that a name they bind is never a constant."""
    cls = stmt.__class__
    if cls is ast.Assign:
        return [n for t in stmt.targets for n in _names(t)]  # type: ignore[attr-defined]
    if cls in (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor):
        return _names(stmt.target)  # type: ignore[attr-defined]
    if cls in (ast.With, ast.AsyncWith):
        return [n for i in stmt.items for n in _names(i.optional_vars)]  # type: ignore[attr-defined]
    if cls is ast.Delete:
        return [n for t in stmt.targets for n in _names(t)]  # type: ignore[attr-defined]
    if cls in (ast.Global, ast.Nonlocal):
        return [*stmt.names, *stmt.names]  # type: ignore[attr-defined]
    if cls in (ast.Import, ast.ImportFrom):
        bound = [a.asname or a.name.partition(".")[0] for a in stmt.names]  # type: ignore[attr-defined]
        return bound * 2
    if cls in _NAMED:
        return [stmt.name, stmt.name]  # type: ignore[attr-defined]
    return []


def _names(target: ast.expr | None) -> list[str]:
    if target is None:
        return []
    return [t.id for t in unpacked(target) if isinstance(t, ast.Name)]


def unpacked(target: ast.expr) -> Iterator[ast.expr]:
    """The targets an assignment target binds, tuples and starred targets unpacked
    (``a, (b, *c) = ...`` → ``a``, ``b``, ``c``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from unpacked(element)
    elif isinstance(target, ast.Starred):
        yield from unpacked(target.value)
    else:
        yield target


def _tested(name: str, text: str) -> bool:
    """Some line of ``text`` names ``name`` after an ``if`` or ``elif`` and before a colon
    (found from the name's own few places, not by scanning every ``if``)."""
    start = text.find(name)
    while start != -1:
        end = start + len(name)
        whole = (start == 0 or not _word(text[start - 1])) and (
            end == len(text) or not _word(text[end])
        )
        if whole and _IF.search(text, text.rfind("\n", 0, start) + 1, start):
            return True
        start = text.find(name, end)
    return False


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _candidates(tree: ast.Module) -> dict[str, bool]:
    """Names the module's top level binds to ``True`` or ``False``."""
    found: dict[str, bool] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, bool)
        ):
            found[target.id] = value.value
    return found


def _decide(test: ast.expr, constants: dict[str, bool]) -> bool | None:
    """What ``test`` is, if the constants decide it; None if they do not."""
    if isinstance(test, ast.Name):
        return constants.get(test.id)
    if isinstance(test, ast.Constant) and isinstance(test.value, bool):
        return test.value  # `if True:  # ASYNC` (psycopg's generated async twin)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _decide(test.operand, constants)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        parts = [_decide(v, constants) for v in test.values]
        stop = isinstance(test.op, ast.Or)  # `or`: one True decides; `and`: one False
        if stop in parts:
            return stop
        if all(p is not None for p in parts):
            return not stop
    return None


def _is_pass(body: list[ast.stmt]) -> bool:
    return len(body) == 1 and isinstance(body[0], ast.Pass)
