from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.engine.summaries import Summary
from gil_lint.fixes import thread_pool_to_process_pool_fix
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import (
    evidence_of,
    submission,
    thread_subclass_run,
    unwrap_partial,
)


class CpuBoundInThread(Rule):
    """
    ## What it does
    Flags a CPU-bound pure-Python callable run in a thread: given to
    `threading.Thread(target=...)` (or a `Thread` subclass whose `run()` is
    CPU-bound), `ThreadPoolExecutor.submit/map` (any alias, executors in
    variables or `with` targets), `multiprocessing.pool.ThreadPool` methods,
    `asyncio.to_thread`, or `loop.run_in_executor(None or a thread pool, ...)`.

    "CPU-bound" comes from the function's summary, followed through calls in
    this module and other modules of the project: loops doing arithmetic or
    container work that call nothing but pure functions, recursion, big
    comprehensions, known CPU-heavy calls. Work dominated by calls that release
    the GIL (numpy, hashlib, zlib, file and socket I/O, `time.sleep`) is not
    CPU-bound; unknown library calls are not assumed to be. A loop over a
    literal `range(N)` with `N` below `cpu-loop-min-iterations` (default 1000)
    is not evidence.

    With `target-gil = "disabled"` (or `"auto"` on a free-threaded interpreter
    where the GIL is off) threads do run Python in parallel, and this rule is
    silent.

    ## Why is this bad?
    The GIL lets one thread run Python bytecode at a time. CPU-bound work in N
    threads takes as long as running it N times in a row — plus switching
    overhead. Processes each have their own interpreter and GIL and do run in
    parallel.

    ## Example
    ```python
    from concurrent.futures import ThreadPoolExecutor

    def count_primes(limit):
        return sum(1 for n in range(limit) if all(n % d for d in range(2, n)))

    with ThreadPoolExecutor() as pool:
        counts = list(pool.map(count_primes, [10_000] * 4))
    ```

    ## Use instead
    ```python
    from concurrent.futures import ProcessPoolExecutor

    if __name__ == "__main__":
        with ProcessPoolExecutor() as pool:
            counts = list(pool.map(count_primes, [10_000] * 4))
    ```
    Run `gil-lint verify FILE --finding GIL101 --line N` to measure it.

    ## Fix safety
    Switching `ThreadPoolExecutor` to `ProcessPoolExecutor` is unsafe: the
    callable and its arguments must be picklable, results come back as copies,
    shared state is no longer shared, and module-level pool code needs a
    `__main__` guard.
    """

    CODE = "GIL101"
    NAME = "cpu-bound-in-thread"
    BRIEF = "a CPU-bound pure-Python callable run in a thread, thread pool, `asyncio.to_thread` or `run_in_executor(None, ...)` — with the evidence chain"
    MESSAGE = (
        "`{name}` is CPU-bound pure Python ({chain}); threads run it one at a time under "
        "the GIL — use ProcessPoolExecutor"
    )
    FIX = "unsafe"
    TRIGGERS = (b"Thread", b"Executor", b"Pool", b"to_thread", b"run_in_executor")
    VALID = [
        "import hashlib\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def digest(chunks):\n    h = hashlib.sha256()\n    for c in chunks:\n        h.update(c)\n"
        "    return h.hexdigest()\n"
        "def main(parts):\n    with ThreadPoolExecutor() as ex:\n        return list(ex.map(digest, parts))\n",
        "import requests, threading\ndef fetch(urls):\n    for u in urls:\n        requests.get(u)\n"
        "def main(urls):\n    threading.Thread(target=fetch, args=(urls,)).start()\n",
        "from concurrent.futures import ProcessPoolExecutor\ndef work(n):\n    t = 0\n"
        "    for i in range(n):\n        t += i * i\n    return t\n"
        "def main():\n    with ProcessPoolExecutor() as ex:\n        return ex.submit(work, 10**6)\n",
        "import threading\ndef retry():\n    for _ in range(3):\n        x = 1 + 1\n"
        "def main():\n    threading.Thread(target=retry).start()\n",
        "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def mul(a):\n    return np.dot(a, a)\n"
        "def main(arrs):\n    with ThreadPoolExecutor() as ex:\n        return list(ex.map(mul, arrs))\n",
    ]
    INVALID = [
        Example(
            "from concurrent.futures import ThreadPoolExecutor\ndef work(n):\n    t = 0\n"
            "    for i in range(n):\n        t += i * i\n    return t\n"
            "def main(xs):\n    with ThreadPoolExecutor() as ex:\n        return list(ex.map(work, xs))\n",
            fixed="from concurrent.futures import ThreadPoolExecutor\n"
            "from concurrent.futures import ProcessPoolExecutor\ndef work(n):\n    t = 0\n"
            "    for i in range(n):\n        t += i * i\n    return t\n"
            "def main(xs):\n    with ProcessPoolExecutor() as ex:\n        return list(ex.map(work, xs))\n",
            unsafe=True,
        ),
        "import threading\ndef work():\n    total = 0\n    for i in range(10_000_000):\n"
        "        total += i ** 2\n    return total\n"
        "def main():\n    threading.Thread(target=work).start()\n",
        "import concurrent.futures as cf\ndef work(n):\n    t = 0\n    for i in range(n):\n"
        "        t += i * i\n    return t\n"
        "def main():\n    with cf.ThreadPoolExecutor() as ex:\n        return ex.submit(work, 10**6)\n",
        "import asyncio\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "async def main():\n    return await asyncio.to_thread(fib, 30)\n",
        "import asyncio, functools\ndef work(n, k):\n    t = 0\n    while n > 0:\n"
        "        t += n % k\n        n -= 1\n    return t\n"
        "async def main():\n    loop = asyncio.get_running_loop()\n"
        "    return await loop.run_in_executor(None, functools.partial(work, 10**6, 7))\n",
        "import threading\nclass Worker(threading.Thread):\n    def run(self):\n"
        "        n = 0\n        while n < 10**7:\n            n += 1\n"
        "def main():\n    Worker().start()\n",
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if ctx.settings.gil_disabled():
            return
        run = thread_subclass_run(ctx, node)
        summary: Summary | None
        if run is not None:
            summary = ctx.summaries.of(ctx.module_info, run)
            name = f"{ctx.segment(node.func)}.run"
        else:
            sub = submission(ctx, node)
            if sub is None or sub.kind != "thread":
                return
            func = unwrap_partial(ctx, sub.func)
            summary = ctx.summary_of(func)
            name = ctx.segment(func) if not isinstance(func, ast.Lambda) else "lambda"
        if summary is None or summary.kind != "cpu":
            return
        self.report(
            node,
            name=name,
            chain=summary.explain(ctx.path),
            evidence=evidence_of(summary, ctx),
            fix=self._fix(node),
        )

    def _fix(self, node: ast.Call) -> Fix | None:
        return thread_pool_to_process_pool_fix(self.ctx, node)
