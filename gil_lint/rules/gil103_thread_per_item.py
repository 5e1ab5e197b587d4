from __future__ import annotations

import ast
import re

from gil_lint.engine.callforms import argument
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.lifecycle import named_to_run_forever
from gil_lint.engine.project import ModuleInfo
from gil_lint.engine.scopes import Scope
from gil_lint.engine.sizes import Sizes
from gil_lint.rules.base import Example, Rule

_SMALL = 32  # a literal range or list up to this size is a fixed set of workers
# a count of long-lived workers: threads, jobs, cores, and servers, consumers, replicas,
# shards (litserve's `range(num_uvicorn_servers)`)
_WORKER_WORDS = re.compile(
    r"worker|thread|concurren|parallel|jobs|procs|cpus|cores|server|consumer|replica|shard",
    re.I,
)


# an argument that tells a worker when to stop (`stop_event`, `shutdown_flag`): it runs until
# then
_STOP_WORDS = re.compile(r"stop|shutdown|quit|cancel", re.I)


# phases of the program's life (engine/lifecycle.py) that end something: a thread per item
# there stops each one in parallel, once
_ENDING = ("once", "shutdown")


class ThreadPerItem(Rule):
    """
    ## What it does
    Flags `threading.Thread(...)` created and started inside a loop over data:
    one new thread per item. A loop over a fixed set of workers is fine: a
    literal list or `range(N)` of at most 32 items (also through a name
    assigned that number), or `range()` of a worker count — a constant or
    setting named like one (`NUM_WORKERS`, `self.thread_count`, `args.jobs`)
    or `os.cpu_count()`, or of servers, consumers, replicas or shards
    (`range(num_servers)`). Nor is a loop that joins the thread it started before the
    next item (`t.start()` … `t.join()`): one thread runs at a time. Nor is code
    that ends something, once (`engine/lifecycle.py`): a finalizer, an `atexit`
    handler or a shutdown function (`close`, `stop`, ...) stopping each
    connection in a daemon thread of its own, with a join timeout — a pool's
    workers would be joined at exit, and a hung stop with them. Nor is a
    long-lived worker per resource: a thread whose target is the loop's item (each
    registered poller in its own thread), is given what tells it to stop
    (`args=(stop_event, queue)`), or is a project function that loops (a
    top-level `while`), or is kept one per key and restarted only when dead
    (`if not threads[key].is_alive()`), or runs until stopped by its name
    (`server.serve_forever`), or is a closure or lambda whose one call is such a
    function (`def loop(): self.discovery_handler(sock)`) — a bounded pool would never
    start the workers past its size. Nor is a search: a thread started under `if
    item.key == key:` with the key a value from outside the loop (a name or an
    attribute, not a constant) is for the one item the key names. Nor are threads that meet at a `threading.Barrier`
    (the function starting them, or their target, waits on one): they must all
    run at once, and a smaller pool would deadlock on the barrier.

    ## Why is this bad?
    Each thread costs a stack (8 MB of address space by default), creation
    time and scheduler work. Over 10,000 items that is 10,000 threads at once:
    memory blows up, the OS refuses new threads, and the server you call sees
    an unbounded burst.

    ## Example
    ```python
    import threading

    for url in urls:
        threading.Thread(target=fetch, args=(url,)).start()
    ```

    ## Use instead
    ```python
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=16) as pool:
        pool.map(fetch, urls)
    ```
    or asyncio with a semaphore for many concurrent network calls.
    """

    CODE = "GIL103"
    NAME = "thread-per-item"
    BRIEF = "`threading.Thread(...).start()` inside a loop over data"
    MESSAGE = (
        "A thread is started per item of `{source}`; use a ThreadPoolExecutor (or asyncio) "
        "to bound the number of threads"
    )
    TRIGGERS = (b"Thread",)
    VALID = [
        "import threading\ndef main(work):\n    for _ in range(4):\n"
        "        threading.Thread(target=work).start()\n",
        "import threading\nN = 8\ndef main(work):\n    for _ in range(N):\n"
        "        threading.Thread(target=work).start()\n",
        "import threading\ndef serve(server, num_servers):\n    for i in range(num_servers):\n"
        "        threading.Thread(target=server.run, args=(i,)).start()\n",
        "import os, threading\ndef main(work, args):\n"
        "    for _ in range(args.num_workers):\n        threading.Thread(target=work).start()\n"
        "    for _ in range(os.cpu_count() or 4):\n        threading.Thread(target=work).start()\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef main(f, urls):\n"
        "    with ThreadPoolExecutor(8) as ex:\n        ex.map(f, urls)\n",
        "import threading\ndef main(f, urls):\n    ts = [threading.Thread(target=f, args=(u,)) for u in urls]\n",
        # each port's reader thread is joined before the next port is tried
        "import threading\ndef main(f, ports):\n    for port in ports:\n"
        "        reader = threading.Thread(target=f, args=(port,))\n        reader.start()\n"
        "        if f(port):\n            return port\n        reader.join(timeout=2)\n",
        # stopping each connection at once, when the owner is collected (strands' router)
        "import threading, weakref\ndef _stop_all(clients):\n    for c in clients:\n"
        "        threading.Thread(target=c.stop, daemon=True).start()\n"
        "def connect(owner, clients):\n    weakref.finalize(owner, _stop_all, clients)\n",
        "import threading\nclass Pool:\n    def close(self):\n        for c in self.conns:\n"
        "            threading.Thread(target=c.stop, daemon=True).start()\n",
        # one live thread per key, restarted only when it died (glances' server list)
        "import threading\ndef poll(threads, servers, update):\n    for key, v in servers:\n"
        "        t = threads.get(key)\n        if t is None or not t.is_alive():\n"
        "            t = threading.Thread(target=update, args=(v,))\n"
        "            threads[key] = t\n            t.start()\n",
        # long-lived workers, one per resource: a bounded pool would never start the rest
        "import threading\ndef start(pollers):\n    for fn, args in pollers:\n"
        "        threading.Thread(target=fn, args=args, daemon=True).start()\n",
        "import threading\ndef start(worker, queues, stop_event):\n    for q in queues:\n"
        "        threading.Thread(target=worker, args=(stop_event, q)).start()\n",
        "import threading\ndef consume(q):\n    while True:\n        q.get()()\n"
        "def start(queues):\n    for q in queues:\n"
        "        threading.Thread(target=consume, args=(q,), daemon=True).start()\n",
        # a server per interface, or a closure over a handler that loops (rns's discovery)
        "import socketserver, threading\ndef start(addresses, handler):\n"
        "    for a in addresses:\n        server = socketserver.UDPServer(a, handler)\n"
        "        threading.Thread(target=server.serve_forever, daemon=True).start()\n",
        "import threading\nclass Iface:\n    def listen(self, sock):\n"
        "        while not self.detached:\n            sock.recv(1024)\n"
        "    def start(self, socks):\n        for sock in socks:\n"
        "            def loop(): self.listen(sock)\n"
        "            threading.Thread(target=loop, daemon=True).start()\n"
        "            threading.Thread(target=lambda: self.listen(sock)).start()\n",
        # the one item a key names gets a thread, not every item
        "import threading\ndef on_proof(resources, proof):\n    for r in resources:\n"
        "        if r.hash == proof.hash:\n"
        "            threading.Thread(target=r.validate, args=(proof,)).start()\n",
        # threads that meet at a barrier must all run at once (vllm's micro-batches)
        "import threading\nclass Runner:\n    def __init__(self, n):\n"
        "        self.ready = threading.Barrier(n + 1)\n    def run(self, f, slices):\n"
        "        for s in slices:\n            threading.Thread(target=f, args=(s,)).start()\n"
        "        self.ready.wait()\n",
        "import threading\nbarrier = threading.Barrier(3)\ndef step(s):\n    barrier.wait()\n"
        "def main(slices):\n    for s in slices:\n"
        "        threading.Thread(target=step, args=(s,)).start()\n",
    ]
    INVALID = [
        # a constant picks a class of items, not one: still a thread per item
        Example(
            "import threading\ndef notify(handlers, event):\n    for h in handlers:\n"
            "        if h.kind == 'sync':\n"
            "            threading.Thread(target=h.run, args=(event,)).start()\n",
            at="5:13-5:58",
        ),
        # a job per item: the target ends when its item is done
        Example(
            "import threading\ndef fetch(u):\n    for part in u.split('/'):\n        print(part)\n"
            "def main(urls):\n    for u in urls:\n"
            "        threading.Thread(target=fetch, args=(u,)).start()\n",
            at="7:9-7:50",
        ),
        Example(
            "import threading\ndef main(f, urls):\n    for u in urls:\n"
            "        threading.Thread(target=f, args=(u,)).start()\n",
            at="4:9-4:46",
        ),
        # two threads per item in one loop: one finding
        Example(
            "import threading\ndef main(f, g, urls):\n    for u in urls:\n        if u:\n"
            "            threading.Thread(target=f, args=(u,)).start()\n"
            "            continue\n        threading.Thread(target=g, args=(u,)).start()\n",
            at="5:13-5:50",
        ),
        Example(
            "import threading\nN = 10_000\ndef main(f, urls):\n    for i in range(N):\n"
            "        threading.Thread(target=f, args=(urls[i],)).start()\n",
            at="5:9-5:52",
        ),
        Example(
            "import threading\ndef main(f, urls):\n    for i in range(len(urls)):\n"
            "        threading.Thread(target=f, args=(urls[i],)).start()\n",
            at="4:9-4:52",
        ),
        Example(
            "import threading\ndef main(f, urls):\n    threads = []\n    for u in urls:\n"
            "        t = threading.Thread(target=f, args=(u,))\n        threads.append(t)\n"
            "        t.start()\n",
            at="5:13-5:50",
        ),
    ]

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        # each loop's finding (its index): a loop that starts two threads per item is one
        self._loops: dict[int, int] = {}

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if ctx.call_name(node) not in ctx.knowledge.threads:
            return
        loop = self._enclosing_loop(node)
        if loop is None or self._small(loop.iter):
            return
        function = ctx.enclosing_function()
        if ctx.lifecycle.phase(function.node if function is not None else None) in _ENDING:
            # a finalizer or `close()` stopping each connection in a daemon thread with a
            # join timeout: a pool's workers would be joined at exit, a hung stop with them
            return
        if self._long_lived(loop, node):
            return  # one worker per queue, poller or pod, running until told to stop
        if _for_the_match(ctx, loop, node):
            return  # a search: a thread for the one item whose key matches, not per item
        if self._meet_at_barrier(node, function):
            return  # they must all run at once: a bounded pool would deadlock
        if not self._started_in(loop, node):
            return
        first = self._loops.get(id(loop))
        if first is not None:
            # another thread the same loop starts per item: one pool fixes both
            ctx.join_evidence(first, ctx.evidence_at(node, "also this thread, per item"))
            return
        self.report(node, source=ctx.segment(loop.iter))
        self._loops[id(loop)] = len(ctx.diagnostics) - 1

    def _long_lived(self, loop: ast.For, call: ast.Call) -> bool:
        """The thread is a long-lived worker, one per resource, not a job per item: its
        target is the loop's own item (each registered poller runs in its own thread), or is
        given something that tells it to stop (``args=(stop_event, queue)``), or is a project
        function that loops (a top-level ``while``: polling, monitoring, consuming); or the
        loop keeps one thread per key and starts another only when that one is dead
        (``if key not in threads or not threads[key].is_alive()``). A bounded pool would
        leave the workers past its size never started."""
        ctx = self.ctx
        target = argument(call, "target", 1)
        if target is None:
            return False
        bound = _bound_names(loop)
        if isinstance(target, ast.Name) and target.id in bound:
            return True
        given = [argument(call, "args", 3), argument(call, "kwargs", 4)]
        for value in given:
            for n in ast.walk(value) if value is not None else ():
                name = n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")
                if isinstance(n, (ast.Name, ast.Attribute)) and _STOP_WORDS.search(name):
                    return True
        if _one_per_key(loop) or named_to_run_forever(target):
            return True
        if isinstance(target, ast.Lambda):
            # `target=lambda: self.serve(sock)`: the worker is what it calls
            body = target.body
            return isinstance(body, ast.Call) and self._until_stopped(
                body.func, ctx.scope, ctx.module_info
            )
        return self._until_stopped(target, ctx.scope, ctx.module_info, thunk=True)

    def _until_stopped(
        self, target: ast.expr, scope: Scope, module: ModuleInfo, *, thunk: bool = False
    ) -> bool:
        """``target`` runs until stopped: its name says so (``serve_forever``), or it is a
        project function with a top-level ``while``; or (``thunk``) one whose body is only a
        call of such a function (``def discovery_loop(): self.discovery_handler(sock)``)."""
        if named_to_run_forever(target):
            return True
        qual = module.resolver.qualname(target, scope)
        found = self.ctx.summaries.callee(qual, module) if qual is not None else None
        if found is None:
            return False
        where, fn = found
        if any(isinstance(n, ast.While) for stmt in fn.body for n in _top_level(stmt)):
            return True
        calls = [s.value for s in fn.body if isinstance(s, ast.Expr)]
        if not thunk or len(fn.body) != 1 or len(calls) != 1 or not isinstance(calls[0], ast.Call):
            return False
        return self._until_stopped(calls[0].func, where.scopes[fn], where)

    def _meet_at_barrier(self, call: ast.Call, function: Scope | None) -> bool:
        """The threads meet at a ``threading.Barrier``: the function that starts them, or
        their target, waits on one (vllm's micro-batch threads and the caller park on
        ``ready_barrier``). They must all run at once; a pool smaller than their number
        would leave the barrier waiting forever."""
        ctx = self.ctx
        places: list[tuple[ast.AST, Scope | None]] = []
        if function is not None:
            places.append((function.node, function))
        target = argument(call, "target", 1)
        qual = ctx.qualname(target) if target is not None else None
        found = ctx.summaries.callee(qual, ctx.module_info) if qual is not None else None
        if found is not None and found[0] is ctx.module_info:
            places.append((found[1], ctx.scopes.get(found[1])))
        for root, scope in places:
            if scope is None:
                continue
            for n in ast.walk(root):
                if (
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and n.func.attr == "wait"
                    and ctx.resolver.qualname(n.func.value, scope) == "threading.Barrier"
                ):
                    return True
        return False

    def _enclosing_loop(self, node: ast.AST) -> ast.For | None:
        parent = self.ctx.parent(node)
        while parent is not None:
            if isinstance(parent, (ast.For, ast.AsyncFor)) and node is not parent.iter:
                return parent  # type: ignore[return-value]
            if isinstance(
                parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
            ):
                return None
            node, parent = parent, self.ctx.parent(parent)
        return None

    def _small(self, it: ast.expr) -> bool:
        size = Sizes(self.ctx.resolver, self.ctx.scope).length(it)
        if size is not None:
            return size <= _SMALL
        return (
            isinstance(it, ast.Call)
            and self.ctx.call_name(it) == "builtins.range"
            and len(it.args) == 1
            and not it.keywords
            and self._worker_count(it.args[0])
        )

    def _worker_count(self, expr: ast.expr) -> bool:
        """``expr`` counts workers, not data: a setting named like one (``NUM_WORKERS``,
        ``self.thread_count``, ``args.jobs``) or the number of CPUs."""
        if isinstance(expr, ast.BinOp):
            return self._worker_count(expr.left) or self._worker_count(expr.right)
        if isinstance(expr, ast.BoolOp):
            return any(self._worker_count(v) for v in expr.values)
        if isinstance(expr, ast.Call):
            return self.ctx.call_name(expr) in self.ctx.knowledge.cpu_counts
        name = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "")
        return bool(name) and (name.isupper() or bool(_WORKER_WORDS.search(name)))

    def _started_in(self, loop: ast.For, call: ast.Call) -> bool:
        parent = self.ctx.parent(call)
        if isinstance(parent, ast.Attribute) and parent.attr == "start":
            return True
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            if isinstance(target, ast.Name):
                methods = {
                    node.attr
                    for node in ast.walk(loop)
                    if isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == target.id
                }
                # `t.join()` in the same loop: one thread at a time, not one per item
                return "start" in methods and "join" not in methods
        return False


def _one_per_key(loop: ast.For) -> bool:
    """The loop stores each thread it starts by key (``threads[name] = t``) and asks
    ``is_alive()`` of what it stored: one live thread per key, however often it runs."""
    stores = any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Subscript) for t in n.targets)
        for n in ast.walk(loop)
    )
    asks = any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "is_alive"
        for n in ast.walk(loop)
    )
    return stores and asks


def _for_the_match(ctx: ModuleContext, loop: ast.For, call: ast.Call) -> bool:
    """The thread starts under ``if item.key == key:`` (``is``), the key a value from
    outside the loop (a name, an attribute or an item, not a constant): the loop looks for
    the item the key names (``for r in self.resources: if r.hash == proof_hash:``), and
    starts one thread for it, not one per item."""
    bound = _bound_names(loop)
    node: ast.AST = call
    parent = ctx.parent(node)
    while parent is not None and parent is not loop:
        if isinstance(parent, ast.If) and node in parent.body:
            test = parent.test
            if (
                isinstance(test, ast.Compare)
                and len(test.ops) == 1
                and isinstance(test.ops[0], (ast.Eq, ast.Is))
            ):
                left, right = test.left, test.comparators[0]
                if _mentions(right, bound):
                    left, right = right, left
                # the key is a value from outside the loop, not a constant: `r.kind == "x"`
                # or `len(sig.parameters) == 3` pick a class of items, not one
                if (
                    _mentions(left, bound)
                    and not _mentions(right, bound)
                    and isinstance(right, (ast.Name, ast.Attribute, ast.Subscript))
                ):
                    return True
        node, parent = parent, ctx.parent(parent)
    return False


def _bound_names(loop: ast.For) -> set[str]:
    """The names the loop binds for each item (``for key, v in ...``)."""
    return {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}


def _mentions(expr: ast.expr, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))


def _top_level(stmt: ast.stmt) -> list[ast.stmt]:
    """``stmt`` and, through ``try`` and ``with`` blocks, the statements it runs at the same
    level: the function's own loop, not one nested in a branch or helper."""
    out = [stmt]
    if isinstance(stmt, (ast.Try, ast.With)):
        for inner in stmt.body:
            out.extend(_top_level(inner))
    return out
