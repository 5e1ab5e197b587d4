"""What to run: ``PATH::function`` with a call, or the callable behind a finding.

For ``--finding CODE --line N`` the callable and its call are read from the code
with ``ast``: the ``target=`` of ``threading.Thread(...)``, the callable handed to
``executor.submit/map``, ``pool.map/apply``, ``asyncio.to_thread`` or
``loop.run_in_executor`` (GIL101, GIL303), or the enclosing ``async def`` (async
findings). The lint already decided that the line is a finding, so matching
by method name here is enough; name resolution is the engine's job.

A call can only be derived when its arguments mean the same at module level
(literals, module-level names): the call is evaluated in the module's namespace
in the sandbox. Otherwise the user is asked for ``--call``.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gil_lint.engine.knowledge import load_knowledge
from gil_lint.engine.lint import decode_source
from gil_lint.verify.report import VerifyError

KindHint = Literal["auto", "thread", "async"]

_FINDING_CODE = re.compile(r"GIL\d{3}")
_MAP_METHODS = frozenset({"map", "imap", "imap_unordered", "map_async"})
_STARMAP_METHODS = frozenset({"starmap", "starmap_async"})
_APPLY_METHODS = frozenset({"apply", "apply_async"})


@dataclass(frozen=True)
class Target:
    """A resolved request: which file, which function, which call, run how."""

    path: Path
    display_path: str
    function: str
    call: str | None  # None: ``function()``
    kind: KindHint
    finding: str | None = None
    line: int | None = None


def verifiable_findings() -> dict[str, str]:
    """Code -> how it is verified (``Rule.VERIFY``: "submission" or "coroutine").

    Imports every rule (~35 ms), so only a ``--finding`` request asks: that run then
    spends seconds measuring, and a plain ``PATH::function`` run never pays.
    """
    from gil_lint.rules import all_rules

    return {r.CODE: r.VERIFY for r in all_rules() if r.VERIFY is not None}


class _CannotDerive(Exception):
    """Why no call could be read from the finding's line (becomes a --call hint)."""


def split_target(text: str) -> tuple[str, str | None]:
    """``path.py::func`` → (``path.py``, ``func``); ``path.py`` → (``path.py``, None)."""
    path, sep, function = text.rpartition("::")
    return (path, function or None) if sep else (text, None)


def resolve_target(
    path: str,
    function: str | None = None,
    call: str | None = None,
    *,
    kind: KindHint = "auto",
    finding: str | None = None,
    line: int | None = None,
) -> Target:
    """Check the request and fill in what it leaves out; ``VerifyError`` when it cannot."""
    file = Path(path)
    if not file.is_file():
        raise VerifyError("bad-input", f"no such file: {path}")
    if function is not None and not function.isidentifier():
        raise VerifyError("bad-input", f"not a function name: {function!r}")
    if call is not None:
        callee = _callee_name(_parse_call(call))
        function = function or callee
    if finding is not None:
        finding = finding.upper()
        if not _FINDING_CODE.fullmatch(finding):
            raise VerifyError("bad-input", f"not a finding code: {finding!r} (like GIL101)")
        verifiable = verifiable_findings()
        if finding not in verifiable:
            codes = ", ".join(sorted(verifiable))
            raise VerifyError("bad-input", f"verify checks {codes} findings, not {finding}")
        if line is None:
            raise VerifyError("bad-input", "--finding needs --line N")
        if function is None:
            function, call, kind = _derive(file, path, finding, verifiable[finding], line, call)
    if function is None:
        raise VerifyError(
            "bad-input", f"what should run? use {path}::function or --finding CODE --line N"
        )
    return Target(file.resolve(), path, function, call, kind, finding, line)


def _parse_call(call: str) -> ast.expr:
    try:
        return ast.parse(call.strip(), mode="eval").body
    except SyntaxError as e:
        raise VerifyError("bad-input", f"--call is not a Python expression: {e.msg}") from None


def _callee_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        return expr.func.id
    return None


def _derive(
    file: Path, display: str, code: str, how: str, line: int, call: str | None
) -> tuple[str, str | None, KindHint]:
    """``how``: the rule's ``VERIFY``, what to time for its finding."""
    try:
        source = decode_source(file.read_bytes(), display)
        tree = ast.parse(source, filename=display)
    except (SyntaxError, ValueError) as e:
        raise VerifyError("bad-input", f"cannot parse {display}: {e}") from None
    except OSError as e:
        raise VerifyError("bad-input", f"cannot read {display}: {e.strerror or e}") from None
    if not 1 <= line <= len(source.splitlines()):
        raise VerifyError("bad-input", f"{display} has no line {line}")
    parsed = _ParsedFile(tree, source, _module_names(tree))
    where = f"{display}:{line}"
    try:
        if how == "submission":
            function, derived = _submitted_call(parsed, line)
            return function, call or derived, "thread"
        if code == "GIL206":
            # the CPU-bound call itself: threads vs processes shows what to offload to
            inline = _inline_call(parsed, line)
            if inline is not None:
                return inline[0], call or inline[1], "thread"
        return _enclosing_coroutine(tree, line), call, "async"
    except _CannotDerive as e:
        raise VerifyError(
            "bad-input", f"cannot derive a call for {code} at {where}: {e}; pass --call"
        ) from None


@dataclass(frozen=True)
class _ParsedFile:
    """The file a finding is in: its tree, its text, its module-level names."""

    tree: ast.Module
    source: str
    names: set[str]

    def code(self, node: ast.AST) -> str:
        """The node as written (``60_000`` stays ``60_000``)."""
        return ast.get_source_segment(self.source, node) or ast.unparse(node)


def _module_names(tree: ast.Module) -> set[str]:
    """Names bound at module level (what an expression evaluated there may use)."""
    names: set[str] = set(dir(builtins))
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).partition(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Try):  # optional imports: `try: import x except ...`
            statements.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                statements.extend(handler.body)
    return names


def _calls_on_line(tree: ast.Module, line: int) -> list[ast.Call]:
    """Calls spanning ``line``, those starting on it first, then the narrowest."""
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and n.lineno <= line <= (n.end_lineno or n.lineno)
    ]
    return sorted(calls, key=lambda c: (c.lineno != line, (c.end_lineno or 0) - c.lineno))


def _submitted_call(parsed: _ParsedFile, line: int) -> tuple[str, str]:
    for call in _calls_on_line(parsed.tree, line):
        submitted = _submission(call)
        if submitted is not None:
            return _render_call(parsed, *submitted)
    raise _CannotDerive("no Thread(target=...), submit, map, to_thread or run_in_executor there")


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _literal_items(expr: ast.expr | None, what: str) -> list[ast.expr]:
    if expr is None:
        return []
    if isinstance(expr, (ast.Tuple, ast.List)):
        return list(expr.elts)
    raise _CannotDerive(f"{what} `{ast.unparse(expr)}` is not a literal tuple")


def _literal_keywords(expr: ast.expr | None) -> list[ast.keyword]:
    if expr is None:
        return []
    if isinstance(expr, ast.Dict):
        keywords = [
            ast.keyword(arg=k.value, value=v)
            for k, v in zip(expr.keys, expr.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        ]
        if len(keywords) == len(expr.keys):
            return keywords
    raise _CannotDerive(f"keyword arguments `{ast.unparse(expr)}` are not a literal dict")


def _first_item(iterable: ast.expr) -> ast.expr:
    """One element of the mapped iterable: one call is what each worker runs."""
    seq = iterable.left if isinstance(iterable, ast.BinOp) else iterable  # [x] * n
    if isinstance(seq, (ast.List, ast.Tuple, ast.Set)) and seq.elts:
        first = seq.elts[0]
        if not isinstance(first, ast.Starred):
            return first
    raise _CannotDerive(f"cannot pick an item of `{ast.unparse(iterable)}`")


def _submission(call: ast.Call) -> tuple[ast.expr, list[ast.expr], list[ast.keyword]] | None:
    """(callable, args, keywords) if ``call`` hands a callable to a thread or pool."""
    func = call.func
    method = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    target = _keyword(call, "target")
    if target is None and method in ("Thread", "Process") and len(call.args) >= 2:
        target = call.args[1]
    if target is not None:
        args = _literal_items(_keyword(call, "args"), "args")
        return target, args, _literal_keywords(_keyword(call, "kwargs"))
    if method == "to_thread" and call.args:
        return call.args[0], call.args[1:], list(call.keywords)
    if method == "run_in_executor" and len(call.args) >= 2:
        return call.args[1], call.args[2:], []
    if not isinstance(func, ast.Attribute) or method not in load_knowledge().submit_methods:
        return None
    if not call.args:
        return None
    if method in _MAP_METHODS and len(call.args) >= 2:
        return call.args[0], [_first_item(call.args[1])], []
    if method in _STARMAP_METHODS and len(call.args) >= 2:
        return call.args[0], _literal_items(_first_item(call.args[1]), "item"), []
    if method in _APPLY_METHODS:
        args_expr = call.args[1] if len(call.args) > 1 else _keyword(call, "args")
        return call.args[0], _literal_items(args_expr, "args"), []
    return call.args[0], call.args[1:], list(call.keywords)


def _render_call(
    parsed: _ParsedFile, func: ast.expr, args: list[ast.expr], keywords: list[ast.keyword]
) -> tuple[str, str]:
    """``f``, ``f(args...)`` for a module-level ``f`` and module-level-safe arguments."""
    while (
        isinstance(func, ast.Call)
        and func.args
        and (
            getattr(func.func, "id", None) == "partial"
            or getattr(func.func, "attr", "") == "partial"
        )
    ):
        args = [*func.args[1:], *args]
        keywords = [*func.keywords, *keywords]
        func = func.args[0]
    if not isinstance(func, ast.Name) or func.id not in parsed.names:
        raise _CannotDerive(f"`{parsed.code(func)}` is not a module-level function")
    for node in [*args, *(kw.value for kw in keywords)]:
        local = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - parsed.names)
        if local:
            raise _CannotDerive(f"`{local[0]}` is not a module-level name")
    parts = [parsed.code(a) for a in args]
    parts += [
        f"{kw.arg}={parsed.code(kw.value)}" if kw.arg else f"**{parsed.code(kw.value)}"
        for kw in keywords
    ]
    return func.id, f"{func.id}({', '.join(parts)})"


def _inline_call(parsed: _ParsedFile, line: int) -> tuple[str, str] | None:
    """For GIL206: the call on the line to a module-level sync function, if portable."""
    sync_defs = {n.name for n in parsed.tree.body if isinstance(n, ast.FunctionDef)}
    for call in _calls_on_line(parsed.tree, line):
        if isinstance(call.func, ast.Name) and call.func.id in sync_defs:
            try:
                return _render_call(parsed, call.func, list(call.args), list(call.keywords))
            except _CannotDerive:
                continue
    return None


def _enclosing_coroutine(tree: ast.Module, line: int) -> str:
    """The module-level ``async def`` whose body holds ``line`` (innermost function wins)."""
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    # of the functions spanning the line, the one starting last is the innermost
    innermost = max(functions, key=lambda node: node.lineno, default=None)
    if not isinstance(innermost, ast.AsyncFunctionDef):
        raise _CannotDerive("the line is not inside an async def")
    if innermost not in tree.body:
        raise _CannotDerive(f"`{innermost.name}` is not a module-level async def")
    return innermost.name
