"""Shared logic of the "blocking call inside ``async def``" rules (GIL201–GIL205, GIL207)."""

from __future__ import annotations

import ast
from typing import ClassVar

from gil_lint.rules.base import Rule


def display_name(qualname: str) -> str:
    return qualname.removeprefix("builtins.")


class BlockingCallRule(Rule):
    """Reports calls whose qualified name is in one blocking category, made on the event loop."""

    CATEGORY: ClassVar[str]
    ADVICE: ClassVar[str]
    TRIGGERS = (b"async",)
    MESSAGE = "`{call}` blocks the event loop inside `async def {function}`; {advice}"

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if not ctx.in_async() or ctx.is_awaited(node):
            return
        name = ctx.call_name(node)
        if name is None or ctx.knowledge.blocking_category(name) != self.CATEGORY:
            return
        if not self.blocks(node, name) or self._receiver_reported(node):
            return
        self.report_blocking(node, name)

    def _receiver_reported(self, node: ast.Call) -> bool:
        """``Popen(...).wait()``: the inner call is reported already; once is enough."""
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            inner = self.ctx.call_name(func.value)
            return inner is not None and self.ctx.knowledge.blocking_category(inner) == self.CATEGORY
        return False

    def blocks(self, node: ast.Call, name: str) -> bool:
        """Hook for rules where some argument forms do not block."""
        return True

    def report_blocking(self, node: ast.AST, name: str) -> None:
        function = self.ctx.enclosing_function()
        fname = function.qualname.rpartition(".")[2] if function else "?"
        self.report(
            node,
            call=display_name(name),
            function=fname,
            advice=self.ADVICE.format(call=display_name(name)),
        )
