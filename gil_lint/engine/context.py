"""One parsed module as the rules see it: tree, scopes, resolver, positions, reports."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from gil_lint.diagnostics import Diagnostic, Evidence, Fix, Severity
from gil_lint.engine.callers import command_line_reach, steps_in
from gil_lint.engine.knowledge import span_suppresses
from gil_lint.engine.lifecycle import Lifecycle, lifecycle
from gil_lint.engine.project import ModuleInfo, Project
from gil_lint.engine.scopes import Resolver, Scope
from gil_lint.engine.summaries import (
    CONSUMERS,
    PASS_THROUGH,
    CallShape,
    Step,
    Summaries,
    Summary,
)
from gil_lint.text import split_lines

if TYPE_CHECKING:
    from gil_lint.config import Settings
    from gil_lint.engine.knowledge import Knowledge


class Reporter(Protocol):
    """What a finding needs of the rule that reports it (``rules.base.Rule`` has these):
    the engine does not depend on the rules layer above it."""

    @property
    def CODE(self) -> str: ...
    @property
    def NAME(self) -> str: ...
    @property
    def SEVERITY(self) -> Severity: ...


class ModuleContext:
    """Everything a rule may ask about the module being linted."""

    def __init__(
        self,
        *,
        path: str,
        source: str,
        tree: ast.Module,
        module_name: str,
        scopes: dict[ast.AST, Scope],
        knowledge: Knowledge,
        settings: Settings,
        project: object | None = None,
    ) -> None:
        self.path = path
        self.source = source
        self.tree = tree
        self.module_name = module_name
        self.scopes = scopes
        self.module_scope = scopes[tree]
        self.knowledge = knowledge
        self.settings = settings
        self.project = project
        self.resolver = Resolver(scopes, self.module_scope, knowledge)
        self.diagnostics: list[Diagnostic] = []
        # maintained by the walker
        self.scope: Scope = self.module_scope
        self.parents: dict[ast.AST, ast.AST] = {}
        self._lines: list[str] | None = None
        self._summaries: Summaries | None = None
        # per-module memo shared by rules (e.g. "what does this call submit?")
        self.cache: dict[str, Any] = {}
        self._module_info: ModuleInfo | None = None
        self._lifecycle: Lifecycle | None = None

    # -- cross-function analysis ------------------------------------------------------
    @property
    def module_info(self) -> ModuleInfo:
        if self._module_info is None:
            self._module_info = ModuleInfo(
                self.module_name, self.path, self.tree, self.scopes, self.resolver
            )
            if isinstance(self.project, Project):
                self.project.register(self._module_info)
        return self._module_info

    @property
    def summaries(self) -> Summaries:
        """Function summaries, created on first use (most files never need them)."""
        if self._summaries is None:
            project = self.project if isinstance(self.project, Project) else None
            if project is None:
                project = Project(self.knowledge)
                self.project = project
            self._summaries = Summaries(
                project,
                self.knowledge,
                min_loop_iterations=self.settings.cpu_loop_min_iterations,
            )
            _ = self.module_info
        return self._summaries

    def summary_of(
        self,
        func: ast.expr,
        scope: Scope | None = None,
        calls: Sequence[CallShape] | None = None,
    ) -> Summary | None:
        """The summary of the callable ``func``; ``calls``: the arguments it is called with,
        when known (they size its loops)."""
        return self.summaries.of_expression(func, scope or self.scope, self.module_info, calls)

    def summary_at(self, call: ast.Call) -> Summary | None:
        """The summary of what ``call`` runs, with its arguments."""
        return self.summary_of(call.func, None, [(call.args, call.keywords)])

    @property
    def lifecycle(self) -> Lifecycle:
        """Which functions of the module run once, at start-up or at shutdown
        (engine/lifecycle.py); worked out on first use."""
        if self._lifecycle is None:
            self._lifecycle = lifecycle(self.tree, self.scopes, self.resolver, self.knowledge)
        return self._lifecycle

    # -- source positions ------------------------------------------------------------
    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = split_lines(self.source)
        return self._lines

    def suppressed(self, code: str, first: int, last: int) -> bool:
        """A ``# noqa`` (or a peer's code, a type checker's ignore) for ``code`` on line
        ``first`` or ``last``: what the engine filters a finding spanning them by."""
        return span_suppresses(self.lines, code, first, last)

    def char_col(self, row: int, byte_col: int) -> int:
        """ast's UTF-8 byte offset → a 1-based code-point column."""
        lines = self.lines
        if not 1 <= row <= len(lines):
            return 1
        line = lines[row - 1]
        if line.isascii():
            return min(byte_col, len(line)) + 1
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace")) + 1

    def evidence_at(self, node: ast.expr | ast.stmt, text: str) -> Evidence:
        """``text (file.py:row)`` as Evidence at ``node``'s line and column in this file."""
        row = node.lineno
        col = self.char_col(row, node.col_offset)
        return Evidence(f"{text} ({os.path.basename(self.path)}:{row})", self.path, row, col)

    def join_evidence(self, index: int, evidence: Evidence, message: str | None = None) -> None:
        """Add ``evidence`` (another place of the same root cause) to the finding at
        ``index`` of :attr:`diagnostics`, and give it ``message`` if one is given."""
        found = self.diagnostics[index]
        self.diagnostics[index] = replace(
            found,
            evidence=(*found.evidence, evidence),
            message=found.message if message is None else message,
        )

    def evidence(self, step: Step, message: str | None = None) -> Evidence:
        """A summary's step as Evidence at the step's own line and column.

        The byte offset becomes a code-point column exactly in this file; another file's
        text is not at hand, so there the offset counts bytes (the same unless non-ASCII
        text precedes the node on its line).
        """
        here = os.path.abspath(step.path) == os.path.abspath(self.path)
        col = self.char_col(step.row, step.col_offset) if here else step.col_offset + 1
        return Evidence(step.message if message is None else message, step.path, step.row, col)

    def span(self, node: ast.AST) -> tuple[int, int, int, int]:
        row = node.lineno  # type: ignore[attr-defined]
        end_row = getattr(node, "end_lineno", None) or row
        col = self.char_col(row, node.col_offset)  # type: ignore[attr-defined]
        end_col_b = getattr(node, "end_col_offset", None)
        end_col = self.char_col(end_row, end_col_b) if end_col_b is not None else col
        return row, col, end_row, end_col

    def segment(self, node: ast.AST) -> str:
        """The source text of ``node`` (``ast.get_source_segment`` re-splits the file per call)."""
        try:
            row, col, end_row, end_col = self.span(node)
        except AttributeError:
            return ""
        lines = self.lines
        if not (1 <= row <= end_row <= len(lines)):
            return ""
        if row == end_row:
            return lines[row - 1][col - 1 : end_col - 1]
        first = lines[row - 1][col - 1 :]
        middle = lines[row : end_row - 1]
        last = lines[end_row - 1][: end_col - 1]
        return "\n".join([first, *middle, last])

    # -- resolution shortcuts --------------------------------------------------------------
    def qualname(self, expr: ast.expr, scope: Scope | None = None) -> str | None:
        return self.resolver.qualname(expr, scope or self.scope)

    def call_name(self, call: ast.Call, scope: Scope | None = None) -> str | None:
        return self.resolver.qualname(call.func, scope or self.scope)

    @property
    def steps_coroutines(self) -> bool:
        """The module runs its coroutines itself, with no event loop: it steps them with
        ``coro.send(None)`` and takes the result from ``StopIteration`` (gel's blocking
        client writes its I/O once, as coroutines, and drives them synchronously). Its
        ``async def`` code blocks nobody else."""
        found = self.cache.get("steps_coroutines")
        if found is None:
            found = self.cache["steps_coroutines"] = (
                ".send(None)" in self.source
                and any(
                    steps_in(node, _sends_none)
                    for node in ast.walk(self.tree)
                    if isinstance(node, ast.Try)
                )
            ) or self._driven_by_package()
        return bool(found)

    def _driven_by_package(self) -> bool:
        """The module imports no event-loop library and its package steps coroutines by
        hand (``engine/callers.py``, ``drives_coroutines``): ESPHome's components'
        ``to_code`` coroutines run one after another on its code generator's
        ``FakeEventLoop``, where nothing else waits."""
        project = self.project
        if not isinstance(project, Project) or "async def" not in self.source:
            return False
        loops = self.knowledge.loop_libraries
        if self.module_name.partition(".")[0] in loops:
            return False  # asyncio's own modules (its tasks step coroutines by hand)
        for scope in self.scopes.values():
            for binding in scope.bindings.values():
                if binding.kind != "import":
                    continue
                top = (binding.qualname or "").partition(".")[0]
                if top in loops or top.startswith("aio"):
                    return False
        return command_line_reach(project).drives_coroutines(self.path)

    def in_async(self, scope: Scope | None = None) -> bool:
        """Whether code here runs on the event loop: the innermost function is ``async def``.

        A stack, not a flag: a sync ``def`` or a ``lambda`` nested in ``async def``
        is not async; class bodies and comprehensions run in their enclosing function.
        """
        s: Scope | None = scope or self.scope
        while s is not None:
            if s.kind in ("function", "lambda"):
                return s.is_async and not self.steps_coroutines
            if s.kind == "module":
                return False
            s = s.parent
        return False

    def enclosing_function(self, scope: Scope | None = None) -> Scope | None:
        return (scope or self.scope).function()

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def is_awaited(self, node: ast.expr) -> bool:
        """Directly awaited, or the subject of ``async with`` / ``async for``."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.Await):
            return True
        if isinstance(parent, ast.withitem):
            return isinstance(self.parents.get(parent), ast.AsyncWith)
        return isinstance(parent, ast.AsyncFor) and parent.iter is node

    def consumed_as(self, node: ast.Call) -> str | None:
        """How a call's result is used at once: iterated (``for x in f()``,
        ``list(f())``: "iter") or entered (``with f():``: "with"). A generator
        function's body runs only then."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.withitem) and parent.context_expr is node:
            return "with" if isinstance(self.parents.get(parent), ast.With) else None
        if isinstance(parent, ast.For) and parent.iter is node:
            return "iter"
        if isinstance(parent, ast.comprehension) and parent.iter is node and not parent.is_async:
            return "iter"
        if isinstance(parent, ast.Call) and node in parent.args:
            func = parent.func
            name = self.call_name(parent) if isinstance(func, ast.Name) else None
            if name in CONSUMERS or (
                isinstance(func, ast.Attribute) and func.attr in ("join", "extend")
            ):
                return "iter"
            if name in PASS_THROUGH:  # `for i, x in enumerate(gen())`
                return "iter" if self.consumed_as(parent) == "iter" else None
        return None

    def is_module_level(self, scope: Scope | None = None) -> bool:
        return (scope or self.scope).kind == "module"

    # -- reporting ---------------------------------------------------------------------
    def report(
        self,
        rule: Reporter,
        node: ast.AST,
        message: str,
        *,
        fix: Fix | None = None,
        evidence: Iterable[Evidence] = (),
    ) -> None:
        row, col, end_row, end_col = self.span(node)
        self.diagnostics.append(
            Diagnostic(
                code=rule.CODE,
                name=rule.NAME,
                message=message,
                path=self.path,
                row=row,
                col=col,
                end_row=end_row,
                end_col=end_col,
                severity=rule.SEVERITY,
                fix=fix,
                evidence=tuple(evidence),
            )
        )


def _sends_none(call: ast.Call) -> bool:
    """``coro.send(None)``: one step of a coroutine."""
    return (
        isinstance(call.func, ast.Attribute)
        and call.func.attr == "send"
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and call.args[0].value is None
    )
