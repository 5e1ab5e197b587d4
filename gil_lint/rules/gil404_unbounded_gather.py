from __future__ import annotations

import ast
from dataclasses import dataclass, field

from gil_lint.engine.project import ModuleInfo
from gil_lint.engine.scopes import FunctionNode, Scope, walk_own
from gil_lint.engine.sizes import Sizes
from gil_lint.rules.base import Example, Rule

_COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.SetComp)
# calls whose result has as many items as their first argument
_SAME_SIZE = frozenset(
    f"builtins.{n}" for n in ("enumerate", "reversed", "sorted", "list", "tuple", "set")
)
# a copy of a collection holds the same objects
_COPIES = frozenset(
    f"builtins.{n}"
    for n in ("list", "set", "frozenset", "tuple", "sorted", "reversed", "enumerate")
)
# built in full before the gather runs: the objects in them exist already
_MATERIALISED = (ast.List, ast.Tuple, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.Dict)
_VIEWS = frozenset({"values", "keys", "items", "copy"})
_SET_OPERATIONS = (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)
# how far names, attributes and base classes are followed
_MAX_DEPTH = 4


@dataclass
class _Items:
    """What a gather makes its tasks from: the items and the awaitable made per item."""

    source: str  # the text of the data, for the message
    iterable: ast.expr
    elements: list[ast.expr]  # the awaitable made per item (a comprehension's element)
    targets: frozenset[str]  # the names each item is bound to
    scope: Scope  # where the elements are evaluated
    mapped: ast.expr | None = field(default=None)  # `map(f, items)`: f
    # names bound per item to an object looked up by it (`state = held.state_of(tp)`):
    # waiting on one (`state.wait_for_position()`) starts nothing; gathering it itself may
    looked_up: frozenset[str] = field(default=frozenset())


class UnboundedGather(Rule):
    """
    ## What it does
    Flags `asyncio.gather(*...)` over a collection built from data of unknown
    size passed in by the caller — a comprehension, `map(...)`, or a list filled
    in a loop over a parameter of the function — when nothing limits how many
    run at once.

    Not reported, because something bounds the tasks already:
    - a literal list of awaitables; a `range(N)` or a slice (`urls[:10]`,
      `itertools.islice(urls, 10)`) of at most `gather-max-size` items (default 100);
    - collections the program holds itself (`self.workers`, module constants);
    - objects that exist already, only awaited, cancelled or closed
      (`w.close()`, `w.disconnect()`, `state.wait_for_position()`,
      `asyncio.wait_for(task, 5)`, `asyncio.create_task(w.close())`, a project
      helper that only does that), over a parameter, an attribute,
      `getattr(self, ...)`, `x or self.y`, a set operation on them or
      `asyncio.all_tasks()`, or looked up per item in something the program holds
      (`state = held.state_of(tp)`): gathering them starts no new work;
    - work run in an executor (`loop.run_in_executor(pool, ...)`,
      `asyncio.wrap_future(pool.submit(...))`, `asyncio.to_thread`): the pool's
      workers bound it;
    - a semaphore: used in the function, taken by the gathered coroutine (a
      project function, followed one level: `async with sem:`), or by a helper
      wrapping it (`bounded(sem, fetch(u))`);
    - requests on one client that caps its connections:
      `aiohttp.TCPConnector(limit=N)`, `httpx.AsyncClient(limits=httpx.Limits(max_connections=N))`,
      any client constructed with a pool size (`aiomcache.Client(pool_size=2)`),
      or a project class that keeps a semaphore (a connection pool). The lists of
      limiting keywords are `[gather_bounds]` in `knowledge/concurrency.toml`.

    **Off by default**: turn it on with `extend-select = ["GIL404"]`. The size of
    a parameter is the caller's, and on mature async projects the collections
    passed in were a handful of configured health checks, the slots an admin
    command names, the nodes a client holds: in two reviews of 34 packages none
    of its findings was worth a change. A service that fans out over user input
    (URLs, ids, rows) selects it.

    ## Why is this bad?
    `gather` starts every coroutine at once. Over 10,000 URLs that is 10,000
    open sockets: the program runs out of file descriptors, the server
    rate-limits or bans it, and memory grows with the input.

    ## Example
    ```python
    async def fetch_all(urls):
        return await asyncio.gather(*[fetch(u) for u in urls])
    ```

    ## Use instead
    ```python
    async def fetch_all(urls):
        limit = asyncio.Semaphore(20)

        async def bounded(u):
            async with limit:
                return await fetch(u)

        return await asyncio.gather(*[bounded(u) for u in urls])
    ```
    or process in batches, or use a worker pool fed by an `asyncio.Queue`.
    """

    CODE = "GIL404"
    NAME = "unbounded-gather"
    BRIEF = "`asyncio.gather(*...)` over data of unknown size with no semaphore"
    MESSAGE = (
        "`asyncio.gather` starts one task per item of `{source}` with no limit; "
        "bound concurrency with an `asyncio.Semaphore` or batches"
    )
    TRIGGERS = (b"gather",)
    DEFAULT = False
    VALID = [
        "import asyncio\nasync def f(a, b):\n    return await asyncio.gather(a(), b())\n",
        "import asyncio\nasync def f(g):\n    return await asyncio.gather(*[g(i) for i in range(10)])\n",
        "import asyncio\nasync def f(g, urls):\n    sem = asyncio.Semaphore(10)\n"
        "    async def one(u):\n        async with sem:\n            return await g(u)\n"
        "    return await asyncio.gather(*[one(u) for u in urls])\n",
        # a constant slice
        "import asyncio\nasync def f(g, urls):\n    return await asyncio.gather(*[g(u) for u in urls[:10]])\n",
        "import asyncio\nasync def f(g, urls):\n    return await asyncio.gather(*(g(u) for u in urls[-5:]))\n",
        "import asyncio, itertools\nasync def f(g, urls):\n"
        "    return await asyncio.gather(*map(g, itertools.islice(urls, 10)))\n",
        "import asyncio\nasync def f(g, urls):\n"
        "    return await asyncio.gather(*(g(i, u) for i, u in enumerate(urls[:10])))\n",
        # objects the program holds, only closed, cancelled or awaited
        "import asyncio\nclass Cluster:\n    async def close(self, workers=None):\n"
        "        workers = workers or self.workers\n"
        "        await asyncio.gather(*(w.close(timeout=1) for w in workers))\n",
        "import asyncio\nclass Cluster:\n    async def retire(self, keep):\n"
        "        await asyncio.gather(*[w.close() for w in self.workers - keep])\n",
        "import asyncio\nclass Service:\n    async def stop(self, extra):\n"
        "        await asyncio.gather(\n"
        "            *(asyncio.wait_for(t, 5) for t in getattr(self, 'tasks', set()) | set(extra))\n"
        "        )\n",
        "import asyncio\nasync def end_cluster(workers):\n    async def end_worker(w):\n"
        "        try:\n            await w.close()\n        except OSError:\n            pass\n"
        "    await asyncio.gather(*(end_worker(w) for w in workers))\n",
        "import asyncio\nasync def f(tasks):\n    pending = []\n    for t in tasks:\n"
        "        t.cancel()\n        pending.append(t)\n    await asyncio.gather(*pending)\n",
        "import asyncio\nclass Nodes:\n    async def aclose(self, attr='nodes'):\n"
        "        await asyncio.gather(\n"
        "            *(asyncio.create_task(n.disconnect()) for n in getattr(self, attr).values())\n"
        "        )\n",
        "import asyncio\ndef cancel_all(loop):\n"
        "    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]\n"
        "    for t in tasks:\n        t.cancel()\n"
        "    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))\n",
        "import asyncio\nclass Fetcher:\n    def reset(self, tps):\n"
        "        assignment = self.subscription.assignment\n        waiters = []\n"
        "        for tp in tps:\n            state = assignment.state_value(tp)\n"
        "            waiters.append(state.wait_for_position())\n"
        "        return asyncio.gather(*waiters)\n",
        # work in an executor: the pool bounds it
        "import asyncio\nasync def f(pool, paths, read):\n    loop = asyncio.get_running_loop()\n"
        "    return await asyncio.gather(*[loop.run_in_executor(pool, read, p) for p in paths])\n",
        "import asyncio\nasync def f(pool, paths, read):\n"
        "    return await asyncio.gather(*(asyncio.wrap_future(pool.submit(read, p)) for p in paths))\n",
        # a coroutine (or a helper wrapping it) that takes a semaphore
        "import asyncio\n_gate = asyncio.Semaphore(10)\nasync def fetch(session, u):\n"
        "    async with _gate:\n        return await session.get(u)\n"
        "async def crawl(session, urls):\n"
        "    return await asyncio.gather(*(fetch(session, u) for u in urls))\n",
        "import asyncio\nGATE = asyncio.Semaphore(10)\n"
        "async def bounded(gate, coro):\n    async with gate:\n        return await coro\n"
        "async def crawl(fetch, urls):\n"
        "    return await asyncio.gather(*(bounded(GATE, fetch(u)) for u in urls))\n",
        "import asyncio\nclass Crawler:\n    def __init__(self):\n        self._gate = asyncio.Semaphore(5)\n"
        "    async def fetch(self, u):\n        await self._gate.acquire()\n        try:\n"
        "            return await self.session.get(u)\n        finally:\n"
        "            self._gate.release()\n"
        "    async def crawl(self, urls):\n"
        "        return await asyncio.gather(*[asyncio.create_task(self.fetch(u)) for u in urls])\n",
        # requests on one client that caps its connections
        "import asyncio, aiohttp\nclass Crawler:\n    def __init__(self):\n"
        "        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=20))\n"
        "    async def crawl(self, urls):\n"
        "        return await asyncio.gather(*(self.session.get(u) for u in urls))\n",
        "import asyncio, httpx\nasync def fetch(client, u):\n    return await client.get(u)\n"
        "async def crawl(urls):\n"
        "    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=10))\n"
        "    return await asyncio.gather(*(fetch(client, u) for u in urls))\n",
        "import asyncio\nclass ConnectionPool:\n    def __init__(self, limit):\n        self.limit = limit\n"
        "    async def start(self):\n        self.semaphore = asyncio.Semaphore(self.limit)\n"
        "class Server:\n    def __init__(self):\n        self.rpc = ConnectionPool(limit=512)\n"
        "class Scheduler(Server):\n    async def profile(self, workers):\n"
        "        return await asyncio.gather(*(self.rpc(w).profile() for w in workers))\n",
        "import asyncio, aiomcache\nclass Cache:\n    def __init__(self, pool_size=2):\n"
        "        self.client = aiomcache.Client('localhost', 11211, pool_size=pool_size)\n"
        "    async def multi_set(self, pairs):\n"
        "        await asyncio.gather(*(self.client.set(k, v) for k, v in pairs))\n",
    ]
    INVALID = [
        Example(
            "import asyncio\nasync def f(g, urls):\n    return await asyncio.gather(*[g(u) for u in urls])\n",
            at="3:18-3:55",
        ),
        Example(
            "import asyncio\nasync def f(g, urls):\n    return await asyncio.gather(*map(g, urls))\n",
            at="3:18-3:47",
        ),
        Example(
            "import asyncio\nasync def f(g, urls):\n    tasks = []\n    for u in urls:\n"
            "        tasks.append(g(u))\n    return await asyncio.gather(*tasks)\n",
            at="6:18-6:40",
        ),
        Example(
            "import asyncio\nasync def f(g, urls):\n    tasks = [g(u) for u in urls]\n"
            "    return await asyncio.gather(*tasks)\n",
            at="4:18-4:40",
        ),
        Example(
            "import asyncio\nasync def fetch(u):\n    await asyncio.sleep(1)\n"
            "async def f(urls):\n    tasks = [asyncio.create_task(fetch(u)) for u in urls]\n"
            "    return await asyncio.gather(*tasks)\n",
            at="6:18-6:40",
        ),
        # a slice that keeps an unknown number
        Example(
            "import asyncio\nasync def f(g, urls, n):\n"
            "    return await asyncio.gather(*[g(u) for u in urls[:n]])\n",
            at="3:18-3:59",
        ),
        Example(
            "import asyncio\nasync def f(g, urls):\n"
            "    return await asyncio.gather(*[g(u) for u in urls[1:]])\n",
            at="3:18-3:59",
        ),
        # new requests per item of a held collection, on a client with no limit
        Example(
            "import asyncio\nclass Scheduler:\n    def __init__(self, rpc):\n        self.rpc = rpc\n"
            "    async def profile(self, workers=None):\n        workers = workers or self.workers\n"
            "        return await asyncio.gather(*(self.rpc(w).profile() for w in workers))\n",
            at="7:22-7:79",
        ),
        # a task per item that does new work, over objects the program holds
        Example(
            "import asyncio\nclass Nodes:\n    async def refresh(self, attr):\n"
            "        await asyncio.gather(\n"
            "            *(asyncio.create_task(n.refresh()) for n in getattr(self, attr).values())\n"
            "        )\n",
            at="4:15-6:10",
        ),
        # `limit=0` is aiohttp's "no limit"
        Example(
            "import asyncio, aiohttp\nasync def crawl(urls):\n"
            "    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))\n"
            "    return await asyncio.gather(*(session.get(u) for u in urls))\n",
            at="4:18-4:65",
        ),
        # `limit` in a call is no semaphore
        Example(
            "import asyncio\nasync def fetch(session, u, limit_s):\n"
            "    async with session.get(u, timeout=limit_s) as r:\n        return await r.read()\n"
            "async def crawl(session, urls):\n"
            "    return await asyncio.gather(*(fetch(session, u, 5) for u in urls))\n",
            at="6:18-6:71",
        ),
        # a helper that does more than close the item it is given
        Example(
            "import asyncio\nasync def restart(w):\n    await w.close()\n    await w.start()\n"
            "async def f(workers):\n    await asyncio.gather(*(restart(w) for w in workers))\n",
            at="6:11-6:57",
        ),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if ctx.call_name(node) not in ctx.knowledge.gathers:
            return
        for arg in node.args:
            if not isinstance(arg, ast.Starred):
                continue
            items = self._unbounded_items(arg.value)
            if (
                items is not None
                and self._from_input(items.source)
                and not self._limited(node)
                and not self._items_bounded(items)
            ):
                self.report(node, source=items.source)
                return

    # -- where the tasks come from ------------------------------------------------------
    def _unbounded_items(self, expr: ast.expr) -> _Items | None:
        """The items the tasks are made from, if their number is unbounded."""
        ctx = self.ctx
        if isinstance(expr, _COMPREHENSIONS):
            it = expr.generators[0].iter
            if self._bounded(it):
                return None
            targets = frozenset(
                n.id for g in expr.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
            )
            scope = ctx.scopes.get(expr, ctx.scope)
            return _Items(ctx.segment(it), it, [expr.elt], targets, scope)
        if isinstance(expr, ast.Call) and ctx.call_name(expr) == "builtins.map":
            if len(expr.args) >= 2 and not self._bounded(expr.args[1]):
                it = expr.args[1]
                return _Items(ctx.segment(it), it, [], frozenset(), ctx.scope, mapped=expr.args[0])
            return None
        if isinstance(expr, ast.Name):
            binding = ctx.scope.bindings.get(expr.id)
            if binding is None or binding.kind != "value" or len(binding.values) != 1:
                return None
            value = binding.values[0]
            if isinstance(value, _COMPREHENSIONS):
                return self._unbounded_items(value)
            if isinstance(value, ast.List) and not value.elts:
                return self._appended_in_loop(expr.id)
        return None

    def _from_input(self, source: str) -> bool:
        """The data comes in through a parameter (`urls`, `items`): its size is the caller's.

        Collections held by the object or module (`self.workers`, `PLUGINS`) are usually
        of a size the program controls, so precision first: they are not reported.
        """
        function = self.ctx.enclosing_function()
        if function is None or not isinstance(
            function.node, (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            return False
        args = function.node.args
        params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        params.discard("self")
        params.discard("cls")
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                params.add(extra.arg)
        try:
            expr = ast.parse(source.strip(), mode="eval").body
        except SyntaxError:
            return False
        names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        return not params.isdisjoint(names)

    def _appended_in_loop(self, name: str) -> _Items | None:
        function = self.ctx.scope.node
        for node in ast.walk(function):
            if not isinstance(node, (ast.For, ast.AsyncFor)) or self._bounded(node.iter):
                continue
            appended = [
                inner.args[0] if inner.args else inner
                for inner in ast.walk(node)
                if isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr in ("append", "extend")
                and isinstance(inner.func.value, ast.Name)
                and inner.func.value.id == name
            ]
            if appended:
                targets = frozenset(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
                return _Items(
                    self.ctx.segment(node.iter),
                    node.iter,
                    appended,
                    targets,
                    self.ctx.scope,
                    looked_up=self._looked_up(node, targets),
                )
        return None

    def _looked_up(self, loop: ast.For | ast.AsyncFor, items: frozenset[str]) -> frozenset[str]:
        """Names the loop body binds to an object the program holds, looked up by the item
        (``state = assignment.state_value(tp)``, ``conn = self.conns[key]``): waiting on
        them, like on the item itself, starts nothing new."""
        found: set[str] = set()
        for stmt in walk_own(loop):
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and self._is_lookup(stmt.value, items)
            ):
                found.add(stmt.targets[0].id)
        return frozenset(found)

    def _is_lookup(self, expr: ast.expr, items: frozenset[str]) -> bool:
        """``held[item]``, ``held.get(item)``, ``held.state_of(item)``: the item looked up
        in a collection or object the program holds (a name or ``self`` attribute, no call),
        not a task or an object made for it."""
        ctx = self.ctx
        if isinstance(expr, ast.Subscript):
            receiver, keys = expr.value, [expr.slice]
        elif (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and not expr.keywords
            and expr.args
        ):
            name = ctx.call_name(expr)
            if name is not None and (
                name in ctx.knowledge.task_creators or name in ctx.knowledge.gathers
            ):
                return False
            receiver, keys = expr.func.value, list(expr.args)
        else:
            return False
        return (
            _is_name_chain(receiver)
            and not _is_item(receiver, items)
            and self._held(receiver, ctx.scope, 0)
            and all(_is_item(k, items) or isinstance(k, ast.Constant) for k in keys)
            and any(_is_item(k, items) for k in keys)
        )

    def _bounded(self, it: ast.expr) -> bool:
        """At most ``gather-max-size`` items: a short literal, ``range`` of a constant, a
        constant slice (``urls[:10]``, ``islice(urls, 10)``), or those wrapped in
        ``enumerate``/``sorted``/``list``..., or zipped with one."""
        ctx = self.ctx
        limit = ctx.settings.gather_max_size
        if isinstance(it, (ast.List, ast.Tuple, ast.Set)):
            return len(it.elts) <= limit and not any(isinstance(e, ast.Starred) for e in it.elts)
        if isinstance(it, ast.Subscript) and isinstance(it.slice, ast.Slice):
            size = self._slice_size(it.slice)
            return size is not None and size <= limit
        if not isinstance(it, ast.Call):
            return False
        name = ctx.call_name(it)
        if name == "builtins.range":
            size = Sizes(ctx.resolver, ctx.scope).range_length(it)
            return size is not None and size <= limit
        if name == "itertools.islice" and 2 <= len(it.args) <= 4:
            bounds = [
                None if isinstance(a, ast.Constant) and a.value is None else a for a in it.args[1:]
            ]
            if len(bounds) == 1:
                bounds.insert(0, None)
            step = bounds[2] if len(bounds) > 2 else None
            size = self._slice_size(ast.Slice(lower=bounds[0], upper=bounds[1], step=step))
            return size is not None and size <= limit
        if name in _SAME_SIZE and it.args:
            return self._bounded(it.args[0])
        if name == "builtins.zip":
            return any(self._bounded(a) for a in it.args)
        return False

    def _slice_size(self, s: ast.Slice) -> int | None:
        """How many items a slice with constant bounds keeps at most (``[:10]``, ``[-5:]``)."""
        lower = 0 if s.lower is None else self._int_constant(s.lower)
        upper = None if s.upper is None else self._int_constant(s.upper)
        step = 1 if s.step is None else self._int_constant(s.step)
        if lower is None or step is None or step <= 0 or (upper is None and s.upper is not None):
            return None
        if upper is None:
            span = -lower if lower < 0 else None  # `[-5:]`; `[5:]` keeps the rest
        elif (lower >= 0) == (upper >= 0):  # `[:10]`, `[2:12]`, `[-5:-1]`
            span = max(upper - lower, 0)
        else:
            span = None  # `[-5:10]`: depends on the length
        return None if span is None else -(-span // step)

    def _int_constant(self, expr: ast.expr) -> int | None:
        """A known int (``-5``, ``TOTAL = 50``, ``10 * 5``): the size model's."""
        return Sizes(self.ctx.resolver, self.ctx.scope).int_value(expr)

    # -- what bounds the tasks already -------------------------------------------------------
    def _limited(self, node: ast.Call) -> bool:
        """A semaphore is used in the enclosing function (or the helpers defined in it)."""
        ctx = self.ctx
        function = ctx.enclosing_function()
        root = function.node if function is not None else ctx.tree
        for inner in ast.walk(root):
            if isinstance(inner, ast.Call):
                if ctx.resolver.call_result_type(inner, ctx.scopes.get(root, ctx.scope)) in (
                    ctx.knowledge.semaphores
                ):
                    return True
            elif isinstance(inner, (ast.AsyncWith, ast.With)):
                for item in inner.items:
                    text = ctx.segment(item.context_expr).lower()
                    if "sem" in text or "limit" in text:
                        return True
        return False

    def _items_bounded(self, items: _Items) -> bool:
        """Every task is bounded by what it is: an object the program holds only awaited,
        cancelled or closed; work in an executor; a coroutine that takes a semaphore; a
        request on a client with a connection limit."""
        if items.mapped is not None:
            return self._call_bounded(items.mapped, None, items.scope)
        if not items.elements:
            return False
        return all(self._element_bounded(element, items) for element in items.elements)

    def _element_bounded(self, element: ast.expr, items: _Items) -> bool:
        module = self.ctx.module_info
        if self._releases(
            element, items.targets, module, items.scope, follow=True, receivers=items.looked_up
        ) and self._held(items.iterable, self.ctx.scope, 0):
            return True
        if not isinstance(element, ast.Call):
            return False
        call: ast.expr = element
        wrappers = self.ctx.knowledge.task_creators | self.ctx.knowledge.gather_bounds.wait_wrappers
        # `create_task(fetch(u))`, `wait_for(fetch(u), 5)`: the bound may be on any layer
        while isinstance(call, ast.Call):
            if self._call_bounded(call.func, call, items.scope):
                return True
            if self.ctx.resolver.qualname(call.func, items.scope) not in wrappers or not call.args:
                return False
            call = call.args[0]
        return False

    def _call_bounded(self, func: ast.expr, call: ast.Call | None, scope: Scope) -> bool:
        args = [] if call is None else [*call.args, *(k.value for k in call.keywords)]
        return (
            self._runs_in_executor(func, scope)
            or self._takes_semaphore(func, call, scope)
            or self._on_limited_client(func, args, scope)
        )

    # an object the program holds, only awaited, cancelled or closed
    def _releases(
        self,
        expr: ast.expr,
        items: frozenset[str],
        module: ModuleInfo,
        scope: Scope,
        *,
        follow: bool,
        receivers: frozenset[str] = frozenset(),
    ) -> bool:
        """``expr`` only waits for, cancels or closes an item: ``w``, ``w.task``,
        ``w.close()``, ``wait_for(t, 5)``, or a project helper doing only that (``follow``);
        ``receivers`` are objects looked up per item, which may only be closed or waited on
        by a method (``state.wait_for_position()``)."""
        if _is_item(expr, items):
            return True
        if not isinstance(expr, ast.Call):
            return False
        bounds = self.ctx.knowledge.gather_bounds
        func = expr.func
        if isinstance(func, ast.Attribute) and bounds.releases(func.attr):
            return _is_item(func.value, items | receivers)
        name = module.resolver.qualname(func, scope)
        # `create_task(node.disconnect())`: a task that only closes an item starts nothing
        if name in bounds.wait_wrappers or name in self.ctx.knowledge.task_creators:
            return bool(expr.args) and self._releases(
                expr.args[0], items, module, scope, follow=follow, receivers=receivers
            )
        if not follow or not any(_is_item(a, items) for a in expr.args):
            return False
        found = self._project_function(func, scope)
        return found is not None and self._only_releases(*found)

    def _only_releases(self, module: ModuleInfo, fn: FunctionNode) -> bool:
        """Every ``await`` in the helper waits for, cancels or closes one of its parameters."""
        args = fn.args
        params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        params -= {"self", "cls"}  # the item is passed in; what the object owns is not it
        scope = module.scopes.get(fn)
        if scope is None:
            return False
        awaits = 0
        for node in ast.walk(fn):
            if isinstance(node, (ast.AsyncWith, ast.AsyncFor)):
                return False
            if isinstance(node, ast.Await):
                if not self._releases(node.value, frozenset(params), module, scope, follow=False):
                    return False
                awaits += 1
        return awaits > 0

    def _held(
        self, expr: ast.expr, scope: Scope, depth: int, rebinding: frozenset[str] = frozenset()
    ) -> bool:
        """The collection exists already: a parameter, an attribute, ``getattr(self, ...)``,
        ``x or self.y``, a set operation or a copy of those, a list built before the
        gather; not a generator or call that may make new objects as it is iterated.
        ``rebinding``: names whose own value is being judged (``conns = tuple(conns)``): in
        it, the name is what it held before, a parameter."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(expr, (ast.Attribute, ast.Subscript, *_MATERIALISED)):
            return True
        if isinstance(expr, ast.IfExp):
            return self._held(expr.body, scope, depth + 1, rebinding) and self._held(
                expr.orelse, scope, depth + 1, rebinding
            )
        if isinstance(expr, ast.Name):
            if expr.id in rebinding:
                return True
            binding = self.ctx.resolver.lookup(expr.id, scope)
            if binding is None or binding.kind in ("unknown", "typed", "self", "import"):
                return True  # a parameter, or a name set elsewhere
            if binding.kind != "value":
                return False
            inner = rebinding | {expr.id}
            return all(self._held(v, scope, depth + 1, inner) for v in binding.values)
        if isinstance(expr, ast.BoolOp):
            return all(self._held(v, scope, depth + 1, rebinding) for v in expr.values)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, _SET_OPERATIONS):
            return self._held(expr.left, scope, depth + 1, rebinding) and self._held(
                expr.right, scope, depth + 1, rebinding
            )
        if isinstance(expr, ast.GeneratorExp) and len(expr.generators) == 1:
            target = expr.generators[0].target
            names = frozenset(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            return _is_item(expr.elt, names) and self._held(
                expr.generators[0].iter, scope, depth + 1, rebinding
            )
        if isinstance(expr, ast.Call):
            name = self.ctx.call_name(expr, scope)
            if name == "builtins.getattr" or name in self.ctx.knowledge.gather_bounds.held_calls:
                return True  # `asyncio.all_tasks()`: the tasks running already
            if name in _COPIES:
                return all(self._held(a, scope, depth + 1, rebinding) for a in expr.args)
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in _VIEWS and not expr.args:
                return self._held(func.value, scope, depth + 1, rebinding)
        return False

    # work in an executor
    def _runs_in_executor(self, func: ast.expr, scope: Scope) -> bool:
        """``loop.run_in_executor(pool, ...)``, ``wrap_future(pool.submit(...))``,
        ``to_thread(...)``: the pool's workers bound how many run at once."""
        calls = self.ctx.knowledge.gather_bounds.executor_calls
        if self.ctx.resolver.qualname(func, scope) in calls:
            return True
        # `self._loop.run_in_executor(...)`: the loop's type is rarely known
        methods = {n.rpartition(".")[2] for n in calls if n.split(".")[-2][:1].isupper()}
        return isinstance(func, ast.Attribute) and func.attr in methods

    # a coroutine that takes a semaphore
    def _takes_semaphore(self, func: ast.expr, call: ast.Call | None, scope: Scope) -> bool:
        """The called project function acquires a semaphore (``async with sem:``,
        ``await sem.acquire()``), its own or one passed in by this call: followed one
        level, not into what it calls."""
        found = self._project_function(func, scope)
        if found is None:
            return False
        module, fn = found
        fn_scope = module.scopes.get(fn)
        if fn_scope is None:
            return False
        acquired: list[ast.expr] = []
        for node in ast.walk(fn):
            if isinstance(node, (ast.AsyncWith, ast.With)):
                acquired += [item.context_expr for item in node.items]
            elif (
                isinstance(node, ast.Await)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "acquire"
            ):
                acquired.append(node.value.func.value)
        for expr in acquired:
            if self._is_semaphore(expr, module, fn_scope):
                return True
            passed = _argument(fn, call, expr) if call is not None else None
            if passed is not None and self._is_semaphore(passed, self.ctx.module_info, scope):
                return True
        return False

    def _is_semaphore(self, expr: ast.expr, module: ModuleInfo, scope: Scope) -> bool:
        if module.resolver.qualname(expr, scope) in self.ctx.knowledge.semaphores:
            return True
        # a semaphore passed in (`sem`, `self._limiter`): its type is not written down.
        # Only a name: `session.get(u, timeout=limit)` is no semaphore
        if not _is_name_chain(expr):
            return False
        text = ast.unparse(expr).lower()
        return "sem" in text or "limit" in text

    # a request on a client with a connection limit
    def _on_limited_client(self, func: ast.expr, args: list[ast.expr], scope: Scope) -> bool:
        """A request on a client shared by all items that caps its connections
        (``session.get(u)``, ``self.rpc(w).profile()``, ``fetch(session, u)``)."""
        receivers: list[ast.expr] = []
        expr = func
        while True:
            if isinstance(expr, ast.Attribute):
                if isinstance(expr.value, ast.Name) and self._is_self(expr.value, scope):
                    receivers.append(expr)
                    break
                expr = expr.value
            elif isinstance(expr, ast.Call):
                expr = expr.func
            else:
                if isinstance(expr, ast.Name):
                    receivers.append(expr)
                break
        receivers += [
            a
            for a in args
            if isinstance(a, ast.Name)
            or (
                isinstance(a, ast.Attribute)
                and isinstance(a.value, ast.Name)
                and self._is_self(a.value, scope)
            )
        ]
        module = self.ctx.module_info
        for receiver in receivers:
            values = self._values(receiver, module, scope, 0)
            if values and all(self._limited_client(*v, 0) for v in values):
                return True
        return False

    def _is_self(self, name: ast.Name, scope: Scope) -> bool:
        binding = self.ctx.resolver.lookup(name.id, scope)
        return binding is not None and binding.kind == "self"

    def _values(
        self, expr: ast.expr, module: ModuleInfo, scope: Scope, depth: int
    ) -> list[tuple[ast.Call, ModuleInfo, Scope]] | None:
        """The constructor calls a name or ``self`` attribute is assigned from, in any
        class of the project it inherits from; None if any assignment is something else."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            return [(expr, module, scope)]
        if isinstance(expr, ast.Constant) and expr.value is None:
            return []
        assigned: list[tuple[ast.expr, ModuleInfo, Scope]] | None = None
        if isinstance(expr, ast.Name):
            binding = module.resolver.lookup(expr.id, scope)
            if binding is None or binding.kind != "value":
                return None
            assigned = [(v, module, scope) for v in binding.values]
        elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            binding = module.resolver.lookup(expr.value.id, scope)
            if binding is None or binding.kind != "self" or binding.qualname is None:
                return None
            found = self._find_class(binding.qualname, module)
            if found is not None:
                assigned = self._class_attribute(*found, expr.attr, 0)
        if assigned is None:
            return None
        out: list[tuple[ast.Call, ModuleInfo, Scope]] = []
        for value, where, value_scope in assigned:
            found_values = self._values(value, where, value_scope, depth + 1)
            if found_values is None:
                return None
            out += found_values
        return out

    def _limited_client(self, call: ast.Call, module: ModuleInfo, scope: Scope, depth: int) -> bool:
        """A client constructed with a connection limit (``TCPConnector(limit=10)``), or of
        a project class that holds a semaphore (distributed's ``ConnectionPool``)."""
        if depth > _MAX_DEPTH:
            return False
        name = module.resolver.call_result_type(call, scope)
        if name is None:
            return False
        bounds = self.ctx.knowledge.gather_bounds
        for keyword in call.keywords:
            if (
                keyword.arg is not None
                and (
                    f"{name}.{keyword.arg}" in bounds.connection_limits
                    or keyword.arg in bounds.pool_keywords
                )
                and self._is_limit(keyword.value, module, scope, depth)
            ):
                return True
        found = self._find_class(name, module)
        return found is not None and self._holds_semaphore(*found, 0)

    def _is_limit(self, value: ast.expr, module: ModuleInfo, scope: Scope, depth: int) -> bool:
        """A keyword's value caps connections: not 0 or None (aiohttp's and httpx's "no
        limit"); a constructed limit must be one itself (``Limits(max_connections=10)``)."""
        if isinstance(value, ast.Constant):
            return type(value.value) is int and value.value > 0
        if isinstance(value, ast.Call) and module.resolver.call_result_type(value, scope):
            return self._limited_client(value, module, scope, depth + 1)
        if isinstance(value, ast.Name):
            binding = module.resolver.lookup(value.id, scope)
            if binding is not None and binding.kind == "value" and len(binding.values) == 1:
                return self._is_limit(binding.values[0], module, scope, depth + 1)
        return True  # a limit computed or passed in (`limit=connection_limit`)

    def _holds_semaphore(self, module: ModuleInfo, cls: Scope, depth: int) -> bool:
        """The class (or a base) keeps a semaphore: its requests wait on it."""
        semaphores = self.ctx.knowledge.semaphores
        for assigned in cls.self_attributes.values():
            if any(module.resolver.qualname(v, s) in semaphores for v, s in assigned):
                return True
        for binding in cls.bindings.values():
            if binding.kind == "value" and any(
                module.resolver.qualname(v, cls) in semaphores for v in binding.values
            ):
                return True
        if depth >= _MAX_DEPTH:
            return False
        return any(self._holds_semaphore(*base, depth + 1) for base in self._bases(module, cls))

    # -- classes and functions of the project ----------------------------------------------
    def _class_attribute(
        self, module: ModuleInfo, cls: Scope, attr: str, depth: int
    ) -> list[tuple[ast.expr, ModuleInfo, Scope]] | None:
        """What ``self.<attr>`` is assigned in the class, or else in its nearest base."""
        assigned = cls.self_attributes.get(attr)
        if assigned:
            return [(v, module, s) for v, s in assigned]
        binding = cls.bindings.get(attr)
        if binding is not None:
            return [(v, module, cls) for v in binding.values] if binding.kind == "value" else None
        if depth >= _MAX_DEPTH:
            return None
        for base in self._bases(module, cls):
            found = self._class_attribute(*base, attr, depth + 1)
            if found is not None:
                return found
        return None

    def _bases(self, module: ModuleInfo, cls: Scope) -> list[tuple[ModuleInfo, Scope]]:
        node = cls.node
        if not isinstance(node, ast.ClassDef) or cls.parent is None:
            return []
        out = []
        for base in node.bases:
            name = module.resolver.qualname(base, cls.parent)
            found = self._find_class(name, module) if name else None
            if found is not None:
                out.append(found)
        return out

    def _find_class(self, name: str, module: ModuleInfo) -> tuple[ModuleInfo, Scope] | None:
        """The class ``pkg.mod.Class`` in this module or another of the project."""
        cls = module.resolver.class_scope(name)
        if cls is not None:
            return module, cls
        return self.ctx.summaries.project.class_scope(name)

    def _project_function(
        self, func: ast.expr, scope: Scope
    ) -> tuple[ModuleInfo, FunctionNode] | None:
        name = self.ctx.resolver.qualname(func, scope)
        if name is None:
            return None
        return self.ctx.summaries.callee(name, self.ctx.module_info)


def _is_item(expr: ast.expr, items: frozenset[str]) -> bool:
    """An item itself or a part of it (``w``, ``w.task``, ``pair[1]``): nothing new."""
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return isinstance(expr, ast.Name) and expr.id in items


def _argument(fn: FunctionNode, call: ast.Call, param: ast.expr) -> ast.expr | None:
    """What ``call`` passes for ``param``, if it is a parameter of ``fn``."""
    if not isinstance(param, ast.Name):
        return None
    for keyword in call.keywords:
        if keyword.arg == param.id:
            return keyword.value
    positional = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    if positional and positional[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
        positional = positional[1:]  # `self.helper(sem, ...)`: bound
    if param.id not in positional:
        return None
    index = positional.index(param.id)
    args = call.args
    if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
        return args[index]
    return None


def _is_name_chain(expr: ast.expr) -> bool:
    """``sem``, ``self._limiter``: a name or attributes of one, no call."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)
