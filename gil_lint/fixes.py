"""Fixes: building them (rules call the ``*_fix`` helpers) and applying them.

A fix is a set of text edits computed from the reported node: the replacement
expression is built as a libcst node from the original expression's source (so
the arguments keep their formatting and comments), rendered, and placed over
the node's range; imports the fix needs are separate edits, inserted once.
Applying re-parses the result: a fix that would not parse is dropped and
reported, never written. Writes are atomic (temp file + rename) and keep the
file's bytes — encoding, BOM, line endings — outside the fixed spans.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from gil_lint.diagnostics import Applicability, Diagnostic, Edit, Fix

if TYPE_CHECKING:
    from gil_lint.config import Settings
    from gil_lint.engine.context import ModuleContext

_LINE_END = re.compile(r"\r\n|\r|\n")
# Contexts where `await x` must be parenthesised to keep its meaning.
_NEEDS_PARENS = (ast.Attribute, ast.Subscript, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Await)


@dataclass
class FixResult:
    source: str
    applied: list[Diagnostic] = field(default_factory=list)
    unsafe_available: int = 0
    dropped: list[tuple[Diagnostic, str]] = field(default_factory=list)


# -- applying ------------------------------------------------------------------------------
def _line_starts(source: str) -> list[int]:
    starts = [0]
    for m in _LINE_END.finditer(source):
        starts.append(m.end())
    return starts


def _offset(starts: list[int], source: str, row: int, col: int) -> int:
    if row > len(starts):
        return len(source)
    return min(starts[row - 1] + col - 1, len(source))


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (1-based rows, 1-based code-point columns, end exclusive)."""
    starts = _line_starts(source)
    spans = sorted(
        (
            (
                _offset(starts, source, e.row, e.col),
                _offset(starts, source, e.end_row, e.end_col),
                e.content,
            )
            for e in set(edits)
        ),
        key=lambda s: (s[0], s[1], s[2]),
    )
    out = []
    pos = 0
    for start, end, content in spans:
        if start < pos:
            raise ValueError("overlapping edits")
        out.append(source[pos:start])
        out.append(content)
        pos = end
    out.append(source[pos:])
    return "".join(out)


def _parses(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fix>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _span(edits: Sequence[Edit]) -> tuple[tuple[int, int], tuple[int, int]]:
    return min((e.row, e.col) for e in edits), max((e.end_row, e.end_col) for e in edits)


def apply_fixes(
    source: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False
) -> FixResult:
    """One pass: apply every applicable fix whose edits do not overlap an earlier one."""
    result = FixResult(source)
    chosen: list[Diagnostic] = []
    taken: list[tuple[tuple[int, int], tuple[int, int]]] = []
    shared: set[Edit] = set()
    for d in sorted(diagnostics, key=lambda d: (d.row, d.col)):
        fix = d.fix
        if fix is None or not fix.edits:
            continue
        if fix.applicability == "unsafe" and not unsafe:
            result.unsafe_available += 1
            continue
        # import insertions are shared between fixes; the rest must not overlap
        own = [e for e in fix.edits if e not in shared]
        body = [e for e in own if not _is_insertion(e)] or own
        span = _span(body)
        if any(not (span[1] <= t[0] or t[1] <= span[0]) for t in taken):
            continue  # applied on the next pass
        taken.append(span)
        shared.update(e for e in fix.edits if _is_insertion(e))
        chosen.append(d)
    if not chosen:
        return result
    candidate = _try_apply(source, chosen)
    if candidate is not None:
        result.source, result.applied = candidate, chosen
        return result
    # something does not parse: keep the fixes that do, one at a time
    current = source
    for d in chosen:
        attempt = _try_apply(current, [d])
        if attempt is None:
            result.dropped.append((d, "the fixed code would not parse"))
        else:
            current = attempt
            result.applied.append(d)
            break  # positions of the others moved: they are recomputed next pass
    result.source = current
    return result


def _is_insertion(e: Edit) -> bool:
    return (e.row, e.col) == (e.end_row, e.end_col)


def _try_apply(source: str, chosen: Sequence[Diagnostic]) -> str | None:
    edits = [e for d in chosen for e in d.fix.edits]  # type: ignore[union-attr]
    try:
        fixed = apply_edits(source, edits)
    except ValueError:
        return None
    return fixed if _parses(fixed) else None


def fix_source(
    source: str,
    path: str,
    settings: Settings | None = None,
    *,
    unsafe: bool = False,
    max_passes: int = 8,
    lint: Callable[..., list[Diagnostic]] | None = None,
) -> FixResult:
    """Lint, apply, re-lint until nothing more applies (fixes can unlock each other)."""
    if lint is None:
        from gil_lint.engine.lint import lint_source

        lint = lint_source
    total = FixResult(source)
    current = source
    for _ in range(max_passes):
        diagnostics = lint(current, path, settings)
        if any(d.code == "GIL001" for d in diagnostics):
            break  # never touch a file that does not parse
        step = apply_fixes(current, diagnostics, unsafe=unsafe)
        total.dropped += step.dropped
        if not step.applied:
            total.unsafe_available = step.unsafe_available
            break
        total.applied += step.applied
        current = step.source
    total.source = current
    return total


def write_atomically(path: str, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old or the new file."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o644
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gil-lint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- building -------------------------------------------------------------------------------
def newline_of(source: str) -> str:
    m = _LINE_END.search(source)
    return m.group(0) if m else "\n"


def _node_edit(ctx: ModuleContext, node: ast.AST, content: str) -> Edit:
    row, col, end_row, end_col = ctx.span(node)
    return Edit(row, col, end_row, end_col, content)


def _render(expr: cst.BaseExpression) -> str:
    return cst.Module([]).code_for_node(expr)


def _parse_expr(ctx: ModuleContext, node: ast.AST) -> cst.BaseExpression | None:
    text = ctx.segment(node)
    try:
        return cst.parse_expression(text)
    except Exception:  # libcst raises its own ParserSyntaxError and others
        return None


def module_import(ctx: ModuleContext, module: str) -> tuple[str, Edit | None] | None:
    """The name to use for ``module`` here, and the import edit if one is needed.

    An existing ``import asyncio as aio`` is reused; if the name is taken by
    something else, None (no fix).
    """
    scope = ctx.module_scope
    for name, binding in scope.bindings.items():
        if binding.kind == "import" and binding.qualname == module:
            return name, None
    if module in scope.bindings:
        return None
    return module, _import_edit(ctx, f"import {module}")


def _import_edit(ctx: ModuleContext, statement: str) -> Edit:
    """Insert after the module's leading imports (after a docstring and __future__)."""
    body = ctx.tree.body
    nl = newline_of(ctx.source)
    last = None
    for i, stmt in enumerate(body):
        is_doc = (
            i == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        )
        if is_doc or isinstance(stmt, (ast.Import, ast.ImportFrom)):
            last = stmt
            continue
        break
    if last is None:
        return Edit(1, 1, 1, 1, statement + nl)
    row = (last.end_lineno or last.lineno) + 1
    if row > len(ctx.lines) or (
        row == len(ctx.lines) and ctx.lines[-1] == "" and not ctx.source.endswith(("\n", "\r"))
    ):
        end = len(ctx.lines[-1]) + 1
        return Edit(len(ctx.lines), end, len(ctx.lines), end, nl + statement)
    return Edit(row, 1, row, 1, statement + nl)


def _await_text(ctx: ModuleContext, node: ast.AST, inner: str) -> str:
    text = f"await {inner}"
    parent = ctx.parent(node)
    if isinstance(parent, _NEEDS_PARENS) or (isinstance(parent, ast.Call) and parent.func is node):
        text = f"({text})"
    return text


def _in_generator(ctx: ModuleContext, node: ast.AST) -> bool:
    parent = ctx.parent(node)
    while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if isinstance(parent, (ast.GeneratorExp, ast.Lambda)):
            return True
        parent = ctx.parent(parent)
    return False


def _fix(message: str, applicability: Applicability, *edits: Edit | None) -> Fix:
    return Fix(message, applicability, tuple(e for e in edits if e is not None))


def replace_call_fix(
    ctx: ModuleContext,
    call: ast.Call,
    *,
    message: str,
    applicability: Applicability,
    build: Callable[[str, cst.Call], cst.BaseExpression],
) -> Fix | None:
    """Replace ``call`` by ``await <build(asyncio_name, call)>``, importing asyncio once."""
    if not ctx.in_async() or _in_generator(ctx, call) or isinstance(ctx.parent(call), ast.withitem):
        return None
    parsed = _parse_expr(ctx, call)
    if not isinstance(parsed, cst.Call):
        return None
    imported = module_import(ctx, "asyncio")
    if imported is None:
        return None
    name, import_edit = imported
    inner = _render(build(name, parsed))
    return _fix(
        message, applicability, _node_edit(ctx, call, _await_text(ctx, call, inner)), import_edit
    )


def _attr(name: str, attr: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name(name), attr=cst.Name(attr))


def sleep_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL201: ``time.sleep(x)`` → ``await asyncio.sleep(x)``."""
    return replace_call_fix(
        ctx,
        call,
        message="Replace with `await asyncio.sleep(...)`",
        applicability="safe",
        build=lambda aio, c: c.with_changes(func=_attr(aio, "sleep")),
    )


def to_thread_fix(
    ctx: ModuleContext, call: ast.Call, applicability: Applicability, func_text: str | None = None
) -> Fix | None:
    """``f(a, k=v)`` → ``await asyncio.to_thread(f, a, k=v)``."""

    def build(aio: str, c: cst.Call) -> cst.BaseExpression:
        func = cst.parse_expression(func_text) if func_text else c.func
        first = cst.Arg(value=func)
        return cst.Call(func=_attr(aio, "to_thread"), args=[first, *c.args])

    return replace_call_fix(
        ctx,
        call,
        message="Run it in a thread: `await asyncio.to_thread(...)`",
        applicability=applicability,
        build=build,
    )


def subprocess_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL204, where mechanical: a statement ``subprocess.run([...])`` with a literal argv."""
    if not isinstance(ctx.parent(call), ast.Expr) or call.keywords or len(call.args) != 1:
        return None
    argv = call.args[0]
    if (
        not isinstance(argv, (ast.List, ast.Tuple))
        or not argv.elts
        or any(isinstance(e, ast.Starred) for e in argv.elts)
    ):
        return None
    if ctx.call_name(call) not in ("subprocess.run", "subprocess.call"):
        return None
    args = ", ".join(ctx.segment(e) for e in argv.elts)

    def build(aio: str, c: cst.Call) -> cst.BaseExpression:
        return cst.parse_expression(f"(await {aio}.create_subprocess_exec({args})).wait()")

    return replace_call_fix(
        ctx,
        call,
        message="Use `asyncio.create_subprocess_exec(...)`",
        applicability="unsafe",
        build=build,
    )


def await_fix(
    ctx: ModuleContext,
    node: ast.expr,
    message: str,
    applicability: Applicability,
    inner: ast.expr | None = None,
) -> Fix | None:
    """``X`` → ``await X`` (GIL401), or ``asyncio.run(c)`` → ``await c`` with ``inner=c``
    (GIL403)."""
    if not ctx.in_async() or _in_generator(ctx, node):
        return None
    text = ctx.segment(inner if inner is not None else node)
    if not text:
        return None
    return _fix(message, applicability, _node_edit(ctx, node, _await_text(ctx, node, text)))


_KEEP_TASK = (
    "_background_tasks = set()",
    "",
    "",
    "def _keep_task(task):",
    "    # the event loop holds tasks weakly: keep a reference until the task is done",
    "    _background_tasks.add(task)",
    "    task.add_done_callback(_background_tasks.discard)",
    "    return task",
)


def keep_task_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL402: ``asyncio.create_task(c)`` → ``_keep_task(asyncio.create_task(c))`` + helper."""
    scope = ctx.module_scope
    helper = scope.bindings.get("_keep_task")
    if helper is not None and helper.kind != "def":
        return None
    nl = newline_of(ctx.source)
    edits: list[Edit | None] = [_node_edit(ctx, call, f"_keep_task({ctx.segment(call)})")]
    if helper is None:
        text = nl.join(_KEEP_TASK)
        insert = _import_edit(ctx, f"{nl}{nl}{text}{nl}")
        edits.append(insert)
    return _fix("Keep a reference to the task until it is done", "unsafe", *edits)


def main_guard_fix(ctx: ModuleContext, node: ast.AST) -> Fix | None:
    """GIL301: indent the module-level statement under ``if __name__ == "__main__":``."""
    stmt = node
    while ctx.parent(stmt) is not ctx.tree:
        stmt = ctx.parent(stmt)  # type: ignore[assignment]
        if stmt is None:
            return None
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None
    if stmt.col_offset != 0:  # type: ignore[attr-defined]
        return None
    # indenting a multi-line string would change its value
    for sub in ast.walk(stmt):
        if isinstance(sub, (ast.Constant, ast.JoinedStr)) and (
            getattr(sub, "end_lineno", sub.lineno) != sub.lineno  # type: ignore[attr-defined]
        ):
            return None
    first, last = stmt.lineno, stmt.end_lineno or stmt.lineno  # type: ignore[attr-defined]
    lines = ctx.lines[first - 1 : last]
    nl = newline_of(ctx.source)
    body = nl.join(("    " + line) if line.strip() else line for line in lines)
    content = f'if __name__ == "__main__":{nl}{body}'
    edit = Edit(first, 1, last, len(ctx.lines[last - 1]) + 1, content)
    return _fix('Move it under `if __name__ == "__main__":`', "unsafe", edit)


def thread_pool_to_process_pool_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL101: the ``ThreadPoolExecutor(...)`` the work is submitted to → ``ProcessPoolExecutor``.

    Only when the submitted callable is a module-level function (picklable).
    """
    from gil_lint.rules.concurrency_apis import submission, unwrap_partial

    sub = submission(ctx, call)
    if sub is None or not isinstance(call.func, ast.Attribute):
        return None
    func = unwrap_partial(ctx, sub.func)
    if not isinstance(func, ast.Name):
        return None
    binding = ctx.resolver.lookup(func.id, ctx.scope)
    if binding is None or binding.kind != "def" or func.id not in ctx.module_scope.bindings:
        return None
    receiver = call.func.value
    if not isinstance(receiver, ast.Name):
        return None
    pool = ctx.resolver.lookup(receiver.id, ctx.scope)
    if pool is None or pool.kind != "value" or len(pool.values) != 1:
        return None
    ctor = pool.values[0]
    if not isinstance(ctor, ast.Call):
        return None
    if ctx.qualname(ctor.func) != "concurrent.futures.ThreadPoolExecutor":
        return None
    target = ctor.func
    import_edit = None
    if isinstance(target, ast.Attribute):
        replacement = f"{ctx.segment(target.value)}.ProcessPoolExecutor"
    else:
        existing = [
            n
            for n, b in ctx.module_scope.bindings.items()
            if b.kind == "import" and b.qualname == "concurrent.futures.ProcessPoolExecutor"
        ]
        if existing:
            replacement = existing[0]
        elif "ProcessPoolExecutor" in ctx.module_scope.bindings:
            return None
        else:
            replacement = "ProcessPoolExecutor"
            import_edit = _import_edit(ctx, "from concurrent.futures import ProcessPoolExecutor")
    return _fix(
        "Use `ProcessPoolExecutor`: processes run Python in parallel",
        "unsafe",
        _node_edit(ctx, target, replacement),
        import_edit,
    )
