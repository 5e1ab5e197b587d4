from __future__ import annotations

import ast

from gil_lint.fixes import main_guard_fix
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import in_main_guard


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
    starts processes recursively.

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
        "with the spawn/forkserver start methods every worker re-imports this module"
    )
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
            node.func, what=ctx.segment(node.func) or type_name, fix=main_guard_fix(ctx, node)
        )
