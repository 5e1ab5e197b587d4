from __future__ import annotations

import ast
import re
import weakref
from collections import Counter
from collections.abc import Sequence

from gil_lint.diagnostics import Edit, Fix
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.scopes import Scope
from gil_lint.engine.summaries import CallShape, Summary
from gil_lint.fix.edits import cst, fix_from, import_edit, imported_as, node_edit, render
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import (
    Submission,
    evidence_of,
    explain_sized,
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
    comprehensions, CPU-bound library calls (`statistics.median`,
    `math.factorial`; one known to run on a small input, `median([a, b, c])`, is
    no work). Work dominated by calls that release
    the GIL (numpy, hashlib, zlib, file and socket I/O, `time.sleep`) is not
    CPU-bound; unknown library calls are not assumed to be. A loop of unknown
    size is not enough next to calls of unknown cost (a library's function, a
    method of an object nothing is known of, in a loop or not): a function
    that marks each node pending, then asks each node's device for a reading,
    spends its time in those calls, not in the Python around them. Heavy
    evidence (a big or nested range, a counting loop) still counts. A loop of
    unknown size that only stores into containers (`done[node] = False`) is
    bookkeeping, not computing. A lambda is judged
    by its body (`target=lambda: sum(i * i for i in range(10**7))`).

    Loop sizes come from one size model shared with GIL206: constants are
    folded (`10**7`, `N * 1000`, module constants, `len` of a literal) and
    the arguments the thread is given size the function's loops
    (`Thread(target=tally, args=(50,))` runs `tally(50)`; also `submit`,
    `to_thread`, `run_in_executor`, `functools.partial` and `map` over a
    literal list). A loop nest of a known total below
    `cpu-loop-min-iterations` (default 1000), or one that only yields, is no
    CPU work; a size that is not known stays unknown, and the loop counts. When
    the arguments are what make the work heavy, the message says so: "loop
    over range(10_000_000) at line 4 via `tally(10**7)` at line 9".

    With `target-gil = "disabled"` (or `"auto"` on a free-threaded interpreter
    where the GIL is off) threads do run Python in parallel, and this rule is
    silent.

    When the target version is 3.14 or later (`target-version`, else
    `requires-python`), the message also offers
    `concurrent.futures.InterpreterPoolExecutor` (PEP 734) for a module-level
    function: the thread pool's API, with one interpreter and GIL per worker.

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

    On a 3.14+ target the fix switches to `InterpreterPoolExecutor` instead,
    also unsafe: the callable and its arguments must still pickle, globals are
    not shared between interpreters, and a C extension that does not support
    subinterpreters (numpy, for one) fails to import in the workers.
    """

    CODE = "GIL101"
    VERIFY = "submission"
    NAME = "cpu-bound-in-thread"
    BRIEF = "a CPU-bound pure-Python callable run in a thread, thread pool, `asyncio.to_thread` or `run_in_executor(None, ...)` — with the evidence chain"
    MESSAGE = (
        "`{name}` is CPU-bound pure Python ({chain}); threads run it one at a time under "
        "the GIL — use ProcessPoolExecutor{or_interpreters}"
    )
    # issue #19: on 3.14+ targets, for a module-level function (it must pickle)
    OR_INTERPRETERS = (
        ", or InterpreterPoolExecutor (3.14+: the thread pool's API, one interpreter and "
        "GIL per worker)"
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
        # sized by the call site: fifty, ten and two iterations are no CPU work
        "import threading\ndef tally(n):\n    t = 0\n    for i in range(n):\n        t += i\n"
        "    return t\ndef main():\n    threading.Thread(target=tally, args=(50,)).start()\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef tally(n):\n    t = 0\n"
        "    for i in range(n):\n        t += i\n    return t\n"
        "def main():\n    with ThreadPoolExecutor() as pool:\n        pool.submit(tally, 10)\n"
        "        list(pool.map(tally, [5, 6]))\n",
        "import threading\ndef walk(xs):\n    t = 0\n    for x in xs:\n        t += x * 2\n"
        "    return t\ndef main():\n    threading.Thread(target=walk, args=([1, 2],)).start()\n",
        # bookkeeping around calls of unknown cost: the calls may be the work
        "import threading\ndef request_all(session, devices):\n    for node in session.nodes:\n"
        "        session.done[node] = False\n    for node in session.nodes:\n"
        "        devices[node].request_fields(session, callback=session.on_fields)\n"
        "def main(session, devices):\n"
        "    threading.Thread(target=request_all, args=(session, devices)).start()\n",
        # a module constant sizes the loop too
        "import threading\nRETRIES = 5\ndef backoff():\n    t = 0\n    for i in range(RETRIES):\n"
        "        t += 2**i\n    return t\ndef main():\n    threading.Thread(target=backoff).start()\n",
    ]
    INVALID = [
        Example(
            "from concurrent.futures import ThreadPoolExecutor\ndef work(n):\n    t = 0\n"
            "    for i in range(n):\n        t += i * i\n    return t\n"
            "def main(xs):\n    with ThreadPoolExecutor() as ex:\n        return list(ex.map(work, xs))\n",
            at="9:21-9:37",
            fixed="from concurrent.futures import ProcessPoolExecutor\ndef work(n):\n    t = 0\n"
            "    for i in range(n):\n        t += i * i\n    return t\n"
            "def main(xs):\n    with ProcessPoolExecutor() as ex:\n        return list(ex.map(work, xs))\n",
            unsafe=True,
        ),
        Example(
            "import threading\ndef work():\n    total = 0\n    for i in range(10_000_000):\n"
            "        total += i ** 2\n    return total\n"
            "def main():\n    threading.Thread(target=work).start()\n",
            at="8:5-8:34",
        ),
        Example(
            "import concurrent.futures as cf\ndef work(n):\n    t = 0\n    for i in range(n):\n"
            "        t += i * i\n    return t\n"
            "def main():\n    with cf.ThreadPoolExecutor() as ex:\n        return ex.submit(work, 10**6)\n",
            at="9:16-9:38",
        ),
        Example(
            "import asyncio\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
            "async def main():\n    return await asyncio.to_thread(fib, 30)\n",
            at="5:18-5:44",
        ),
        Example(
            "import asyncio, functools\ndef work(n, k):\n    t = 0\n    while n > 0:\n"
            "        t += n % k\n        n -= 1\n    return t\n"
            "async def main():\n    loop = asyncio.get_running_loop()\n"
            "    return await loop.run_in_executor(None, functools.partial(work, 10**6, 7))\n",
            at="10:18-10:79",
        ),
        Example(
            "import threading\nclass Worker(threading.Thread):\n    def run(self):\n"
            "        n = 0\n        while n < 10**7:\n            n += 1\n"
            "def main():\n    Worker().start()\n",
            at="8:5-8:13",
        ),
        Example(
            "import threading\n"
            "def main():\n    threading.Thread(target=lambda: sum(i * i for i in range(10**7))).start()\n",
            at="3:5-3:70",
        ),
        Example(
            "from concurrent.futures import ThreadPoolExecutor\ndef tally(n):\n    t = 0\n"
            "    for i in range(n):\n        t += i\n    return t\n"
            "def main():\n    with ThreadPoolExecutor() as pool:\n        return pool.submit(tally, 10**7)\n",
            at="9:16-9:41",
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if ctx.settings.gil_disabled():
            return
        run = thread_subclass_run(ctx, node)
        summary: Summary | None
        chain: str | None = None
        if run is not None:
            summary = ctx.summaries.of(ctx.module_info, run)
            name = f"{ctx.segment(node.func)}.run"
        else:
            sub = submission(ctx, node)
            if sub is None or sub.kind != "thread":
                return
            func, calls = call_shapes(ctx, sub)
            summary = ctx.summary_of(func, None, calls)
            name = ctx.segment(func) if not isinstance(func, ast.Lambda) else "lambda"
            if summary is not None and calls is not None:
                base = ctx.summary_of(func)
                chain = explain_sized(ctx, summary, base, _call_text(ctx, name, calls, node), node)
        # the shared verdict: any CPU work, heavy or of a size not known (threads run it
        # one at a time either way); a known small size is no CPU work at all
        if summary is None or summary.weight is None:
            return
        interpreters = run is None and ctx.settings.targets(3, 14) and _module_function(ctx, func)
        self.report(
            node,
            name=name,
            chain=chain or summary.explain(ctx.path),
            or_interpreters=self.OR_INTERPRETERS if interpreters else "",
            evidence=evidence_of(summary, ctx),
            fix=self._fix(node),
        )

    def _fix(self, node: ast.Call) -> Fix | None:
        if self.ctx.settings.targets(3, 14):
            return thread_pool_to_process_pool_fix(self.ctx, node, pool="InterpreterPoolExecutor")
        return thread_pool_to_process_pool_fix(self.ctx, node)


def _module_function(ctx: ModuleContext, func: ast.expr) -> bool:
    """``func`` names a function defined at this module's top level (it pickles by name)."""
    if not isinstance(func, ast.Name) or func.id not in ctx.module_scope.bindings:
        return False
    binding = ctx.resolver.lookup(func.id, ctx.scope)
    return binding is ctx.module_scope.bindings[func.id] and binding.kind == "def"


_THREAD_ONLY_KEYWORDS = frozenset({"thread_name_prefix"})
# pool methods that call the function once per item of their iterables
_PER_ITEM = frozenset({"map", "imap", "imap_unordered", "map_async"})
_PER_TUPLE = frozenset({"starmap", "starmap_async"})


def call_shapes(ctx: ModuleContext, sub: Submission) -> tuple[ast.expr, list[CallShape] | None]:
    """The callable a submission runs (``functools.partial`` unwrapped) and the arguments
    it is called with, one shape per call, when the call site shows them all (None when it
    does not: ``args=params``, ``pool.map(f, items)``). Their known values size the
    callable's loops: ``Thread(target=tally, args=(50,))`` runs ``tally(50)``."""
    call, func = sub.call, sub.func
    prefix: list[ast.expr] = []
    prefix_keywords: list[ast.keyword] = []
    while isinstance(func, ast.Call) and func.args and ctx.call_name(func) == "functools.partial":
        prefix = [*func.args[1:], *prefix]
        prefix_keywords = [*func.keywords, *prefix_keywords]
        func = func.args[0]
    shapes = _shapes(ctx, sub, call)
    if shapes is None:
        return func, None
    return func, [([*prefix, *pos], [*prefix_keywords, *kws]) for pos, kws in shapes]


def _call_text(ctx: ModuleContext, name: str, calls: list[CallShape], node: ast.Call) -> str:
    """``tally(10**8)``: the one call a submission makes, as written (else the submission)."""
    if len(calls) != 1:
        return ctx.segment(node)
    positional, keywords = calls[0]
    parts = [ctx.segment(a) for a in positional]
    parts += [f"{k.arg}={ctx.segment(k.value)}" for k in keywords]
    return f"{name}({', '.join(parts)})"


def _shapes(ctx: ModuleContext, sub: Submission, call: ast.Call) -> list[CallShape] | None:
    if sub.api == "threading.Thread":
        args = _keyword(call, "args") or (call.args[3] if len(call.args) > 3 else None)
        kwargs = _keyword(call, "kwargs") or (call.args[4] if len(call.args) > 4 else None)
        positional = _literal_items(args)
        keywords = _literal_keywords(kwargs)
        if positional is None or keywords is None:
            return None
        return [(positional, keywords)]
    if sub.api in ("asyncio.to_thread", "loop.run_in_executor"):
        return [(list(sub.args), list(call.keywords))]
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if method == "submit":
        return [(list(call.args[1:]), list(call.keywords))]
    if method in ("apply", "apply_async"):
        args = call.args[1] if len(call.args) > 1 else _keyword(call, "args")
        kwds = call.args[2] if len(call.args) > 2 else _keyword(call, "kwds")
        positional, keywords = _literal_items(args), _literal_keywords(kwds)
        if positional is None or keywords is None:
            return None
        return [(positional, keywords)]
    if method in _PER_ITEM and len(call.args) >= 2:
        columns = [_literal_items(a, repeat=True) for a in call.args[1:]]
        if any(c is None or not c for c in columns):
            return None
        rows = zip(*[c for c in columns if c is not None], strict=False)
        return [(list(row), []) for row in rows]
    if method in _PER_TUPLE and len(call.args) >= 2:
        items = _literal_items(call.args[1], repeat=True)
        tuples = [_literal_items(t) for t in items or ()]
        if not items or any(t is None for t in tuples):
            return None
        return [(t, []) for t in tuples if t is not None]
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _literal_items(expr: ast.expr | None, *, repeat: bool = False) -> list[ast.expr] | None:
    """The items of a literal tuple or list (``[x] * 4`` too, with ``repeat``); [] for
    none given; None when they are not written out."""
    if expr is None:
        return []
    if (
        repeat
        and isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Mult)
        and isinstance(expr.left, (ast.List, ast.Tuple))
    ):
        expr = expr.left  # the same items again: the same calls
    if isinstance(expr, (ast.Tuple, ast.List)):
        return list(expr.elts)
    return None


def _literal_keywords(expr: ast.expr | None) -> list[ast.keyword] | None:
    if expr is None:
        return []
    if isinstance(expr, ast.Dict) and all(
        isinstance(k, ast.Constant) and isinstance(k.value, str) for k in expr.keys
    ):
        return [
            ast.keyword(arg=k.value, value=v)  # type: ignore[union-attr]
            for k, v in zip(expr.keys, expr.values, strict=True)
        ]
    return None


_POOL_TITLES = {
    "ProcessPoolExecutor": "Use `ProcessPoolExecutor`: processes run Python in parallel",
    "InterpreterPoolExecutor": (
        "Use `InterpreterPoolExecutor` (3.14+): each worker has its own interpreter and GIL"
    ),
}


def thread_pool_to_process_pool_fix(
    ctx: ModuleContext, call: ast.Call, pool: str = "ProcessPoolExecutor"
) -> Fix | None:
    """GIL101: ``ThreadPoolExecutor(...)`` → ``ProcessPoolExecutor(...)`` (or ``pool``:
    ``InterpreterPoolExecutor`` on 3.14+ targets), and the import.

    ``call`` is the constructor itself, or a ``pool.submit/map`` call whose pool was built
    by one (then only when the submitted callable is a module-level function: it must be
    picklable). Unsafe: every callable and argument sent to the pool must then pickle, and
    the workers no longer share the caller's memory.
    """
    if ctx.qualname(call.func) == "concurrent.futures.ThreadPoolExecutor":
        ctor = call
    else:
        ctor = _pool_constructor(ctx, call)  # type: ignore[assignment]
        if ctor is None:
            return None
    if any(kw.arg is None or kw.arg in _THREAD_ONLY_KEYWORDS for kw in ctor.keywords):
        return None
    target = ctor.func
    added_import = None
    if isinstance(target, ast.Attribute):
        replacement = f"{ctx.segment(target.value)}.{pool}"
    else:
        imported = _process_pool_import(ctx, target, pool)
        if imported is None:
            return None
        replacement, added_import = imported
    return fix_from(
        _POOL_TITLES[pool],
        "unsafe",
        node_edit(ctx, target, replacement),
        added_import,
    )


def _process_pool_import(
    ctx: ModuleContext, target: ast.expr, pool: str = "ProcessPoolExecutor"
) -> tuple[str, Edit | None] | None:
    """The name to call ``ProcessPoolExecutor`` (or ``pool``) by where ``target``
    (``ThreadPoolExecutor`` or its alias) stands, and the edit to the imports (None: none needed).

    The module's ``from concurrent.futures import ThreadPoolExecutor`` imports
    ``ProcessPoolExecutor`` instead if the thread pool is used nowhere else (or drops it,
    when ``ProcessPoolExecutor`` is imported already), or beside it; a new import only when
    there is no such statement. None: the name is taken, or the statement's text is not
    what its tree says (no fix).
    """
    existing = imported_as(ctx, f"concurrent.futures.{pool}")
    if existing:
        name = existing[0]
    elif pool in ctx.module_scope.bindings:
        return None
    else:
        name = pool
    found = _thread_pool_import(ctx, target.id) if isinstance(target, ast.Name) else None
    if not isinstance(target, ast.Name) or found is None:
        if existing:
            return name, None
        return name, import_edit(ctx, f"from concurrent.futures import {pool}")
    stmt, index = found
    used = _used_elsewhere(ctx, target)
    parsed = _parse_import(ctx, stmt)
    if parsed is None:
        return None
    node, names = parsed
    if existing and used:
        # the statement stays as it is, but the fix claims it (an edit to the same text):
        # fixes on two pools then apply one per pass, and the last one, alone with the
        # statement, drops the thread pool that nothing uses any more
        return name, node_edit(ctx, stmt, render(node))
    process_pool = cst.Name(pool)
    if existing and len(names) == 1:
        return name, _delete_statement(ctx, stmt)
    if existing:
        dropped = names.pop(index)
        if index == len(names):  # the last name: the one before it ends the list now
            names[-1] = names[-1].with_changes(comma=dropped.comma)
    elif used:
        # where a sorted list keeps it sorted, else right before the thread pool
        spelled = [a.name for a in stmt.names]
        at = index
        if spelled == sorted(spelled):
            at = next(i for i, n in enumerate(spelled) if n > pool)
        comma = _separator(names, node.lpar, at)
        names.insert(at, cst.ImportAlias(name=process_pool, comma=comma))
    else:
        names[index] = names[index].with_changes(name=process_pool, asname=None)
    return name, node_edit(ctx, stmt, render(node.with_changes(names=names)))


def _thread_pool_import(ctx: ModuleContext, name: str) -> tuple[ast.ImportFrom, int] | None:
    """The module-level ``from concurrent.futures import ThreadPoolExecutor [as name]``
    that binds ``name``, and the alias's index in it."""
    for stmt in ctx.tree.body:
        if (
            not isinstance(stmt, ast.ImportFrom)
            or stmt.level
            or stmt.module != "concurrent.futures"
        ):
            continue
        for i, alias in enumerate(stmt.names):
            if alias.name == "ThreadPoolExecutor" and (alias.asname or alias.name) == name:
                return stmt, i
    return None


def _parse_import(
    ctx: ModuleContext, stmt: ast.ImportFrom
) -> tuple[cst.ImportFrom, list[cst.ImportAlias]] | None:
    """``stmt`` as a libcst node and its names, if its text parses to the same names."""
    try:
        parsed = cst.parse_statement(ctx.segment(stmt))
    except Exception:  # libcst raises its own ParserSyntaxError and others
        return None
    node = parsed.body[0] if isinstance(parsed, cst.SimpleStatementLine) else None
    if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
        return None
    names = list(node.names)
    if [a.evaluated_name for a in names] != [a.name for a in stmt.names]:
        return None
    return node, names


def _delete_statement(ctx: ModuleContext, stmt: ast.stmt) -> Edit | None:
    """Remove ``stmt``'s lines, if it stands alone on them (else None: it stays)."""
    row, col, end_row, end_col = ctx.span(stmt)
    if col != 1 or ctx.lines[end_row - 1][end_col - 1 :].strip():
        return None
    return Edit(row, 1, end_row + 1, 1, "")


# module scope -> the names used in it (how often) and the words in its non-docstring strings
_USES: weakref.WeakKeyDictionary[Scope, tuple[Counter[str], set[str]]] = weakref.WeakKeyDictionary()


def _used_elsewhere(ctx: ModuleContext, target: ast.Name) -> bool:
    """``target``'s name appears elsewhere in the module: as a name, or in a string that is
    not a docstring (``__all__``, a quoted annotation). A comment does not count. Computed
    once per module: a walk per fix would make a module with many findings quadratic."""
    uses = _USES.get(ctx.module_scope)
    if uses is None:
        docstrings = set()
        for node in ast.walk(ctx.tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                first = node.body[0] if node.body else None
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    docstrings.add(first.value)
        names: Counter[str] = Counter()
        words: set[str] = set()
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Name):
                names[node.id] += 1
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node not in docstrings
            ):
                words.update(re.findall(r"\w+", node.value))
        uses = _USES[ctx.module_scope] = (names, words)
    names, words = uses
    return names[target.id] > 1 or target.id in words


def _separator(names: Sequence[cst.ImportAlias], lpar: cst.LeftParen | None, at: int) -> cst.Comma:
    """The comma after a name inserted at ``at``, laid out like the list's other separators:
    on a line of its own where the names are one per line."""
    layout: cst.BaseParenthesizableWhitespace | None = None
    before = names[at - 1].comma if at > 0 else None
    first = names[0].comma if len(names) > 1 else None
    if isinstance(before, cst.Comma):
        layout = before.whitespace_after
    elif isinstance(first, cst.Comma):
        layout = first.whitespace_after
    elif lpar is not None:
        layout = lpar.whitespace_after
    if isinstance(layout, cst.ParenthesizedWhitespace):
        # the new line carries no comment of the line it was copied from
        return cst.Comma(whitespace_after=layout.with_changes(first_line=cst.TrailingWhitespace()))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _pool_constructor(ctx: ModuleContext, call: ast.Call) -> ast.Call | None:
    """The ``ThreadPoolExecutor(...)`` call that built the pool ``call`` submits to."""
    sub = submission(ctx, call)
    if sub is None or not isinstance(call.func, ast.Attribute):
        return None
    func = unwrap_partial(ctx, sub.func)
    if not isinstance(func, ast.Name):
        return None
    binding = ctx.resolver.lookup(func.id, ctx.scope)
    if binding is None or binding.kind != "def" or func.id not in ctx.module_scope.bindings:
        return None
    receiver = call.func.value
    if not isinstance(receiver, ast.Name):
        return None
    pool = ctx.resolver.lookup(receiver.id, ctx.scope)
    if pool is None or pool.kind != "value" or len(pool.values) != 1:
        return None
    ctor = pool.values[0]
    if not isinstance(ctor, ast.Call):
        return None
    if ctx.qualname(ctor.func) != "concurrent.futures.ThreadPoolExecutor":
        return None
    return ctor
