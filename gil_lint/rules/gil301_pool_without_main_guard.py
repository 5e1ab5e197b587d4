from __future__ import annotations

import ast

from gil_lint.diagnostics import Edit, Fix
from gil_lint.engine.context import ModuleContext
from gil_lint.fix.edits import fix_from, newline_of
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import (
    _is_main_test,
    forkserver_default_applies,
    in_main_guard,
)


class ProcessPoolWithoutMainGuard(Rule):
    """
    ## What it does
    Flags a `multiprocessing.Pool`, `concurrent.futures.ProcessPoolExecutor` or
    `multiprocessing.Process` created at module level outside an
    `if __name__ == "__main__":` block.

    ## Why is this bad?
    With the "spawn" and "forkserver" start methods (the defaults on Windows
    and macOS, and on Linux since Python 3.14) every worker process imports the
    main module again. Module-level pool creation then runs in each worker: it
    raises `RuntimeError` ("An attempt has been made to start a new process
    before the current process has finished its bootstrapping phase") or
    starts processes recursively. When the target version is 3.14 or later
    (`target-version`, else `requires-python`), the message says the code fails
    on Linux too, unless the module picks the `fork` start method itself.

    ## Example
    ```python
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor() as pool:
        print(list(pool.map(abs, [-1, -2])))
    ```

    ## Use instead
    ```python
    from concurrent.futures import ProcessPoolExecutor

    if __name__ == "__main__":
        with ProcessPoolExecutor() as pool:
            print(list(pool.map(abs, [-1, -2])))
    ```

    ## Fix safety
    Wrapping the statement in the guard is unsafe: other modules that import
    this one and used the names it defined will no longer find them.
    """

    CODE = "GIL301"
    NAME = "process-pool-without-main-guard"
    BRIEF = (
        'a process pool or `Process` started at module level without `if __name__ == "__main__":`'
    )
    MESSAGE = (
        '`{what}` is started at module level without `if __name__ == "__main__":`; '
        "with the spawn/forkserver start methods every worker re-imports this module{linux}"
    )
    # on 3.14+ targets (issue #19): forkserver became the default start method on Linux
    LINUX_314 = " — it fails on Linux too from 3.14 (forkserver is the default start method)"
    FIX = "unsafe"
    TRIGGERS = (b"multiprocessing", b"Executor")
    VALID = [
        "from multiprocessing import Pool\nif __name__ == '__main__':\n"
        "    with Pool() as p:\n        p.map(abs, [1])\n",
        "from multiprocessing import Pool\ndef main():\n    with Pool() as p:\n"
        "        p.map(abs, [1])\n",
        "from concurrent.futures import ThreadPoolExecutor\nex = ThreadPoolExecutor()\n",
        "import multiprocessing as mp\nif '__main__' == __name__:\n"
        "    mp.Process(target=print).start()\n",
    ]
    INVALID = [
        Example(
            "from multiprocessing import Pool\nwith Pool() as p:\n    p.map(abs, [1])\n",
            at="2:6-2:10",
            fixed='from multiprocessing import Pool\nif __name__ == "__main__":\n'
            "    with Pool() as p:\n        p.map(abs, [1])\n",
            unsafe=True,
        ),
        Example(
            "import concurrent.futures as cf\nwith cf.ProcessPoolExecutor() as ex:\n"
            "    ex.submit(print)\n",
            at="2:6-2:28",
        ),
        Example(
            "import multiprocessing as mp\n\np = mp.Process(target=print)\n# run it\np.start()\n"
            "p.join()\n\n\ndef helper():\n    pass\n",
            at="3:5-3:15",
            fixed="import multiprocessing as mp\n\n"
            'if __name__ == "__main__":\n    p = mp.Process(target=print)\n    # run it\n'
            "    p.start()\n    p.join()\n\n\ndef helper():\n    pass\n",
            unsafe=True,
        ),
        Example(
            "import multiprocessing as mp\npool = mp.get_context('spawn').Pool(2)\n", at="2:8-2:36"
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if ctx.scope.kind != "module":
            return
        type_name = ctx.resolver.call_result_type(node, ctx.scope)
        k = ctx.knowledge
        if type_name not in k.process_pools and type_name not in k.process_starters:
            return
        if in_main_guard(ctx, node):
            return
        self.report(
            node.func,
            what=ctx.segment(node.func) or type_name,
            linux=self.LINUX_314 if forkserver_default_applies(ctx) else "",
            fix=main_guard_fix(ctx, node),
        )


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
                getattr(sub, "end_lineno", sub.lineno) != sub.lineno
            ):
                return None
    lines = ctx.lines[first - 1 : last]
    if lines[-1].rstrip().endswith("\\"):
        return None  # a continuation into the next statement
    nl = newline_of(ctx.source)
    indented = nl.join(_indent(line) for line in lines)
    content = f'if __name__ == "__main__":{nl}{indented}'
    edit = Edit(first, 1, last, len(ctx.lines[last - 1]) + 1, content)
    return fix_from('Move it under `if __name__ == "__main__":`', "unsafe", edit)
