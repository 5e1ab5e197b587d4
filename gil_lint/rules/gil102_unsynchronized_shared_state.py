from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from gil_lint.engine.context import ModuleContext
from gil_lint.engine.lifecycle import in_loop
from gil_lint.engine.scopes import Scope, walk_own
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import Submission, thread_function


class UnsynchronizedSharedState(Rule):
    """
    ## What it does
    Flags a read-modify-write (`counter += 1`, `totals[key] += n`,
    `stats.hits += 1`) of shared state — a module global, a `nonlocal`, or an
    object reached through one — inside a function run in a thread
    (`threading.Thread(target=...)`, a `Thread` subclass's `run()`, a thread
    pool, `asyncio.to_thread`), with no lock held: not inside `with lock:` and
    not between `lock.acquire()` and `lock.release()`.

    Parameters are not considered shared (precision first), and only thread
    targets defined in the same file are checked. Nor is a `nonlocal` of a
    closure started in one thread per call of the function around it (one
    `threading.Thread(target=read_logs)`, not in a loop) that no other closure
    updates and that function sets only before the start: each call makes new
    cells, and one writer loses no update.

    ## Why is this bad?
    `x += 1` is a read, an add and a write: two threads can read the same old
    value and one update is lost. The GIL does not prevent it — a thread switch
    can happen between the bytecodes — and on free-threaded Python (3.13t+)
    races are far more frequent.

    ## Example
    ```python
    import threading

    counter = 0

    def work():
        global counter
        for _ in range(100_000):
            counter += 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    ```

    ## Use instead
    ```python
    lock = threading.Lock()

    def work():
        global counter
        for _ in range(100_000):
            with lock:
                counter += 1
    ```

    ## Fix safety
    No automatic fix: which lock protects which state is a design decision.
    """

    CODE = "GIL102"
    NAME = "unsynchronized-shared-state"
    BRIEF = "`+=` on a global / nonlocal / shared object from a thread target with no lock held"
    MESSAGE = (
        "`{target}` is updated from a thread (`{function}`) without a lock; concurrent "
        "`+=` can lose updates — guard it with `with lock:`"
    )
    TRIGGERS = (b"Thread", b"Executor", b"Pool", b"to_thread", b"run_in_executor")
    VALID = [
        "import threading\ncounter = 0\nlock = threading.Lock()\ndef work():\n    global counter\n"
        "    with lock:\n        counter += 1\ndef main():\n    threading.Thread(target=work).start()\n",
        "import threading\ndef work(n):\n    total = 0\n    for i in range(n):\n        total += i\n"
        "    return total\ndef main():\n    threading.Thread(target=work, args=(5,)).start()\n",
        "counter = 0\ndef work():\n    global counter\n    counter += 1\n",
        # one thread per call updates the closure's cells: nothing else writes them
        "import threading\ndef watch(lines):\n    seen = 0\n    def read():\n"
        "        nonlocal seen\n        for _ in lines:\n            seen += 1\n"
        "    t = threading.Thread(target=read)\n    t.start()\n    t.join()\n    return seen\n",
        "import threading\ncounter = 0\nlock = threading.Lock()\ndef work():\n    global counter\n"
        "    lock.acquire()\n    counter += 1\n    lock.release()\n"
        "def main():\n    threading.Thread(target=work).start()\n",
    ]
    INVALID = [
        Example(
            "import threading\ncounter = 0\ndef work():\n    global counter\n    counter += 1\n"
            "def main():\n    threading.Thread(target=work).start()\n",
            at="5:5-5:17",
        ),
        # one finding per thread function: one lock around its updates fixes them all
        Example(
            "import threading\nsent = 0\nlog = []\ndef work(m):\n    global sent, log\n"
            "    sent += 1\n    log += [m]\ndef main(m):\n"
            "    threading.Thread(target=work, args=(m,)).start()\n",
            at="6:5-6:14",
        ),
        # a closure started in a loop: its threads share the cells
        Example(
            "import threading\ndef watch(feeds):\n    seen = 0\n    def read():\n"
            "        nonlocal seen\n        seen += 1\n"
            "    for _ in feeds:\n        threading.Thread(target=read).start()\n",
            at="6:9-6:18",
        ),
        Example(
            "from concurrent.futures import ThreadPoolExecutor\ntotals = {}\ndef add(k):\n"
            "    totals[k] += 1\ndef main(keys):\n    with ThreadPoolExecutor() as ex:\n"
            "        ex.map(add, keys)\n",
            at="4:5-4:19",
        ),
    ]

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.reported: set[int] = set()

    def visit_Call(self, node: ast.Call) -> None:
        found = thread_function(self.ctx, node)
        if found is not None:
            self._check(found[0], found[1])

    def _check(self, fn: ast.FunctionDef, sub: Submission | None) -> None:
        """Every unlocked update the thread function makes is one finding, on the first:
        one lock around its updates fixes them all (lancedb's pipeline counters,
        changedetection's debug log appended to and trimmed in one runner)."""
        ctx = self.ctx
        scope = ctx.scopes[fn]
        first: int | None = None
        for node, locked in _aug_assigns(fn.body, ctx, scope):
            if locked or id(node) in self.reported:
                continue
            target = shared_state(ctx, node.target, scope)
            if target is None or _sole_writer(ctx, fn, sub, node.target, scope):
                continue
            self.reported.add(id(node))
            if first is None:
                self.report(node, target=target, function=fn.name)
                first = len(ctx.diagnostics) - 1
                continue
            found = ctx.diagnostics[first]
            more = len(found.evidence) + 1
            message = found.message.split(" (and ")[0]
            places = "update" if more == 1 else "updates"
            ctx.join_evidence(
                first,
                ctx.evidence_at(node, f"also `{target}`"),
                f"{message} (and {more} more {places} in `{fn.name}`)",
            )


def _sole_writer(
    ctx: ModuleContext,
    fn: ast.FunctionDef,
    sub: Submission | None,
    target: ast.expr,
    scope: Scope,
) -> bool:
    """``target`` is a ``nonlocal`` that no other code writes while the one thread running
    ``fn`` does: ``fn`` is a closure started once per call of the function around it (one
    ``threading.Thread(target=fn)``, not in a loop, its only reference), no other closure
    there declares the name ``nonlocal``, and the function around it only sets it before
    starting the thread. Each call of that function makes new cells, so nothing shares
    them: one writer loses no update (sglang's log-reading thread and its match counter)."""
    if not (isinstance(target, ast.Name) and target.id in scope.nonlocals):
        return False
    if sub is None or sub.api != "threading.Thread" or in_loop(sub.call, ctx.parent):
        return False
    around = scope.parent  # the function the closure is defined in (in a `try:` too)
    outer = around.node if around is not None else None
    if not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    name = target.id
    own = {id(n) for n in ast.walk(fn)}
    references = 0
    for node in ast.walk(outer):
        if isinstance(node, ast.Name) and node.id == fn.name:
            references += 1
        elif isinstance(node, ast.Nonlocal) and name in node.names and id(node) not in own:
            return False  # another closure updates it too
    if references != 1:
        return False
    start = sub.call.lineno
    return not any(
        isinstance(node, ast.Name)
        and node.id == name
        and isinstance(node.ctx, ast.Store)
        and node.lineno > start
        for node in walk_own(outer)
    )


def shared_state(
    ctx: ModuleContext,
    target: ast.expr,
    scope: Scope,
    *,
    container: bool = False,
    unknown_shared: bool = True,
) -> str | None:
    """``target``'s text if it is state other threads see (a global, a nonlocal, an
    attribute or item of something not local to ``scope``), else None. A ``container`` (a
    mapping whose items are checked and set) may be a bare module-level name: setting an
    item needs no ``global`` statement. ``unknown_shared``: a name whose binding is not known
    (a star import) counts as shared (GIL102) or not (GIL104)."""
    root = target
    while isinstance(root, (ast.Subscript, ast.Attribute)):
        root = root.value
    if not isinstance(root, ast.Name):
        return None
    name = root.id
    text = ctx.segment(target) or name
    if name in scope.globals or name in scope.nonlocals:
        return text
    if (target is root and not container) or name in scope.bindings:
        return None  # a plain local name, a local or a parameter
    binding = ctx.resolver.lookup(name, scope)
    not_shared = (
        ("import", "def", "class") if unknown_shared else ("import", "def", "class", "unknown")
    )
    if binding is None or binding.kind in not_shared:
        return None
    return text


def _aug_assigns(
    body: Sequence[ast.stmt], ctx: ModuleContext, scope: Scope
) -> Iterator[tuple[ast.AugAssign, bool]]:
    """(AugAssign, lock held?) for the statements of a function, not entering nested defs."""
    acquired: set[str] = set()
    for stmt in body:
        yield from _stmt(stmt, ctx, scope, False, acquired)


def _stmt(
    stmt: ast.stmt, ctx: ModuleContext, scope: Scope, locked: bool, acquired: set[str]
) -> Iterator[tuple[ast.AugAssign, bool]]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and func.attr in ("acquire", "release"):
            key = ctx.segment(func.value)
            if func.attr == "acquire":
                acquired.add(key)
            else:
                acquired.discard(key)
    if isinstance(stmt, ast.AugAssign):
        yield stmt, locked or bool(acquired)
        return
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        locked = locked or any(_is_lock(ctx, item.context_expr, scope) for item in stmt.items)
    for field in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(stmt, field, ()) or ():
            if isinstance(child, ast.ExceptHandler):
                for s in child.body:
                    yield from _stmt(s, ctx, scope, locked, acquired)
            else:
                yield from _stmt(child, ctx, scope, locked, acquired)
    if isinstance(stmt, ast.Match):
        for case in stmt.cases:
            for s in case.body:
                yield from _stmt(s, ctx, scope, locked, acquired)


def _is_lock(ctx: ModuleContext, expr: ast.expr, scope: Scope) -> bool:
    q = ctx.qualname(expr, scope)
    if q in ctx.knowledge.sync_context_managers:
        return True
    return "lock" in (ctx.segment(expr) or "").lower()
