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
import bisect
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gil_lint.lazy import lazy_module

if TYPE_CHECKING:
    import libcst as cst
else:
    # libcst takes ~0.1 s to import: only runs that build a fix should pay for it
    cst = lazy_module("libcst")

from gil_lint.diagnostics import SYNTAX_ERROR, Applicability, Diagnostic, Edit, Fix
from gil_lint.engine.summaries import CONSUMER_NAMES
from gil_lint.text import LINE_END

if TYPE_CHECKING:
    from gil_lint.config import Settings
    from gil_lint.engine.context import ModuleContext
    from gil_lint.engine.scopes import Scope

# Contexts where `await x` must be parenthesised to keep its meaning.
_NEEDS_PARENS = (ast.Attribute, ast.Subscript, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Await)


@dataclass
class FixResult:
    """What applying fixes did to one module's text."""

    source: str  # the fixed text
    applied: list[Diagnostic] = field(default_factory=list)
    # findings with an unsafe fix that was not applied (``unsafe=False``)
    unsafe_available: int = 0
    dropped: list[tuple[Diagnostic, str]] = field(default_factory=list)


# -- applying ------------------------------------------------------------------------------
def _line_starts(source: str) -> list[int]:
    starts = [0]
    for m in LINE_END.finditer(source):
        starts.append(m.end())
    return starts


def _offset(starts: list[int], source: str, row: int, col: int) -> int:
    if row > len(starts):
        return len(source)
    return min(starts[row - 1] + col - 1, len(source))


def _is_import_text(content: str) -> bool:
    return content.lstrip().startswith(("import ", "from "))


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (1-based rows, 1-based code-point columns, end exclusive).

    Identical edits count once (two fixes may add the same import); insertions at the
    same point keep imports first, so a helper inserted there can use them.
    """
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
        key=lambda s: (s[0], s[1], not _is_import_text(s[2]), s[2]),
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


def _compiles(source: str, *, full: bool) -> bool:
    """``full`` also runs the compiler's checks the parser skips (``await`` outside
    ``async def``, ``return`` outside a function), so a fix cannot introduce those."""
    flags = 0 if full else ast.PyCF_ONLY_AST
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fix>", "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _span(edits: Sequence[Edit]) -> tuple[tuple[int, int], tuple[int, int]]:
    return min((e.row, e.col) for e in edits), max((e.end_row, e.end_col) for e in edits)


def _is_insertion(e: Edit) -> bool:
    return (e.row, e.col) == (e.end_row, e.end_col)


Position = tuple[int, int]


class _Spans:
    """Disjoint (start, end) spans, sorted: a new one is checked against its neighbour in
    O(log n), not against every span taken so far (a file with 10,000 fixes took seconds)."""

    def __init__(self) -> None:
        self.spans: list[tuple[Position, Position]] = []
        self.starts: list[Position] = []

    def add(self, span: tuple[Position, Position]) -> bool:
        """Take ``span`` unless it overlaps one taken (touching ends do not overlap; an
        empty span overlaps a span strictly around it)."""
        start, end = span
        # sorted by start, disjoint spans have sorted ends too: of those starting before
        # ``end``, the last reaches furthest
        i = bisect.bisect_left(self.starts, end)
        if i and self.spans[i - 1][1] > start:
            return False
        j = bisect.bisect_right(self.spans, span)
        self.spans.insert(j, span)
        self.starts.insert(j, start)
        return True


def apply_fixes(
    source: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False
) -> FixResult:
    """One pass: apply every applicable fix whose edits do not overlap an earlier one.

    Overlapping fixes wait for the next pass (``fix_source`` re-lints). The result must
    parse — and compile, if the original did; a fix that breaks that is dropped.
    """
    result = FixResult(source)
    chosen: list[Diagnostic] = []
    taken = _Spans()
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
        if not taken.add(span):
            continue  # applied on the next pass
        shared.update(e for e in fix.edits if _is_insertion(e))
        chosen.append(d)
    if not chosen:
        return result
    full = _compiles(source, full=True)
    candidate = _try_apply(source, chosen, full=full)
    if candidate is not None:
        result.source, result.applied = candidate, chosen
        return result
    # something breaks the code: find the culprits one by one against the original text
    good = []
    for d in chosen:
        if _try_apply(source, [d], full=full) is None:
            result.dropped.append((d, "result would not parse"))
        else:
            good.append(d)
    candidate = _try_apply(source, good, full=full) if good else None
    if candidate is None and good:
        good = good[:1]  # fixes that only break together: one now, the rest next pass
        candidate = _try_apply(source, good, full=full)
    if candidate is not None:
        result.source, result.applied = candidate, good
    return result


def _try_apply(source: str, chosen: Sequence[Diagnostic], *, full: bool) -> str | None:
    edits = [e for d in chosen for e in d.fix.edits]  # type: ignore[union-attr]
    try:
        fixed = apply_edits(source, edits)
    except ValueError:
        return None
    return fixed if _compiles(fixed, full=full) else None


def _fix_key(d: Diagnostic) -> tuple[str, tuple[str, ...]]:
    """Identifies a fix across passes, when earlier fixes have moved its position."""
    return d.code, tuple(e.content for e in d.fix.edits) if d.fix else ()


def fix_source(
    source: str,
    path: str,
    settings: Settings | None = None,
    *,
    unsafe: bool = False,
    max_passes: int = 8,
    lint: Callable[..., list[Diagnostic]] | None = None,
) -> FixResult:
    """Lint, apply, re-lint until nothing more applies (fixes can unlock each other).

    A file that does not parse is returned unchanged. ``applied`` holds the findings
    as reported in the pass that fixed them.
    """
    if lint is None:
        from gil_lint.engine.lint import lint_source

        lint = lint_source
    total = FixResult(source)
    current = source
    dropped: set[tuple[str, tuple[str, ...]]] = set()
    for _ in range(max_passes):
        diagnostics = lint(current, path, settings)
        if any(d.code == SYNTAX_ERROR for d in diagnostics):
            break  # never touch a file that does not parse
        candidates = [d for d in diagnostics if _fix_key(d) not in dropped]
        step = apply_fixes(current, candidates, unsafe=unsafe)
        total.unsafe_available = step.unsafe_available
        for d, reason in step.dropped:
            dropped.add(_fix_key(d))
            total.dropped.append((d, reason))
        if not step.applied:
            break
        total.applied += step.applied
        current = step.source
    total.source = current
    return total


# -- building -------------------------------------------------------------------------------
def newline_of(source: str) -> str:
    """The file's newline style (its first line ending), used for every inserted line."""
    m = LINE_END.search(source)
    return m.group(0) if m else "\n"


def _node_edit(ctx: ModuleContext, node: ast.AST, content: str) -> Edit:
    row, col, end_row, end_col = ctx.span(node)
    # ctx.segment joins lines with "\n": a multi-line replacement gets the file's own newlines
    nl = newline_of(ctx.source)
    if nl != "\n":
        content = LINE_END.sub(nl, content)
    return Edit(row, col, end_row, end_col, content)


def _render(expr: cst.BaseExpression) -> str:
    return cst.Module([]).code_for_node(expr)


def _segment(ctx: ModuleContext, node: ast.AST) -> str | None:
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
    text = _segment(ctx, node)
    if text is None:
        return None
    try:
        return cst.parse_expression(text)
    except Exception:  # libcst raises its own ParserSyntaxError and others
        return None


def _usable_global(ctx: ModuleContext, name: str) -> bool:
    """``name`` written at the reported node means the module-level binding (or nothing)."""
    return ctx.resolver.lookup(name, ctx.scope) is ctx.module_scope.bindings.get(name)


# module scope -> {qualname: the module-level names an import binds to it, in order}
_IMPORTS: weakref.WeakKeyDictionary[Scope, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def _imported_as(ctx: ModuleContext, qualname: str) -> list[str]:
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
    existing = _imported_as(ctx, module)
    if existing:
        return (existing[0], None) if _usable_global(ctx, existing[0]) else None
    if module in scope.bindings or not _usable_global(ctx, module):
        return None
    return module, _import_edit(ctx, f"import {module}")


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


def _insertion_row(ctx: ModuleContext) -> int:
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


def _import_edit(ctx: ModuleContext, statement: str) -> Edit:
    """Insert ``statement`` (one or more lines, no final newline) at the top insertion row."""
    nl = newline_of(ctx.source)
    row = _insertion_row(ctx)
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


def _fix(message: str, applicability: Applicability, *edits: Edit | None) -> Fix:
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
    name, import_edit = imported
    built = build(name, parsed)
    if built is None:
        return None
    inner = _render(built)
    return _fix(
        message, applicability, _node_edit(ctx, call, _await_text(ctx, call, inner)), import_edit
    )


def _attr(name: str, attr: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name(name), attr=cst.Name(attr))


def sleep_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL201: ``time.sleep(x)`` → ``await asyncio.sleep(x)``.

    Safe: it waits the same time, and lets other tasks run meanwhile.
    """
    if call.keywords or len(call.args) != 1 or isinstance(call.args[0], ast.Starred):
        return None
    library = async_library(ctx) or "asyncio"
    return replace_call_fix(
        ctx,
        call,
        message=f"Replace with `await {library}.sleep(...)`",
        applicability="safe",
        build=lambda aio, c: c.with_changes(func=_attr(aio, "sleep")),
        library=library,
    )


def _parenthesize_generators(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """``f(x for x in y)`` has the call's parentheses; as a second argument it needs its own."""
    out = []
    for arg in args:
        value = arg.value
        if isinstance(value, cst.GeneratorExp) and not value.lpar:
            arg = arg.with_changes(
                value=value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            )
        out.append(arg)
    return out


THREAD_AFFINE_METHODS = frozenset({"acquire", "release"})
# calls that return a lazy iterator: the blocking I/O runs as it is iterated, so offloading
# the call alone leaves the work on the event loop; the iteration must go to the thread
LAZY_ITERATORS = frozenset(
    {
        "os.walk",
        "os.fwalk",
        "os.scandir",
        "glob.iglob",
        "pathlib.Path.iterdir",
        "pathlib.Path.glob",
        "pathlib.Path.rglob",
        "pathlib.Path.walk",
    }
)
# the summaries' consumers for which a list is as good as the iterator (`next` needs an
# iterator; `dict` is left out)
_ITERATING_CALLS = CONSUMER_NAMES - {"next", "dict"}


def iterated_here(ctx: ModuleContext, call: ast.Call) -> bool:
    """``call`` is fully iterated where it stands: a ``for`` loop's or a comprehension's
    iterable, or the argument of ``list()``, ``sorted()`` and the like."""
    parent = ctx.parent(call)
    if isinstance(parent, (ast.For, ast.comprehension)):
        return parent.iter is call
    return (
        isinstance(parent, ast.Call)
        and parent.args == [call]
        and isinstance(parent.func, ast.Name)
        and parent.func.id in _ITERATING_CALLS
    )


def to_thread_fix(
    ctx: ModuleContext, call: ast.Call, applicability: Applicability, func_text: str | None = None
) -> Fix | None:
    """``f(a, k=v)`` → ``await asyncio.to_thread(f, a, k=v)``.

    The call's own whitespace and comments are kept; ``urlopen(u).read()`` becomes
    ``(await asyncio.to_thread(urlopen, u)).read()``. No fix for ``x.acquire()`` /
    ``x.release()``: many locks belong to the thread that holds them (``RLock``,
    filelock's ``FileLock``): released in another thread, this thread's lock stays held.
    """
    if isinstance(call.func, ast.Attribute) and call.func.attr in THREAD_AFFINE_METHODS:
        return None
    if func_text is None and ctx.call_name(call) in LAZY_ITERATORS:
        return _iterate_in_thread_fix(ctx, call, applicability)
    library = async_library(ctx) or "asyncio"
    # trio's and anyio's run_sync(fn, *args) take no keyword arguments for fn
    if library != "asyncio" and call.keywords:
        return None
    runner = THREAD_RUNNER[library]

    def build(aio: str, c: cst.Call) -> cst.BaseExpression:
        func = cst.parse_expression(func_text) if func_text else c.func
        first = cst.Arg(value=func)
        if isinstance(c.whitespace_before_args, cst.ParenthesizedWhitespace) and c.args:
            # one argument per line: the callable gets a line of its own, like the others
            # (not `f(\n    requests.get, u,\n    timeout=5,\n)`)
            layout = c.whitespace_before_args.with_changes(
                first_line=cst.TrailingWhitespace(), empty_lines=[]
            )
            first = first.with_changes(comma=cst.Comma(whitespace_after=layout))
        return c.with_changes(
            func=cst.parse_expression(f"{aio}.{runner}"),
            args=[first, *_parenthesize_generators(c.args)],
        )

    return replace_call_fix(
        ctx,
        call,
        message=f"Run it in a thread: `await {library}.{runner}(...)`",
        applicability=applicability,
        build=build,
        library=library,
    )


def _iterate_in_thread_fix(
    ctx: ModuleContext, call: ast.Call, applicability: Applicability
) -> Fix | None:
    """``for p in path.iterdir():`` → ``for p in await asyncio.to_thread(list,
    path.iterdir()):``, only where the iterator is consumed whole (a list will do)."""
    if not iterated_here(ctx, call):
        return None
    library = async_library(ctx) or "asyncio"
    runner = THREAD_RUNNER[library]

    def build(aio: str, c: cst.Call) -> cst.BaseExpression:
        return cst.parse_expression(f"{aio}.{runner}(list, {_render(c)})")

    return replace_call_fix(
        ctx,
        call,
        message=f"Iterate it in a thread: `await {library}.{runner}(list, ...)`",
        applicability=applicability,
        build=build,
        library=library,
    )


# keyword arguments of subprocess.run/call that mean the same to create_subprocess_exec
_SUBPROCESS_KEYWORDS = frozenset({"cwd", "env", "stdin", "stdout", "stderr"})
_STD_STREAMS = frozenset({"stdin", "stdout", "stderr"})


def subprocess_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL204, where mechanical: a statement ``subprocess.run([...])`` with a literal argv.

    → ``await (await asyncio.create_subprocess_exec(...)).wait()``. ``cwd``/``env`` carry
    over, streams only as ``DEVNULL``/``None`` (a PIPE nobody reads can deadlock
    ``wait()``); ``check=``, ``timeout=``, ``capture_output=`` and the like have no
    one-line equivalent, so no fix then.
    """
    if not isinstance(ctx.parent(call), ast.Expr) or len(call.args) != 1:
        return None
    if ctx.call_name(call) not in ("subprocess.run", "subprocess.call"):
        return None
    argv = call.args[0]
    if (
        not isinstance(argv, (ast.List, ast.Tuple))
        or not argv.elts
        or any(isinstance(e, ast.Starred) for e in argv.elts)
    ):
        return None
    keywords = []
    for kw in call.keywords:
        if kw.arg not in _SUBPROCESS_KEYWORDS:
            return None
        if kw.arg in _STD_STREAMS and not (
            (isinstance(kw.value, ast.Constant) and kw.value.value is None)
            or ctx.qualname(kw.value) in ("subprocess.DEVNULL", "asyncio.subprocess.DEVNULL")
        ):
            return None
        keywords.append(f"{kw.arg}={ctx.segment(kw.value)}")
    args = ", ".join([*(ctx.segment(e) for e in argv.elts), *keywords])

    def build(aio: str, c: cst.Call) -> cst.BaseExpression | None:
        try:
            return cst.parse_expression(f"(await {aio}.create_subprocess_exec({args})).wait()")
        except Exception:  # an element's text that is not an expression on its own
            return None

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
    (GIL403). Only where ``await`` is allowed: never in a sync function."""
    if not _await_allowed(ctx, node):
        return None
    text = _segment(ctx, inner if inner is not None else node)
    if text is None or _segment(ctx, node) is None:
        return None
    if inner is not None and isinstance(inner, (ast.NamedExpr, ast.Lambda, ast.IfExp)):
        text = f"({text})"  # `await x := y` does not parse; `await (x := y)` does
    return _fix(message, applicability, _node_edit(ctx, node, _await_text(ctx, node, text)))


_TASKS_SET = "_background_tasks"
_KEEP_TASK_FUNC = "_keep_task"
_KEEP_TASK = (
    f"{_TASKS_SET} = set()",
    "",
    "",
    f"def {_KEEP_TASK_FUNC}(task):",
    "    # the event loop holds tasks weakly: keep a reference until the task is done",
    f"    {_TASKS_SET}.add(task)",
    f"    task.add_done_callback({_TASKS_SET}.discard)",
    "    return task",
)


def keep_task_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL402: ``asyncio.create_task(c)`` → ``_keep_task(asyncio.create_task(c))``.

    The module-level helper (added once, after the imports) keeps the task in a set
    and discards it when done: the documented idiom for fire-and-forget tasks. Unsafe:
    the task now outlives a cancelled caller's reference until it finishes.
    """
    scope = ctx.module_scope
    helper = scope.bindings.get(_KEEP_TASK_FUNC)
    if helper is not None and helper.kind != "def":
        return None
    if helper is None and _TASKS_SET in scope.bindings:
        return None  # the set's name is taken by something else
    if not _usable_global(ctx, _KEEP_TASK_FUNC):
        return None
    text = _segment(ctx, call)
    if text is None:
        return None
    edits: list[Edit | None] = [_node_edit(ctx, call, f"{_KEEP_TASK_FUNC}({text})")]
    if helper is None:
        nl = newline_of(ctx.source)
        row = _insertion_row(ctx)
        following = ctx.lines[row - 1 : row + 1] if row <= len(ctx.lines) else []
        blank = 0
        for line in following:
            if line.strip():
                break
            blank += 1
        # two blank lines around a top-level def, counting those already below the imports
        after = nl * max(0, 2 - blank) if row <= len(ctx.lines) else ""
        edits.append(_import_edit(ctx, f"{nl}{nl}{nl.join(_KEEP_TASK)}{after}"))
    return _fix("Keep a reference to the task until it is done", "unsafe", *edits)


def _bound_names(stmt: ast.stmt) -> set[str]:
    names = {
        n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for n in ast.walk(stmt):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
    return names


def _used_names(stmt: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _starts_processes(ctx: ModuleContext, stmt: ast.stmt) -> bool:
    """The statement builds a process pool or a process (GIL301 would flag it too)."""
    k = ctx.knowledge
    for sub in ast.walk(stmt):
        if isinstance(sub, ast.Call):
            kind = ctx.resolver.call_result_type(sub, ctx.module_scope)
            if kind in k.process_pools or kind in k.process_starters:
                return True
    return False


def _is_main_guard(stmt: ast.stmt) -> bool:
    from gil_lint.rules.concurrency_apis import _is_main_test

    return isinstance(stmt, ast.If) and _is_main_test(stmt.test)


def _indent(line: str) -> str:
    """``line`` one level deeper. Python counts a line's indentation from the last form
    feed in it (``"   \\f x"`` is indented by one), so the spaces go after that."""
    if not line.strip():
        return line
    lead = len(line) - len(line.lstrip(" \t\f"))
    cut = line.rfind("\f", 0, lead) + 1
    return line[:cut] + "    " + line[cut:]


def main_guard_fix(ctx: ModuleContext, node: ast.AST) -> Fix | None:
    """GIL301: move the module-level statement under ``if __name__ == "__main__":``.

    The statements right after it that use what it binds (``pool = Pool()`` then
    ``pool.map(...)``) move with it: left outside, they would fail in the workers.
    Unsafe: names bound there are no longer module globals when the module is imported.
    """
    stmt = node
    while ctx.parent(stmt) is not ctx.tree:
        stmt = ctx.parent(stmt)  # type: ignore[assignment]
        if stmt is None:
            return None
    body = ctx.tree.body
    if not isinstance(stmt, ast.stmt) or stmt not in body:
        return None
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None
    group = [stmt]
    names = _bound_names(stmt)
    for nxt in body[body.index(stmt) + 1 :]:
        if isinstance(
            nxt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
        ) or _is_main_guard(nxt):
            break
        same_line = nxt.lineno <= (group[-1].end_lineno or group[-1].lineno)
        if not (same_line or _used_names(nxt) & names or _starts_processes(ctx, nxt)):
            break
        group.append(nxt)
        names |= _bound_names(nxt)
    first, last = stmt.lineno, group[-1].end_lineno or group[-1].lineno
    if stmt.col_offset != 0 or ctx.lines[first - 1][: stmt.col_offset].strip():
        return None
    # indenting a multi-line string would change its value
    for s in group:
        for sub in ast.walk(s):
            if isinstance(sub, (ast.Constant, ast.JoinedStr)) and (
                getattr(sub, "end_lineno", sub.lineno) != sub.lineno  # type: ignore[attr-defined]
            ):
                return None
    lines = ctx.lines[first - 1 : last]
    if lines[-1].rstrip().endswith("\\"):
        return None  # a continuation into the next statement
    nl = newline_of(ctx.source)
    indented = nl.join(_indent(line) for line in lines)
    content = f'if __name__ == "__main__":{nl}{indented}'
    edit = Edit(first, 1, last, len(ctx.lines[last - 1]) + 1, content)
    return _fix('Move it under `if __name__ == "__main__":`', "unsafe", edit)


_THREAD_ONLY_KEYWORDS = frozenset({"thread_name_prefix"})


def thread_pool_to_process_pool_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL101: ``ThreadPoolExecutor(...)`` → ``ProcessPoolExecutor(...)``, adding the import.

    ``call`` is the constructor itself, or a ``pool.submit/map`` call whose pool was built
    by one (then only when the submitted callable is a module-level function: it must be
    picklable). Unsafe: every callable and argument sent to the pool must then pickle, and
    the workers no longer share the caller's memory.
    """
    if ctx.qualname(call.func) == "concurrent.futures.ThreadPoolExecutor":
        ctor = call
    else:
        ctor = _pool_constructor(ctx, call)  # type: ignore[assignment]
        if ctor is None:
            return None
    if any(kw.arg is None or kw.arg in _THREAD_ONLY_KEYWORDS for kw in ctor.keywords):
        return None
    target = ctor.func
    import_edit = None
    if isinstance(target, ast.Attribute):
        replacement = f"{ctx.segment(target.value)}.ProcessPoolExecutor"
    else:
        existing = _imported_as(ctx, "concurrent.futures.ProcessPoolExecutor")
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


def _pool_constructor(ctx: ModuleContext, call: ast.Call) -> ast.Call | None:
    """The ``ThreadPoolExecutor(...)`` call that built the pool ``call`` submits to."""
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
    return ctor
