"""Building fixes: the edits shared by every rule's fix builder.

A fix is a set of text edits computed from the reported node: the replacement
expression is built as a libcst node from the original expression's source (so
the arguments keep their formatting and comments), rendered, and placed over
the node's range; imports the fix needs are separate edits, inserted once. The
rule-specific builders live beside their rules (``gil_lint/rules/``); applying
the edits is ``gil_lint.fix.apply``.
"""

from __future__ import annotations

import ast
import warnings
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from gil_lint.lazy import lazy_module

if TYPE_CHECKING:
    import libcst as cst
else:
    # libcst takes ~0.1 s to import: only runs that build a fix should pay for it (the
    # rules' fix builders take ``cst`` from here too)
    cst = lazy_module("libcst")

from gil_lint.diagnostics import Applicability, Edit, Fix
from gil_lint.text import LINE_END

if TYPE_CHECKING:
    from gil_lint.engine.context import ModuleContext
    from gil_lint.engine.scopes import Scope

# Contexts where `await x` must be parenthesised to keep its meaning.
_NEEDS_PARENS = (ast.Attribute, ast.Subscript, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Await)


def newline_of(source: str) -> str:
    """The file's newline style (its first line ending), used for every inserted line."""
    m = LINE_END.search(source)
    return m.group(0) if m else "\n"


def node_edit(ctx: ModuleContext, node: ast.AST, content: str) -> Edit:
    """Replace ``node``'s source range by ``content``."""
    row, col, end_row, end_col = ctx.span(node)
    # ctx.segment joins lines with "\n": a multi-line replacement gets the file's own newlines
    nl = newline_of(ctx.source)
    if nl != "\n":
        content = LINE_END.sub(nl, content)
    return Edit(row, col, end_row, end_col, content)


def render(node: cst.CSTNode) -> str:
    """A libcst node's source text."""
    return cst.Module([]).code_for_node(node)


def checked_segment(ctx: ModuleContext, node: ast.AST) -> str | None:
    """The node's source text, checked: positions inside f-strings (before 3.12) and other
    corner cases can be off, and a fix over the wrong span would corrupt the file."""
    text = ctx.segment(node)
    if not text:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = ast.parse(f"(\n{text}\n)", mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return text if ast.dump(parsed) == ast.dump(node) else None


def _parse_expr(ctx: ModuleContext, node: ast.AST) -> cst.BaseExpression | None:
    text = checked_segment(ctx, node)
    if text is None:
        return None
    try:
        return cst.parse_expression(text)
    except Exception:  # libcst raises its own ParserSyntaxError and others
        return None


def usable_global(ctx: ModuleContext, name: str) -> bool:
    """``name`` written at the reported node means the module-level binding (or nothing)."""
    return ctx.resolver.lookup(name, ctx.scope) is ctx.module_scope.bindings.get(name)


# module scope -> {qualname: the module-level names an import binds to it, in order}
_IMPORTS: weakref.WeakKeyDictionary[Scope, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def imported_as(ctx: ModuleContext, qualname: str) -> list[str]:
    """The module-level names bound by importing ``qualname``. Computed once per module:
    scanning every binding for every fix made a module with 10,000 fixable calls take
    minutes (quadratic)."""
    scope = ctx.module_scope
    table = _IMPORTS.get(scope)
    if table is None:
        table = {}
        for name, binding in scope.bindings.items():
            if binding.kind == "import" and binding.qualname:
                table.setdefault(binding.qualname, []).append(name)
        _IMPORTS[scope] = table
    return table.get(qualname, [])


def module_import(ctx: ModuleContext, module: str) -> tuple[str, Edit | None] | None:
    """The name to use for ``module`` here, and the import edit if one is needed.

    An existing ``import asyncio as aio`` is reused; if the name is taken by
    something else (at module level or where the fix goes), None: no fix.
    """
    scope = ctx.module_scope
    existing = imported_as(ctx, module)
    if existing:
        return (existing[0], None) if usable_global(ctx, existing[0]) else None
    if module in scope.bindings or not usable_global(ctx, module):
        return None
    return module, import_edit(ctx, f"import {module}")


# module scope -> the event-loop library its fixes and advice use (None: more than one)
_LIBRARY: weakref.WeakKeyDictionary[Scope, str | None] = weakref.WeakKeyDictionary()
# how each library runs a blocking call in a worker thread
THREAD_RUNNER = {
    "asyncio": "to_thread",
    "trio": "to_thread.run_sync",
    "anyio": "to_thread.run_sync",
}


def async_library(ctx: ModuleContext) -> str | None:
    """The event-loop library of the module: ``asyncio``, unless the module imports
    ``trio`` or ``anyio`` (then that one: an ``await asyncio.sleep()`` in trio code fails
    at run time). None when it imports more than one of the three: no fix guesses."""
    scope = ctx.module_scope
    if scope in _LIBRARY:
        return _LIBRARY[scope]
    roots = {
        b.qualname.partition(".")[0]
        for b in scope.bindings.values()
        if b.kind == "import" and b.qualname
    }
    others = roots & {"trio", "anyio"}
    library = "asyncio" if not others else None
    if len(others) == 1 and "asyncio" not in roots:
        library = others.pop()
    _LIBRARY[scope] = library
    return library


def insertion_row(ctx: ModuleContext) -> int:
    """The row after the module docstring, ``__future__`` imports and the top import block."""
    last = None
    for i, stmt in enumerate(ctx.tree.body):
        is_doc = (
            i == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        )
        if is_doc or _is_import_block(stmt):
            last = stmt
            continue
        break
    if last is None:
        return 1
    _, _, end_row, end_col = ctx.span(last)
    lines = ctx.lines
    rest = lines[end_row - 1][end_col - 1 :] if end_row <= len(lines) else ""
    row = end_row + 1
    # `import time \` continues onto the next line: a line inserted there would be part of it
    while rest.strip(" \t;") == "\\" and row <= len(lines):
        rest = lines[row - 1]
        row += 1
    return row


def _is_import_block(stmt: ast.stmt) -> bool:
    """An import, or ``try: import x`` / ``if TYPE_CHECKING: import x`` (part of the block)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, (ast.Try, ast.If)):
        return all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in stmt.body)
    return False


def import_edit(ctx: ModuleContext, statement: str) -> Edit:
    """Insert ``statement`` (one or more lines, no final newline) at the top insertion row."""
    nl = newline_of(ctx.source)
    row = insertion_row(ctx)
    lines = ctx.lines
    at_end = row > len(lines) or (row == len(lines) and lines[-1] == "")
    if at_end and not ctx.source.endswith(("\n", "\r")):
        # the import block ends the file without a newline: start a new line
        end = len(lines[-1]) + 1
        return Edit(len(lines), end, len(lines), end, nl + statement)
    row = min(row, len(lines))
    return Edit(row, 1, row, 1, statement + nl)


def _await_allowed(ctx: ModuleContext, node: ast.AST) -> bool:
    """``await`` is valid here and means the same: in ``async def``, not in a class body,
    a generator expression (that would turn it into an async generator) or an annotation
    (``await`` there is a SyntaxError under ``from __future__ import annotations``, and a
    local variable's annotation is never evaluated anyway)."""
    if not ctx.in_async():
        return False
    scope = ctx.scope
    while scope.kind not in ("function", "lambda", "module"):
        if scope.kind == "class":
            return False
        scope = scope.parent  # type: ignore[assignment]
    child: ast.AST = node
    parent = ctx.parent(node)
    while parent is not None:
        if isinstance(parent, (ast.GeneratorExp, ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(parent, (ast.arg, ast.AnnAssign)) and child is parent.annotation:
            return False
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return child is not parent.returns
        child, parent = parent, ctx.parent(parent)
    return True


def _await_text(ctx: ModuleContext, node: ast.AST, inner: str) -> str:
    text = f"await {inner}"
    parent = ctx.parent(node)
    if isinstance(parent, _NEEDS_PARENS) or (isinstance(parent, ast.Call) and parent.func is node):
        text = f"({text})"
    return text


def fix_from(message: str, applicability: Applicability, *edits: Edit | None) -> Fix:
    """The fix made of ``edits``; a ``None`` (an import already there) is left out."""
    return Fix(message, applicability, tuple(e for e in edits if e is not None))


def replace_call_fix(
    ctx: ModuleContext,
    call: ast.Call,
    *,
    message: str,
    applicability: Applicability,
    build: Callable[[str, cst.Call], cst.BaseExpression | None],
    library: str = "asyncio",
) -> Fix | None:
    """Replace ``call`` by ``await <build(library_name, call)>``, importing the module's
    event-loop library (``library``) once; no fix in a module that uses another one.

    No fix for the subject of ``with`` (``with open(p) as f:`` needs the file object in
    this thread, not a thread's result) or where ``await`` is not allowed.
    """
    if not _await_allowed(ctx, call) or isinstance(ctx.parent(call), ast.withitem):
        return None
    if async_library(ctx) != library:
        return None
    parsed = _parse_expr(ctx, call)
    if not isinstance(parsed, cst.Call):
        return None
    imported = module_import(ctx, library)
    if imported is None:
        return None
    name, added_import = imported
    built = build(name, parsed)
    if built is None:
        return None
    inner = render(built)
    return fix_from(
        message, applicability, node_edit(ctx, call, _await_text(ctx, call, inner)), added_import
    )


def await_fix(
    ctx: ModuleContext,
    node: ast.expr,
    message: str,
    applicability: Applicability,
    inner: ast.expr | None = None,
) -> Fix | None:
    """``X`` → ``await X`` (GIL401), or ``asyncio.run(c)`` → ``await c`` with ``inner=c``
    (GIL403). Only where ``await`` is allowed: never in a sync function."""
    if not _await_allowed(ctx, node):
        return None
    text = checked_segment(ctx, inner if inner is not None else node)
    if text is None or checked_segment(ctx, node) is None:
        return None
    if inner is not None and isinstance(inner, (ast.NamedExpr, ast.Lambda, ast.IfExp)):
        text = f"({text})"  # `await x := y` does not parse; `await (x := y)` does
    return fix_from(message, applicability, node_edit(ctx, node, _await_text(ctx, node, text)))
