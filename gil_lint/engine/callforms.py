"""Argument forms that make an otherwise blocking call return at once.

Shared by the async rules (a direct call) and the function summaries (a call
inside a helper), so that `lock.acquire(blocking=False)` or
`os.waitpid(pid, os.WNOHANG)` is never reported, directly or through a chain.
"""

from __future__ import annotations

import ast

from gil_lint.engine.knowledge import load_knowledge


def _is_false(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value in (False, 0)


def returns_immediately(name: str, call: ast.Call) -> bool:
    """Whether this call of the blocking function ``name`` cannot wait."""
    if name in load_knowledge().wait_functions:
        # os.waitpid(pid, os.WNOHANG) polls
        return any(
            isinstance(n, (ast.Name, ast.Attribute))
            and (getattr(n, "attr", None) or getattr(n, "id", None)) == "WNOHANG"
            for arg in (*call.args, *(k.value for k in call.keywords))
            for n in ast.walk(arg)
        )
    method = name.rpartition(".")[2]
    for kw in call.keywords:
        if kw.arg in ("blocking", "block") and _is_false(kw.value):
            return True
        if kw.arg == "timeout" and isinstance(kw.value, ast.Constant) and kw.value.value == 0:
            return True
    if method in ("acquire", "get", "put") and call.args:
        # acquire(False), get(False), put(item, False)
        index = 1 if method == "put" else 0
        if len(call.args) > index and _is_false(call.args[index]):
            return True
    return False
