"""Code written for another runtime: Pyodide (CPython on Emscripten, in a browser).

There the event loop is the browser's, there are no threads to offload to, and the file
system lives in memory: a blocking-looking call blocks nothing else, a ``to_thread`` fix
would fail, and the thread and process rules have nothing to say. Three places say code is
for that runtime:

- a module in a ``pyodide`` (or ``_pyodide``) package: marimo's ``_pyodide/``;
- a branch of an ``if`` whose test says so: the body of ``if "pyodide" in sys.modules:``,
  ``if sys.platform == "emscripten":``, ``if IS_PYODIDE:`` / ``if is_pyodide():`` (a name
  that says it), and the ``else`` of their negations (shiny's ``if "pyodide" not in
  sys.modules: ... else: class FileResponse``);
- a function that imports a module only that runtime has (``from js import fetch``,
  ``import pyodide.http``): from that statement on (marimo's batched cache fetch).

Findings in such code are dropped after the rules ran (``engine/lint.py``), whatever the
rule: a rule's findings in normal code keep their evidence even when a chain passes
through a browser-only branch.
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePath

from gil_lint.diagnostics import Diagnostic

# words that name the browser runtime, in a module's folders or an `if` test
_WORDS = ("pyodide", "emscripten")
# modules only the browser runtime has: a function that imports one runs only there
_BROWSER_MODULES = frozenset({"js", "pyodide", "pyodide_js"})
# `from js import ...` / `import js`, looked for only in a module that has " js" at all
_IMPORTS_JS = re.compile(r"\b(?:from|import)[ \t]+js\b")


def _mentions_browser(text: str) -> bool:
    """Whether ``text`` may have browser-only code: plain substring tests first (a regex
    with ``IGNORECASE`` over every module cost a tenth of a cold run)."""
    return (
        "odide" in text
        or "ODIDE" in text
        or "mscripten" in text
        or "MSCRIPTEN" in text
        or (" js" in text and _IMPORTS_JS.search(text) is not None)
    )


def browser_only_rows(tree: ast.Module, path: str, text: str) -> list[range]:
    """The line ranges of ``tree`` that run only in the browser runtime: the whole module
    for one in a ``pyodide`` package."""
    if any(part.lstrip("_").lower() == "pyodide" for part in PurePath(path).parts[:-1]):
        return [range(1, text.count("\n") + 2)]
    if not _mentions_browser(text):
        return []
    found: list[range] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # `from js import fetch` in its body: the rest of it runs only where that works
            start = next((s.lineno for s in node.body if _imports_browser(s)), None)
            if start is not None:
                found.append(range(start, (node.end_lineno or 0) + 1))
        if not isinstance(node, ast.If):
            continue
        says = _says_browser(node.test)
        branch = node.body if says else node.orelse if says is False else None
        if branch:
            found.append(range(branch[0].lineno, (branch[-1].end_lineno or 0) + 1))
    return found


def _imports_browser(stmt: ast.stmt) -> bool:
    """``import js``, ``from js import fetch``, ``import pyodide.http``: modules only the
    browser runtime has."""
    if isinstance(stmt, ast.ImportFrom):
        names = [stmt.module or ""]
    elif isinstance(stmt, ast.Import):
        names = [a.name for a in stmt.names]
    else:
        return False
    return any(n.partition(".")[0] in _BROWSER_MODULES for n in names)


def _says_browser(test: ast.expr) -> bool | None:
    """True if ``test`` holds only in the browser runtime, False if only outside it, None
    if it says neither."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _says_browser(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        # every part must hold: one that holds only in the browser is enough for the body
        return True if any(_says_browser(v) is True for v in test.values) else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, (ast.In, ast.NotIn)) and _names_browser(left):
            return isinstance(op, ast.In)  # `"pyodide" in sys.modules`
        if isinstance(op, (ast.Eq, ast.NotEq)) and (_names_browser(left) or _names_browser(right)):
            return isinstance(op, ast.Eq)  # `sys.platform == "emscripten"`
        return None
    if isinstance(test, ast.Call):
        test = test.func
    if isinstance(test, (ast.Name, ast.Attribute)) and _names_browser(test):
        return True  # `IS_PYODIDE`, `is_pyodide()`, `env.in_emscripten`
    return None


def _names_browser(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        text = expr.value.lower()
    elif isinstance(expr, ast.Name):
        text = expr.id.lower()
    elif isinstance(expr, ast.Attribute):
        text = expr.attr.lower()
    else:
        return False
    return any(word in text for word in _WORDS)


def outside_browser_code(
    diagnostics: list[Diagnostic], tree: ast.Module, path: str, text: str
) -> list[Diagnostic]:
    """``diagnostics`` without those reported in browser-only code (looked for only in a
    module with findings)."""
    if not diagnostics:
        return diagnostics
    ranges = browser_only_rows(tree, path, text)
    if not ranges:
        return diagnostics
    return [d for d in diagnostics if not any(d.row in r for r in ranges)]
