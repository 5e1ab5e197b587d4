"""``lint_source``: the one entry point from source text to diagnostics.

Pipeline, cheapest first (see the performance issue): a byte pre-scan decides
which rules can fire at all (most files hold no concurrency code and stop
here); then ``ast.parse``; one scope pass; one walk that calls every enabled
rule's handlers; then ``# noqa`` and per-file ignores.
"""

from __future__ import annotations

import ast
import functools
import io
import os
import tokenize
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gil_lint.config import Settings, format_size
from gil_lint.diagnostics import (
    FILE_ERROR,
    INTERNAL_ERROR,
    SYNTAX_ERROR,
    Diagnostic,
)
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.knowledge import load_knowledge, span_suppresses
from gil_lint.engine.project import Project, project_for
from gil_lint.engine.runtimes import outside_browser_code
from gil_lint.engine.scopes import (
    LEAVES,
    ScopeBuilder,
    child_fields,
    module_name_for,
    release_scopes,
)
from gil_lint.rules import Rule, all_rules
from gil_lint.text import FILE_NOQA, split_lines

_ENGINE_NAMES = {
    SYNTAX_ERROR: "syntax-error",
    FILE_ERROR: "file-error",
    INTERNAL_ERROR: "internal-error",
}

# ast nodes whose children are scope nodes handled specially by the walker
_SCOPE_NODES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


_SCOPE_TYPES = frozenset(_SCOPE_NODES)


def engine_diagnostic(
    code: str, message: str, path: str, row: int = 1, col: int = 1, end_col: int | None = None
) -> Diagnostic:
    return Diagnostic(
        code=code,
        name=_ENGINE_NAMES[code],
        message=message,
        path=path,
        row=row,
        col=col,
        end_row=row,
        end_col=end_col if end_col is not None else col,
        severity="error",
    )


class UndecodableSource(ValueError):
    """Bytes that the file's encoding cannot decode, at a 1-based line and column."""

    def __init__(self, message: str, row: int, col: int) -> None:
        super().__init__(message)
        self.row, self.col = row, col


def _decode_error(encoding: str, e: UnicodeDecodeError) -> UndecodableSource:
    """Where the decoder stopped, as line and column: a byte offset means nothing in an editor."""
    # the bytes the codec saw: utf-8-sig has already dropped the BOM
    before = e.object[: e.start]
    line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    row = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    # the line's text up to the bad byte decoded, so the column counts characters
    prefix = before[line_start:].decode(encoding, errors="replace")
    if row == 1:
        prefix = prefix.removeprefix("\ufeff")
    col = len(prefix) + 1
    bad = e.object[e.start : e.end]
    what = f"byte{'s' if len(bad) > 1 else ''} {bad.hex(' ')}"
    return UndecodableSource(
        f"cannot decode as {encoding} at line {row}, column {col}: {e.reason} ({what})",
        row,
        col,
    )


def decode_source(data: bytes, path: str) -> str:
    """Decode like Python does (BOM, PEP 263 cookie); raise ValueError with a reason
    (an ``UndecodableSource`` with its position for bytes the encoding rejects)."""
    if b"\x00" in data:
        raise ValueError("file contains NUL bytes (binary file?)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        # raised for undecodable bytes in the first two lines, where a cookie may be
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise _decode_error("utf-8", bad) from None
        raise ValueError(str(e)) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise _decode_error(encoding, e) from None
    except LookupError as e:
        raise ValueError(f"cannot decode as {encoding}: {e}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


@functools.lru_cache(maxsize=64)
def _all_triggers(rules: tuple[type[Rule], ...]) -> frozenset[bytes]:
    return frozenset(t for r in rules for t in r.TRIGGERS)


@functools.lru_cache(maxsize=64)
def enabled_rules(settings: Settings) -> tuple[type[Rule], ...]:
    """The rules ``settings`` select (asked once per settings, not once per file)."""
    return tuple(r for r in all_rules() if settings.is_enabled(r.CODE, opt_in=not r.DEFAULT))


def lint_source(
    source: str | bytes,
    path: str,
    settings: Settings | None = None,
    *,
    rules: Sequence[type[Rule]] | None = None,
    project: object | None = None,
    module_name: str | None = None,
    prescan: bool = True,
) -> list[Diagnostic]:
    """Lint one module's source. Never raises: problems become engine diagnostics.

    ``prescan=False`` runs every rule on every file (the tests use it to show the
    byte pre-scan never hides a finding).
    """
    settings = settings or Settings()
    rules = enabled_rules(settings) if rules is None else tuple(rules)
    if isinstance(source, bytes):
        data = source
        try:
            text = decode_source(source, path)
        except UndecodableSource as e:
            message = f"cannot lint: {e}"
            return [engine_diagnostic(FILE_ERROR, message, path, e.row, e.col, e.col + 1)]
        except ValueError as e:
            return [engine_diagnostic(FILE_ERROR, f"cannot lint: {e}", path)]
    else:
        text = source
        data = source.encode("utf-8", errors="surrogatepass")

    if FILE_NOQA.search(data):
        return []
    if prescan:
        present = {t for t in _all_triggers(rules) if t in data}
        active = [r for r in rules if not present.isdisjoint(r.TRIGGERS)]
    else:
        active = list(rules)
    # A rule whose every finding the file's ignores would drop (the performance rules in
    # test code, `per-file-ignores`) is not run: most of a test suite is parsed for its
    # correctness rules alone, and the performance rules (summaries, fixes) cost the most.
    if settings.test_code_ignore or settings.per_file_ignores:
        ignored = settings.ignored_codes([r.CODE for r in active], path)
        if ignored:
            active = [r for r in active if r.CODE not in ignored]
    if not active:
        return []
    if settings.max_file_size and len(data) > settings.max_file_size:
        # only files that need parsing: a big data module with no concurrency code is fine
        size, limit = format_size(len(data)), format_size(settings.max_file_size)
        message = (
            f"not linted: the file is {size}, over max-file-size ({limit}); "
            "raise [tool.gil-lint] max-file-size (0 = no limit) to lint it"
        )
        return [engine_diagnostic(FILE_ERROR, message, path)]

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc.
            tree = ast.parse(text, filename=path, type_comments=False)
    except SyntaxError as e:
        return [_syntax_error(e, path, text)]
    except (ValueError, MemoryError, RecursionError) as e:
        # ast.parse raises ValueError for NUL bytes, MemoryError/RecursionError when
        # nesting is too deep for the parser
        msg = "too deeply nested to parse" if not isinstance(e, ValueError) else str(e)
        return [engine_diagnostic(SYNTAX_ERROR, f"SyntaxError: {msg}", path)]

    try:
        diagnostics = _run_rules(
            tree, text, path, settings, active, project, module_name or module_name_for(path)
        )
    except RecursionError:
        return [
            engine_diagnostic(
                INTERNAL_ERROR, "internal error: expression nested too deeply to analyse", path
            )
        ]
    except Exception as e:  # an engine bug outside any one rule: this file only, never the run
        message = f"internal error: {type(e).__name__}: {e} ({_where(e)}); please report it"
        return [engine_diagnostic(INTERNAL_ERROR, message, path)]
    diagnostics = outside_browser_code(diagnostics, tree, path, text)
    return _apply_suppressions(diagnostics, text, settings, path)


def _syntax_error(e: SyntaxError, path: str, text: str) -> Diagnostic:
    row = e.lineno or 1
    col = e.offset or 1
    lines = text.splitlines()
    if row > len(lines) + 1:
        row = max(len(lines), 1)
    return engine_diagnostic(SYNTAX_ERROR, f"SyntaxError: {e.msg}", path, row, max(col, 1))


def _run_rules(
    tree: ast.Module,
    text: str,
    path: str,
    settings: Settings,
    active: Sequence[type[Rule]],
    project: object | None,
    module_name: str,
) -> list[Diagnostic]:
    knowledge = load_knowledge(settings.knowledge)
    if project is None:
        project = project_for(settings.project_root, knowledge)
    is_package = path.endswith("__init__.py")
    lines = split_lines(text)
    scopes = ScopeBuilder(module_name, is_package, lines).build(tree)
    ctx = ModuleContext(
        path=path,
        source=text,
        tree=tree,
        module_name=module_name,
        scopes=scopes,
        knowledge=knowledge,
        settings=settings,
        project=project,
    )
    ctx._lines = lines
    instances = [r(ctx) for r in active]
    # by node class: the lookup runs for every node of the tree
    handlers: dict[type, list[tuple[Rule, Callable[[ast.AST], None]]]] = {}
    for inst in instances:
        for attr in dir(type(inst)):
            node_class = getattr(ast, attr[6:], None) if attr.startswith("visit_") else None
            if isinstance(node_class, type):
                handlers.setdefault(node_class, []).append((inst, getattr(inst, attr)))
    failed: dict[str, str] = {}
    _walk(tree, ctx, handlers, failed)
    ctx.scope = ctx.module_scope
    for inst in instances:
        if inst.CODE in failed:
            continue
        try:
            inst.finish()
        except Exception as e:
            failed[inst.CODE] = _describe_crash(inst, e, tree)
    if ctx._module_info is not None and isinstance(ctx.project, Project):
        ctx.project.release(ctx._module_info)
    release_scopes(scopes)
    out = list(ctx.diagnostics)
    for code, message in failed.items():
        out = [d for d in out if d.code != code]
        out.append(engine_diagnostic(INTERNAL_ERROR, message, path))
    return out


def _where(e: Exception) -> str:
    """``file.py:123`` of the innermost frame that raised ``e``."""
    frame = traceback.extract_tb(e.__traceback__)[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"


def _describe_crash(rule: Rule, e: Exception, node: ast.AST) -> str:
    line = getattr(node, "lineno", "?")
    return (
        f"internal error in {rule.CODE} at line {line}: {type(e).__name__}: {e} ({_where(e)}); "
        "please report it"
    )


def _walk(
    tree: ast.Module,
    ctx: ModuleContext,
    handlers: dict[type, list[tuple[Rule, Callable[[ast.AST], None]]]],
    failed: dict[str, str],
) -> None:
    """Pre-order walk that calls each node's handlers with ``ctx.scope`` and ``ctx.parents``
    current (a rule that raised is recorded in ``failed`` and not called again).

    Iterative, so deeply nested code cannot exhaust the Python stack here, and
    written for speed: it runs over every node of every analysed file, and most nodes
    (names, constants, attributes) have no handler, so the handlers are called from the
    loop itself rather than through a generator resumed for every node.
    """
    scopes = ctx.scopes
    parents = ctx.parents
    stack: list[tuple[ast.AST, object]] = [(tree, ctx.module_scope)]
    pop = stack.pop
    push = stack.append
    AST = ast.AST
    scope_types = _SCOPE_TYPES
    child_fields = _CHILD_FIELDS
    handlers_for = handlers.get
    # nodes with nothing under them and no handler (names, constants: half of a tree) get
    # their parent recorded but are not pushed
    leaves = LEAVES.difference(handlers)
    while stack:
        node, scope = pop()
        cls = node.__class__
        todo = handlers_for(cls)
        if todo is not None:
            ctx.scope = scope  # type: ignore[assignment]
            for inst, handler in todo:
                if inst.CODE in failed:
                    continue
                try:
                    handler(node)
                except RecursionError:
                    raise
                except Exception as e:  # a rule bug must never end the run
                    failed[inst.CODE] = _describe_crash(inst, e, node)
        if cls in scope_types:
            children = _scope_children(node, scope, scopes[node])
            for child, _ in children:
                parents[child] = node
            stack.extend(reversed(children))
            continue
        fields = child_fields.get(cls)
        if fields is None:
            fields = _child_fields(cls)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in reversed(value):
                    if isinstance(item, AST):
                        parents[item] = node
                        if item.__class__ not in leaves:
                            push((item, scope))
            elif isinstance(value, AST):
                parents[value] = node
                if value.__class__ not in leaves:
                    push((value, scope))


# per node class, the scope builder's child_fields last first (the walk pushes on a stack)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS[cls] = child_fields(cls)[::-1]
    return fields


def _scope_children(node: ast.AST, outer: object, inner: object) -> list[tuple[ast.AST, object]]:
    out: list[tuple[ast.AST, object]] = []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        out += [(d, outer) for d in node.decorator_list]
        out += [(d, outer) for d in node.args.defaults]
        out += [(d, outer) for d in node.args.kw_defaults if d is not None]
        out.append((node.args, inner))
        if node.returns is not None:
            out.append((node.returns, outer))
        out += [(s, inner) for s in node.body]
    elif isinstance(node, ast.Lambda):
        out += [(d, outer) for d in node.args.defaults]
        out += [(d, outer) for d in node.args.kw_defaults if d is not None]
        out.append((node.body, inner))
    elif isinstance(node, ast.ClassDef):
        out += [(d, outer) for d in node.decorator_list]
        out += [(b, outer) for b in node.bases]
        out += [(k, outer) for k in node.keywords]
        out += [(s, inner) for s in node.body]
    else:  # comprehensions
        gens = node.generators  # type: ignore[attr-defined]
        for i, gen in enumerate(gens):
            out.append((gen, outer if i == 0 else inner))
        if isinstance(node, ast.DictComp):
            out += [(node.key, inner), (node.value, inner)]
        else:
            out.append((node.elt, inner))  # type: ignore[attr-defined]
    return out


def _apply_suppressions(
    diagnostics: list[Diagnostic], text: str, settings: Settings, path: str
) -> list[Diagnostic]:
    if not diagnostics:
        return diagnostics
    lines = None
    out = []
    for d in diagnostics:
        if d.code not in _ENGINE_NAMES and settings.ignored_for_file(d.code, path):
            continue
        if d.code != INTERNAL_ERROR:
            if lines is None:
                lines = split_lines(text)
            if _suppressed(d, lines):
                continue
        out.append(d)
    out.sort(key=lambda d: (d.row, d.col, d.code))
    return out


def _suppressed(d: Diagnostic, lines: list[str]) -> bool:
    """A comment on the first or last line of the reported range suppresses the finding
    (``# noqa``, a peer's code, a type checker's ignore)."""
    return span_suppresses(lines, d.code, d.row, d.end_row)


def read_and_lint(
    path: str,
    settings: Settings,
    rules: Sequence[type[Rule]] | None = None,
    project: object | None = None,
) -> list[Diagnostic]:
    """Read a file from disk and lint it; read errors become a GIL002 diagnostic."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return [engine_diagnostic(FILE_ERROR, f"cannot read file: {e.strerror or e}", path)]
    return lint_source(data, path, settings, rules=rules, project=project)


@dataclass(frozen=True)
class LintResult:
    """A file's findings and the other modules they were drawn from (helpers whose
    summaries were used), as ``(path, size, mtime_ns)`` when read: the findings hold
    only while those files are unchanged. The CLI's cache and the server's re-lint of
    dependent documents both key on ``dependencies``."""

    diagnostics: list[Diagnostic]
    dependencies: tuple[tuple[str, int, int], ...]


def lint_with_dependencies(
    source: str | bytes,
    path: str,
    settings: Settings,
    *,
    overlays: dict[str, str] | None = None,
) -> LintResult:
    """Lint one module with the process's shared project index and record what else it
    read. ``overlays`` are an editor's open buffers (absolute path -> text), read instead
    of the files on disk."""
    project = project_for(settings.project_root, load_knowledge(settings.knowledge))
    if overlays is not None:
        project.overlays = overlays
    project.accessed.clear()
    diagnostics = lint_source(source, path, settings, project=project)
    own = os.path.abspath(path)
    dependencies = tuple(sorted(d for d in project.accessed if os.path.abspath(d[0]) != own))
    return LintResult(diagnostics, dependencies)
