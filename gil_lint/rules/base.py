"""The base class every rule derives from: metadata, examples, and ``report``."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from gil_lint.diagnostics import Applicability, Evidence, Fix, Severity
from gil_lint.engine.context import ModuleContext


@dataclass(frozen=True)
class Example:
    """An INVALID example and the range its one finding must underline.

    ``at`` is ``"row:col-end_row:end_col"`` as the JSON output reports it: rows
    and columns 1-based, the end exclusive (``"3:5-3:18"`` is ``time.sleep(1)``
    indented by four). It lives beside the code, not in it, so the code stays
    what a reader of the rule sees. ``fixed`` is the expected source after the
    fix, if the rule has one.
    """

    code: str
    at: str = field(kw_only=True)
    fixed: str | None = None
    unsafe: bool = False

    @property
    def span(self) -> tuple[int, int, int, int]:
        """``at`` as (row, col, end_row, end_col); ValueError if it is malformed."""
        start, _, end = self.at.partition("-")
        row, _, col = start.partition(":")
        end_row, _, end_col = end.partition(":")
        return int(row), int(col), int(end_row), int(end_col)


class Rule:
    """One rule: a docstring in ruff's shape, metadata, examples and node handlers.

    Handlers are methods named ``visit_<ast node class>`` (``visit_Call``,
    ``visit_With`` ...). The engine walks each module once and calls every
    enabled rule's handler for each node; ``self.ctx.scope`` is the scope the
    node is in. ``finish()`` runs after the walk for whole-module checks.
    """

    CODE: ClassVar[str]
    NAME: ClassVar[str]
    # what it flags in a few words: the README's rule table is generated from it
    BRIEF: ClassVar[str]
    MESSAGE: ClassVar[str]
    SEVERITY: ClassVar[Severity] = "warning"
    FIX: ClassVar[Applicability | None] = None
    # False: an opt-in rule, run only when a selector names its code (`extend-select =
    # ["GIL208"]`); the default `select = ["GIL"]` leaves it out.
    DEFAULT: ClassVar[bool] = True
    # The file is analysed for this rule only if one of these byte strings occurs in it.
    TRIGGERS: ClassVar[tuple[bytes, ...]] = ()
    # What `gil-lint verify` times for a finding: "submission", the callable handed to a
    # thread or pool; "coroutine", the enclosing `async def`. None: not measurable.
    VERIFY: ClassVar[Literal["submission", "coroutine"] | None] = None
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str | Example]] = []

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    def report(
        self,
        node: ast.AST,
        message: str | None = None,
        *,
        fix: Fix | None = None,
        evidence: Iterable[Evidence] = (),
        **fmt: object,
    ) -> None:
        text = message if message is not None else self.MESSAGE.format(**fmt)
        self.ctx.report(self, node, text, fix=fix, evidence=evidence)

    def finish(self) -> None:
        """Called once after the walk."""

    @classmethod
    def docs(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The first sentence under "What it does", for tables."""
        text = cls.docs()
        marker = "## What it does"
        if marker in text:
            text = text.split(marker, 1)[1]
        para = text.strip().split("\n\n", 1)[0]
        return " ".join(para.split())
