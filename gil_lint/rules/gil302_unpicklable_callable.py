from __future__ import annotations

import ast

from gil_lint.engine.scopes import Scope, is_none
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import (
    forkserver_default_applies,
    submission,
    unwrap_partial,
)


class UnpicklableCallableToProcess(Rule):
    """
    ## What it does
    Flags a lambda, a nested function (defined inside another function) or a
    bound method of an object holding a lock, pool, socket, file or connection,
    sent to a process: `ProcessPoolExecutor.submit/map`, `multiprocessing.Pool`
    methods, `multiprocessing.Process(target=...)`, `loop.run_in_executor` with
    a process pool. An object holds one when every value its attribute is given
    (but a `None` placeholder) is one: an attribute that is a `Thread` in one
    branch and the `Process` itself in the other is not known to hold a thread.
    An attribute the class sets to a callable (`self.run = run` in `__init__`),
    not a method it defines, is not a bound method of the object: what is sent
    is the callable it holds.

    ## Why is this bad?
    Work sent to another process is pickled, and pickle stores functions by
    their importable name: lambdas and nested functions have none, and locks,
    pools, sockets and files cannot be pickled at all. The call fails with
    `PicklingError` / `AttributeError: Can't pickle local object`. Since
    Python 3.14 the default start method on Linux is forkserver, so code that
    "worked" with fork (where `Process(target=lambda: ...)` is inherited, not
    pickled) fails there too; when the target version is 3.14 or later
    (`target-version`, else `requires-python`), the message says so, unless the
    module picks the `fork` start method itself.

    ## Example
    ```python
    from concurrent.futures import ProcessPoolExecutor

    def main(xs):
        with ProcessPoolExecutor() as pool:
            return list(pool.map(lambda x: x * x, xs))
    ```

    ## Use instead
    ```python
    from concurrent.futures import ProcessPoolExecutor

    def square(x):
        return x * x

    def main(xs):
        with ProcessPoolExecutor() as pool:
            return list(pool.map(square, xs))
    ```
    """

    CODE = "GIL302"
    NAME = "unpicklable-callable-to-process"
    BRIEF = "a lambda, nested function or bound method of an unpicklable object sent to a process"
    MESSAGE = "{what} sent to `{api}` cannot be pickled{why}; move it to module level{linux}"
    # on 3.14+ targets (issue #19): forkserver became the default start method on Linux
    LINUX_314 = (
        " — it fails on Linux too from 3.14 (forkserver is the default start method; "
        "fork used to hide it)"
    )
    TRIGGERS = (b"multiprocessing", b"Executor")
    VALID = [
        "from concurrent.futures import ProcessPoolExecutor\ndef sq(x):\n    return x * x\n"
        "def main(xs):\n    with ProcessPoolExecutor() as p:\n        return list(p.map(sq, xs))\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef main(xs):\n"
        "    with ThreadPoolExecutor() as p:\n        return list(p.map(lambda x: x, xs))\n",
        "import functools\nfrom multiprocessing import Pool\ndef add(a, b):\n    return a + b\n"
        "def main(xs):\n    with Pool() as p:\n        return p.map(functools.partial(add, 1), xs)\n",
        # the attribute holds the process itself on the process branch
        "import multiprocessing, threading\nclass Queue:\n    def __init__(self, use_process):\n"
        "        if use_process:\n            self._worker = multiprocessing.Process(target=self._run)\n"
        "        else:\n            self._worker = threading.Thread(target=self._run)\n"
        "    def _run(self):\n        pass\n",
        # the attribute holds a module-level function handed in, not a method of `self`
        "import multiprocessing, threading\nclass Controller:\n    def __init__(self, run):\n"
        "        self.lock = threading.Lock()\n        self.run = run\n"
        "    def launch(self):\n        multiprocessing.Process(target=self.run).start()\n",
    ]
    INVALID = [
        Example(
            "from concurrent.futures import ProcessPoolExecutor\ndef main(xs):\n"
            "    with ProcessPoolExecutor() as p:\n        return list(p.map(lambda x: x * x, xs))\n",
            at="4:27-4:42",
        ),
        Example(
            "import multiprocessing as mp\ndef main():\n    def work():\n        pass\n"
            "    mp.Process(target=work).start()\n",
            at="5:23-5:27",
        ),
        Example(
            "import functools\nfrom multiprocessing import Pool\ndef main(xs):\n    with Pool() as p:\n"
            "        return p.map(functools.partial(lambda a, b: a + b, 1), xs)\n",
            at="5:40-5:58",
        ),
        Example(
            "import threading\nfrom concurrent.futures import ProcessPoolExecutor\nclass Job:\n"
            "    def __init__(self):\n        self.lock = threading.Lock()\n"
            "    def work(self):\n        pass\n    def run(self):\n"
            "        with ProcessPoolExecutor() as p:\n            p.submit(self.work)\n",
            at="10:22-10:31",
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        sub = submission(ctx, node)
        if sub is None or sub.kind != "process":
            return
        func = unwrap_partial(ctx, sub.func)
        if isinstance(func, ast.Lambda):
            self.report(func, what="A lambda", api=sub.api, why="", linux=self._linux())
            return
        if isinstance(func, ast.Name):
            binding = ctx.resolver.lookup(func.id, ctx.scope)
            if binding is not None and binding.kind == "def" and binding.node is not None:
                owner = self._defining_scope(binding.node)
                if owner is not None and owner.kind in ("function", "lambda"):
                    self.report(
                        func,
                        what=f"Nested function `{func.id}`",
                        api=sub.api,
                        why="",
                        linux=self._linux(),
                    )
            return
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            binding = ctx.resolver.lookup(func.value.id, ctx.scope)
            if binding is None or binding.kind != "self":
                return
            if self._holds_a_value(binding.qualname, func.attr):
                return  # `self.run = run` in `__init__`: the callable it holds, not a method
            culprit = self._unpicklable_attribute(binding.qualname)
            if culprit is not None:
                attr, type_name = culprit
                self.report(
                    func,
                    what=f"Bound method `{ctx.segment(func)}`",
                    api=sub.api,
                    why=f" (its object holds `self.{attr}`, a `{type_name}`)",
                    linux=self._linux(),
                )

    def _linux(self) -> str:
        return self.LINUX_314 if forkserver_default_applies(self.ctx) else ""

    def _defining_scope(self, node: ast.AST) -> Scope | None:
        scope = self.ctx.scopes.get(node)
        return scope.parent if scope is not None else None

    def _holds_a_value(self, class_qualname: str | None, attr: str) -> bool:
        """``self.attr`` is an attribute the class sets (``self.attr = func``) and not a
        method it defines: what is pickled is the callable it holds, not ``self``."""
        scope = self.ctx.resolver.class_scope(class_qualname)
        if scope is None or attr not in scope.self_attributes:
            return False
        own = scope.bindings.get(attr)
        return own is None or own.kind != "def"

    def _unpicklable_attribute(self, class_qualname: str | None) -> tuple[str, str] | None:
        ctx = self.ctx
        scope = ctx.resolver.class_scope(class_qualname)
        if scope is None:
            return None
        for attr, assigned in scope.self_attributes.items():
            # every value it is given (but a `None` placeholder) is unpicklable: an
            # attribute that holds a `Thread` in one branch and the `Process` itself in the
            # other (litserve's `self._worker`) is not known to hold a thread when pickled
            types = [ctx.qualname(value, where) for value, where in assigned if not is_none(value)]
            if types and all(t in ctx.knowledge.unpicklable_types for t in types):
                return attr, str(types[0])
        return None
