from __future__ import annotations

import ast
from typing import ClassVar

from gil_lint.engine.summaries import CONSUMERS
from gil_lint.fix.edits import async_library
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import evidence_of, explain_sized


class CpuBoundInAsync(Rule):
    """
    ## What it does
    Flags heavy CPU-bound work run inline on the event loop inside an
    `async def`: a call to a project function (in this module or another)
    whose summary is CPU-bound with heavy evidence, or such a loop or
    comprehension written directly in the coroutine (a generator expression
    where a consumer like `sum` runs it).

    "Heavy" is the verdict GIL101 shares, from one size model: a loop nest of
    at least `cpu-loop-min-iterations` (default 1000) iterations by folded
    constants (`range(10**7)`, `range(LIMIT)`) or by the arguments of the call
    (`crunch(50_000_000)` where `crunch` loops over `range(n)`), a range
    scaled by a big constant (`range(n * 1_000_000)`), nested ranges of unknown
    size (a range in a range: `for i in range(n): for j in range(i)`), a
    counting `while` loop, recursion that multiplies on a count (two calls on
    `n - 1` in one go, `fib(n - 1) + fib(n - 2)`, or one in a `range` loop),
    and a CPU-bound library call (`statistics.median`, `math.factorial`...) on
    data known to be big, by the same size model (`median(range(10**6))`,
    `factorial(100_000)`, a size the call passes).
    GIL101 also reports CPU work of unknown size in a thread; this rule asks
    for heavy evidence. Recursion into a structure's parts (`walk(child,
    level + 1)` over a node's children, a topological sort of a few tables),
    one recursive call per level, and a library call on data of unknown size
    (the median of a deque of recent samples) are not heavy.

    A light loop over a list (`for item in items: total += item.price`), a
    range inside a loop over data (`for gap in gaps: for pos in range(gap[0],
    gap[1])`: each item's span, as big as the data), a loop of a known small size, a loop that waits (`await`, a queue, I/O) and
    a generator loop that only yields (its work is its consumer's) are not
    reported.

    **Off by default**: turn it on with `extend-select = ["GIL206"]`. The size of
    the data is the caller's, and on mature async projects the loops it found
    were over a handful of items (a diff of two short message lists, the path
    through a small agent tree, a distance between two short strings): of the 23
    findings judged in the precision reviews (docs/precision.md), none was worth
    a change and 16 were false. Code that computes on the
    event loop by design (a numeric service, a game loop) selects it; GIL101 still
    reports CPU work handed to threads.

    ## Why is this bad?
    While the loop computes, the event loop cannot switch tasks: every other
    request, timer and heartbeat waits until it is done.

    ## Example
    ```python
    async def handler(n):
        return count_primes(n)
    ```

    ## Use instead
    ```python
    async def handler(n):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(process_pool, count_primes, n)
    ```

    ## Fix safety
    No automatic fix yet: it needs a process pool owned by the application.
    """

    CODE = "GIL206"
    DEFAULT = False
    VERIFY = "coroutine"
    NAME = "cpu-bound-in-async"
    BRIEF = "heavy CPU-bound work (a call or a loop) run inline on the event loop"
    MESSAGE = (
        "{what} is CPU-bound ({chain}) and runs on the event loop, blocking every other task; "
        "offload it {how}"
    )
    # in the words of the module's event-loop library
    HOW: ClassVar[dict[str, str]] = {
        "asyncio": "with `await loop.run_in_executor(process_pool, ...)`",
        "trio": "to a process with trio-parallel (`await trio_parallel.run_sync(...)`)",
        "anyio": "with `await anyio.to_process.run_sync(...)`",
    }
    TRIGGERS = (b"async",)
    VALID = [
        "def squares(n):\n    for i in range(n):\n        for j in range(i):\n            yield i * j\nasync def f(n):\n    return squares(n)\n",
        "import asyncio\ndef work(n):\n    t = 0\n    for i in range(n):\n        for j in range(n):\n"
        "            t += i * j\n    return t\nasync def f(pool):\n"
        "    loop = asyncio.get_running_loop()\n    return await loop.run_in_executor(pool, work, 10)\n",
        "async def f(items):\n    total = 0\n    for item in items:\n        total += item\n"
        "    return total\n",
        "import asyncio\nasync def f(q):\n    while True:\n        item = await q.get()\n"
        "        item += 1\n",
        # a generator that counts up does no work of its own: each step waits for `next`
        "def attempts():\n    attempt = 0\n    while attempt < 10**6:\n        yield attempt\n"
        "        attempt += 1\nasync def f():\n    for a in attempts():\n        if a > 3:\n"
        "            break\n",
        # a short string, and a helper called with a small size
        'async def f():\n    s = "hello"\n    return [ch * 2 for ch in s]\n',
        "def crunch(n):\n    t = 0\n    for i in range(n):\n        for j in range(n):\n"
        "            t += i * j\n    return t\nasync def f():\n    return crunch(10)\n",
        # walking a name by index is a loop over the name, of unknown (usually small) size
        "def is_pattern(name):\n    i = 0\n    while i < len(name):\n"
        "        if name[i] in '*?':\n            return True\n        i += 1\n    return False\n"
        "async def f(channel):\n    return is_pattern(channel)\n",
        # a range inside a loop over data walks each item's span: as big as the data
        "async def f(chunk):\n    seen = set()\n    for gap in chunk.gaps:\n"
        "        for pos in range(gap[0], gap[1] + 1):\n            seen.add((chunk.tsn + pos) % 4096)\n"
        "    return seen\n",
        # recursion into a structure's parts, with a depth counter: as big as the structure
        "def graph(tables, depth=0):\n    out = {}\n    for t in tables:\n"
        "        out.update(graph(t.refs, depth + 1))\n        out[t.name] = t.refs\n"
        "    return out\nasync def f(tables):\n    return graph(tables)\n",
        # the median of recent samples: a library call on data of unknown size
        "import statistics\nclass Monitor:\n    def sample(self):\n"
        "        self.avg = statistics.median(self.recent)\n"
        "    async def run(self):\n        self.sample()\n",
    ]
    INVALID = [
        Example(
            "def work(n):\n    t = 0\n    for i in range(n):\n        for j in range(n):\n"
            "            t += i * j\n    return t\nasync def f():\n    return work(1000)\n",
            at="8:12-8:22",
        ),
        Example(
            "async def f():\n    t = 0\n    for i in range(10_000_000):\n        t += i\n    return t\n",
            at="3:5-3:31",
        ),
        Example(
            "def squares(n):\n    for i in range(n):\n        for j in range(i):\n            yield i * j\nasync def f(n):\n    return sum(squares(n))\n",
            at="6:16-6:26",
        ),
        Example(
            "async def f(n):\n    for i in range(n * 1_000_000):\n        n += i\n",
            at="2:5-2:34",
        ),
        Example(
            "async def f():\n    return sum(i * i for i in range(10**7))\n",
            at="2:15-2:44",
        ),
        Example(
            "def crunch(n):\n    t = 0\n    for i in range(n):\n        t += i % 7\n    return t\n"
            "async def f():\n    return crunch(5_000_000)\n",
            at="7:12-7:29",
        ),
    ]

    def _how(self) -> str:
        return self.HOW[async_library(self.ctx) or "asyncio"]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if not ctx.in_async() or ctx.is_awaited(node):
            return
        summary = ctx.summary_at(node)
        if summary is None or summary.weight != "heavy":
            return
        if summary.generator and ctx.consumed_as(node) is None:
            return  # only makes a generator: its work runs where it is iterated
        self.report(
            node,
            what=f"`{ctx.segment(node.func)}`",
            chain=explain_sized(ctx, summary, ctx.summary_of(node.func), ctx.segment(node), node),
            how=self._how(),
            evidence=evidence_of(summary, ctx),
        )

    def visit_For(self, node: ast.For) -> None:
        self._loop(node)

    def visit_While(self, node: ast.While) -> None:
        self._loop(node)

    def _loop(self, node: ast.For | ast.While) -> None:
        ctx = self.ctx
        if not ctx.in_async() or self._inside_loop(node):
            return
        summary = ctx.summaries.loop_evidence(node, ctx.scope, ctx.module_info)
        if summary.weight != "heavy":
            return
        header_end = node.iter if isinstance(node, ast.For) else node.test
        self._report_header(node, header_end, summary)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        # a generator expression runs where it is consumed: `sum(x * x for x in ...)`
        parent = self.ctx.parent(node)
        if isinstance(parent, ast.Call) and node in parent.args:
            consumer = self.ctx.call_name(parent)
            if consumer in CONSUMERS:
                self._comprehension(node)

    def _comprehension(self, node: ast.expr) -> None:
        ctx = self.ctx
        if not ctx.in_async() or self._inside_loop(node) or self._inside_comprehension(node):
            return
        summary = ctx.summaries.comprehension_evidence(node, ctx.scope, ctx.module_info)
        if summary.weight != "heavy":
            return
        self.report(
            node,
            what=f"The comprehension at line {node.lineno}",
            chain=summary.explain(ctx.path),
            how=self._how(),
            evidence=evidence_of(summary, ctx),
        )

    def _inside_comprehension(self, node: ast.AST) -> bool:
        parent = self.ctx.parent(node)
        while parent is not None:
            if isinstance(parent, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                return True
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return False
            parent = self.ctx.parent(parent)
        return False

    def _report_header(self, node: ast.stmt, header_end: ast.expr, summary) -> None:  # type: ignore[no-untyped-def]
        # the range covers the loop header (`for i in range(n)`), not the body
        span = ast.Module(body=[], type_ignores=[])
        span.lineno, span.col_offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
        span.end_lineno = header_end.end_lineno  # type: ignore[attr-defined]
        span.end_col_offset = header_end.end_col_offset  # type: ignore[attr-defined]
        self.report(
            span,
            what=f"The loop at line {node.lineno}",
            chain=summary.explain(self.ctx.path),
            how=self._how(),
            evidence=evidence_of(summary, self.ctx),
        )

    def _inside_loop(self, node: ast.AST) -> bool:
        parent = self.ctx.parent(node)
        while parent is not None:
            if isinstance(parent, (ast.For, ast.While)):
                return True
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return False
            parent = self.ctx.parent(parent)
        return False
