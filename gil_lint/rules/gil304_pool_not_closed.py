from __future__ import annotations

import ast
from collections.abc import Mapping

from gil_lint.engine.scopes import Scope
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import constructed_pool


class PoolNotClosed(Rule):
    """
    ## What it does
    Flags a thread or process pool (`ThreadPoolExecutor`, `ProcessPoolExecutor`,
    `multiprocessing.Pool`, `ThreadPool`) created inside a function without
    `with` and never closed: no `close()`, `shutdown()`, `terminate()` or
    `join()`, not used in a `with` statement, and not handed elsewhere (returned,
    passed to a call, stored on an object) where its owner could close it.

    A module-level `multiprocessing.Pool` or `ThreadPool` that nothing in the
    module closes, terminates, enters with `with` or hands on is reported too:
    it lives as long as the program, and the `multiprocessing` documentation
    warns that such a pool can hang the process at finalization. Module-level
    `concurrent.futures` executors are not reported: the module joins their
    workers itself when the interpreter exits. A pool a function assigns to a
    `global` name is judged like a module-level one: another function of the
    module may close it.

    A pool a function of the program returns (`_executor().submit(f)`) is the
    factory's to manage: it may be a shared, memoized one.

    Nor is a pool a function nested in its own uses (a route handler, a callback it
    registers or returns): it lives as long as that closure — one executor an app
    factory makes for every connection's handler.

    ## Why is this bad?
    Every call leaks worker threads or processes. A `multiprocessing.Pool` that
    is garbage collected without `close()`/`terminate()` can hang the
    interpreter at exit, and leaked executors keep file descriptors and memory.

    ## Example
    ```python
    from concurrent.futures import ThreadPoolExecutor

    def fetch_all(urls):
        pool = ThreadPoolExecutor(8)
        return list(pool.map(fetch, urls))
    ```

    ## Use instead
    ```python
    def fetch_all(urls):
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(fetch, urls))
    ```
    """

    CODE = "GIL304"
    NAME = "pool-not-closed"
    BRIEF = "a pool or executor created in a function (or a module-level `multiprocessing` pool) without `with` and never shut down"
    MESSAGE = (
        "`{what}` is created without `with` and never shut down; use `with {what}(...) as pool:`"
    )
    TRIGGERS = (b"Pool", b"Executor")
    VALID = [
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
        "    with ThreadPoolExecutor() as ex:\n        return list(ex.map(abs, xs))\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
        "    ex = ThreadPoolExecutor()\n    try:\n        return list(ex.map(abs, xs))\n"
        "    finally:\n        ex.shutdown()\n",
        "from multiprocessing import Pool\ndef f():\n    p = Pool()\n    return p\n",
        "from multiprocessing import Pool\nclass S:\n    def __init__(self):\n"
        "        self.pool = Pool()\n",
        "from concurrent.futures import ThreadPoolExecutor\nEXECUTOR = ThreadPoolExecutor()\n",
        "import atexit\nfrom multiprocessing import Pool\ndef f():\n    p = Pool()\n"
        "    atexit.register(p.terminate)\n",
        # module level: closed at the end of the script, or by a function of the module
        "from multiprocessing import Pool\nPOOL = Pool(4)\nprint(POOL.map(abs, [1, -2]))\n"
        "POOL.close()\nPOOL.join()\n",
        "from multiprocessing.pool import ThreadPool\nPOOL = ThreadPool(4)\n"
        "def shutdown():\n    POOL.terminate()\n",
        "from multiprocessing import Pool\npool = None\ndef start():\n    global pool\n"
        "    pool = Pool()\ndef stop():\n    pool.close()\n",
        # a factory's pool is the factory's to manage (here a memoized, shared one)
        "import functools\nfrom concurrent.futures import ThreadPoolExecutor\n"
        # a closure keeps it: the executor lives as long as the handler it registers
        "from concurrent.futures import ThreadPoolExecutor\ndef make_app(app):\n"
        "    executor = ThreadPoolExecutor(max_workers=100)\n    @app.route('/ws')\n"
        "    def handle(ws):\n        executor.submit(ws.serve)\n    return app\n",
        "@functools.lru_cache(maxsize=1)\ndef _executor() -> ThreadPoolExecutor:\n"
        "    return ThreadPoolExecutor(4)\ndef run(f):\n    return _executor().submit(f).result()\n",
        "from concurrent.futures import ThreadPoolExecutor\nclass Refresher:\n"
        "    def _ensure(self):\n        if self._ex is None:\n"
        "            self._ex = ThreadPoolExecutor(2)\n        return self._ex\n"
        "    def refresh(self, f):\n        executor = self._ensure()\n"
        "        executor.submit(f)\n",
    ]
    INVALID = [
        Example(
            "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
            "    ex = ThreadPoolExecutor(4)\n    return list(ex.map(abs, xs))\n",
            at="3:10-3:31",
        ),
        Example(
            "import multiprocessing\ndef f(xs):\n    pool = multiprocessing.Pool()\n"
            "    return pool.map(abs, xs)\n",
            at="3:12-3:34",
        ),
        Example(
            "from concurrent.futures import ProcessPoolExecutor\ndef f():\n"
            "    return ProcessPoolExecutor().submit(print)\n",
            at="3:12-3:33",
        ),
        Example(
            "import multiprocessing\nPOOL = multiprocessing.Pool(4)\n"
            "def squares(xs):\n    return POOL.map(abs, xs)\n",
            at="2:8-2:31",
        ),
    ]

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.candidates: list[tuple[str, Scope, ast.Call]] = []

    def visit_Assign(self, node: ast.Assign) -> None:
        ctx = self.ctx
        module_level = ctx.scope.kind == "module"
        if not (module_level or ctx.scope.kind in ("function", "lambda")):
            return
        if not isinstance(node.value, ast.Call):
            return
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        if constructed_pool(ctx, node.value) is None or not self._constructor(node.value):
            return
        name = node.targets[0].id
        if name in ctx.scope.globals or name in ctx.scope.nonlocals:
            # `global pool; pool = Pool()`: any function of the module may close it
            module_level = True
        pool_type = ctx.resolver.call_result_type(node.value, ctx.scope)
        if module_level and _shut_down_at_exit(pool_type):
            return
        scope = ctx.module_scope if module_level else ctx.scope
        self.candidates.append((name, scope, node.value))

    def visit_Call(self, node: ast.Call) -> None:
        # `ThreadPoolExecutor().submit(f)`: a pool nobody can ever shut down
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)):
            return
        if func.attr in self.ctx.knowledge.close_methods:
            return
        if constructed_pool(self.ctx, func.value) is not None and self._constructor(func.value):
            self.report(func.value, what=self.ctx.segment(func.value.func))

    def _constructor(self, call: ast.Call) -> bool:
        """``call`` makes a new pool itself (the class, or a factory the knowledge names), not
        a function of the program that returns one: a factory owns what it hands out and
        may share it (``@lru_cache def _executor()``, ``self._ensure_executor()``)."""
        ctx = self.ctx
        callee = ctx.qualname(call.func)
        if callee is None:
            return True
        if ctx.resolver.function_def(callee) is not None:
            return False  # a function or method of this module
        return callee.rpartition(".")[2][:1].isupper()  # a class, not another module's factory

    def finish(self) -> None:
        for name, scope, call in self.candidates:
            if not self._closed_or_escapes(name, scope.node):
                self.report(call, what=self.ctx.segment(call.func))

    def _closed_or_escapes(self, name: str, function: ast.AST) -> bool:
        """Any use of ``name`` in ``function`` (the module, for a module-level pool: its
        functions use the global) that closes it or hands it on."""
        parents = self.ctx.parents
        close = self.ctx.knowledge.close_methods
        for node in ast.walk(function):
            if not (isinstance(node, ast.Name) and node.id == name):
                continue
            if not isinstance(node.ctx, ast.Load):
                continue
            parent = parents.get(node)
            if isinstance(parent, ast.Attribute):
                if parent.attr in close:
                    return True
                if not isinstance(function, ast.Module) and _captured(node, function, parents):
                    return True  # a nested function keeps it: it lives as long as that one
                continue  # pool.map(...), pool.submit(...): plain use
            if isinstance(parent, ast.withitem):
                return True
            return True  # returned, passed, stored, yielded: its owner may close it
        return False


def _captured(node: ast.AST, function: ast.AST, parents: Mapping[ast.AST, ast.AST]) -> bool:
    """``node`` is in a function (or lambda) nested in ``function``: a closure that may
    outlive the call — mesop's app factory makes one executor that every WebSocket
    handler it registers submits to."""
    up = parents.get(node)
    while up is not None and up is not function:
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return True
        up = parents.get(up)
    return False


def _shut_down_at_exit(type_name: str | None) -> bool:
    """A ``concurrent.futures`` executor: the module joins its workers at interpreter exit
    (``multiprocessing`` pools have no such hook: their finalizer may never run)."""
    return (type_name or "").startswith("concurrent.futures.")
