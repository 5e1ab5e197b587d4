from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from gil_lint.engine.context import ModuleContext
from gil_lint.engine.scopes import NESTED_SCOPES, Scope, walk_own
from gil_lint.rules.base import Example, Rule
from gil_lint.rules.concurrency_apis import thread_function
from gil_lint.rules.gil102_unsynchronized_shared_state import _is_lock, shared_state

# thread starters that run the function once per call (a pool's map runs it many times)
_ONE_THREAD_APIS = frozenset(
    {"threading.Thread", "ThreadPoolExecutor.submit", "ThreadPool.apply", "ThreadPool.apply_async"}
)
# what to do instead, by the kind of check-then-act found
_ADVICE = {
    "missing-key": "hold a lock across both (`with lock:`), or insert atomically with "
    "`{target}.setdefault(key, value)`",
    "lazy-init": "hold a lock across both (`with lock:`), or build it once with a "
    "`@functools.cache` factory",
    "read-modify-write": "hold a lock across the read and the write (`with lock:`)",
}


class CheckThenActRace(Rule):
    """
    ## What it does
    Flags a check and an act on shared state with no lock held, in a function
    run in a thread — the reach of GIL102: `threading.Thread(target=...)`, a
    `Thread` subclass's `run()`, a thread pool, `asyncio.to_thread`, with the
    target defined in the same file. Three shapes:

    - a missing key, then an insert: `if key not in cache: cache[key] = ...`
      (also `if cache.get(key) is None:`);
    - lazy initialisation of a global or of an attribute of a shared object:
      `if _client is None: _client = make()` (also `if not _client:`);
    - a read-modify-write split across statements: `n = counter` then
      `counter = n + 1`, or `v = totals.get(k, 0)` then `totals[k] = v + x`.

    "Shared" is what GIL102 means: a module global or `nonlocal`, or an object
    reached through a module-level name; parameters and locals are not.
    Not reported: the act inside `with lock:` (so double-checked locking is
    silent), or between `lock.acquire()` and `lock.release()`; and a function
    started in one thread only (one `Thread(...)` or one `submit`, not in a
    loop) when no other function of the module writes the same state: with a
    single writer nothing can act between the check and the act.

    ## Why is this bad?
    Between the check and the act another thread can run the same check, see
    the same answer and act too: two clients are created and one leaks, two
    lists are stored under one key and the appends to the first are lost, an
    update is overwritten. The GIL does not prevent it — a thread switch can
    happen between any two bytecodes — and on free-threaded Python (3.13t,
    officially supported from 3.14) the threads run at once, so the window is
    hit far more often.

    ## Example
    ```python
    import threading

    _sessions = {}

    def worker(host):
        if host not in _sessions:
            _sessions[host] = connect(host)
        _sessions[host].send(b"ping")

    threads = [threading.Thread(target=worker, args=(h,)) for h in hosts]
    ```

    ## Use instead
    ```python
    _lock = threading.Lock()

    def worker(host):
        with _lock:
            if host not in _sessions:
                _sessions[host] = connect(host)
        _sessions[host].send(b"ping")
    ```
    For a plain value, `_sessions.setdefault(host, value)` inserts atomically;
    for a single lazily built object, a `@functools.cache` factory builds it
    once.

    ## Fix safety
    No automatic fix: which lock guards which state is a design decision, and
    `setdefault` evaluates its value even when the key is present.
    """

    CODE = "GIL104"
    NAME = "check-then-act-race"
    BRIEF = "in code run by threads, a check and an act on shared state with no lock (`if k not in d: d[k] = ...`, lazy init, split read-modify-write)"
    MESSAGE = (
        "`{target}` is checked, then set, from a thread (`{function}`) with no lock held: "
        "another thread can act between the two — {advice}"
    )
    RMW = (
        "`{target}` is read (line {row}) and then written from a thread (`{function}`) with "
        "no lock held: a concurrent update in between is lost — {advice}"
    )
    TRIGGERS = (b"Thread", b"Executor", b"Pool", b"to_thread", b"run_in_executor")
    VALID = [
        # one background thread is the only writer: nothing else can act in between
        "import threading\n_conn = None\ndef monitor():\n    global _conn\n"
        "    if _conn is None:\n        _conn = object()\n"
        "def main():\n    threading.Thread(target=monitor, daemon=True).start()\n",
        # another function's local of the same name is not a second writer
        "import threading\n_conn = None\ndef monitor():\n    global _conn\n"
        "    if _conn is None:\n        _conn = object()\n"
        "def other():\n    _conn = 1\n    return _conn\n"
        "def main():\n    threading.Thread(target=monitor).start()\n",
        # under a lock
        "import threading\ncache = {}\nlock = threading.Lock()\ndef work(k):\n"
        "    with lock:\n        if k not in cache:\n            cache[k] = []\n"
        "def main():\n    threading.Thread(target=work, args=(1,)).start()\n",
        # double-checked locking: the act is under the lock
        "import threading\n_client = None\n_lock = threading.Lock()\ndef work():\n"
        "    global _client\n    if _client is None:\n        with _lock:\n"
        "            if _client is None:\n                _client = object()\n"
        "def main():\n    threading.Thread(target=work).start()\n",
        # not run in a thread
        "_client = None\ndef get():\n    global _client\n    if _client is None:\n"
        "        _client = object()\n    return _client\n",
        # a local dict
        "import threading\ndef work(keys):\n    seen = {}\n    for k in keys:\n"
        "        if k not in seen:\n            seen[k] = 1\n"
        "def main():\n    threading.Thread(target=work, args=([],)).start()\n",
        # a parameter is not shared (precision first)
        "from concurrent.futures import ThreadPoolExecutor\ndef work(d):\n"
        "    if 'k' not in d:\n        d['k'] = 1\n"
        "def main(ds):\n    with ThreadPoolExecutor() as ex:\n        ex.map(work, ds)\n",
        "import threading\ncounter = 0\nlock = threading.Lock()\ndef work():\n"
        "    global counter\n    lock.acquire()\n    n = counter\n    counter = n + 1\n"
        "    lock.release()\ndef main():\n    threading.Thread(target=work).start()\n",
    ]
    INVALID = [
        Example(
            "import threading\ncache = {}\ndef work(k):\n    if k not in cache:\n"
            "        cache[k] = []\n    cache[k].append(1)\n"
            "def main(keys):\n    for k in keys:\n"
            "        threading.Thread(target=work, args=(k,)).start()\n",
            at="4:8-4:22",
        ),
        Example(
            "from concurrent.futures import ThreadPoolExecutor\n_client = None\n"
            "def fetch(url):\n    global _client\n    if _client is None:\n"
            "        _client = object()\n    return url\n"
            "def main(urls):\n    with ThreadPoolExecutor() as ex:\n"
            "        return list(ex.map(fetch, urls))\n",
            at="5:8-5:23",
        ),
        Example(
            "import threading\ncounter = 0\ndef work():\n    global counter\n"
            "    n = counter\n    counter = n + 1\n"
            "def main():\n    threads = [threading.Thread(target=work) for _ in range(4)]\n",
            at="6:5-6:20",
        ),
        Example(
            "from concurrent.futures import ThreadPoolExecutor\ntotals = {}\n"
            "def add(k):\n    v = totals.get(k, 0)\n    totals[k] = v + 1\n"
            "def main(keys):\n    with ThreadPoolExecutor() as ex:\n        ex.map(add, keys)\n",
            at="5:5-5:22",
        ),
        # one thread, but the main thread resets the same state
        Example(
            "import threading\nclass Config:\n    pass\nconfig = Config()\n"
            "class Loader(threading.Thread):\n    def run(self):\n"
            "        if not config.data:\n            config.data = {}\n"
            "def reset():\n    config.data = None\n"
            "def main():\n    Loader().start()\n",
            at="7:12-7:27",
        ),
    ]

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.reported: set[int] = set()
        self.alone = False  # the function being checked runs in one thread only
        self.function: ast.FunctionDef | None = None
        # thread-run function -> the calls that start it (a Thread, a pool submission)
        self.sites: dict[ast.FunctionDef, list[tuple[ast.Call, bool]]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        found = thread_function(self.ctx, node)
        if found is None:
            return
        fn, sub = found  # no submission: a `Thread` subclass's `run`, one thread per call
        many = self._repeated(node) or (sub is not None and sub.api not in _ONE_THREAD_APIS)
        self.sites.setdefault(fn, []).append((node, many))

    def finish(self) -> None:
        for fn, sites in self.sites.items():
            # one thread running the function alone races only with other writers
            alone = len(sites) == 1 and not sites[0][1]
            self._check(fn, alone=alone)

    def _repeated(self, node: ast.AST) -> bool:
        """``node`` runs in a loop or a comprehension of its function (or module)."""
        parent = self.ctx.parent(node)
        while parent is not None and not isinstance(parent, (*NESTED_SCOPES, ast.Module)):
            if isinstance(parent, (ast.For, ast.AsyncFor, ast.While, ast.comprehension)):
                return True
            if isinstance(parent, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                return True
            parent = self.ctx.parent(parent)
        return False

    # -- the three shapes ------------------------------------------------------------
    def _check(self, fn: ast.FunctionDef, *, alone: bool) -> None:
        scope = self.ctx.scopes[fn]
        self.alone = alone
        self.function = fn
        for block in _unlocked_blocks(fn.body, self.ctx, scope):
            for i, stmt in enumerate(block):
                if isinstance(stmt, ast.If):
                    self._check_if(stmt, fn, scope)
                elif isinstance(stmt, ast.Assign):
                    self._check_read(stmt, block[i + 1 :], fn, scope)

    def _contended(self, target: str, container: bool) -> bool:
        """Another thread may act on ``target`` too: the function runs in several threads
        at once, or ``target`` is also written by another function of the module."""
        if not self.alone:
            return True
        for node in ast.walk(self.ctx.tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node is self.function:
                continue
            declared = self.ctx.scopes[node].globals | self.ctx.scopes[node].nonlocals
            for n in walk_own(node):
                written: list[ast.expr] = []
                if isinstance(n, ast.Assign):
                    written = n.targets
                elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
                    written = [n.target]
                elif isinstance(n, ast.Delete):
                    written = n.targets
                for t in written:
                    if isinstance(t, ast.Name) and t.id not in declared:
                        continue  # a local of that function, not the shared name
                    seen = t.value if container and isinstance(t, ast.Subscript) else t
                    if self.ctx.segment(seen) == target:
                        return True
        return False

    def _check_if(self, stmt: ast.If, fn: ast.FunctionDef, scope: Scope) -> None:
        checked = _checked(stmt.test)
        if checked is None:
            return
        kind, subject = checked
        target = shared_state(
            self.ctx, subject, scope, container=kind == "missing-key", unknown_shared=False
        )
        if target is None:
            return
        container = kind == "missing-key"
        if not any(
            self._writes(s, target, container=container)
            for s in _unlocked_stmts(stmt.body, self.ctx, scope)
        ):
            return
        if not self._contended(target, container):
            return
        if id(stmt) in self.reported:
            return
        self.reported.add(id(stmt))
        advice = _ADVICE[kind].format(target=target)
        self.report(stmt.test, target=target, function=fn.name, advice=advice)

    def _writes(self, stmt: ast.stmt, target: str, *, container: bool) -> bool:
        """``stmt`` assigns ``target`` (a ``container``: an item of it)."""
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            return False
        written = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in written:
            if container:
                if isinstance(t, ast.Subscript) and self.ctx.segment(t.value) == target:
                    return True
            elif self.ctx.segment(t) == target:
                return True
        return False

    def _check_read(
        self, stmt: ast.Assign, rest: Sequence[ast.stmt], fn: ast.FunctionDef, scope: Scope
    ) -> None:
        """``local = shared`` (or ``shared_dict.get(key, ...)``), then ``shared = f(local)``
        later in the same block."""
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            return
        local = stmt.targets[0].id
        if local in scope.globals or local in scope.nonlocals:
            return
        value = stmt.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "get"
            and value.args
            and not value.keywords
        ):
            read = f"{self.ctx.segment(value.func.value)}[{self.ctx.segment(value.args[0])}]"
            root: ast.expr = value.func.value
        elif isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)):
            read = self.ctx.segment(value)
            root = value
        else:
            return
        if (
            shared_state(self.ctx, root, scope, container=root is not value, unknown_shared=False)
            is None
        ):
            return
        for later in rest:
            if isinstance(later, ast.Assign) and any(
                self.ctx.segment(t) == read for t in later.targets
            ):
                uses = {n.id for n in ast.walk(later.value) if isinstance(n, ast.Name)}
                contended = self._contended(
                    self.ctx.segment(root) if root is not value else read,
                    container=root is not value,
                )
                if local in uses and id(later) not in self.reported and contended:
                    self.reported.add(id(later))
                    self.report(
                        later,
                        self.RMW.format(
                            target=read,
                            row=stmt.lineno,
                            function=fn.name,
                            advice=_ADVICE["read-modify-write"],
                        ),
                    )
                return
            if _assigns_name(later, local):
                return


def _checked(test: ast.expr) -> tuple[str, ast.expr] | None:
    """What an ``if`` test checks: ("missing-key", the mapping) for ``k not in d`` and
    ``d.get(k) is None``; ("lazy-init", the value) for ``x is None`` and ``not x``."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.NotIn):
            return "missing-key", right
        if isinstance(op, ast.Is) and isinstance(right, ast.Constant) and right.value is None:
            left = test.left
            if (
                isinstance(left, ast.Call)
                and isinstance(left.func, ast.Attribute)
                and left.func.attr == "get"
                and len(left.args) == 1
            ):
                return "missing-key", left.func.value
            return "lazy-init", left
    if (
        isinstance(test, ast.UnaryOp)
        and isinstance(test.op, ast.Not)
        and isinstance(test.operand, (ast.Name, ast.Attribute, ast.Subscript))
    ):
        return "lazy-init", test.operand
    return None


def _assigns_name(stmt: ast.stmt, name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
        for n in ast.walk(stmt)
    )


def _unlocked_blocks(
    body: Sequence[ast.stmt], ctx: ModuleContext, scope: Scope
) -> Iterator[Sequence[ast.stmt]]:
    """The statement lists of a function that run with no lock held (not inside
    ``with lock:``, nor after ``lock.acquire()`` in the same list), nested defs skipped.
    A list cut by an ``acquire()`` yields the part before it."""
    acquired = _acquired_at(body, ctx)
    yield body[:acquired]
    for stmt in body[:acquired]:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and any(
            _is_lock(ctx, item.context_expr, scope) for item in stmt.items
        ):
            continue
        for field in ("body", "orelse", "finalbody"):
            child = getattr(stmt, field, None)
            if child:
                yield from _unlocked_blocks(child, ctx, scope)
        for handler in getattr(stmt, "handlers", ()) or ():
            yield from _unlocked_blocks(handler.body, ctx, scope)
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                yield from _unlocked_blocks(case.body, ctx, scope)


def _unlocked_stmts(
    body: Sequence[ast.stmt], ctx: ModuleContext, scope: Scope
) -> Iterator[ast.stmt]:
    for block in _unlocked_blocks(body, ctx, scope):
        yield from block


def _acquired_at(body: Sequence[ast.stmt], ctx: ModuleContext) -> int:
    """The index of the first ``x.acquire()`` statement of ``body`` (its length if none)."""
    for i, stmt in enumerate(body):
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr == "acquire"
        ):
            return i
    return len(body)
