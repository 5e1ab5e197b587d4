"""Shared logic of the "blocking call inside ``async def``" rules (GIL201-GIL205, GIL207,
GIL208)."""

from __future__ import annotations

import ast
import os
import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from gil_lint.diagnostics import Applicability, Evidence, Fix
from gil_lint.engine.callers import Reach, command_line_reach
from gil_lint.engine.callforms import (
    call_category,
    expects_would_block,
    polled_get,
    protocol_socket,
    returns_immediately,
    switched_socket,
)
from gil_lint.engine.constants import TRY_NODES
from gil_lint.engine.context import ModuleContext
from gil_lint.engine.lifecycle import after_main_wait, in_loop, runs_alone, sets_work_going
from gil_lint.engine.once import enclosing_class, runs_once
from gil_lint.engine.project import ModuleInfo, Project
from gil_lint.engine.scopes import (
    NESTED_SCOPES,
    Scope,
    handler_catches,
    is_none,
    parameter_names,
    walk_own,
)
from gil_lint.engine.summaries import (
    CONSUMER_NAMES,
    PASS_THROUGH_NAMES,
    Step,
    Summary,
    in_memory_file_call,
)
from gil_lint.fix.edits import THREAD_RUNNER, async_library, cst, render, replace_call_fix
from gil_lint.rules.base import Rule
from gil_lint.rules.concurrency_apis import unwrap_partial, waited_threadsafe_future

_LINE = re.compile(r"\(line (\d+)\)$")


# the categories of file data: GIL203's, and GIL209's text files
_FILE_DATA = frozenset({"file", "text"})


def _located(step: Step) -> str:
    """ "`f` (line 3)" becomes "`f` (pricing.py:3)": the chain crosses files."""
    return _LINE.sub(f"({Path(step.path).name}:{step.row})", step.message)


def display_name(qualname: str) -> str:
    return qualname.removeprefix("builtins.")


# `lock.acquire()` / `lock.release()`: many locks belong to the thread that took them, so
# offloading one of the two calls to a worker thread is wrong advice (and gets no fix)
THREAD_AFFINE_METHODS = frozenset({"acquire", "release"})
LOCK_ADVICE = (
    "use {a_lock}, or take and release it inside one function run with "
    "`await {to_thread}(...)` (a lock released by another thread may stay held)"
)
# a sqlite3 connection belongs to the thread that made it (`check_same_thread`): neither
# one call of it nor a helper that uses a connection made before may go to a worker thread
SQLITE_ADVICE = (
    "use an async driver (`aiosqlite`), or give the connection a thread of its own (one "
    "single-worker executor that makes it and runs all its calls): `{to_thread}` runs each "
    "call on whichever worker is free, and a sqlite3 connection belongs to one thread"
)
# the end of a helper chain on a connection (or cursor) the helper did not make
_ON_A_CONNECTION = re.compile(r"^`sqlite3\.(?:Connection|Cursor)\.")
# the end of a helper chain on a SQLAlchemy session, which is not thread-safe
_ON_A_SESSION = re.compile(r"^`sqlalchemy\.orm\.(?:session\.)?Session\.")
# a session the helper's object keeps (`self.db`): every coroutine that calls the helper
# shares it, so running the helper in threads would use it from several at once
SHARED_SESSION_ADVICE = (
    "use an async session (`AsyncSession`), or run the work in one thread under an "
    "`asyncio.Lock`: `{helper}` reaches `{receiver}`, a `Session` its object keeps, and a "
    "Session is not thread-safe — offloaded as it is, two coroutines would use it from two "
    "threads at once"
)


# os.walk, Path.iterdir, ...: the I/O happens as the iterator is consumed
LAZY_ADVICE = (
    "it does its I/O as it is iterated, so iterate it in a thread "
    "(`await {to_thread}(list, {call}(...))`)"
)


def _streams(ctx: ModuleContext, node: ast.Call) -> str | None:
    """``for record in read_archive(d): yield record`` (or ``await send(record)``): the
    ``for`` over ``node`` hands each item on, suspending, before it reads the next —
    "yields" or "awaits", else None."""
    loop = ctx.parent(node)
    if not isinstance(loop, (ast.For, ast.AsyncFor)) or loop.iter is not node:
        return None
    inside = [n for stmt in loop.body for n in walk_own(stmt)]
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in inside):
        return "yields"
    if any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in inside):
        return "awaits"
    return None


def move_blocking_call_advice(helper: str, blocking: Step, loop_contact: Sequence[Step]) -> str:
    """ "move `os.unlink(...)` (arbiter.py:1050) into a thread; `self.kill_worker` also calls
    `self.tasks[pid].cancel` (arbiter.py:1029), which must stay on the event loop's thread".
    An unlocked update (``self.count += 1``) stays there too: in a thread it races the loop's
    own updates, and another thread's."""
    blocked = _located(blocking).replace("` (", "(...)` (", 1)
    touched = _located(loop_contact[-1])
    # `self.count += …`: an update with no lock, which a thread would race
    also = f"runs {touched} with no lock" if "= …`" in touched else f"calls {touched}"
    return (
        f"move {blocked} into a thread; `{helper}` also {also}, "
        "which must stay on the event loop's thread"
    )


def library_words(ctx: ModuleContext) -> dict[str, str]:
    """The names the advice templates use (``{to_thread}``, ``{sleep}``, ...), in the words
    of the module's event-loop library: asyncio unless it imports trio or anyio alone."""
    library = async_library(ctx) or "asyncio"
    asyncio = library == "asyncio"
    return {
        "library": library,
        "to_thread": f"{library}.{THREAD_RUNNER[library]}",
        "sleep": f"{library}.sleep",
        "run_process": "asyncio.create_subprocess_exec" if asyncio else f"{library}.run_process",
        "a_lock": "an asyncio lock" if asyncio else f"a {library} lock",
    }


# decorators that mark code on its way out (PEP 702's, and the `deprecated` package's)
_DEPRECATED = frozenset(
    {
        "warnings.deprecated",
        "typing_extensions.deprecated",
        "deprecated.deprecated",
        "deprecated.classic.deprecated",
        "deprecated.sphinx.deprecated",
        "deprecation.deprecated",
    }
)


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


def _import_failure_flags(ctx: ModuleContext) -> frozenset[str]:
    """What the module sets to ``False`` or ``None`` in an ``except ImportError:`` clause
    (``self._has_aiohttp = False``, ``aiohttp = None``), and never so elsewhere: flags
    that say an optional library is missing. As written (``self._has_aiohttp``)."""
    cached = ctx.cache.get("import_failure_flags")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not any(e in ctx.source for e in _IMPORT_ERRORS):
        ctx.cache["import_failure_flags"] = frozenset()
        return frozenset()  # most modules: no walk at all
    failed: set[str] = set()
    elsewhere: set[str] = set()
    in_handler: set[int] = set()
    # assignments of `False` / `None`
    assigns: list[ast.Assign] = []
    for n in ast.walk(ctx.tree):
        if isinstance(n, ast.ExceptHandler) and handler_catches(n, _IMPORT_ERRORS):
            in_handler.update(id(m) for stmt in n.body for m in walk_own(stmt))
        elif (
            isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Constant)
            and (n.value.value is False or n.value.value is None)
        ):
            assigns.append(n)
    for n in assigns:
        for t in n.targets:
            if isinstance(t, (ast.Name, ast.Attribute)):
                (failed if id(n) in in_handler else elsewhere).add(ast.unparse(t))
    found = frozenset(failed - elsewhere)
    ctx.cache["import_failure_flags"] = found
    return found


def _tests_missing(test: ast.expr) -> tuple[str, bool] | None:
    """(the flag, whether the ``if`` body is the missing case) for ``not flag`` / ``flag
    is None`` (body) or ``flag`` / ``flag is not None`` (``else:``)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = test.operand
        if isinstance(inner, (ast.Name, ast.Attribute)):
            return ast.unparse(inner), True
        return None
    if isinstance(test, (ast.Name, ast.Attribute)):
        return ast.unparse(test), False
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Is, ast.IsNot))
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
        and isinstance(test.left, (ast.Name, ast.Attribute))
    ):
        return ast.unparse(test.left), isinstance(test.ops[0], ast.Is)
    return None


def in_deprecated_code(ctx: ModuleContext) -> bool:
    """The code being visited is on its way out, and a maintainer will not tune it: in a
    function or class marked ``@deprecated(...)``, in a function whose body starts by
    warning ``DeprecationWarning`` (or ``PendingDeprecationWarning``) whatever it is called
    with, or in a module of a ``deprecated`` package."""
    if "deprecated" in ctx.module_name.split("."):
        return True
    scope: Scope | None = ctx.scope
    while scope is not None:
        if scope.kind == "function" and _warns_deprecation(ctx, scope):
            return True
        for decorator in getattr(scope.node, "decorator_list", ()):
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            parent = scope.parent or ctx.module_scope
            name = ctx.qualname(target, parent)
            # `deprecated` imported from `warnings` or `typing_extensions` by Python version
            # resolves to neither: its own name says it
            if name in _DEPRECATED or (
                name is None and getattr(target, "id", getattr(target, "attr", "")) == "deprecated"
            ):
                return True
        scope = scope.parent
    return False


_DEPRECATION_WARNINGS = frozenset(
    {"builtins.DeprecationWarning", "builtins.PendingDeprecationWarning"}
)


def _warns_deprecation(ctx: ModuleContext, function: Scope) -> bool:
    """A statement of the function's own body (not under an ``if``: a deprecated parameter
    is not a deprecated function) is ``warnings.warn(..., DeprecationWarning)``. Memoised
    per function: asked for every call the blocking rules look at."""
    memo: dict[int, bool] = ctx.cache.setdefault("warns_deprecation", {})
    known = memo.get(id(function.node))
    if known is None:
        known = memo[id(function.node)] = _warns_in(ctx, function)
    return known


def _warns_in(ctx: ModuleContext, function: Scope) -> bool:
    for stmt in getattr(function.node, "body", ()):
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (
            not isinstance(call, ast.Call)
            or getattr(call.func, "attr", getattr(call.func, "id", None)) != "warn"
            or ctx.call_name(call, function) != "warnings.warn"
        ):
            continue
        category = call.args[1] if len(call.args) > 1 else None
        for k in call.keywords:
            if k.arg == "category":
                category = k.value
        if category is not None and ctx.qualname(category, function) in _DEPRECATION_WARNINGS:
            return True
    return False


def _on_receiver(receiver: str) -> str:
    """The kind of place a call on ``receiver`` joined to its finding is, as counted."""
    return f"call{{s}} on `{receiver}` here"


def _on_class(owner: str) -> str:
    """The kind of place a helper call on an object of the project class ``owner`` joined
    to its finding is, as counted."""
    return f"call{{s}} on `{owner.rpartition('.')[2]}` objects here"


def _own_name(function: Scope) -> str:
    return function.qualname.rpartition(".")[2]


def _kept_session(ctx: ModuleContext, blocking: Step) -> str | None:
    """``self.db`` when the blocking call at the end of a helper chain is on a SQLAlchemy
    ``Session`` that the helper's object keeps in an attribute (``self.db.commit()``), as
    written; None for a session made or handed in per call, or a module not read here."""
    if not _ON_A_SESSION.match(blocking.message) or not isinstance(ctx.project, Project):
        return None
    module = ctx.project.parsed(blocking.path)
    if module is None:
        return None
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Call)
            and node.lineno == blocking.row
            and node.col_offset == blocking.col_offset
            and isinstance(node.func, ast.Attribute)
        ):
            receiver = node.func.value
            root = receiver
            while isinstance(root, ast.Attribute):
                root = root.value
            if receiver is not root and isinstance(root, ast.Name) and root.id == "self":
                return ast.unparse(receiver)
            return None
    return None


def _shares_connections(module: ModuleInfo | None) -> bool:
    """The module makes its sqlite3 connections with ``check_same_thread=False`` (a keyword,
    or a ``connect_args`` dict entry): any thread may use them (langflow's event store,
    guarded by its own lock), so offloading the helper is sound. A module not read here
    is taken not to."""
    return module is not None and _any_thread(module.tree)


# module tree → whether it turns sqlite's thread check off; weak, so that a long-lived
# process (the language server) does not keep the trees of modules it has let go
_ANY_THREAD: weakref.WeakKeyDictionary[ast.Module, bool] = weakref.WeakKeyDictionary()


def _any_thread(tree: ast.Module) -> bool:
    found = _ANY_THREAD.get(tree)
    if found is None:
        found = _ANY_THREAD[tree] = _check_same_thread_off(tree)
    return found


def _check_same_thread_off(tree: ast.Module) -> bool:
    value: ast.expr | None
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "check_same_thread":
            value = node.value
        elif isinstance(node, ast.Dict):
            value = next(
                (
                    v
                    for k, v in zip(node.keys, node.values, strict=False)
                    if isinstance(k, ast.Constant) and k.value == "check_same_thread"
                ),
                None,
            )
        else:
            continue
        if isinstance(value, ast.Constant) and value.value is False:
            return True
    return False


def _cursor_owner(ctx: ModuleContext, name: ast.Name) -> ast.expr | None:
    """``conn`` when every value the local ``name`` is given is ``conn.cursor(...)`` (the
    same ``conn``, as written): a cursor's calls are its connection's."""
    binding = ctx.resolver.lookup(name.id, ctx.scope)
    if binding is None or binding.kind != "value" or not binding.values:
        return None
    owners = [
        v.func.value
        for v in binding.values
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "cursor"
    ]
    if len(owners) != len(binding.values) or len({ast.dump(o) for o in owners}) != 1:
        return None
    return owners[0]


def _not_none(annotation: ast.expr) -> ast.expr:
    """``T`` for ``Optional[T]``, ``T | None`` and ``None | T``: the declared type."""
    if isinstance(annotation, ast.Subscript) and (
        ast.unparse(annotation.value) in ("Optional", "typing.Optional")
    ):
        return annotation.slice
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        if is_none(annotation.right):
            return annotation.left
        if is_none(annotation.left):
            return annotation.right
    return annotation


def _outermost_function(scope: Scope | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The outermost ``def`` around ``scope`` (a module function, or a method)."""
    outer: Scope | None = None
    while scope is not None:
        if scope.kind == "function":
            outer = scope
        scope = scope.parent
    node = outer.node if outer is not None else None
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _thread_affine(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in THREAD_AFFINE_METHODS
    )


# kinds of place joined to a finding, as its message counts them
_SITES = "call site{s} in this module reach{es} it"
_ELSEWHERE = "in other functions of this module"


class BlockingCallRule(Rule):
    """Reports calls whose qualified name is in one blocking category, made on the event loop."""

    CATEGORY: ClassVar[str]
    # a template: {call} as written, and library_words' {to_thread}, {sleep}, ...
    ADVICE: ClassVar[str]
    TRIGGERS = (b"async",)
    MESSAGE = "`{call}` blocks the event loop inside `async def {function}`; {advice}"
    # file work: a module's file calls on the loop are one finding (the first), the rest its
    # evidence, because the fix is one decision: do the file work in thread calls (or
    # aiofiles) throughout. A sleep or a subprocess call has an async counterpart of its
    # own, so each stays its own finding.
    ONE_PER_MODULE: ClassVar[bool] = False
    # a client object: the calls a module makes on one receiver (`self.conn.execute` in
    # every method of a storage class) are one finding, the rest its evidence — the fix is
    # one decision about that client (an async driver, or a thread that owns it)
    ONE_PER_RECEIVER: ClassVar[bool] = False
    # a wait that is the shutdown itself (joining a thread, an executor's shutdown, a
    # teardown lock) is not reported in a shutdown function (`close`, `teardown`, ...)
    QUIET_AT_SHUTDOWN: ClassVar[bool] = False

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        # (callee, call, index of its diagnostic) of each call reported in this module: a
        # fallback that repeats one in an `except` is evidence on it, not a second finding
        self._reported: list[tuple[str, ast.AST, int]] = []
        # the blocking call at the end of a helper chain → the finding reported for it here:
        # one root cause is one finding per module
        self._roots: dict[tuple[str, int, int], int] = {}
        # ONE_PER_MODULE: the module's finding, the function it is in, its rank (_rank), and
        # how its place reads as evidence ("also `open` in `load()`"): one module doing its
        # file work on the loop is one problem
        self._first_here: tuple[int, int, tuple[bool, ...], str] | None = None
        # ONE_PER_RECEIVER: (class or function, receiver as written) → the finding, its
        # rank (_rank) and how its place reads as evidence
        self._receivers: dict[tuple[str, str], tuple[int, tuple[bool, ...], str, int]] = {}
        # coroutine → this rule's finding in it: a second blocking call of the same kind in
        # one coroutine is part of that finding (one fix: run the sync part in a thread)
        self._in_function: dict[int, int] = {}
        # function name → only command-line code uses it (_command_line_only)
        self._command_line: dict[str, bool] = {}
        # function name → only other modules' start-up code uses it (_started_elsewhere)
        self._started: dict[str, Reach] = {}
        # finding → its message as first written
        self._base: dict[int, str] = {}
        # finding → kind of place → how many places are joined to it
        self._joined: dict[int, dict[str, int]] = {}
        # coroutine → (name, blocking call) for each name it binds to what a worker thread
        # returned, having run a function that reaches that call
        self._offloaded_results: dict[int, frozenset[tuple[str, tuple[str, int, int]]]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        if not ctx.in_async() or ctx.is_awaited(node) or in_deprecated_code(ctx):
            return
        if _alone_on_its_loop(ctx):
            return
        name = ctx.call_name(node)
        if name is None:
            return
        category = self._category(node, name)
        if category is None:
            self._through_helper(node, name)
            return
        if not self._blocks_here(node, name, category) or self._not_iterated_here(node, name):
            return
        if waited_threadsafe_future(ctx, node) is not None:
            return  # waiting on the loop's own future: GIL408 reports it (a deadlock)
        if (
            self._receiver_reported(node)
            or self._uses_file_opened_here(node)
            or self._uses_suppressed_file(node)
        ):
            return
        if (
            self._runs_once(node)
            or self.one_off(node, category, name=name)
            or self._on_error_path(node)
            or self._import_fallback(node)
        ):
            return
        if (
            self._repeats_reported_call(node, name)
            or self._joins_module_finding(node, name, chain=False)
            or self._joins_receiver_finding(node)
            or self._joins_function_finding(node, name) is not None
            or self._command_line_only()
        ):
            return
        self.report_blocking(node, name)
        self._remember(node, name)
        self._note_in_function()
        self._note_first_here(node, f"`{display_name(name)}`", chain=False)
        self._note_receiver(node)

    def _not_iterated_here(self, node: ast.Call, name: str) -> bool:
        """A lazy iterator does its I/O as it is consumed: made here but iterated elsewhere —
        handed to a thread (``await asyncio.to_thread(list, p.iterdir())``), kept and
        stepped in a worker (``gen = path.walk(); await run_sync(next, gen)``), returned —
        it does not block this coroutine."""
        ctx = self.ctx
        if name not in ctx.knowledge.lazy_iterators or ctx.consumed_as(node) is not None:
            return False
        parent = ctx.parent(node)
        if isinstance(parent, ast.Call) and any(a is node for a in parent.args):
            return self._offloads(parent)
        if not (
            isinstance(parent, ast.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], (ast.Name, ast.Attribute))
        ):
            return isinstance(parent, ast.Return)
        function = ctx.enclosing_function()
        if function is None:
            return False
        held = ast.unparse(parent.targets[0])
        return not any(_iterates(n, held) for n in walk_own(function.node))

    def _runs_once(self, node: ast.Call) -> bool:
        """Lazy initialisation (``if self._cfg is None: self._cfg = load()``): it blocks the
        first time only, like a memoized helper (engine/once.py)."""
        function = self.ctx.enclosing_function()
        fn = function.node if function is not None else None
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        assert function is not None
        return runs_once(fn, node, enclosing_class(function))

    def one_off(
        self,
        node: ast.AST,
        category: str | None,
        *,
        through_helper: bool = False,
        name: str | None = None,
    ) -> bool:
        """The call runs once in the life of the program (engine/lifecycle.py), where a
        maintainer would not move it: in a one-off callback (``__del__``, a finalizer, an
        ``atexit`` or signal handler) or what only such code calls, anything; in a start-up
        function (``start``, ``main``, ...), its file reads and writes and metadata
        syscalls (``category``) outside its loops — written there, or done by a helper when
        the function is one the program itself starts at (``main``, ``init``: a plugin's
        ``start`` may unpack an uploaded directory whenever one is added). A shutdown
        function's blocking calls stay reported (a connection's ``close()`` runs once per
        connection), but for rules that are ``QUIET_AT_SHUTDOWN``, and but for the file work
        it writes itself outside its loops (removing the temporary directory the object made
        is what closing it does). A start-up function's launch of a child process it does not
        wait for (``subprocess.Popen``: ``[lifecycle] spawns``, ``name``) is what starting
        does too."""
        ctx = self.ctx
        function = ctx.enclosing_function()
        code = function.node if function is not None else None
        phase = ctx.lifecycle.phase(code)
        if phase in (None, "startup") and after_main_wait(node, ctx.parent, phase == "startup"):
            if ctx.lifecycle.enters_process(code):
                return True  # a lifespan's teardown: once per process, nothing left to serve
            phase = "shutdown"  # the `finally:` of a serving loop, of a `run_forever` wait
        if phase == "once" or (phase == "shutdown" and self.QUIET_AT_SHUTDOWN):
            return True
        elsewhere = self._started_elsewhere(category) if phase is None else None
        if elsewhere is not None:
            phase = "startup"  # only other modules' start-up code calls this function
        if phase not in ("startup", "shutdown") or in_loop(node, ctx.parent):
            return False
        if phase == "startup" and name is not None and name in ctx.knowledge.lifecycle.spawns:
            return True
        if (
            phase == "startup"
            and isinstance(code, (ast.FunctionDef, ast.AsyncFunctionDef))
            and ctx.lifecycle.enters_process(code)
            and runs_alone(node, code, ctx.call_name)
        ):
            return True  # `main()` or a lifespan before it starts anything: start-up only
        process = elsewhere == "process" or ctx.lifecycle.starts_process(code)
        return (
            category is not None
            and ctx.knowledge.wait_class(category) in ("content", "metadata")
            and (not through_helper or (phase == "startup" and process))
        )

    def _started_elsewhere(self, category: str | None) -> Reach:
        """File work (content or metadata) in a function of this module that only start-up
        code of other modules of its package calls (``engine/callers.py``): magentic-ui's
        ``init_managers`` removes a folder, called from its app's lifespan alone. Asked
        once per function name and module."""
        ctx = self.ctx
        project = ctx.project
        if (
            category is None
            or ctx.knowledge.wait_class(category) not in ("content", "metadata")
            or not isinstance(project, Project)
        ):
            return None
        outer = _outermost_function(ctx.scope)
        if outer is None:
            return None
        if outer.name not in self._started:
            reach = command_line_reach(project)
            self._started[outer.name] = reach.only_at_start_up(ctx.path, outer.name)
        return self._started[outer.name]

    def _on_error_path(self, node: ast.Call) -> bool:
        """The call runs only on the way to raising an error: in an ``if`` branch or an
        ``except`` clause that ends with ``raise`` (gradio's ``if process.returncode != 0:``
        that asks ``ffmpeg -version`` for the message of the error it raises). A failure
        path is rare, and the error ends the request anyway; a maintainer would not move it."""
        ctx = self.ctx
        child: ast.AST = node
        parent = ctx.parent(node)
        while parent is not None and not isinstance(parent, NESTED_SCOPES):
            if isinstance(parent, ast.If):
                for block in (parent.body, parent.orelse):
                    if any(s is child for s in block) and isinstance(block[-1], ast.Raise):
                        return True
            elif isinstance(parent, ast.ExceptHandler) and isinstance(parent.body[-1], ast.Raise):
                return any(s is child for s in parent.body)
            child, parent = parent, ctx.parent(parent)
        return False

    def _import_fallback(self, node: ast.Call) -> bool:
        """The call is the fallback for a library that failed to import: under ``if not
        self._has_aiohttp:`` (``if aiohttp is None:``, or the ``else:`` of ``if
        HAS_AIOHTTP:``) where the module sets that flag to ``False`` (or the name to
        ``None``) only in an ``except ImportError:`` clause. The blocking branch is the
        degraded mode the package chose for an install without the async library it
        depends on; what fixes it is installing that library, not the code."""
        ctx = self.ctx
        flags = _import_failure_flags(ctx)
        if not flags:
            return False
        child: ast.AST = node
        parent = ctx.parent(node)
        while parent is not None and not isinstance(parent, NESTED_SCOPES):
            if isinstance(parent, ast.If):
                missing = _tests_missing(parent.test)
                if missing is not None:
                    flag, when_missing = missing
                    block = parent.body if when_missing else parent.orelse
                    if flag in flags and any(s is child for s in block):
                        return True
            child, parent = parent, ctx.parent(parent)
        return False

    def _memoized_at_start_up(self, node: ast.Call) -> bool:
        """A helper that blocks only through a memoized one (``get_ip(host)`` →
        ``@memoize _get_ip``), called where something starts (``start_*``, ``main``...):
        it blocks once per start and value, and the cache answers every later call — like
        a memoized helper fed only constants (in a loop too: a retry over ports asks the
        same value again)."""
        ctx = self.ctx
        function = ctx.enclosing_function()
        code = function.node if function is not None else None
        if ctx.lifecycle.phase(code) != "startup":
            return False
        raw = ctx.summary_of(node.func)
        return raw is not None and (
            raw.memoized or (raw.blocking is None and bool(raw.blocking_when))
        )

    def _category(self, node: ast.Call, name: str) -> str | None:
        """The blocking category of this call (engine/callforms.call_category): a text file
        in a loop of the function is bulk file work."""
        ctx = self.ctx
        return call_category(name, node, ctx.knowledge, lambda: in_loop(node, ctx.parent))

    def _blocks_here(self, node: ast.Call, name: str, category: str | None) -> bool:
        """A call in this rule's category that waits in this form, on a real file."""
        ctx = self.ctx
        function = ctx.enclosing_function()
        return (
            category == self.CATEGORY
            and not self._returns_immediately(node, name)
            and not expects_would_block(node, function.node if function is not None else None)
            and not protocol_socket(
                node, name, enclosing_class(function) if function is not None else None
            )
            and not switched_socket(node, name, function.node if function is not None else None)
            and not in_memory_file_call(node, name, ctx.scope, ctx.resolver, ctx.knowledge)
            and not (name in ctx.knowledge.file_openers and self._handed_to_async_file(node))
            and self.blocks(node, name)
        )

    # -- a file handed to an asynchronous file object ----------------------------------------
    def _handed_to_async_file(self, node: ast.Call) -> bool:
        """What ``node`` opens (or returns) goes to an asynchronous file object
        (``[file_objects] async_wrappers``: ``anyio.wrap_file(open(p))``, or a name bound to
        it that is used only there, also through another wrapper): its reads and writes run
        in a worker thread, so opening it is not the file work on the loop. So with a handle
        used only as an argument of awaited calls (``await client.upload(file=f)``): the
        library does the reads, as it sends; opening it is a microsecond syscall."""
        if self._in_async_wrapper(node):
            return True
        ctx = self.ctx
        value: ast.AST = node
        parent = ctx.parent(node)
        if isinstance(parent, ast.IfExp) and parent.test is not node:
            value, parent = parent, ctx.parent(parent)  # `f = p.open() if p else None`
        names = _bound_names(parent, value)
        function = ctx.enclosing_function()
        if not names or function is None:
            return False
        # each name bound (`buf, release = claim()`): wrapped where every use of it is
        own = list(walk_own(function.node))
        wrappers = [n for n in own if isinstance(n, ast.Call) and self._async_wrapper(n)]
        # handed to an awaited call (`await client.files.create(file=f)`, `await
        # http.post(files={"f": f})`): the library reads it, as it sends
        wrappers += [
            n.value for n in own if isinstance(n, ast.Await) and isinstance(n.value, ast.Call)
        ]
        inside = {id(a) for n in wrappers for a in _argument_leaves(n)}
        # a bound method run in a worker thread (`await asyncio.to_thread(f.write, chunk)`):
        # the reads and writes are off the loop, only the opening is on it
        for n in own:
            if not isinstance(n, ast.Call):
                continue
            methods = [
                a.value
                for a in _argument_leaves(n)
                if isinstance(a, ast.Attribute)
                and isinstance(a.value, ast.Name)
                and a.value.id in names
            ]
            if methods and self._offloads(n):  # the lookup only where a method is handed on
                inside.update(id(m) for m in methods)
        # ... or a local that only carries the handle there (`files = {"f": (name, f)}`
        # then `await http.post(files=files)`)
        inside.update(_carried_into(own, inside))
        # what does no file work: `f.fileno()` handed on, `f.name`, `f.close()`, `f is None`
        neutral = {
            id(n.value)
            for n in own
            if isinstance(n, ast.Attribute)
            and n.attr in _NO_FILE_WORK
            and isinstance(n.value, ast.Name)
            and n.value.id in names
        }
        neutral.update(
            id(o)
            for n in own
            if isinstance(n, ast.Compare)
            and all(isinstance(op, (ast.Is, ast.IsNot)) for op in n.ops)
            for o in (n.left, *n.comparators)
            if isinstance(o, ast.Name) and o.id in names
        )
        uses: dict[str, list[bool]] = {}
        only_neutral = False
        for n in own:
            if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load):
                if id(n) in neutral:
                    only_neutral = True
                else:
                    uses.setdefault(n.id, []).append(id(n) in inside)
        wrapped = [all(found) for found in uses.values() if any(found)]
        if not uses:  # made and named, never read or written (`tmp.name` for a child)
            return only_neutral
        return bool(wrapped) and all(wrapped)

    def _offloads(self, call: ast.Call) -> bool:
        """``call`` runs a function it is given in a worker thread: a listed offloader
        (``[asyncio] offloaders``), or a function of the project that hands its own first
        parameter to one (``async def _thread(function, *args): return await
        asyncio.to_thread(function, *args)``)."""
        ctx = self.ctx
        name = ctx.call_name(call)
        if name is None:
            return False
        if name in ctx.knowledge.offloaders:
            return True
        found = ctx.summaries.callee(name, ctx.module_info)
        return found is not None and _hands_first_parameter_to(
            found[1], _tails(ctx.knowledge.offloaders)
        )

    def _async_wrapper(self, node: ast.Call) -> bool:
        """``node`` makes an asynchronous file object (``anyio.wrap_file(...)``)."""
        knowledge = self.ctx.knowledge
        func = node.func
        return self.ctx.call_name(node) in knowledge.async_file_wrappers or (
            isinstance(func, ast.Attribute) and func.attr in knowledge.async_file_wrapper_methods
        )

    def _in_async_wrapper(self, expr: ast.expr) -> bool:
        """``expr`` is an argument of an asynchronous file object's constructor, directly or
        through other calls' arguments (``anyio.wrap_file(io.TextIOWrapper(f))``)."""
        ctx = self.ctx
        child: ast.AST = expr
        parent = ctx.parent(expr)
        while isinstance(parent, (ast.Call, ast.keyword, ast.Starred)):
            if isinstance(parent, ast.Call):
                if child is parent.func:
                    return False
                if self._async_wrapper(parent):
                    return True
            child, parent = parent, ctx.parent(parent)
        return False

    def _returns_immediately(self, node: ast.Call, name: str) -> bool:
        """``lock.acquire(blocking=False)``, ``put()`` on an unbounded queue...: see
        engine/callforms.py and ``[non_blocking_forms]`` in the knowledge."""
        ctx = self.ctx
        return returns_immediately(name, node, ctx.resolver, ctx.scope, ctx.knowledge)

    def _through_helper(self, node: ast.Call, name: str) -> None:
        """A project function that blocks a few calls down is as blocking as the call itself."""
        ctx = self.ctx
        if name in ctx.knowledge.non_blocking or name.startswith("builtins."):
            return
        if not ctx.knowledge.follows_helpers(self.CATEGORY):
            return  # the cost model: a metadata syscall is reported only where it is written
        found = self._blocking_helper(node)
        if found is None:
            return
        summary, verb = found
        assert summary.blocking is not None
        if summary.opens_only and self._handed_to_async_file(node):
            return  # the helper returns a file that this code reads through anyio.wrap_file
        category, chain = summary.blocking
        if category != self.CATEGORY or len(chain) > ctx.settings.max_call_depth:
            return  # chain: the helpers + the blocking call
        function = ctx.enclosing_function()
        fname = function.qualname.rpartition(".")[2] if function else "?"
        steps = self._chain_evidence(node, chain)
        blocked = chain[-1].message.split(" (")[0]
        if (
            self._runs_once(node)
            or self.one_off(node, category, through_helper=True)
            or self._on_error_path(node)
        ):
            return
        if (
            self._memoized_at_start_up(node)
            or self._offloaded_here(node, chain)
            or self._other_mode(node, chain)
        ):
            return
        if (
            self._repeats_reported_call(node, name)
            or self._joins_root_cause(node, chain)
            or self._joins_class_finding(node)
            or self._command_line_only()
        ):
            return
        root = chain[-1]
        root_key = (root.path, root.row, root.col_offset)
        if self._joins_module_finding(node, name, chain=True):
            # later callers of this helper join the same finding
            assert self._first_here is not None
            self._roots[root_key] = self._first_here[0]
            return
        joined = self._joins_function_finding(node, name, shown=f"`{ctx.segment(node.func)}`")
        if joined is not None:
            self._roots[root_key] = joined
            return
        advice, fix = self._helper_advice(node, verb, chain)
        message = (
            f"`{fname}()` {verb} {' → '.join(e.message for e in steps)}; {blocked} blocks "
            f"the event loop — {advice}"
        )
        self.report(node, message, evidence=steps, fix=fix)
        self._remember(node, name)
        self._roots[root_key] = len(ctx.diagnostics) - 1
        # noted at the finding's index before the module's first may adopt it (_adopt
        # moves the indexes noted so far), as the direct-call path does
        self._note_in_function()
        self._note_class(node)
        self._note_first_here(node, f"`{ctx.segment(node.func)}`", chain=True)

    def _command_line_only(self) -> bool:
        """The function this call is in (the outermost ``def`` of the module or a class) is
        used in its package only by command-line entry code (and tests): it runs one
        command alone on its loop, like that code (``engine/callers.py``,
        ``cli-code-ignore``)."""
        ctx = self.ctx
        project = ctx.project
        if not isinstance(project, Project) or not ctx.settings.quiet_in_command_line_code(
            self.CODE
        ):
            return False
        node = _outermost_function(ctx.scope)
        if node is None:
            return False
        # asked once per function and module: each answer stats the package's modules
        found = self._command_line.get(node.name)
        if found is None:
            reach = command_line_reach(project)
            found = reach.only_command_line(ctx.path, node.name, ctx.lifecycle.users)
            self._command_line[node.name] = found
        return found

    def _offloaded_here(self, node: ast.Call, chain: Sequence[Step]) -> bool:
        """The helper is handed a value this coroutine got back from a worker thread that
        ran a function reaching the same blocking call (``file = await
        run_sync(_snapshot_upload, file)`` then ``with _upload_content(file)``, both ending
        at one ``path.open()``): its author has done that work off the loop, and the call
        left on it takes the branch that does not block (the data is read already). A
        helper called with anything else stays reported, even next to the offload."""
        ctx = self.ctx
        function = ctx.enclosing_function()
        if function is None:
            return False
        results = self._offloaded_results.get(id(function.node))
        if results is None:
            results = self._offloaded_results[id(function.node)] = self._results_of_offloads(
                function.node
            )
        root = chain[-1]
        key = (root.path, root.row, root.col_offset)
        return any(
            isinstance(arg, ast.Name) and (arg.id, key) in results
            for arg in (*node.args, *(kw.value for kw in node.keywords))
        )

    def _other_mode(self, node: ast.Call, chain: Sequence[Step]) -> bool:
        """A class that works both ways (weaviate's ``if self.__colour == "async": return
        _execute()`` then the sync ``httpx.Client`` code): the helper returns before its
        blocking call when a test on the object's state holds, and this call runs only where
        the same test holds (inside ``if self.__colour == "async":``, also in a coroutine
        defined there)."""
        ctx = self.ctx
        if not isinstance(node.func, ast.Attribute) or not _is_self(node.func.value):
            return False
        helper = ctx.resolver.function_def(ctx.qualname(node.func))
        if (
            helper is None
            or not chain
            or os.path.abspath(chain[0].path) != os.path.abspath(ctx.path)
        ):
            return False
        row = chain[0].row
        early = [
            ast.dump(stmt.test)
            for stmt in helper.body
            if isinstance(stmt, ast.If)
            and (stmt.end_lineno or stmt.lineno) < row
            and stmt.body
            and isinstance(stmt.body[-1], ast.Return)
            and _on_state(stmt.test)
        ]
        if not early:
            return False
        child: ast.AST = node
        parent = ctx.parent(node)
        while parent is not None and not isinstance(parent, ast.ClassDef):
            if (
                isinstance(parent, ast.If)
                and any(child is s for s in parent.body)
                and ast.dump(parent.test) in early
            ):
                return True
            child, parent = parent, ctx.parent(parent)
        return False

    def _results_of_offloads(self, fn: ast.AST) -> frozenset[tuple[str, tuple[str, int, int]]]:
        """(name, blocking call) for each ``name = await <offload>(function, ...)`` of ``fn``
        and each blocking call (path, line, column) that the function reaches."""
        ctx = self.ctx
        found: set[tuple[str, tuple[str, int, int]]] = set()
        for stmt in walk_own(fn):
            if not (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Await)
                and isinstance(stmt.value.value, ast.Call)
                and stmt.value.value.args
            ):
                continue
            node = stmt.value.value
            name = ctx.call_name(node)
            target: ast.expr | None = None
            if name in ctx.knowledge.offloaders:
                index = 1 if name is not None and name.endswith("run_in_executor") else 0
                target = node.args[index] if len(node.args) > index else None
            if target is None:
                continue
            summary = ctx.summary_of(unwrap_partial(ctx, target))
            if summary is None:
                continue
            for blocking in (
                summary.blocking,
                *(b for _, b in summary.blocking_when),
                *(own.blocking for own in summary.blocking_fixed),
            ):
                if blocking is not None and blocking[1]:
                    root = blocking[1][-1]
                    found.add((stmt.targets[0].id, (root.path, root.row, root.col_offset)))
        return frozenset(found)

    def _blocking_helper(self, node: ast.Call) -> tuple[Summary, str] | None:
        """The summary that blocks when ``node`` runs here, and how this code runs it:
        "calls", "iterates" (a generator's body runs as it is consumed) or "enters" (a
        ``with`` runs ``__enter__``). None when nothing blocks, or nothing runs yet."""
        ctx = self.ctx
        if ctx.settings.max_call_depth <= 0:
            return None
        function = ctx.enclosing_function()
        if polled_get(node, function.node if function is not None else None):
            return None  # `while not q.empty(): q.get()`: a project queue class holds one
        summary = ctx.summary_of(node.func)
        if summary is not None:  # what blocks at this call (a memoized helper may not)
            summary = ctx.summaries.at_call(summary, node, ctx.scope, ctx.module_info)
        consumed = ctx.consumed_as(node)
        if summary is not None and summary.generator and not consumed:
            return None  # `rows = read_rows(path)` only makes a generator: nothing runs yet
        verb = "calls"
        if summary is not None and summary.generator:
            verb = "enters" if consumed == "with" else "iterates"
        if (summary is None or summary.blocking is None) and consumed == "with":
            verb = "enters"
            # `with Resource(...):` runs `Resource.__enter__` on the event loop
            entered = ctx.summaries.of_enter(node, ctx.scope, ctx.module_info)
            if entered is not None and entered[0].blocking is not None:
                category, chain = entered[0].blocking
                summary = replace(entered[0], blocking=(category, (entered[1], *chain)))
        if summary is None or summary.blocking is None:
            return None
        return summary, verb

    def _chain_evidence(self, node: ast.Call, chain: Sequence[Step]) -> list[Evidence]:
        """This call, then each helper down to the blocking call, located by file."""
        ctx = self.ctx
        here = ctx.evidence_at(node, f"`{ctx.segment(node.func)}`")
        return [here, *(ctx.evidence(s, _located(s)) for s in chain)]

    def _helper_advice(
        self, node: ast.Call, verb: str, chain: Sequence[Step]
    ) -> tuple[str, Fix | None]:
        """What to do about a blocking helper, and the fix when one is safe enough to offer."""
        ctx = self.ctx
        helper = ctx.segment(node.func)
        words = library_words(ctx)
        loop_contact = ctx.summaries.touches_loop(
            node.func, ctx.scope, ctx.module_info, ctx.settings.max_call_depth
        )
        if loop_contact is not None:
            # run in a thread, the helper would cancel tasks / set futures off the loop's
            # thread (not thread-safe): only the blocking call itself may move
            return move_blocking_call_advice(helper, chain[-1], loop_contact), None
        if verb == "calls" and _thread_affine(node):
            return LOCK_ADVICE.format(**words), None
        if (
            verb == "calls"
            and _ON_A_CONNECTION.match(chain[-1].message)
            and not (
                isinstance(ctx.project, Project)
                and _shares_connections(ctx.project.parsed(chain[-1].path))
            )
        ):
            # `to_thread(store.add_rows)` where the store's connection was made on the loop's
            # thread raises ProgrammingError in the worker (cognee's RecordStore)
            return SQLITE_ADVICE.format(**words), None
        kept = _kept_session(ctx, chain[-1]) if verb == "calls" else None
        if kept is not None:
            # pyspur's task recorder: one `self.db` for every node its executor runs at once
            return SHARED_SESSION_ADVICE.format(helper=helper, receiver=kept), None
        if verb == "calls":
            # the helper may touch state the caller relies on: running it in a thread is unsafe
            fix = to_thread_fix(ctx, node, "unsafe")
            return f"offload it with `await {words['to_thread']}({helper}, ...)`", fix
        if verb == "iterates":
            # a generator's body runs as it is iterated: offloading the call alone does nothing
            to_thread = words["to_thread"]
            between = _streams(ctx, node)
            if between is not None:
                # each item is handed on before the next is read: `list` would hold them all
                return (
                    f"the loop {between} between items, so take each one in a thread "
                    f"(`it = iter({helper}(...))`, then `await {to_thread}(next, it, None)`) "
                    "rather than a `list` of them all"
                ), None
            return f"iterate it in a thread (`await {to_thread}(list, {helper}(...))`)", None
        return "enter it in a thread or give it an async counterpart (`async with`)", None

    # -- one finding per root cause ---------------------------------------------------------
    def _joins_root_cause(self, node: ast.Call, chain: Sequence[Step]) -> bool:
        """Twenty coroutines that call one helper which reads a file are one problem with one
        fix (in the helper, or an async counterpart of it): the first call site in the module
        is the finding; later ones become its evidence and are counted in its message."""
        ctx = self.ctx
        root = chain[-1]
        index = self._roots.get((root.path, root.row, root.col_offset))
        if index is None:
            return False
        function = ctx.enclosing_function()
        fname = function.qualname.rpartition(".")[2] if function else "?"
        also = ctx.evidence_at(
            node, f"also reached from `{fname}()` through `{ctx.segment(node.func)}`"
        )
        self._join(index, also, _SITES)
        return True

    def _rank(self, function: Scope, node: ast.Call, chain: bool) -> tuple[bool, ...]:
        """Which place of a group of calls (a module's file work, one client's calls) shows
        it best, lowest first: a call in code that runs often before one in a start-up or
        shutdown function, one on the normal path before one in an ``except`` clause (a
        rollback on a failure path), a call written in the coroutine before one through a
        helper. (Being in a loop is no sign: most loops around file work on the loop are
        a download's chunk writes between network awaits, microseconds each.)"""
        ctx = self.ctx
        return (
            ctx.lifecycle.phase(function.node) in ("startup", "shutdown"),
            _in_except_clause(node, ctx.parent),
            chain,
        )

    def _outranks(
        self,
        node: ast.Call,
        rank: tuple[bool, ...],
        first: tuple[bool, ...],
        index: int,
        same_function: bool,
    ) -> bool:
        """The call ``node``, of ``rank``, shows the group better than the group's finding
        at ``index``, of ``first`` (_rank). In one function the first call stays: an
        ``open`` before the writes of the file it opened (one root cause, on the
        ``open``), a call before its fallback; only a helper call gives way to a call
        written out after it. A suppressed place (``# noqa`` on its line) neither gives
        way nor takes over: a finding the maintainer suppressed keeps its group (moving it
        would report that group again), and a call they suppressed does not hide the
        module's other places under its comment."""
        ctx = self.ctx
        found = ctx.diagnostics[index]
        if ctx.suppressed(self.CODE, found.row, found.end_row) or ctx.suppressed(
            self.CODE, node.lineno, node.end_lineno or node.lineno
        ):
            return False
        if same_function:
            return (rank[0], rank[-1]) < (first[0], first[-1])
        return rank < first

    def _note_first_here(self, node: ast.Call, shown: str, *, chain: bool) -> None:
        """The finding just reported on ``shown`` (a call, as evidence text): the module's
        finding, if this rule groups by module and it is the first — or it shows the file
        work better than the first (_rank), which it then takes in: a module's file work
        is reported where it runs often and is written out, not at a `start()` or a helper
        call that happened to come first in the file."""
        ctx = self.ctx
        index = len(ctx.diagnostics) - 1
        self._base[index] = ctx.diagnostics[index].message
        function = ctx.enclosing_function()
        if not self.ONE_PER_MODULE or function is None:
            return
        rank = self._rank(function, node, chain)
        here = f"also {shown} in `{function.qualname.rpartition('.')[2]}()`"
        if self._first_here is None:
            self._first_here = (index, id(function.node), rank, here)
            return
        first, first_function, first_rank, first_shown = self._first_here
        if self._outranks(node, rank, first_rank, first, id(function.node) == first_function):
            self._adopt(first, index, first_shown)
            self._first_here = (first, id(function.node), rank, here)

    def _receiver_key(self, node: ast.Call) -> tuple[str, str] | None:
        """Where one client object's calls are gathered: ``self.conn`` in its class, a
        parameter declared ``db: Session`` in the module (every endpoint of a router is
        handed one), a local ``conn`` in its function; None for a module's function
        (``requests.get``) or a receiver made on the spot."""
        ctx = self.ctx
        func = node.func
        function = ctx.enclosing_function()
        if not self.ONE_PER_RECEIVER or not isinstance(func, ast.Attribute) or function is None:
            return None
        target = func.value
        if isinstance(target, ast.Name):
            # `cursor = self.conn.cursor()` then `cursor.execute(...)`: the connection's call
            # (rio's template store opens a cursor in each of its seven methods)
            target = _cursor_owner(ctx, target) or target
        root = target
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        binding = ctx.resolver.lookup(root.id, ctx.scope)
        if root is func.value and (binding is None or binding.kind == "import"):
            return None  # `requests.get`, `socket.getaddrinfo`: a module's function
        receiver = ctx.segment(target)
        if binding is not None and binding.kind == "self":
            owner = function.qualname.rpartition(".")[0]  # the class, for all its methods
        elif (
            binding is not None
            and binding.kind == "typed"
            and binding.annotation is not None
            and isinstance(function.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            and root.id in parameter_names(function.node.args)
        ):
            # a client each coroutine is handed, of one declared type (`db: Session =
            # Depends(get_db)` in every endpoint of a router): one decision for the module,
            # sync endpoints or an async driver
            owner = ""
            receiver = f"{receiver}: {ctx.segment(_not_none(binding.annotation))}"
        else:
            owner = function.qualname
        return owner, receiver

    def _joins_receiver_finding(self, node: ast.Call) -> bool:
        """A call on a client object whose calls here are reported already joins that
        finding (unless it runs more often: then it takes the finding in, _note_receiver)."""
        key = self._receiver_key(node)
        function = self.ctx.enclosing_function()
        if key is None or key not in self._receivers or function is None:
            return False
        index, rank, _, first_function = self._receivers[key]
        here = self._rank(function, node, False)
        if self._outranks(node, here, rank, index, id(function.node) == first_function):
            return False
        shown = f"also `{self.ctx.segment(node.func)}`"
        if id(function.node) != first_function:
            shown += f" in `{_own_name(function)}()`"
        self._join(index, self.ctx.evidence_at(node, shown), _on_receiver(key[1]))
        # the coroutine's other blocking calls (a helper it hands the cursor to) are part of
        # that finding too: it does its work on the client synchronously
        self._in_function.setdefault(id(function.node), index)
        return True

    def _note_receiver(self, node: ast.Call) -> None:
        """The finding just reported on ``node``: its receiver's, if it is the first — or it
        runs more often than the first (_rank), which it then takes in."""
        key = self._receiver_key(node)
        function = self.ctx.enclosing_function()
        if key is None or function is None:
            return
        index = len(self.ctx.diagnostics) - 1
        rank = self._rank(function, node, False)
        here = f"also `{self.ctx.segment(node.func)}` in `{_own_name(function)}()`"
        if key not in self._receivers:
            self._receivers[key] = (index, rank, here, id(function.node))
            return
        first, first_rank, first_shown, first_function = self._receivers[key]
        if self._outranks(node, rank, first_rank, first, id(function.node) == first_function):
            self._adopt(first, index, first_shown, _on_receiver(key[1]))
            self._receivers[key] = (first, rank, here, id(function.node))

    def _client_class(self, node: ast.Call) -> str | None:
        """The project class whose method this helper call runs (``store.describe`` on a
        ``RecordStore``), for rules that gather a client's calls (``ONE_PER_RECEIVER``)."""
        ctx = self.ctx
        if not self.ONE_PER_RECEIVER or not isinstance(node.func, ast.Attribute):
            return None
        receiver = node.func.value
        if isinstance(receiver, ast.Name):
            binding = ctx.resolver.lookup(receiver.id, ctx.scope)
            if binding is not None and binding.kind == "self":
                return None  # the class's own methods: each async wrapper its own problem
        name = ctx.call_name(node)
        if name is None or "." not in name:
            return None
        owner = name.rpartition(".")[0]
        project = ctx.project
        if not isinstance(project, Project) or project.class_scope(owner) is None:
            return None
        return owner

    def _joins_class_finding(self, node: ast.Call) -> bool:
        """A helper call on an object of a project class whose methods already block here
        joins that finding: the methods of one synchronous client class (cognee's
        ``RecordStore``: ``add_dlt_rows``, ``describe``, ``run``) are one problem with one
        fix, whichever coroutine calls which."""
        owner = self._client_class(node)
        function = self.ctx.enclosing_function()
        if owner is None or ("class", owner) not in self._receivers or function is None:
            return False
        index, _, _, first_function = self._receivers[("class", owner)]
        shown = f"also `{self.ctx.segment(node.func)}`"
        if id(function.node) != first_function:
            shown += f" in `{_own_name(function)}()`"
        self._join(index, self.ctx.evidence_at(node, shown), _on_class(owner))
        return True

    def _note_class(self, node: ast.Call) -> None:
        owner = self._client_class(node)
        function = self.ctx.enclosing_function()
        if owner is None or function is None or ("class", owner) in self._receivers:
            return
        here = f"also `{self.ctx.segment(node.func)}` in `{_own_name(function)}()`"
        index = len(self.ctx.diagnostics) - 1
        self._receivers[("class", owner)] = (
            index,
            self._rank(function, node, True),
            here,
            id(function.node),
        )

    def _adopt(self, first: int, index: int, shown: str, kind: str = _ELSEWHERE) -> None:
        """The finding at ``index`` (the last) replaces the one at ``first``, whose place and
        evidence become its evidence (counted as places of ``kind``)."""
        ctx = self.ctx
        found = ctx.diagnostics.pop()
        earlier = ctx.diagnostics[first]
        where = Evidence(
            f"{shown} ({os.path.basename(earlier.path)}:{earlier.row})",
            earlier.path,
            earlier.row,
            earlier.col,
        )
        ctx.diagnostics[first] = replace(
            found, evidence=(*found.evidence, where, *earlier.evidence)
        )
        self._base[first] = self._base.pop(index)
        counts = self._joined.pop(first, {})
        sites = counts.pop(_SITES, 0)
        self._joined[first] = {kind: 1 + sum(counts.values())}
        if sites:
            self._joined[first][_SITES] = sites
        self._recount(first)
        self._reported = [(n, c, first if i == index else i) for n, c, i in self._reported]
        self._roots = {k: first if i == index else i for k, i in self._roots.items()}
        self._in_function = {k: first if i == index else i for k, i in self._in_function.items()}
        self._receivers = {
            k: (first if v[0] == index else v[0], *v[1:]) for k, v in self._receivers.items()
        }

    def _joins_module_finding(self, node: ast.Call, name: str, *, chain: bool) -> bool:
        """A module that reads a file here, writes one there and copies a third elsewhere
        does its file work on the loop: one finding (the first call outside start-up and
        shutdown code, else the first), the others its evidence; the fix is one decision
        (thread calls or aiofiles throughout)."""
        ctx = self.ctx
        function = ctx.enclosing_function()
        if self._first_here is None or function is None:
            return False
        index, first_function, rank, _ = self._first_here
        here = self._rank(function, node, chain)
        if self._outranks(node, here, rank, index, id(function.node) == first_function):
            return False  # reported, it takes the first finding in (_note_first_here)
        shown = f"also `{display_name(name)}`"
        if id(function.node) == first_function:
            what = "blocking call{s} in this function"
        else:
            shown += f" in `{function.qualname.rpartition('.')[2]}()`"
            what = _ELSEWHERE
        self._join(index, ctx.evidence_at(node, shown), what)
        for use in self._file_uses(node):  # the reads and writes of a file opened here
            if all((e.row, e.col) != (use.row, use.col) for e in ctx.diagnostics[index].evidence):
                ctx.join_evidence(index, use)
        return True

    def _joins_function_finding(
        self, node: ast.Call, name: str, *, shown: str | None = None
    ) -> int | None:
        """A coroutine that makes a second blocking call of this rule's kind (a `requests.get`
        after a `requests.post`, a second sync helper) does its work synchronously: one
        finding, with one fix, the later calls its evidence. The index of that finding."""
        function = self.ctx.enclosing_function()
        if function is None or self.ONE_PER_MODULE:  # the module's finding takes it in
            return None
        index = self._in_function.get(id(function.node))
        if index is None:
            return None
        if shown is None:  # a call written here: one with a safe fix of its own stays
            fix = self.make_fix(node, name)  # its own finding, so `--fix` mends each
            if fix is not None and fix.applicability == "safe":
                return None
        also = f"also {shown or f'`{display_name(name)}`'}"
        self._join(index, self.ctx.evidence_at(node, also), "blocking call{s} in this function")
        return index

    def _note_in_function(self) -> None:
        """The finding just reported: the one of the coroutine it is in, if it is the first."""
        function = self.ctx.enclosing_function()
        if function is not None:
            self._in_function.setdefault(id(function.node), len(self.ctx.diagnostics) - 1)

    def _join(self, index: int, also: Evidence, what: str) -> None:
        """Add ``also`` to the finding at ``index``; its message counts the joined places,
        each kind of place in its own words."""
        counts = self._joined.setdefault(index, {})
        counts[what] = counts.get(what, 0) + 1
        self.ctx.join_evidence(index, also)
        self._recount(index)

    def _recount(self, index: int) -> None:
        """The finding's message as first written, then the places joined to it."""
        parts = []
        for kind, more in self._joined.get(index, {}).items():
            plural = {"s": "" if more == 1 else "s", "es": "es" if more == 1 else ""}
            parts.append(f"{more} more {kind.format(**plural)}")
        found = self.ctx.diagnostics[index]
        message = f"{self._base[index]} ({'; '.join(parts)})" if parts else self._base[index]
        self.ctx.diagnostics[index] = replace(found, message=message)

    def _remember(self, node: ast.Call, name: str) -> None:
        """Note the finding just reported on ``node``, a call of ``name``."""
        self._reported.append((name, node, len(self.ctx.diagnostics) - 1))

    def _repeats_reported_call(self, node: ast.Call, name: str) -> bool:
        """``try: X(a) except E: X(b)``: the fallback is the same wait as the call it
        replaces; it becomes evidence on that finding instead of a second one. (Also for
        the ``else`` of the ``try``.)"""
        ctx = self.ctx
        if self._in_another_branch(node, name):
            return True
        parts = _try_parts(ctx, node)
        fallback_in = {t: part for t, part in parts.items() if part in ("except", "else")}
        if not fallback_in:
            return False
        for earlier_name, earlier, index in self._reported:
            if earlier_name != name:
                continue
            earlier_parts = _try_parts(ctx, earlier)
            matched = [t for t in fallback_in if earlier_parts.get(t) == "body"]
            if not matched:
                continue
            again = f"`{ctx.segment(node.func)}` again in the `{fallback_in[matched[0]]}` fallback"
            ctx.join_evidence(index, ctx.evidence_at(node, again))
            return True
        return False

    def _in_another_branch(self, node: ast.Call, name: str) -> bool:
        """``if windows: Popen(a) else: Popen(b)``: the same call in another branch of an
        ``if`` whose one branch was reported runs instead of it, not as well — the same
        wait, evidence on that finding (unless that finding has a fix to apply here too)."""
        ctx = self.ctx
        here = _if_branches(ctx, node)
        if not here:
            return False
        for earlier_name, earlier, index in self._reported:
            if earlier_name != name or ctx.diagnostics[index].fix is not None:
                continue  # a finding with a fix keeps each place its own (`--fix` fixes all)
            there = _if_branches(ctx, earlier)
            if any(k in there and there[k] != branch for k, branch in here.items()):
                words = f"`{ctx.segment(node.func)}` again in another branch"
                ctx.join_evidence(index, ctx.evidence_at(node, words))
                return True
        return False

    def _opens_file(self, node: ast.AST) -> bool:
        """``open(p)``, ``path.open()``, ``gzip.open(p)``: a call this rule reports that
        returns a file object."""
        if not isinstance(node, ast.Call):
            return False
        name = self.ctx.call_name(node)
        if name is None or name not in self.ctx.knowledge.file_openers:
            return False
        category = self._category(node, name)
        if category in _FILE_DATA and self.CATEGORY in _FILE_DATA:
            # a binary file's `json.load(f)` is part of GIL203's finding on the `open`, not
            # one of GIL209's (nor a text file's `f.read()` one of GIL203's)
            category = self.CATEGORY
        return self._blocks_here(node, name, category)

    def _opened_here(self, name: str) -> bool:
        """``name`` is only ever bound, in this function, to a file opened by a reported call
        or by one that does not wait (a file the package ships: its reads are free too)."""
        function = self.ctx.enclosing_function()
        binding = function.bindings.get(name) if function is not None else None
        return (
            binding is not None
            and binding.kind == "value"
            and bool(binding.values)
            and all(self._opens_file(v) or self._opens_free_file(v) for v in binding.values)
        )

    def _opens_free_file(self, node: ast.AST) -> bool:
        """``open(HERE / "data.json")``: an opener in a form that does not wait."""
        if not isinstance(node, ast.Call):
            return False
        name = self.ctx.call_name(node)
        return (
            name is not None
            and name in self.ctx.knowledge.file_openers
            and self._returns_immediately(node, name)
        )

    def _uses_file_opened_here(self, node: ast.Call) -> bool:
        """``json.load(f)`` after ``with open(p) as f:``, or ``json.load(open(p))``: the read
        is part of the ``open``'s finding (as evidence), not a finding of its own. A handle
        that comes from elsewhere (a parameter, an attribute) is still reported."""
        for value in _operands(node):
            if self._opens_file(value):
                return True
            if isinstance(value, ast.Name) and self._opened_here(value.id):
                return True
        return False

    def _uses_suppressed_file(self, node: ast.Call) -> bool:
        """``outfile.write(chunk)`` where ``outfile`` may be the file an ``open`` with a
        ``# noqa`` for this rule opened (``outfile = open(p, "wb")  # noqa: ASYNC230`` in
        one branch, or ``with context as f`` after ``context = open(...)  # noqa``): the
        maintainer accepted that file's work, its reads and writes with it."""
        function = self.ctx.enclosing_function()
        if function is None:
            return False
        return any(
            isinstance(value, ast.Name) and self._may_hold_suppressed_open(function, value.id, 2)
            for value in _operands(node)
        )

    def _may_hold_suppressed_open(self, function: Scope, name: str, depth: int) -> bool:
        binding = function.bindings.get(name)
        if binding is None or binding.kind != "value" or depth < 0:
            return False
        for value in binding.values:
            if isinstance(value, ast.Name):
                if self._may_hold_suppressed_open(function, value.id, depth - 1):
                    return True
            elif self._opens_file(value) and self.ctx.suppressed(
                self.CODE, value.lineno, value.end_lineno or value.lineno
            ):
                return True
        return False

    def _file_uses(self, node: ast.AST) -> list[Evidence]:
        """For a reported ``open``: what this function does with the file it opens (the
        reads and writes), as evidence."""
        ctx = self.ctx
        if not self._opens_file(node):
            return []
        parent = ctx.parent(node)
        if isinstance(parent, ast.Attribute):  # `open(p).read()`
            parent = ctx.parent(parent)
        if isinstance(parent, ast.Call) and any(node is o for o in _operands(parent)):
            return [self._use_evidence(parent, "the file")]  # `json.load(open(p))`
        handle = bound_name(parent, node)
        function = ctx.enclosing_function()
        if handle is None or function is None or not self._opened_here(handle):
            return []
        after = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
        return [
            self._use_evidence(use, f"`{handle}`")
            for use in _handle_uses(function.node, handle)
            if _position(use) > after
        ]

    def _use_evidence(self, use: ast.Call | ast.For | ast.comprehension, file: str) -> Evidence:
        """``json.load` on `f` (app.py:6)``, ```f.read` (app.py:7)``, ```for … in f```."""
        ctx = self.ctx
        if isinstance(use, ast.Call):
            func = use.func
            if isinstance(func, ast.Attribute) and f"`{ctx.segment(func.value)}`" == file:
                shown = f"`{ctx.segment(func)}`"  # `f.read`
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
                shown = f"`.{func.attr}` on {file}"  # `open(p).read()`
            else:
                shown = f"`{ctx.segment(func)}` on {file}"
            at: ast.expr | ast.stmt = use
        else:
            shown, at = f"`for … in {ctx.segment(use.iter)}`", use.iter
        return ctx.evidence_at(at, shown)

    def _receiver_reported(self, node: ast.Call) -> bool:
        """``Popen(...).wait()``: the inner call is reported already; once is enough."""
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            inner = self.ctx.call_name(func.value)
            return inner is not None and self._category(func.value, inner) == self.CATEGORY
        return False

    def blocks(self, node: ast.Call, name: str) -> bool:
        """Hook for rules where some argument forms do not block."""
        return True

    def report_blocking(self, node: ast.AST, name: str, advice: str | None = None) -> None:
        """``advice``, like ``ADVICE``, is a template filled with the call and library_words;
        without one, the rule's ``advice_for`` speaks first."""
        function = self.ctx.enclosing_function()
        fname = function.qualname.rpartition(".")[2] if function else "?"
        # advice shows the callee as written (`self._executor.shutdown`), not its type
        written = self.ctx.segment(node.func) if isinstance(node, ast.Call) else ""
        fix = self.make_fix(node, name) if isinstance(node, ast.Call) else None
        words = library_words(self.ctx)
        text = None if advice is not None else self.advice_for(node, name, words)
        if text is None:
            text = (
                advice
                or (LOCK_ADVICE if _thread_affine(node) else None)
                or (LAZY_ADVICE if name in self.ctx.knowledge.lazy_iterators else None)
                or self.ADVICE
            ).format(call=written or display_name(name), **words)
        self.report(
            node,
            call=display_name(name),
            function=fname,
            advice=text,
            fix=fix,
            evidence=self._file_uses(node),
        )

    def advice_for(self, node: ast.AST, name: str, words: dict[str, str]) -> str | None:
        """Hook: the advice for this API, final text (no template), or None for ADVICE."""
        return None

    def make_fix(self, node: ast.Call, name: str) -> Fix | None:
        """The rule's fix for a direct blocking call; by default run it in a thread."""
        if self.FIX is None:
            return None
        return to_thread_fix(self.ctx, node, self.FIX)


def _iterates(node: ast.AST, held: str) -> bool:
    """``node`` iterates the iterator written ``held`` on the spot: ``for x in it``, a
    comprehension over it, ``list(it)``, ``next(it)``, ``it.__next__()``, or any of these
    through ``enumerate(it)``/``zip(it, ...)``."""

    def over(expr: ast.expr) -> bool:
        if ast.unparse(expr) == held:
            return True
        return (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Name)
            and expr.func.id in PASS_THROUGH_NAMES
            and any(over(a) for a in expr.args)
        )

    if isinstance(node, (ast.For, ast.comprehension)):
        return over(node.iter)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in CONSUMER_NAMES:
            return any(over(a) for a in node.args)
        return (
            isinstance(func, ast.Attribute)
            and func.attr in ("__next__", "send")
            and ast.unparse(func.value) == held
        )
    return False


# arguments longer than this are shown as `...` in advice (a message is one line)
_SHOWN_ARGUMENTS = 40


def offload_text(ctx: ModuleContext, call: ast.Call, words: dict[str, str]) -> str:
    """``await asyncio.to_thread(ex.shutdown, cancel_futures=True)``: the call run in a
    thread, every argument kept (``...`` when they are too long to show). trio's and
    anyio's ``run_sync`` pass no keywords: there the call goes in a ``functools.partial``."""
    func = ctx.segment(call.func)
    args = [ctx.segment(a) for a in call.args]
    args += [
        f"{k.arg}={ctx.segment(k.value)}" if k.arg else f"**{ctx.segment(k.value)}"
        for k in call.keywords
    ]
    shown = ", ".join(args)
    to_thread = words["to_thread"]
    if not args:
        return f"await {to_thread}({func})"
    if len(shown) > _SHOWN_ARGUMENTS or "\n" in shown:
        shown = "..."
    if call.keywords and words["library"] != "asyncio":
        return f"await {to_thread}(functools.partial({func}, {shown}))"
    return f"await {to_thread}({func}, {shown})"


# -- where a call stands -----------------------------------------------------------------
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)


def _try_parts(ctx: ModuleContext, node: ast.AST) -> dict[int, str]:
    """For each ``try`` around ``node`` in its function (by ``id``): the part holding it,
    "body", "except", "else" or "finally"."""
    parts: dict[int, str] = {}
    child, parent = node, ctx.parent(node)
    while parent is not None and not isinstance(parent, _SCOPE_NODES):
        if isinstance(parent, TRY_NODES):
            if isinstance(child, ast.ExceptHandler):
                part = "except"
            elif any(child is s for s in parent.body):
                part = "body"
            elif any(child is s for s in parent.orelse):
                part = "else"
            else:
                part = "finally"
            parts[id(parent)] = part
        child, parent = parent, ctx.parent(parent)
    return parts


def _is_self(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Name) and expr.id == "self"


def _on_state(test: ast.expr) -> bool:
    """A test on the object's own state and constants only (``self.__colour == "async"``,
    ``self._sync``, ``not self.is_async``): it holds the same way wherever ``self`` is the
    same object."""
    for n in ast.walk(test):
        if isinstance(n, ast.Name) and n.id != "self":
            return False
        if isinstance(n, (ast.Call, ast.Await, ast.NamedExpr, ast.Subscript)):
            return False
    return any(isinstance(n, ast.Attribute) and _is_self(n.value) for n in ast.walk(test))


def _if_branches(ctx: ModuleContext, node: ast.AST) -> dict[int, bool]:
    """For each ``if`` around ``node`` in its function (by ``id``): True when ``node`` is
    in its body, False when in its ``else`` (an ``elif`` is an ``if`` in the ``else``)."""
    branches: dict[int, bool] = {}
    child, parent = node, ctx.parent(node)
    while parent is not None and not isinstance(parent, _SCOPE_NODES):
        if isinstance(parent, ast.If) and child is not parent.test:
            branches[id(parent)] = any(child is s for s in parent.body)
        child, parent = parent, ctx.parent(parent)
    return branches


def _operands(call: ast.Call) -> list[ast.expr]:
    """What a call works on: its arguments and, for a method, its receiver."""
    out = [*call.args, *(k.value for k in call.keywords)]
    if isinstance(call.func, ast.Attribute):
        out.append(call.func.value)
    return [a.value if isinstance(a, ast.Starred) else a for a in out]


def _binding_target(parent: ast.AST | None, value: ast.AST) -> ast.AST | None:
    """What ``value`` is bound to: ``with value as f``, ``f = value``, ``f: T = value``."""
    if isinstance(parent, ast.withitem) and parent.context_expr is value:
        return parent.optional_vars
    if isinstance(parent, ast.Assign) and parent.value is value and len(parent.targets) == 1:
        return parent.targets[0]
    if isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and parent.value is value:
        return parent.target
    return None


def bound_name(parent: ast.AST | None, value: ast.AST) -> str | None:
    """The plain name ``value`` is bound to: ``with value as f``, ``f = value``."""
    target = _binding_target(parent, value)
    return target.id if isinstance(target, ast.Name) else None


def _argument_leaves(call: ast.Call) -> list[ast.expr]:
    """The arguments of ``call``, and of the calls among them, down to what is not a call
    (``wrap(TextIOWrapper(f, encoding=e))`` → ``f``, ``e``)."""
    out: list[ast.expr] = []
    todo: list[ast.expr] = [*call.args, *(k.value for k in call.keywords)]
    while todo:
        arg = todo.pop()
        if isinstance(arg, ast.Starred):
            todo.append(arg.value)
        elif isinstance(arg, ast.Call):
            todo.extend([*arg.args, *(k.value for k in arg.keywords)])
        elif isinstance(arg, (ast.Tuple, ast.List)):
            todo.extend(arg.elts)  # `files=[("f", (name, f))]`
        elif isinstance(arg, ast.Dict):
            todo.extend(arg.values)  # `files={"f": f}`
        elif isinstance(arg, ast.IfExp):
            todo.extend((arg.body, arg.orelse))  # `stdin=f if f is not None else DEVNULL`
        else:
            out.append(arg)
    return out


# a file object's attributes that do no file work (its descriptor, its name)
_NO_FILE_WORK = frozenset({"fileno", "name", "mode", "closed", "close"})


@lru_cache(maxsize=8)
def _tails(names: frozenset[str]) -> frozenset[str]:
    """The last part of each dotted name (``asyncio.to_thread`` → ``to_thread``)."""
    return frozenset(n.rpartition(".")[2] for n in names)


# function node → tails → the answer (_hands_first_parameter_to); weak, like _ANY_THREAD
_HANDS_ON: weakref.WeakKeyDictionary[ast.AST, dict[frozenset[str], bool]] = (
    weakref.WeakKeyDictionary()
)


def _hands_first_parameter_to(fn: ast.AST, tails: frozenset[str]) -> bool:
    """``fn`` passes its first parameter (after ``self``/``cls``) to a call whose name ends
    in one of ``tails`` (``to_thread``, ``run_in_executor``, ``run_sync``)."""
    known = _HANDS_ON.setdefault(fn, {})
    found = known.get(tails)
    if found is None:
        found = known[tails] = _hands_on(fn, tails)
    return found


def _hands_on(fn: ast.AST, tails: frozenset[str]) -> bool:
    args = getattr(fn, "args", None)
    if args is None:
        return False
    params = [a.arg for a in (*args.posonlyargs, *args.args)]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    if not params:
        return False
    first = params[0]
    for n in ast.walk(fn):
        if not isinstance(n, ast.Call):
            continue
        func = n.func
        tail = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if tail in tails and any(isinstance(a, ast.Name) and a.id == first for a in n.args):
            return True
    return False


def _carried_into(own: list[ast.AST], inside: set[int]) -> set[int]:
    """The ids of what the locals ``own`` (a function's own nodes) binds with plain
    assignments (one per branch, say) hold in a container or as they are (``files = {"f":
    (name, f)}`` → ``f``), when each read of the local is where ``inside`` (ids of argument
    leaves) says."""
    values: dict[str, list[ast.expr]] = {}
    rebound: set[str] = set()  # also bound otherwise: `x += ...`, `x: T = ...`
    for n in own:
        if isinstance(n, ast.Assign):
            for target in n.targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(n.value)
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)) and isinstance(n.target, ast.Name):
            rebound.add(n.target.id)
    reads: dict[str, list[bool]] = {}
    for n in own:
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in values:
            reads.setdefault(n.id, []).append(id(n) in inside)
    carried: set[int] = set()
    for name, found in reads.items():
        bound = values[name]
        if name in rebound or not all(found):
            continue
        # held as it is, in a container; not given to a call, which could read it here
        todo = list(bound)
        while todo:
            value = todo.pop()
            if isinstance(value, (ast.Tuple, ast.List)):
                todo.extend(value.elts)
            elif isinstance(value, ast.Dict):
                todo.extend(value.values)
            else:
                carried.add(id(value))
    return carried


def _bound_names(parent: ast.AST | None, value: ast.AST) -> frozenset[str]:
    """The plain names ``value`` is bound to, also by unpacking: ``f = value``,
    ``with value as f``, ``f, release = value``."""
    target = _binding_target(parent, value)
    if isinstance(target, ast.Name):
        return frozenset({target.id})
    if isinstance(target, (ast.Tuple, ast.List)):
        return frozenset(e.id for e in target.elts if isinstance(e, ast.Name))
    return frozenset()


def _handle_uses(function: ast.AST, handle: str) -> list[ast.Call | ast.For | ast.comprehension]:
    """The calls given ``handle`` (``json.load(f)``, ``f.read()``) and the loops over it
    (``for line in f``) in ``function``'s own body, in source order."""
    uses: list[ast.Call | ast.For | ast.comprehension] = []
    body = getattr(function, "body", [])
    own = (n for s in body if not isinstance(s, NESTED_SCOPES) for n in walk_own(s))
    for node in own:
        if isinstance(node, ast.Call):
            operands = _operands(node)
        elif isinstance(node, (ast.For, ast.comprehension)):
            operands = [node.iter]
        else:
            operands = []
        if any(isinstance(o, ast.Name) and o.id == handle for o in operands):
            uses.append(node)  # type: ignore[arg-type]
    return sorted(uses, key=_position)


def _position(node: ast.Call | ast.For | ast.comprehension) -> tuple[int, int]:
    at = node.iter if isinstance(node, ast.comprehension) else node
    return at.lineno, at.col_offset


# -- the fix: run the call in a worker thread ------------------------------------------------
# the summaries' consumers for which a list is as good as the iterator (`next` needs an
# iterator; `dict` is left out)
_ITERATING_CALLS = CONSUMER_NAMES - {"next", "dict"}


def iterated_here(ctx: ModuleContext, call: ast.Call) -> bool:
    """``call`` is fully iterated where it stands: a ``for`` loop's or a comprehension's
    iterable, or the argument of ``list()``, ``sorted()`` and the like."""
    parent = ctx.parent(call)
    if isinstance(parent, (ast.For, ast.comprehension)):
        return parent.iter is call
    return (
        isinstance(parent, ast.Call)
        and parent.args == [call]
        and isinstance(parent.func, ast.Name)
        and parent.func.id in _ITERATING_CALLS
    )


def to_thread_fix(
    ctx: ModuleContext, call: ast.Call, applicability: Applicability, func_text: str | None = None
) -> Fix | None:
    """``f(a, k=v)`` → ``await asyncio.to_thread(f, a, k=v)``.

    The call's own whitespace and comments are kept; ``urlopen(u).read()`` becomes
    ``(await asyncio.to_thread(urlopen, u)).read()``. No fix for ``x.acquire()`` /
    ``x.release()``: many locks belong to the thread that holds them (``RLock``,
    filelock's ``FileLock``): released in another thread, this thread's lock stays held.
    """
    if isinstance(call.func, ast.Attribute) and call.func.attr in THREAD_AFFINE_METHODS:
        return None
    if func_text is None and ctx.call_name(call) in ctx.knowledge.lazy_iterators:
        return _iterate_in_thread_fix(ctx, call, applicability)
    library = async_library(ctx) or "asyncio"
    # trio's and anyio's run_sync(fn, *args) take no keyword arguments for fn
    if library != "asyncio" and call.keywords:
        return None
    runner = THREAD_RUNNER[library]

    def build(aio: str, c: cst.Call) -> cst.BaseExpression:
        func = cst.parse_expression(func_text) if func_text else c.func
        first = cst.Arg(value=func)
        if isinstance(c.whitespace_before_args, cst.ParenthesizedWhitespace) and c.args:
            # one argument per line: the callable gets a line of its own, like the others
            # (not `f(\n    requests.get, u,\n    timeout=5,\n)`)
            layout = c.whitespace_before_args.with_changes(
                first_line=cst.TrailingWhitespace(), empty_lines=[]
            )
            first = first.with_changes(comma=cst.Comma(whitespace_after=layout))
        return c.with_changes(
            func=cst.parse_expression(f"{aio}.{runner}"),
            args=[first, *_parenthesize_generators(c.args)],
        )

    return replace_call_fix(
        ctx,
        call,
        message=f"Run it in a thread: `await {library}.{runner}(...)`",
        applicability=applicability,
        build=build,
        library=library,
    )


def _iterate_in_thread_fix(
    ctx: ModuleContext, call: ast.Call, applicability: Applicability
) -> Fix | None:
    """``for p in path.iterdir():`` → ``for p in await asyncio.to_thread(list,
    path.iterdir()):``, only where the iterator is consumed whole (a list will do)."""
    if not iterated_here(ctx, call):
        return None
    library = async_library(ctx) or "asyncio"
    runner = THREAD_RUNNER[library]

    def build(aio: str, c: cst.Call) -> cst.BaseExpression:
        return cst.parse_expression(f"{aio}.{runner}(list, {render(c)})")

    return replace_call_fix(
        ctx,
        call,
        message=f"Iterate it in a thread: `await {library}.{runner}(list, ...)`",
        applicability=applicability,
        build=build,
        library=library,
    )


def _parenthesize_generators(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """``f(x for x in y)`` has the call's parentheses; as a second argument it needs its own."""
    out = []
    for arg in args:
        value = arg.value
        if isinstance(value, cst.GeneratorExp) and not value.lpar:
            arg = arg.with_changes(
                value=value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            )
        out.append(arg)
    return out


# the `os` functions aiofiles has an async twin of in `aiofiles.os`
_AIOFILES_OS = frozenset(
    f"os.{name}"
    for name in (
        "remove", "unlink", "rename", "renames", "replace", "mkdir", "makedirs", "rmdir",
        "removedirs", "listdir", "scandir", "stat", "link", "symlink", "readlink",
    )
)  # fmt: skip


def file_api_advice(
    ctx: ModuleContext, node: ast.AST, name: str, words: dict[str, str]
) -> str | None:
    """Advice for a filesystem call (GIL203's content I/O, GIL208's metadata): offload it,
    and name an async API only where the module's library has one for this call
    (``aiofiles.os.unlink`` with asyncio, ``trio.Path``/``anyio.Path`` for ``pathlib``).
    None for a lazy iterator, whose iterate-in-a-thread advice is the rule's default."""
    if name in ctx.knowledge.lazy_iterators:
        return None
    library, to_thread = words["library"], words["to_thread"]
    call = ctx.segment(node.func) if isinstance(node, ast.Call) else name
    offload = f"use `await {to_thread}({call}, ...)`"
    if library == "asyncio" and name in _AIOFILES_OS:
        return f"{offload} or `aiofiles.{name}`"
    if library != "asyncio" and name.startswith("pathlib.Path."):
        return f"{offload} or `{library}.Path`"
    return offload


def _alone_on_its_loop(ctx: ModuleContext) -> bool:
    """The coroutine this code is in runs on a loop of its own and nowhere else, and
    starts no other work on that loop (no task, gather or wait): nothing else is on the
    loop it would block. Either it is defined in a sync function and every mention of
    its name there is ``asyncio.run(pump())`` or ``loop.run_until_complete(pump())``
    (praisonai's stream bridge runs its producer so in a daemon thread, blocking on a
    bounded queue on purpose), or it is private to its module (``_collect``,
    ``self._collect``) and every mention of it in the module is such a run, or an
    ``await`` in a coroutine that is alone on its loop in turn (ray's reporter collects
    its stats with ``asyncio.run(self._compose())`` in an executor thread, and
    ``_compose`` awaits ``self._collect()``). Asked once per coroutine."""
    function = ctx.enclosing_function()
    if function is None or not isinstance(function.node, ast.AsyncFunctionDef):
        return False
    return _alone(ctx, function.node, function.parent, 0)


# how many private coroutines deep an `await` chain from a loop of its own is followed
_ALONE_DEPTH = 3


def _alone(ctx: ModuleContext, fn: ast.AsyncFunctionDef, outer: Scope | None, depth: int) -> bool:
    cache: dict[int, bool] = ctx.cache.setdefault("alone_on_its_loop", {})
    key = id(fn)
    if key in cache:
        return cache[key]
    cache[key] = False  # a cycle of awaits proves nothing
    found = _starts_nothing(ctx, fn) and (
        _only_its_definer_runs_it(ctx, fn, outer)
        or (depth < _ALONE_DEPTH and _only_run_alone(ctx, fn, outer, depth))
    )
    cache[key] = found
    return found


def _starts_nothing(ctx: ModuleContext, fn: ast.AsyncFunctionDef) -> bool:
    """``fn`` puts no other work on its loop: no task, gather, wait or server
    (``sets_work_going``, or a task creator of the knowledge)."""
    creators = ctx.knowledge.task_creators
    return not any(
        isinstance(n, ast.Call)
        and (sets_work_going(n, ctx.call_name) or ctx.call_name(n) in creators)
        for n in walk_own(fn)
    )


def _only_run_alone(
    ctx: ModuleContext, fn: ast.AsyncFunctionDef, outer: Scope | None, depth: int
) -> bool:
    """``fn`` is private to the module (a ``_name`` function or method) and every mention
    of it is a call run on a loop of its own (``_runs_on_own_loop``) or awaited in a
    coroutine alone on its loop (``_alone``)."""
    name = fn.name
    if not name.startswith("_") or name.startswith("__") or outer is None:
        return False
    mentions = _mentions(ctx).get((name, outer.kind == "class"), ())
    for _, call, around, caller in mentions:
        if call is None:
            return False  # handed on, stored or scheduled: other work may share its loop
        if isinstance(around, ast.Call) and _runs_on_own_loop(ctx, around, name):
            continue
        if not isinstance(around, ast.Await):
            return False
        if not isinstance(caller, ast.AsyncFunctionDef) or caller is fn:
            return False
        scope = ctx.scopes.get(caller)
        if scope is None or not _alone(ctx, caller, scope.parent, depth + 1):
            return False
    return bool(mentions)


# a mention of a name: the Name or Attribute node, the call it is the function of (None:
# not called there), what is around that call, and the function the mention is in
_Mention = tuple[ast.expr, ast.Call | None, ast.AST | None, ast.AST | None]


def _mentions(ctx: ModuleContext) -> dict[tuple[str, bool], list[_Mention]]:
    """Every mention of a name in the module, by (name, as an attribute): one walk, when
    first asked (the lint's own walk has not reached the code after the call yet)."""
    found: dict[tuple[str, bool], list[_Mention]] | None = ctx.cache.get("name_mentions")
    if found is not None:
        return found
    found = {}
    stack: list[tuple[ast.AST, ast.AST | None, ast.AST | None, ast.AST | None]] = [
        (ctx.tree, None, None, None)
    ]
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    while stack:
        node, parent, grand, fn = stack.pop()
        key: tuple[str, bool] | None = None
        if isinstance(node, ast.Name):
            key = (node.id, False)
        elif isinstance(node, ast.Attribute):
            key = (node.attr, True)
        if key is not None:
            assert isinstance(node, ast.expr)
            call = parent if isinstance(parent, ast.Call) and parent.func is node else None
            found.setdefault(key, []).append((node, call, grand if call else None, fn))
        inner = node if isinstance(node, defs) else fn
        stack.extend((child, node, parent, inner) for child in ast.iter_child_nodes(node))
    ctx.cache["name_mentions"] = found
    return found


def _only_its_definer_runs_it(
    ctx: ModuleContext, fn: ast.AsyncFunctionDef, outer: Scope | None
) -> bool:
    """``fn`` is defined in a sync function whose every mention of it runs it on a loop
    of its own."""
    if outer is None or not isinstance(outer.node, ast.FunctionDef):
        return False
    mentions = 0
    ran = 0
    for n in walk_own(outer.node):
        if isinstance(n, ast.Name) and n.id == fn.name:
            mentions += 1
        elif isinstance(n, ast.Call) and _runs_on_own_loop(ctx, n, fn.name):
            ran += 1
    return bool(ran) and ran == mentions  # else also handed on, stored or scheduled


def _runs_on_own_loop(ctx: ModuleContext, runner: ast.Call, name: str) -> bool:
    """``asyncio.run(name(...))`` or ``loop.run_until_complete(name(...))`` (or
    ``self.name(...)``)."""
    first = runner.args[0] if runner.args else None
    if not isinstance(first, ast.Call):
        return False
    called = first.func
    if not (
        (isinstance(called, ast.Name) and called.id == name)
        or (isinstance(called, ast.Attribute) and called.attr == name)
    ):
        return False
    func = runner.func  # any loop's `run_until_complete`, resolved or not
    return (isinstance(func, ast.Attribute) and func.attr == "run_until_complete") or (
        ctx.call_name(runner) == "asyncio.run"
    )


def _in_except_clause(node: ast.AST, parent_of: Callable[[ast.AST], ast.AST | None]) -> bool:
    """``node`` is in an ``except`` clause of the function around it: a failure path."""
    parent = parent_of(node)
    while parent is not None and not isinstance(
        parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
    ):
        if isinstance(parent, ast.ExceptHandler):
            return True
        parent = parent_of(parent)
    return False
