from __future__ import annotations

import ast

from gil_lint.rules.base import Example, Rule

_COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.SetComp)


class UnboundedGather(Rule):
    """
    ## What it does
    Flags `asyncio.gather(*...)` over a collection built from data of unknown
    size passed in by the caller — a comprehension, `map(...)`, or a list filled
    in a loop over a parameter of the function — when nothing limits how many
    run at once (no `asyncio.Semaphore` /
    `BoundedSemaphore` used in the function or in the coroutine it gathers).

    Not reported: a literal list of awaitables, a comprehension over
    `range(N)` with a literal `N` up to `gather-max-size` (default 100), and
    collections the program holds itself (`self.workers`, module constants).

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
    VALID = [
        "import asyncio\nasync def f(a, b):\n    return await asyncio.gather(a(), b())\n",
        "import asyncio\nasync def f(g):\n    return await asyncio.gather(*[g(i) for i in range(10)])\n",
        "import asyncio\nasync def f(g, urls):\n    sem = asyncio.Semaphore(10)\n"
        "    async def one(u):\n        async with sem:\n            return await g(u)\n"
        "    return await asyncio.gather(*[one(u) for u in urls])\n",
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
    ]

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if ctx.call_name(node) not in ctx.knowledge.gathers:
            return
        for arg in node.args:
            if not isinstance(arg, ast.Starred):
                continue
            source = self._unbounded_source(arg.value)
            if source is not None and self._from_input(source) and not self._limited(node):
                self.report(node, source=source)
                return

    def _unbounded_source(self, expr: ast.expr) -> str | None:
        """The text of the data the tasks come from, if its size is unbounded."""
        ctx = self.ctx
        if isinstance(expr, _COMPREHENSIONS):
            it = expr.generators[0].iter
            return None if self._bounded(it) else ctx.segment(it)
        if isinstance(expr, ast.Call) and ctx.call_name(expr) == "builtins.map":
            if len(expr.args) >= 2 and not self._bounded(expr.args[1]):
                return ctx.segment(expr.args[1])
            return None
        if isinstance(expr, ast.Name):
            binding = ctx.scope.bindings.get(expr.id)
            if binding is None or binding.kind != "value" or len(binding.values) != 1:
                return None
            value = binding.values[0]
            if isinstance(value, _COMPREHENSIONS):
                return self._unbounded_source(value)
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

    def _appended_in_loop(self, name: str) -> str | None:
        function = self.ctx.scope.node
        for node in ast.walk(function):
            if not isinstance(node, (ast.For, ast.AsyncFor)) or self._bounded(node.iter):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr in ("append", "extend")
                    and isinstance(inner.func.value, ast.Name)
                    and inner.func.value.id == name
                ):
                    return self.ctx.segment(node.iter)
        return None

    def _bounded(self, it: ast.expr) -> bool:
        limit = self.ctx.settings.gather_max_size
        if isinstance(it, (ast.List, ast.Tuple, ast.Set)):
            return len(it.elts) <= limit and not any(isinstance(e, ast.Starred) for e in it.elts)
        if isinstance(it, ast.Call) and self.ctx.call_name(it) == "builtins.range":
            values = [self._int_constant(a) for a in it.args]
            if not values or None in values:
                return False
            try:
                return len(range(*values)) <= limit  # type: ignore[arg-type]
            except (ValueError, TypeError):  # range(0, 10, 0), too many arguments
                return False
        return False

    def _int_constant(self, expr: ast.expr) -> int | None:
        """A literal int, or a name bound once to one (``TOTAL = 50``)."""
        if isinstance(expr, ast.Constant):
            return expr.value if type(expr.value) is int else None
        if isinstance(expr, ast.Name):
            binding = self.ctx.resolver.lookup(expr.id, self.ctx.scope)
            if binding is not None and binding.kind == "value" and len(binding.values) == 1:
                value = binding.values[0]
                if isinstance(value, ast.Constant) and type(value.value) is int:
                    return value.value
        return None

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
