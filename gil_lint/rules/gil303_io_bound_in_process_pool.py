from __future__ import annotations

import ast

from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import evidence_of, submission, unwrap_partial

_IO_CATEGORIES = frozenset({"network", "file", "text", "sleep", "subprocess", "input"})


class IoBoundInProcessPool(Rule):
    """
    ## What it does
    Flags an I/O-bound callable — its summary shows network, file, subprocess
    or sleep calls and no CPU-bound work — sent to a process:
    `ProcessPoolExecutor.submit/map`, `multiprocessing.Pool` methods,
    `multiprocessing.Process(target=...)`.

    The I/O must be all the callable is known to do: one that also calls a
    library function or a method nothing is known about (itself or through
    its helpers) is not reported, since that call may be the heavy part
    (`open(os.devnull, "w")` to silence a parser that then does the work).
    Opening `os.devnull` is no I/O at all.

    ## Why is this bad?
    I/O releases the GIL, so threads (or asyncio) already overlap it. A process
    pool adds start-up time, pickling of arguments and results, and memory for
    each worker interpreter — for no gain.

    ## Example
    ```python
    from concurrent.futures import ProcessPoolExecutor
    import requests

    def fetch(url):
        return requests.get(url).status_code

    def main(urls):
        with ProcessPoolExecutor() as pool:
            return list(pool.map(fetch, urls))
    ```

    ## Use instead
    ```python
    from concurrent.futures import ThreadPoolExecutor

    def main(urls):
        with ThreadPoolExecutor(max_workers=16) as pool:
            return list(pool.map(fetch, urls))
    ```
    """

    CODE = "GIL303"
    VERIFY = "submission"
    NAME = "io-bound-in-process-pool"
    BRIEF = "an I/O-bound callable sent to a process pool"
    MESSAGE = (
        "`{name}` is I/O-bound ({chain}); a process pool only adds start-up and pickling "
        "cost — use ThreadPoolExecutor or asyncio"
    )
    TRIGGERS = (b"multiprocessing", b"Executor")
    VALID = [
        "from concurrent.futures import ProcessPoolExecutor\ndef work(n):\n    t = 0\n"
        "    for i in range(n):\n        t += i * i\n    return t\n"
        "def main(xs):\n    with ProcessPoolExecutor() as ex:\n        return list(ex.map(work, xs))\n",
        "import requests\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def fetch(u):\n    return requests.get(u)\n"
        "def main(us):\n    with ThreadPoolExecutor() as ex:\n        return list(ex.map(fetch, us))\n",
        # the I/O silences a library call that may be the heavy part (a parse, a transform)
        "import contextlib, os\nfrom multiprocessing import Pool\nfrom libcst import parse_module\n"
        "def parse(src):\n    with open(os.devnull, 'w') as null, contextlib.redirect_stderr(null):\n"
        "        return parse_module(src)\n"
        "def main(srcs):\n    with Pool() as p:\n        return p.map(parse, srcs)\n",
        "import requests\nfrom concurrent.futures import ProcessPoolExecutor\nfrom mylib import analyse\n"
        "def fetch(u):\n    return analyse(requests.get(u).text)\n"
        "def main(us):\n    with ProcessPoolExecutor() as ex:\n        return list(ex.map(fetch, us))\n",
    ]
    INVALID = [
        Example(
            "import requests\nfrom concurrent.futures import ProcessPoolExecutor\n"
            "def fetch(u):\n    return requests.get(u).status_code\n"
            "def main(us):\n    with ProcessPoolExecutor() as ex:\n        return list(ex.map(fetch, us))\n",
            at="7:21-7:38",
        ),
        Example(
            "import time\nimport multiprocessing as mp\ndef nap(x):\n    time.sleep(x)\n"
            "def main():\n    with mp.Pool() as p:\n        p.map(nap, [1, 2])\n",
            at="7:9-7:27",
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        sub = submission(ctx, node)
        # a lone multiprocessing.Process is often about isolation, not throughput
        if sub is None or sub.kind != "process" or sub.api == "multiprocessing.Process":
            return
        func = unwrap_partial(ctx, sub.func)
        if isinstance(func, ast.Lambda):
            return  # GIL302 reports it: it cannot be sent at all
        summary = ctx.summary_of(func)
        if summary is None or summary.kind != "io":
            return
        # its own files count too: a worker process that only writes its state file does I/O
        blocking = summary.file_work
        if blocking is None:
            return
        if summary.opaque:
            return  # it also calls what nothing is known of: that may be the heavy part
        if blocking[0] not in _IO_CATEGORIES:
            return  # waiting on other processes or threads is orchestration, not I/O
        self.report(
            node,
            name=ctx.segment(func),
            chain=summary.explain(ctx.path),
            evidence=evidence_of(summary, ctx),
        )
