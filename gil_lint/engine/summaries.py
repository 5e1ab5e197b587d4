"""Function summaries: is a function CPU-bound, I/O-bound, GIL-releasing — and why.

A summary is computed lazily for the functions a rule asks about, memoised
per module and function, and follows calls transitively through the same
module and other modules of the project (see ``project.py``). Each verdict
carries its evidence chain (what was seen, where) for messages, JSON output
and the verifier.

Heuristics (documented in the rules' docs; thresholds in the settings):
- CPU evidence: a loop (``for``/``while``) doing arithmetic or container work
  (storing alone, ``done[k] = False``, counts only in a loop known to be big)
  whose body calls only pure functions (builtins, ``math``, container methods,
  other CPU-bound or pure project functions) and does not await; loops over a
  literal ``range(N)`` with ``N < cpu-loop-min-iterations`` or a literal list
  do not count; recursion; a comprehension computing over data of unknown size;
  calls to CPU-bound library functions (``[cpu_bound]``) or CPU-bound project functions.
- Heavy (``Summary.weight``) rests on evidence of size, one size model for loops,
  recursion and library calls: recursion is heavy only when it multiplies on a count
  (two calls or more on ``n - 1`` in one go, or one in a ``range`` loop); a CPU-bound
  library call only when the argument that sizes it (``[cpu_bound.sized_by]``) is known
  to be at least cpu-loop-min-iterations (known smaller, it is no CPU work at all).
- I/O evidence: calls in the blocking knowledge (network, files, subprocess,
  sleep, thread waits, input), directly or in a callee.
- Blocking reach (``Summary.blocking``, for the async rules), by the cost model of
  ``blocking.toml``: only the wait classes reported through helpers (unbounded waits and
  content I/O, not a metadata syscall), and not through a memoized helper
  (``functools.lru_cache``, ``toolz.memoize``, ...) called with constant arguments: it
  blocks once. A memoized helper called with the caller's own parameters blocks as often as
  the caller is called with varying values for them: ``Summary.blocking_when`` keeps those
  chains with the parameters they hang on, and each call site decides (``at_call``).
- Whose file: content I/O a helper does on a file it picks itself — every name in the
  path, the file object and the data written is a constant, a module global, the object's
  own attribute (``self.path``) or a local built from those — is a config, state, pid or
  marker file of the helper's: reached through helpers it is not reported
  (``Summary.blocking_fixed``). On a file its parameters name, it is reported where a
  caller passes anything but such fixed values for them: an ``async def``'s own
  parameters or data it fetched (``save_upload(path)``, ``write_bytes(await r.read())``).
- Guarded blocking: a blocking call under ``if host and port:`` on the function's own
  parameters happens only when they are truthy (under ``if host is not None:``, not
  None; in the ``else`` of ``if is_async:``, or after ``if is_async: return``, falsy;
  a wait handed its parameter as the timeout, ``cond.wait(timeout)``, not 0).
  ``Summary.blocking_guard`` keeps what every blocking branch needs of the parameters; a
  call that leaves one at a falsy default (or passes a falsy constant; a truthy one for
  a falsy guard) does not block through the function, and a wrapper that passes its own
  parameter on is guarded by it in turn.
- GIL-releasing evidence: calls in the GIL-releasing knowledge (hashlib,
  zlib/bz2/lzma, numpy/scipy/pandas, ...), including inside loops.
- Unknown library calls are neither: a loop that calls one is not evidence. A call
  whose cost nothing tells (a library's function, a method of a receiver of unknown
  type, not a method of what a blocking call returned) makes the summary ``opaque``,
  itself and every caller: it may be the heavy part.
- Nested loops: a ``range`` of unknown size inside another is heavy (O(n²)); a range
  inside a loop over data walks each item's span and is as big as the data (unknown).
- Verdict: only CPU evidence → ``cpu``; I/O and no CPU → ``io``; only
  GIL-releasing → ``releases-gil``; CPU together with I/O or GIL-releasing
  work → ``mixed``; nothing → ``unknown``. CPU evidence that is not heavy next
  to an opaque call → ``unknown``. Only ``cpu`` is ever reported as CPU-bound;
  GIL303 reports ``io`` only when not opaque.
"""

from __future__ import annotations

import ast
import copy
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from gil_lint.engine.callers import command_line_reach
from gil_lint.engine.callforms import (
    argument,
    call_category,
    exits_early,
    expects_would_block,
    hides_arguments,
    in_try_bodies,
    polled_get,
    protocol_socket,
    put_never_waits,
    returns_immediately,
    switched_socket,
)
from gil_lint.engine.knowledge import ArgumentForm, Knowledge
from gil_lint.engine.lifecycle import repeated_nodes
from gil_lint.engine.once import enclosing_class, once_nodes
from gil_lint.engine.project import ModuleInfo, Project
from gil_lint.engine.scopes import (
    NESTED_SCOPES,
    FunctionNode,
    Resolver,
    Scope,
    handler_catches,
    parameter_defaults,
    parameter_names,
    walk_own,
    written_last,
)
from gil_lint.engine.sizes import EMPTY, Env, Sizes, bind, merge
from gil_lint.engine.sizes import shown as count

Kind = Literal["cpu", "io", "releases-gil", "mixed", "unknown"]
# a blocking call reached: its category and the chain of steps to it
Blocking = tuple[str, tuple["Step", ...]]
# the arguments of one call: positional, keywords
CallShape = tuple[Sequence[ast.expr], Sequence[ast.keyword]]
# how often an argument changes, seen from the caller: None when it varies, else the
# caller's parameters it is taken from (empty: a constant, or the parameter's default)
_Varies = frozenset[str] | None
# a chain of conditional blockings is kept per function only up to this many
_MAX_CONDITIONAL = 4
# how deep ``_origin`` follows an expression and the locals it is built from
_MAX_ORIGIN_DEPTH = 12
# data from outside the function: what it awaits, what a generator is sent, a lambda's
# or comprehension's own names
_FROM_OUTSIDE = (
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.NamedExpr,
)
# what a call writes: the first argument of these, the second of `os.write(fd, data)`
_DATA_FIRST = frozenset({"pickle.dump", "json.dump", "marshal.dump"})
# what turns a value into a short text: written, it is a line, not the object's state
_SHORT_TEXT = frozenset(
    {"builtins.str", "builtins.repr", "builtins.int", "builtins.float", "builtins.format"}
)
_WRITE_METHODS = frozenset({"write", "writelines", "write_text", "write_bytes"})
_OPERATORS = (ast.expr_context, ast.operator, ast.cmpop, ast.boolop, ast.unaryop)

_LOOPS = (ast.For, ast.While)
_LINE_REF = re.compile(r"line \d+")
_NESTED = NESTED_SCOPES
_COMPUTE = (ast.BinOp, ast.AugAssign, ast.Compare, ast.Subscript, ast.UnaryOp)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class Step:
    """One link of an evidence chain."""

    message: str
    path: str
    row: int
    # ast's col_offset: a UTF-8 byte offset; ModuleContext.evidence makes it a column
    col_offset: int = 0

    def located(self, here: str | None) -> str:
        """The message, with "line N" as "file.py:N" when the step is in another file."""
        if here is None or os.path.abspath(self.path) == os.path.abspath(here):
            return self.message
        return _LINE_REF.sub(f"{os.path.basename(self.path)}:{self.row}", self.message, count=1)


@dataclass(frozen=True)
class OwnFile:
    """Content I/O on a file a function picks itself: reported through it only where a
    caller passes data of its own for ``paths`` (the parameters that name the file or its
    handle) or ``data`` (those that give what it writes; there, the object's own state —
    ``pickle.dump(self.chats, f)`` — is of any size too). Both empty: fixed by the
    function, never reported through it."""

    paths: frozenset[str]
    data: frozenset[str]
    blocking: Blocking
    # parameters that must be truthy for it to happen (`if to_filesystem:`), as
    # ``Summary.blocking_guard``: a caller that leaves one falsy never reaches it
    guard: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Summary:
    name: str
    kind: Kind
    chain: tuple[Step, ...] = ()
    # the first blocking call reached (category, chain to it) that the async rules report
    # through helpers, whatever the arguments
    blocking: Blocking | None = None
    # CPU evidence that is heavy on its own (see ``weight``)
    heavy: bool = False
    # a generator function (also a @contextmanager one): calling it runs nothing; its
    # body runs when the generator is iterated or the context is entered
    generator: bool = False
    # blocking reached only through memoized helpers fed from these parameters: it happens
    # again only when a caller passes varying values for one of them
    blocking_when: tuple[tuple[frozenset[str], Blocking], ...] = ()
    # content I/O on a file the function picks itself (empty: fixed by it), or on one these
    # parameters name (or whose data they give): it blocks a caller when that caller passes
    # its own data for them — not fixed values (``_file_origin``)
    blocking_fixed: tuple[OwnFile, ...] = ()
    # parameters that must all be truthy for ``blocking`` to happen (every blocking branch
    # is under `if p:` / `if p and q:` / `if p == "x":` on them), or not None
    # (`"p is not None"`, under `if p is not None:`)
    blocking_guard: frozenset[str] = frozenset()
    # under a memoizing decorator (functools.lru_cache, ...)
    memoized: bool = False
    # every blocking call it reaches opens a file it returns (``return os.fdopen(fd)``, or
    # a helper's such file): where the reads happen is the caller's to say (one that hands
    # the file to ``anyio.wrap_file`` reads it in a worker thread)
    opens_only: bool = False
    # calls (itself or through its helpers) a function whose cost nothing tells: a
    # library's, or a method of a receiver of unknown type. That call may be the heavy part,
    # so a verdict that needs the rest to dominate (an unsized CPU loop, I/O) is not given
    opaque: bool = False
    # the signature, to match a call's arguments to parameters (``method``: bound, the
    # first parameter is the instance)
    arguments: ast.arguments | None = field(default=None, compare=False)
    method: bool = False

    @property
    def weight(self) -> Literal["heavy", "unsized"] | None:
        """The one verdict on CPU work every rule shares. ``heavy``: a loop of a known size
        of at least cpu-loop-min-iterations (also through the arguments of a call), a
        ``range`` inside a ``range`` of sizes not known to be small, a counting ``while``,
        recursion that multiplies on a count, CPU-bound library calls on data known to be
        big. ``unsized``: computing loops over data of unknown size, other recursion, such
        library calls on data of unknown size, in a function that calls nothing of unknown
        cost. None: not
        CPU-bound (a loop of a known small size is no CPU evidence at all). GIL101 reports
        both (threads serialize any CPU work); GIL206 only ``heavy``."""
        if self.kind != "cpu":
            return None
        return "heavy" if self.heavy else "unsized"

    @property
    def file_work(self) -> Blocking | None:
        """What blocks, the function's own files included (``blocking_fixed``): for the
        rules that ask how long a call takes, not whose loop it blocks."""
        return self.blocking or next((own.blocking for own in self.blocking_fixed), None)

    def explain(self, here: str | None = None) -> str:
        """``loop at line 34 → `is_prime` (line 35) → loop at mathutils.py:26``: steps in
        another file than ``here`` (the file being linted) name that file."""
        return " → ".join(s.located(here) for s in self.chain)


@dataclass(frozen=True)
class LoopContact:
    """A loop-affine call reached from a function run in a worker thread: the chain of
    steps to it, the call, the module it is in and its qualified name
    (``asyncio.Future.set_result``)."""

    chain: tuple[Step, ...]
    call: ast.Call
    module: ModuleInfo
    name: str
    # the callee as written (``self.fut.set_result``)
    written: str


@dataclass
class _Facts:
    cpu: list[tuple[Step, ...]] = field(default_factory=list)
    io: list[tuple[Step, ...]] = field(default_factory=list)
    releases: list[tuple[Step, ...]] = field(default_factory=list)
    blocking: Blocking | None = None
    blocking_when: list[tuple[frozenset[str], Blocking]] = field(default_factory=list)
    blocking_fixed: list[OwnFile] = field(default_factory=list)
    # the function's parameters, and its scope (to tell a parameter from a local of that name)
    params: frozenset[str] = frozenset()
    scope: Scope | None = None
    heavy: bool = False
    # CPU evidence seen in the function itself, not only in callees
    own_cpu: bool = False
    # the first chain that makes the function heavy: the evidence shown for a heavy verdict
    heavy_chain: tuple[Step, ...] | None = None
    # calls outside loops to functions nothing is known about
    unknown_calls: int = 0
    # a call, anywhere (in loops too, through helpers too), whose cost nothing tells
    opaque: bool = False
    # calls back into a function being summarised (recursion), in source order
    recursive: list[ast.Call] = field(default_factory=list)
    # calls whose result is iterated or entered right away (see ``consumed_calls``)
    consumed: frozenset[ast.Call] = frozenset()
    # the class the function is a method of (for lazy initialisation through its methods)
    cls: ast.ClassDef | None = None
    # the function, and (computed when a blocking call is first seen) the parameters that
    # must be truthy at each call under an `if` on them
    fn: FunctionNode | None = None
    guards: dict[int, frozenset[str]] | None = None
    # the ids of the nodes a loop of the function repeats (``looped``), found when asked
    repeated: frozenset[int] | None = None
    # what every blocking seen so far needs truthy (None: no blocking seen yet)
    guard: frozenset[str] | None = None
    # every blocking seen so far opens a file the function returns (None: none seen yet)
    opened: bool | None = None
    # the ids of the expressions the function returns (a returned tuple's items too)
    returned: frozenset[int] | None = None

    def runs_once(self, node: ast.AST) -> bool:
        """``node`` fills a value kept on the object or a global only while it is unset:
        lazy initialisation (engine/once.py), what blocks there blocks the first time only.
        Asked only of calls that block, so the regions are found only in such functions."""
        return self.fn is not None and id(node) in once_nodes(self.fn, self.cls)

    def made_heavy(self, chain: tuple[Step, ...]) -> None:
        """``chain`` is CPU work known to be big: the function is heavy, and (the first such)
        ``chain`` is the evidence its verdict shows."""
        self.heavy = True
        if self.heavy_chain is None:
            self.heavy_chain = chain

    def looped(self, node: ast.AST) -> bool:
        """``node`` is in a loop (or comprehension) of the function: it may run many times."""
        if self.fn is None:
            return False
        if self.repeated is None:
            self.repeated = repeated_nodes(self.fn)
        return id(node) in self.repeated

    def guard_at(self, node: ast.AST) -> frozenset[str]:
        """What the parameters must be for ``node`` to run: truthy (``p``), not None
        (``"p is not None"``) or falsy (``"p is falsy"``)."""
        if self.fn is None:
            return frozenset()
        if self.guards is None:
            self.guards = _parameter_guards(self.fn, self.params)
            for found in _no_loop_nodes(self.fn):
                self.guards[found] = self.guards.get(found, frozenset()) | {_NO_LOOP}
        return self.guards.get(id(node), frozenset())

    def blocks(self, blocking: Blocking, guard: frozenset[str], opened: bool = False) -> None:
        """A blocking call reached when ``guard`` is all truthy; ``opened``: it opens a file
        the function returns."""
        if self.blocking is None or (self.blocking[0] == "text" and blocking[0] != "text"):
            # a text file (GIL209, off by default) gives way to any other blocking call, so
            # that a copy after a settings read is still GIL203's; so does its guard: what
            # the call kept needs is what the sync branch of `if is_async:` needs, not the
            # diff preview read before it
            if self.blocking is not None:
                self.guard = None
            self.blocking = blocking
        elif self.blocking[0] != "text" and blocking[0] == "text":
            return  # given way to the call kept: its guard says nothing of that one
        self.guard = guard if self.guard is None else self.guard & guard
        self.opened = opened if self.opened is None else self.opened and opened

    def on_own_file(self, own: OwnFile) -> None:
        """Content I/O on a file the function picks itself (or its parameters name)."""
        if len(self.blocking_fixed) < _MAX_CONDITIONAL and all(
            (seen.paths, seen.data) != (own.paths, own.data) for seen in self.blocking_fixed
        ):
            self.blocking_fixed.append(own)

    def returns(self, node: ast.AST) -> bool:
        """``node`` is what the function returns, or an item of a tuple it returns."""
        if self.fn is None:
            return False
        if self.returned is None:
            self.returned = returned_values(self.fn)
        return id(node) in self.returned

    # the parameters a call site gave known values (sizes.py)
    env: Env = EMPTY


class Summaries:
    def __init__(
        self,
        project: Project,
        knowledge: Knowledge,
        *,
        min_loop_iterations: int = 1000,
        max_depth: int = 4,
    ) -> None:
        self.project = project
        self.knowledge = knowledge
        self.min_loop_iterations = min_loop_iterations
        self.max_depth = max_depth
        self._memo: dict[tuple[str, int, int, Env], Summary] = {}
        self._in_progress: set[tuple[str, int, int]] = set()
        self._loop_memo: dict[tuple[str, int, int, int, bool], tuple[Step, ...] | None] = {}
        self._thread_memo: dict[tuple[str, int, int, int], LoopContact | None] = {}
        self._loop_method_names: frozenset[str] | None = None
        self._suspend_memo: dict[tuple[str, int, int], bool] = {}
        # a private protocol's method → the methods of the package's classes it can run
        self._implementers_memo: dict[
            tuple[str, int, int], list[tuple[ModuleInfo, FunctionNode]]
        ] = {}

    # -- entry points -----------------------------------------------------------------
    def of(self, module: ModuleInfo, fn: FunctionNode, depth: int = 0, env: Env = EMPTY) -> Summary:
        """``fn``'s summary; ``env``: what one call site passes its parameters (sizes.py)."""
        key = (module.path, fn.lineno, fn.col_offset)
        memo = self._memo.get((module.path, fn.lineno, fn.col_offset, env))
        if memo is not None:
            return memo
        if key in self._in_progress or depth > self.max_depth:
            return Summary(fn.name, "unknown")
        self._in_progress.add(key)
        try:
            summary = self._compute(module, fn, depth, env)
        finally:
            self._in_progress.discard(key)
        self._memo[(module.path, fn.lineno, fn.col_offset, env)] = summary
        return summary

    def of_expression(
        self,
        expr: ast.expr,
        scope: Scope,
        module: ModuleInfo,
        calls: Sequence[CallShape] | None = None,
    ) -> Summary | None:
        """A callable expression: a function name, ``self.method``, a lambda.

        ``calls``: the arguments it is called with, when the call site shows them (one
        shape per call: ``pool.map(f, [1, 2])`` calls ``f`` twice); their known values
        size the function's loops. None: not known (the function is judged for any
        arguments)."""
        if isinstance(expr, ast.Lambda):
            return self._lambda(expr, scope, module)
        qual = module.resolver.qualname(expr, scope)
        if qual is None:
            return None
        found = self.callee(qual, module)
        if found is None or isinstance(found[1], ast.AsyncFunctionDef):
            return None  # calling an `async def` only creates a coroutine: nothing runs yet
        if is_offloaded(*found, self.knowledge):
            return None  # `@run_on_executor`: the call hands the body to a worker
        env = EMPTY
        if calls is not None:
            env = self.call_env(found, calls, scope, module)
        return self.of(*found, env=env)

    def call_env(
        self,
        found: tuple[ModuleInfo, FunctionNode],
        calls: Sequence[CallShape],
        scope: Scope,
        module: ModuleInfo,
        env: Env = EMPTY,
    ) -> Env:
        """What the calls ``calls`` (evaluated in ``scope`` of ``module``, whose own
        parameters are ``env``) pass the parameters of the function ``found``."""
        callee_module, fn = found
        fn_scope = callee_module.scopes.get(fn)
        method = fn_scope is not None and _is_method(fn, fn_scope)
        sizes = Sizes(module.resolver, scope, env)
        return merge([bind(fn.args, method, pos, kws, sizes.known) for pos, kws in calls])

    def _lambda(self, expr: ast.Lambda, scope: Scope, module: ModuleInfo) -> Summary | None:
        """``lambda: work(10**7)`` is ``work`` called so; ``lambda: sum(i * i for i in
        range(10**7))`` is judged as a function whose body is that expression."""
        inner = module.scopes.get(expr, scope)
        body = expr.body
        if isinstance(body, ast.Call):
            called = self.of_expression(body.func, inner, module, [(body.args, body.keywords)])
            if called is not None:
                return called
        facts = _Facts(consumed=consumed_calls([body]), scope=inner)
        self._body([body], inner, module, 0, facts)
        summary = replace(_verdict("lambda", facts), opaque=facts.opaque)
        return summary if summary.kind != "unknown" else None

    def may_suspend(self, module: ModuleInfo, fn: FunctionNode) -> bool:
        """Whether the coroutine function ``fn``, once running, can hand control back to the
        event loop before it returns: an ``await`` of anything but the project's own
        coroutines that cannot (themselves, through theirs), an ``async for`` or ``async
        with``; ``await q.put(x)`` on a queue made with no bound cannot either
        (``put_never_waits``). One that cannot runs to its end in the task's first step,
        while the loop still holds the task (GIL402). A sync function (it may return any
        awaitable), one deeper than ``max_depth`` or one met again in a cycle may. Computed
        when asked, with its own memo."""
        return self._may_suspend(module, fn, 0, set())

    def _may_suspend(
        self, module: ModuleInfo, fn: FunctionNode, depth: int, seen: set[tuple[str, int, int]]
    ) -> bool:
        key = (module.path, fn.lineno, fn.col_offset)
        known = self._suspend_memo.get(key)
        if known is not None:
            return known
        if key in seen or depth > self.max_depth:
            seen.add(("", -1, -1))  # cut short: what depends on this is not memoised
            return True
        protocol = _in_protocol(module, fn)
        if protocol is not None:
            return self._any_implementer_suspends(module, fn, protocol, depth, seen)
        if not isinstance(fn, ast.AsyncFunctionDef) or _stub(fn):
            return True  # a sync function may return any awaitable; a stub says nothing
        seen.add(key)
        found = False
        for node, inner in _walk_scoped(fn.body, module.scopes[fn], module, stop_at_loops=False):
            if isinstance(node, (ast.AsyncFor, ast.AsyncWith, ast.Yield, ast.YieldFrom)):
                found = True
            elif isinstance(node, ast.Await):
                value = node.value
                if isinstance(value, ast.Call) and put_never_waits(
                    value, module.resolver, inner, self.knowledge
                ):
                    continue  # `await q.put(x)` on an unbounded asyncio queue
                name = (
                    module.resolver.qualname(value.func, inner)
                    if isinstance(value, ast.Call)
                    else None
                )
                callee = self.callee(name, module) if name is not None else None
                found = callee is None or self._may_suspend(*callee, depth + 1, seen)
            if found:
                break
        if ("", -1, -1) not in seen:  # exact: nothing was cut short by the depth or a cycle
            self._suspend_memo[key] = found
        return found

    def _any_implementer_suspends(
        self,
        module: ModuleInfo,
        fn: FunctionNode,
        protocol: ast.ClassDef,
        depth: int,
        seen: set[tuple[str, int, int]],
    ) -> bool:
        """A method of a ``Protocol``: its body says nothing of what runs. A private one
        (``_SpanLogger``) types the package's own classes: the call may suspend if the
        method of one of them that defines all the protocol's methods and accepts the
        call the protocol describes may (a body that only declares, in such a class, is
        one that returns at once). A public protocol, or a private one no class of the
        package implements, may be anyone's: it may suspend."""
        if not protocol.name.startswith("_"):
            return True
        methods = frozenset(
            d.name for d in protocol.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
        key = (module.path, fn.lineno, fn.col_offset)
        accepted = self._implementers_memo.get(key)
        if accepted is None:
            found = command_line_reach(self.project).implementers(module.path, methods, fn.name)
            accepted = self._implementers_memo[key] = [
                (m, f) for m, f in found or () if _accepts(f, fn)
            ]
        if not accepted:
            return True
        seen.add(key)
        return any(
            not isinstance(f, ast.AsyncFunctionDef)
            or (not _stub(f) and self._may_suspend(m, f, depth + 1, seen))
            for m, f in accepted
        )

    def touches_loop(
        self, expr: ast.expr, scope: Scope, module: ModuleInfo, max_steps: int
    ) -> tuple[Step, ...] | None:
        """Whether the project function ``expr`` names touches event-loop objects (cancels a
        task, sets a future's result, schedules a callback, ...), itself or through its
        helpers: the chain to the first such call, at most ``max_steps`` long, or None.

        Such a function must stay on the loop's thread: running it with ``to_thread`` to get
        its blocking call off the loop would move that call too. So must one that updates
        shared state with no lock held (``self.count += 1``, a ``global``): two threads, or
        a thread and the loop, would race on it; such an update is the answer only when no
        loop object is touched. Computed only when asked (for the advice on a blocking
        helper), with its own memo."""
        qual = module.resolver.qualname(expr, scope)
        if qual is None:
            return None
        found = self.callee(qual, module)
        if found is None or isinstance(found[1], ast.AsyncFunctionDef):
            return None
        # a call on the loop's objects first, however deep: it says more than an update
        return self._touches_loop(*found, max_steps, False) or self._touches_loop(
            *found, max_steps, True
        )

    def _touches_loop(
        self, module: ModuleInfo, fn: FunctionNode, max_steps: int, updates: bool
    ) -> tuple[Step, ...] | None:
        """The chain to the first call on an event-loop object (or, with ``updates``, to
        the first unlocked update of shared state) in ``fn`` or its sync helpers."""
        # keyed by the steps left too: max_steps falls with each call, so recursion ends
        key = (module.path, fn.lineno, fn.col_offset, max_steps, updates)
        if key in self._loop_memo:
            return self._loop_memo[key]
        if max_steps <= 0:
            return None
        k = self.knowledge
        chain: tuple[Step, ...] | None = None
        deeper: list[tuple[ast.Call, ModuleInfo, FunctionNode, str]] = []
        locked = _under_lock(fn) if updates else frozenset()
        for node, scope in _walk_scoped(fn.body, module.scopes[fn], module, stop_at_loops=False):
            if updates and isinstance(node, ast.AugAssign) and id(node) not in locked:
                # `self.count += 1` with no lock held: two threads (or a thread and the loop)
                # can lose an update, so the update stays on the loop's thread
                target = _shared_target(node.target, fn)
                if target is not None:
                    shown = f"`{_written(target)} {_OPS.get(type(node.op), '')}= …`"
                    chain = (self._step(module, node, f"{shown} (line {node.lineno})"),)
                    break
            if not isinstance(node, ast.Call):
                continue
            name = module.resolver.qualname(node.func, scope)
            func = node.func
            if (name is not None and name in k.loop_affine) or (
                name is None
                and isinstance(func, ast.Attribute)
                and func.attr in k.loop_affine_methods
                and _imports_asyncio(module)
            ):
                shown = (name or "").removeprefix(f"{module.name}.") or _written(func)
                chain = (self._step(module, node, f"`{shown}` (line {node.lineno})"),)
                break
            if name is not None and name not in k.loop_affine:
                callee = self.callee(name, module)
                if callee is not None and not isinstance(callee[1], ast.AsyncFunctionDef):
                    shown = name.removeprefix("builtins.").removeprefix(f"{module.name}.")
                    deeper.append((node, *callee, shown))
        if chain is None:
            # the function's own calls first: the nearest loop-touching call explains best
            for node, callee_module, callee_fn, shown in deeper:
                sub = self._touches_loop(callee_module, callee_fn, max_steps - 1, updates)
                if sub is not None:
                    link = self._step(module, node, f"`{shown}` (line {node.lineno})")
                    chain = (link, *sub)
                    break
        self._loop_memo[key] = chain
        return chain

    def loop_contact_in_thread(
        self,
        module: ModuleInfo,
        fn: FunctionNode | ast.Lambda,
        max_steps: int,
        param_types: Mapping[str, str] | None = None,
    ) -> LoopContact | None:
        """For a function run in a worker thread: the first call it makes, itself or through
        its helpers (at most ``max_steps`` deep), that belongs on an event loop's thread
        (``[loop_affine]``), or None. Stricter than ``touches_loop``, which serves advice: a
        receiver of unknown type counts only for the loop's methods on a name like ``loop``
        (``fut.set_result`` may be a ``concurrent.futures.Future``'s, which is thread-safe).
        ``param_types`` types ``fn``'s parameters from the arguments at the hand-off
        (``fut = loop.create_future()`` passed in). A function that runs an event loop of
        its own (``asyncio.run``, ``loop.run_forever()``...) calls its own loop: None."""
        if max_steps <= 0:
            return None
        if isinstance(fn, ast.Lambda):
            roots: list[ast.AST] = [fn.body]
            key = None
        else:
            roots = list(fn.body)
            key = None if param_types else (module.path, fn.lineno, fn.col_offset, max_steps)
            if key is not None and key in self._thread_memo:
                return self._thread_memo[key]
        found = self._thread_contact(module, fn, roots, max_steps, param_types or {})
        if key is not None:
            self._thread_memo[key] = found
        return found

    def _thread_contact(
        self,
        module: ModuleInfo,
        fn: FunctionNode | ast.Lambda,
        roots: Sequence[ast.AST],
        max_steps: int,
        param_types: Mapping[str, str],
    ) -> LoopContact | None:
        k = self.knowledge
        fn_scope = module.scopes[fn]
        guarded: frozenset[ast.AST] | None = None  # found when first needed: it is rare
        first: LoopContact | None = None
        deeper: list[tuple[ast.Call, ModuleInfo, FunctionNode, str]] = []
        for node, scope in _walk_scoped(roots, fn_scope, module, stop_at_loops=False):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = module.resolver.qualname(func, scope)
            if (name is not None and name in k.loop_owners) or (
                isinstance(func, ast.Attribute) and func.attr in k.loop_owner_methods
            ):
                return None  # the thread runs a loop of its own
            if first is not None:
                continue
            shown = self._thread_loop_call(node, name, scope, fn_scope, module, param_types)
            if shown is not None and shown.count(".") == 1 and guarded is None:
                guarded = _guarded_calls(roots)
            if shown is not None and not (
                guarded is not None and node in guarded and shown.count(".") == 1
            ):
                written = _written(func)
                step = self._step(module, node, f"`{written}` (line {node.lineno})")
                first = LoopContact((step,), node, module, shown, written)
                continue
            if name is not None and name not in k.loop_affine:
                callee = self.callee(name, module)
                if callee is not None and not isinstance(callee[1], ast.AsyncFunctionDef):
                    shown = name.removeprefix("builtins.").removeprefix(f"{module.name}.")
                    deeper.append((node, *callee, shown))
        if first is not None:
            return first
        for node, callee_module, callee_fn, shown in deeper:
            sub = self.loop_contact_in_thread(callee_module, callee_fn, max_steps - 1)
            if sub is not None:
                link = self._step(module, node, f"`{shown}` (line {node.lineno})")
                return replace(sub, chain=(link, *sub.chain))
        return None

    def _thread_loop_call(
        self,
        node: ast.Call,
        name: str | None,
        scope: Scope,
        fn_scope: Scope,
        module: ModuleInfo,
        param_types: Mapping[str, str],
    ) -> str | None:
        """How ``node`` reads as a loop-affine call (``asyncio.Future.set_result``), or None.
        ``asyncio.current_task(loop)`` / ``all_tasks(loop)`` naming the loop asks about that
        loop from anywhere (a watchdog sampling a blocked loop from its own thread)."""
        k = self.knowledge
        if name in _LOOP_QUERIES and (node.args or node.keywords):
            return None
        if name is not None and name in k.loop_affine:
            return name
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        receiver = func.value
        if (
            isinstance(receiver, ast.Name)
            and receiver.id in param_types
            and module.resolver.lookup(receiver.id, scope) is fn_scope.bindings.get(receiver.id)
        ):
            typed = f"{param_types[receiver.id]}.{func.attr}"
            return typed if typed in k.loop_affine else None
        if func.attr not in self._loop_methods():
            return None
        tail = (
            receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", None)
        )
        if tail in k.event_loop_names and module.resolver.qualname(receiver, scope) is None:
            return f"asyncio.AbstractEventLoop.{func.attr}"
        return None

    def _loop_methods(self) -> frozenset[str]:
        """The event loop's own loop-affine methods (``call_soon``, ``stop``...)."""
        if self._loop_method_names is None:
            prefix = "asyncio.AbstractEventLoop."
            self._loop_method_names = frozenset(
                q.removeprefix(prefix) for q in self.knowledge.loop_affine if q.startswith(prefix)
            )
        return self._loop_method_names

    # -- analysis ---------------------------------------------------------------------------
    def _compute(self, module: ModuleInfo, fn: FunctionNode, depth: int, env: Env) -> Summary:
        fn_scope = module.scopes[fn]
        facts = _Facts(
            consumed=consumed_calls(fn.body),
            params=parameter_names(fn.args),
            scope=fn_scope,
            fn=fn,
            cls=enclosing_class(fn_scope),
            env=env,
        )
        self._body(fn.body, fn_scope, module, depth, facts)
        branching = _branching_numeric(fn, facts.recursive, module.resolver, fn_scope)
        if branching is not None:
            call, how = branching
            # the evidence says why it is heavy, ahead of the plain recursive call's step
            count_arg = next(a for a in _arguments(call) if _count_less(a, facts.params))
            why = f"recursion on `{_source(count_arg)}`{how} at line {call.lineno}"
            facts.cpu.insert(0, (self._step(module, call, why),))
            facts.made_heavy(facts.cpu[0])
        summary = replace(
            _verdict(fn.name, facts),
            blocking_when=tuple(facts.blocking_when),
            blocking_fixed=tuple(facts.blocking_fixed) if facts.blocking is None else (),
            blocking_guard=facts.guard or frozenset(),
            memoized=self._memoized(fn, fn_scope, module),
            opens_only=bool(facts.opened) and not facts.blocking_when,
            opaque=facts.opaque,
            arguments=fn.args,
            method=_is_method(fn, fn_scope),
        )
        if is_generator(fn):
            summary = replace(summary, generator=True)
        return summary

    def _body(
        self, body: Sequence[ast.AST], scope: Scope, module: ModuleInfo, depth: int, facts: _Facts
    ) -> None:
        for node, inner in _walk_scoped(body, scope, module, stop_at_loops=True):
            if isinstance(node, _LOOPS):
                self._loop(node, inner, module, depth, facts)
            elif isinstance(node, ast.Call):
                if self._call(node, inner, module, depth, facts) == "unknown":
                    facts.unknown_calls += 1
            elif isinstance(node, ast.With):
                self._with(node, inner, module, depth, facts)
            elif isinstance(node, _COMPREHENSIONS):
                self._comprehension(node, inner, module, facts)

    def _memoized(self, fn: FunctionNode, fn_scope: Scope, module: ModuleInfo) -> bool:
        """Under a decorator of the memoized knowledge (``@lru_cache``, ``@lru_cache(8)``)."""
        if not fn.decorator_list:
            return False
        outer = fn_scope.parent or module.module_scope
        for decorator in fn.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = module.resolver.qualname(target, outer)
            if name is not None and name in self.knowledge.memoizers:
                return True
        return False

    # -- the cost of a call, at its call site -------------------------------------------------
    def at_call(self, sub: Summary, call: ast.Call, scope: Scope, module: ModuleInfo) -> Summary:
        """``sub`` as it blocks when ``call`` runs it from an ``async def``: ``blocking`` is
        what blocks there (a chain through a memoized helper that this call feeds only
        constants is dropped; one fed anything else blocks)."""
        if (
            sub.blocking_guard
            and sub.blocking is not None
            and self._guard_through(sub, call, scope, module, _Facts(scope=scope)) is None
        ):
            sub = replace(sub, blocking=None, blocking_guard=frozenset())
        if sub.blocking is None and sub.blocking_fixed and not sub.memoized:
            # the async function's own parameters and the data it fetched are its caller's
            # files: only fixed values keep a helper's file work its own
            facts = _Facts(scope=scope)
            self._absorb_fixed(sub, None, facts, call, scope, module)
            if facts.blocking is not None:
                sub = replace(sub, blocking=facts.blocking)
        if not sub.memoized and not sub.blocking_when:
            return sub
        facts = _Facts(scope=scope)
        self._absorb_blocking(sub, None, facts, call, scope, module)
        blocking = facts.blocking or next((b for _, b in facts.blocking_when), None)
        return replace(sub, blocking=blocking, blocking_when=())

    def _absorb_blocking(
        self,
        sub: Summary,
        link: Step | None,
        facts: _Facts,
        call: ast.Call | None,
        scope: Scope,
        module: ModuleInfo,
        opened: bool = False,
    ) -> None:
        """Add the blocking ``sub`` does when ``call`` runs it (``link`` leads to it);
        ``opened``: it only opens a file that the caller returns in turn."""

        def behind(b: Blocking) -> Blocking:
            return b if link is None else (b[0], (link, *b[1]))

        # (parameters of sub it hangs on, or None: always, whatever the arguments; blocking)
        conditions: list[tuple[frozenset[str] | None, Blocking]] = []
        # what the caller's own parameters must be for sub's blocking to happen here
        guard: frozenset[str] = frozenset()
        if sub.memoized:
            first = sub.blocking or next((b for _, b in sub.blocking_when), None)
            if first is not None:
                conditions.append((_all_parameters(sub), first))
        else:
            if sub.blocking is not None:
                through = (
                    self._guard_through(sub, call, scope, module, facts) if call else frozenset()
                )
                if through is not None:  # None: this call never takes the blocking branch
                    conditions.append((None, sub.blocking))
                    guard = through
            conditions.extend(sub.blocking_when)
        if not conditions:
            return
        if call is not None:
            guard |= facts.guard_at(call)
        values = self._argument_values(sub, call, scope, module, facts) if call else None
        for needs, blocking in conditions:
            on: frozenset[str] = frozenset()
            varies = needs is None or values is None
            for param in () if varies or needs is None else needs:
                assert values is not None
                value = values.get(param, frozenset())  # left out: the default, a constant
                if value is None:
                    varies = True
                    break
                on |= value
            if varies:
                facts.blocks(behind(blocking), guard if needs is None else frozenset(), opened)
            elif (
                on
                and len(facts.blocking_when) < _MAX_CONDITIONAL
                and all(seen != on for seen, _ in facts.blocking_when)
            ):
                facts.blocking_when.append((on, behind(blocking)))
            # else: constants only, into a memoized helper: it blocks once, not here

    def _absorb_fixed(
        self,
        sub: Summary,
        link: Step | None,
        facts: _Facts,
        call: ast.Call | None,
        scope: Scope,
        module: ModuleInfo,
    ) -> None:
        """Add ``sub``'s file work on files it picks itself, as ``call`` runs it: still the
        callee's own where this caller passes fixed values (or its own parameters, for its
        callers to decide) for the parameters that name the file; real blocking here where
        it passes data of its own."""
        for own in sub.blocking_fixed:
            category, chain = own.blocking
            blocking = (category, chain if link is None else (link, *chain))
            guard: frozenset[str] = frozenset()
            if call is not None:
                through = self._guard_through(sub, call, scope, module, facts, own.guard)
                if through is None:
                    continue  # this call never takes the branch that does it
                guard = through | facts.guard_at(call)
            here = (
                self._own_file_at(sub, own, call, scope, module, facts)
                if call is not None
                else replace(own, paths=frozenset(), data=frozenset())
            )
            if here is None:
                facts.blocks(blocking, guard)
            else:
                facts.on_own_file(replace(here, blocking=blocking, guard=guard))

    def _own_file_at(
        self,
        sub: Summary,
        own: OwnFile,
        call: ast.Call,
        scope: Scope,
        module: ModuleInfo,
        facts: _Facts,
    ) -> OwnFile | None:
        """``own`` as ``call`` runs it: the caller's parameters it now hangs on, or None
        where the caller passes data of its own (it blocks there)."""
        paths = (
            self._passed_origin(sub, call, own.paths, scope, module, facts)
            if own.paths
            else frozenset()
        )
        data = (
            self._passed_origin(sub, call, own.data, scope, module, facts, as_data=True)
            if own.data
            else frozenset()
        )
        if paths is None or data is None:
            return None
        return OwnFile(paths, data, own.blocking)

    def _passed_origin(
        self,
        sub: Summary,
        call: ast.Call,
        params: frozenset[str],
        scope: Scope,
        module: ModuleInfo,
        facts: _Facts,
        as_data: bool = False,
    ) -> frozenset[str] | None:
        """Where the values ``call`` passes for ``sub``'s ``params`` come from (see
        ``_origin``); one left out is its default, fixed where the function is defined."""
        bound = _bound_arguments(sub, call)
        if bound is None:
            return None
        passed = [expr for param in params for expr in bound.get(param, ())]
        return self._origin_of(passed, scope, module, facts, as_data=as_data)

    def _file_origin(
        self, call: ast.Call, name: str, scope: Scope, module: ModuleInfo, facts: _Facts
    ) -> OwnFile | None:
        """Whose file a content-I/O call of ``name`` works on: its path and file object
        (the receiver) and the data it writes are built from constants, module globals, the
        object's own attributes (not as data written) and the function's parameters — the
        parameters used (none: a file the function picks itself) — or None: from anything
        else (data it fetched, a loop over what it lists, a value it cannot follow)."""
        data_at = _written_data_at(name)
        args = list(call.args)
        data = [args.pop(data_at)] if data_at is not None and data_at < len(args) else []
        if name in self.knowledge.file_openers and facts.fn is not None:
            data += _handed_with(facts.fn, call)  # `Pickler(f).dump(self.state)`
        paths: list[ast.expr] = [*args, *(k.value for k in call.keywords)]
        if isinstance(call.func, ast.Attribute):
            paths.append(call.func.value)
        path_origin = self._origin_of(paths, scope, module, facts)
        data_origin = self._origin_of(data, scope, module, facts, as_data=True)
        if path_origin is None or data_origin is None:
            return None
        return OwnFile(path_origin, data_origin, ("", ()))

    def _origin_of(
        self,
        exprs: Sequence[ast.AST],
        scope: Scope,
        module: ModuleInfo,
        facts: _Facts,
        depth: int = 0,
        *,
        as_data: bool = False,
    ) -> frozenset[str] | None:
        """The union of ``_origin`` over ``exprs``; None if any is None."""
        found: frozenset[str] = frozenset()
        for expr in exprs:
            origin = self._origin(expr, scope, module, facts, depth, as_data)
            if origin is None:
                return None
            found |= origin
        return found

    def _origin(
        self,
        expr: ast.AST,
        scope: Scope,
        module: ModuleInfo,
        facts: _Facts,
        depth: int,
        as_data: bool,
    ) -> frozenset[str] | None:
        """The parameters of the function (in ``facts``) ``expr`` is built from, or None
        when something else goes into it (see ``_file_origin``); ``as_data``: it is what
        a call writes, where the object's own state may be of any size."""
        if depth > _MAX_ORIGIN_DEPTH or isinstance(expr, _FROM_OUTSIDE):
            return None
        if isinstance(expr, ast.Name):
            binding = module.resolver.lookup(expr.id, scope)
            own = facts.scope.bindings if facts.scope is not None else {}
            if binding is None:
                return frozenset()  # a builtin
            if own.get(expr.id) is not binding:
                # a module global, import or definition: fixed; an enclosing function's
                # local: not followed
                module_level = module.module_scope.bindings.get(expr.id) is binding
                return frozenset() if module_level else None
            if binding.kind == "self":
                return None if as_data else frozenset()
            if expr.id in facts.params:
                return frozenset({expr.id})
            if binding.kind != "value" or not binding.values:
                return None  # a loop variable, an unpacked name, an exception...
            return self._origin_of(binding.values, scope, module, facts, depth + 1, as_data=as_data)
        if as_data and (
            isinstance(expr, ast.JoinedStr)
            or (
                isinstance(expr, ast.Call)
                and module.resolver.qualname(expr.func, scope) in _SHORT_TEXT
            )
        ):
            as_data = False  # `str(self.pid)`, `f"{self.port}\n"`: a line, not the state
        children = [
            child for child in ast.iter_child_nodes(expr) if not isinstance(child, _OPERATORS)
        ]
        return self._origin_of(children, scope, module, facts, depth + 1, as_data=as_data)

    def _argument_values(
        self, sub: Summary, call: ast.Call, scope: Scope, module: ModuleInfo, facts: _Facts
    ) -> dict[str, _Varies] | None:
        """How each of ``sub``'s parameters varies at ``call``; None if it cannot be told."""
        bound = _bound_arguments(sub, call)
        if bound is None:
            return None
        values: dict[str, _Varies] = {}
        for param, exprs in bound.items():
            each = [self._varies(expr, scope, module, facts) for expr in exprs]
            known = [v for v in each if v is not None]
            values[param] = frozenset().union(*known) if len(known) == len(each) else None
        return values

    def _varies(self, expr: ast.expr, scope: Scope, module: ModuleInfo, facts: _Facts) -> _Varies:
        if is_constant(expr):
            return frozenset()
        if (
            isinstance(expr, ast.Name)
            and expr.id in facts.params
            and facts.scope is not None
            and module.resolver.lookup(expr.id, scope) is facts.scope.bindings.get(expr.id)
        ):
            return frozenset({expr.id})
        return None

    def _guard_through(
        self,
        sub: Summary,
        call: ast.Call,
        scope: Scope,
        module: ModuleInfo,
        facts: _Facts,
        guard: frozenset[str] | None = None,
    ) -> frozenset[str] | None:
        """``sub.blocking_guard`` (or ``guard``, an own file's) seen from ``call``: None if
        the call leaves a guarding parameter falsy (its default ``None``/``False``/``0``/
        empty, or such a constant passed), else the caller's parameters passed on for them
        (its own guard)."""
        args = sub.arguments
        needs = sub.blocking_guard if guard is None else guard
        if not needs or args is None:
            return frozenset()
        if hides_arguments(call):
            return frozenset()  # `*args`, `**kwargs`: anything may be passed
        positional = [*args.posonlyargs, *args.args][1 if sub.method else 0 :]
        defaults = parameter_defaults(args)
        passed: dict[str, ast.expr] = {k.arg: k.value for k in call.keywords if k.arg}
        for a, arg in zip(positional, call.args, strict=False):
            passed[a.arg] = arg
        out: set[str] = set()
        for needed in needs:
            if needed == _NO_LOOP:
                return None  # a coroutine's call: a loop runs on this thread
            param = _guarded_parameter(needed)
            kind = needed[len(param) :]  # "", _NOT_NONE or _FALSY
            value = passed.get(param, defaults.get(param))
            if value is None:
                continue  # required and not passed: not this function's signature
            if kind.startswith(_NOT_IN):
                if _one_of(value, ast.literal_eval(kind[len(_NOT_IN) :])):
                    return None  # `dequeue(timeout=0)`: the wait is a poll
            elif kind == _FALSY:
                if _truthy_constant(value):
                    return None  # `is_async=True`: the sync branch is never taken
            elif _falsy_constant(value) and (
                not kind or (isinstance(value, ast.Constant) and value.value is None)
            ):
                return None
            if param in passed:  # the caller's own parameter passed on guards it in turn
                mine = self._varies(value, scope, module, facts) or frozenset()
                out |= {f"{p}{kind}" for p in mine}
        return frozenset(out)

    def of_enter(
        self, call: ast.Call, scope: Scope, module: ModuleInfo
    ) -> tuple[Summary, Step] | None:
        """``with Resource(...):`` runs ``Resource.__enter__``: its summary and a step
        naming it, for a project class that defines one."""
        name = module.resolver.qualname(call.func, scope)
        if name is None:
            return None
        found = self.callee(f"{name}.__enter__", module)
        if found is None or isinstance(found[1], ast.AsyncFunctionDef):
            return None
        enter_module, fn = found
        shown = f"{name.rpartition('.')[2]}.__enter__"
        step = Step(f"`{shown}` (line {fn.lineno})", enter_module.path, fn.lineno, fn.col_offset)
        return self.of(enter_module, fn), step

    def _with(
        self, node: ast.With, scope: Scope, module: ModuleInfo, depth: int, facts: _Facts
    ) -> None:
        for item in node.items:
            call = item.context_expr
            if isinstance(call, ast.Call):
                entered = self.of_enter(call, scope, module)
                if entered is not None:
                    self._absorb(entered[0], entered[1], facts)
                    # `__enter__(self)` takes no arguments from the `with` line
                    self._absorb_blocking(entered[0], entered[1], facts, None, scope, module)
                    self._absorb_fixed(entered[0], entered[1], facts, None, scope, module)

    def _step(self, module: ModuleInfo, node: ast.AST, message: str) -> Step:
        return Step(
            message, module.path, getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        )

    def _call(
        self,
        call: ast.Call,
        scope: Scope,
        module: ModuleInfo,
        depth: int,
        facts: _Facts,
    ) -> str:
        """Record what a call tells; return its class: io, release, cpu, pure or unknown."""
        k = self.knowledge
        name = module.resolver.qualname(call.func, scope)
        line = getattr(call, "lineno", 1)
        if name is None:
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in k.pure_methods
                and not _queue_get(func.attr, call)
            ):
                return "pure"
            facts.opaque = facts.opaque or not self._on_io_result(func, scope, module)
            return "unknown"
        shown = name.removeprefix("builtins.").removeprefix(f"{module.name}.")
        category = call_category(name, call, k, lambda: facts.looped(call))
        if category is not None and returns_immediately(name, call, module.resolver, scope, k):
            return "pure"  # lock.acquire(False), os.waitpid(pid, os.WNOHANG): polls
        if category is not None and in_memory_file_call(call, name, scope, module.resolver, k):
            return "pure"  # zipfile.ZipFile(io.BytesIO(data)): memory, not a disk
        if category is not None and (
            expects_would_block(call, facts.fn)
            or protocol_socket(call, name, facts.cls)
            or switched_socket(call, name, facts.fn)
        ):
            return "pure"  # a non-blocking socket: `except BlockingIOError` handles the wait
        if category is not None:  # blocking I/O releases the GIL too, but is I/O first
            chain = (self._step(module, call, f"`{shown}` (line {line})"),)
            facts.io.append(chain)
            if (
                k.follows_helpers(category)
                and not facts.runs_once(call)
                and name not in _SECTION_ACQUIRES
            ):
                # a file it opens and returns is read where the caller reads it
                opened = name in k.file_openers and facts.returns(call)
                own = (
                    self._file_origin(call, name, scope, module, facts)
                    if k.wait_class(category) == "content" and not opened
                    else None
                )
                if own is not None:
                    facts.on_own_file(
                        replace(own, blocking=(category, chain), guard=facts.guard_at(call))
                    )
                else:
                    guard = facts.guard_at(call) | _value_guards(k.forms(name), call, facts)
                    facts.blocks((category, chain), guard, opened)
            return "io"
        if name in k.gil_releasing:
            facts.releases.append((self._step(module, call, f"`{shown}` (line {line})"),))
            return "release"
        if name in k.cpu_bound:
            weight, size = self.library_weight(name, call, scope, module, facts.env)
            if weight == "light":
                return "pure"  # `median([a, b, c])`, `factorial(10)`: a known, small amount
            facts.cpu.append((self._step(module, call, f"`{shown}`{size} (line {line})"),))
            facts.own_cpu = True
            if weight == "heavy":
                facts.made_heavy(facts.cpu[-1])
            return "cpu"
        if name in k.pure:
            return "pure"
        if name in k.non_blocking:
            return "unknown"  # `Thread.start` waits only for the thread to start: not followed
        callee = self.callee(name, module)
        if callee is None:
            # a library's function, or a method of a class nothing is known of
            facts.opaque = facts.opaque or not self._on_io_result(call.func, scope, module)
            return "unknown"
        callee_module, callee_fn = callee
        if isinstance(callee_fn, ast.AsyncFunctionDef):
            return "unknown"  # calling it only makes a coroutine
        if polled_get(call, facts.fn):
            return "pure"  # `while not q.empty(): q.get()` on a project queue class
        if is_offloaded(callee_module, callee_fn, k):
            return "unknown"  # it runs in a worker thread or process: the call returns a future
        key = (callee_module.path, callee_fn.lineno, callee_fn.col_offset)
        if key in self._in_progress:
            # CPU work of unknown size: how deep it goes and over what is the data's
            # business; `_compute` tells numeric branching recursion (heavy) from the rest
            step = self._step(module, call, f"recursive call to `{shown}` at line {line}")
            facts.cpu.append((step,))
            facts.own_cpu = True
            facts.recursive.append(call)
            return "cpu"
        env = self.call_env(callee, [(call.args, call.keywords)], scope, module, facts.env)
        sub = self.of(callee_module, callee_fn, depth + 1, env)
        if sub.generator and call not in facts.consumed:
            return "unknown"  # calling it only makes a generator: nothing runs yet
        link = self._step(module, call, f"`{_with_arguments(shown, call, env)}` (line {line})")
        facts.opaque = facts.opaque or sub.opaque
        kind = self._absorb(sub, link, facts)
        if (sub.blocking or sub.blocking_when) and not facts.runs_once(call):
            opened = sub.opens_only and facts.returns(call)
            self._absorb_blocking(sub, link, facts, call, scope, module, opened)
        if sub.blocking_fixed and not sub.memoized and not facts.runs_once(call):
            self._absorb_fixed(sub, link, facts, call, scope, module)
        if kind is not None:
            return kind
        return "pure" if _is_pure_function(callee_fn) else "unknown"

    def library_weight(
        self, name: str, call: ast.Call, scope: Scope, module: ModuleInfo, env: Env = EMPTY
    ) -> tuple[Literal["heavy", "unsized", "light"], str]:
        """How heavy the CPU-bound library call ``call`` of ``name`` is, by the size of the
        argument that sizes its work (``[cpu_bound.sized_by]``), and that size as a step
        shows it (`` over 1,000,000 items``, or ``""``). Heavy from cpu-loop-min-iterations
        up, light below, unsized when nothing tells (a deque of recent samples): one size
        model with the loops. A call the data does not size (the user's own) is heavy."""
        measure = self.knowledge.cpu_sized_by.get(name)
        if measure is None:
            return "heavy", ""
        arg = call.args[0] if call.args else None
        if arg is None or isinstance(arg, ast.Starred):
            return "unsized", ""
        sizes = Sizes(module.resolver, scope, env)
        if measure == "value":
            n = sizes.int_value(arg)
            what = f" of {count(n)}" if n is not None else ""
        else:
            n = sizes.length(arg)
            what = f" over {count(n)} items" if n is not None else ""
            factor = sizes.range_factor(arg) if n is None else None
            if factor is not None and factor >= self.min_loop_iterations:
                return "heavy", f" over `{_source(arg)}`"  # median(range(n * 1_000_000))
        if n is None:
            return "unsized", ""
        return ("heavy" if n >= self.min_loop_iterations else "light"), what

    def _on_io_result(self, func: ast.expr, scope: Scope, module: ModuleInfo) -> bool:
        """``func`` is a method of what a blocking call returned: ``requests.get(u).json()``,
        ``r.raise_for_status()`` after ``r = requests.get(u)``, ``f.readlines()`` in ``with
        open(p) as f:``. Handling the I/O's result costs what the I/O brought in."""
        if not isinstance(func, ast.Attribute):
            return False
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value  # `r.headers.get(...)`
        values: Sequence[ast.expr] = [root]
        if isinstance(root, ast.Name):
            binding = module.resolver.lookup(root.id, scope)
            if binding is None or binding.kind != "value" or not binding.values:
                return False
            values = binding.values
        for value in values:
            if not isinstance(value, ast.Call):
                return False
            name = module.resolver.qualname(value.func, scope)
            if name is None or self.knowledge.blocking_category(name) is None:
                return False
        return True

    def _absorb(self, sub: Summary, link: Step, facts: _Facts) -> str | None:
        """Add what a callee's summary tells to the caller's facts, behind ``link`` (what
        blocks is ``_absorb_blocking``'s)."""
        if sub.kind == "cpu":
            facts.cpu.append((link, *sub.chain))
            if sub.heavy:
                facts.made_heavy(facts.cpu[-1])
            return "cpu"
        if sub.kind == "io":
            facts.io.append((link, *sub.chain))
            return "io"
        if sub.kind == "releases-gil":
            facts.releases.append((link, *sub.chain))
            return "release"
        if sub.kind == "mixed":
            facts.io.append((link, *sub.chain))
            facts.cpu.append((link, *sub.chain))
            return "io"
        return None

    def callee(self, name: str, module: ModuleInfo) -> tuple[ModuleInfo, FunctionNode] | None:
        """The project function ``name`` as called from ``module``: defined there, or
        elsewhere in the project (re-exports followed)."""
        fn = module.resolver.function_def(name)
        if fn is not None:
            return module, fn
        # constructing a project class runs its __init__; a method call resolves directly
        return self.project.function(name)

    def _loop(
        self,
        loop: ast.For | ast.While,
        scope: Scope,
        module: ModuleInfo,
        depth: int,
        facts: _Facts,
    ) -> bool:
        """Judge an outermost loop as a whole (nested loops are part of it); True if CPU work.

        Its size comes from the size model (``sizes.py``, with the parameters the call site
        passed): a nest whose every loop has a known size runs the product of them, and is
        no CPU evidence below cpu-loop-min-iterations; heavy from there. A loop that yields
        without an inner loop hands each item to its consumer: the work is the consumer's.
        """
        classes: set[str] = set()
        compute = False
        awaits = False
        yields = False
        arithmetic = False
        # the sizes of the inner loops, None for one not known (a `while`, data, `range(i)`)
        inner_sizes: list[int | None] = []
        # the `range` loops of the nest not known to be small (the outer one too): one
        # inside another is numeric O(n²) work; a range inside a loop over data
        # (`for gap in gaps: for pos in range(gap[0], gap[1])`) walks each item's span,
        # as big as the data, whose size is unknown
        open_ranges: list[ast.For] = []
        first_cpu_call = len(facts.cpu)
        # `computes`: compute other than the subscripts an assignment stores through
        computes = False
        stored: set[int] = set()
        for node, inner in _walk_scoped([loop], scope, module, stop_at_loops=False):
            if isinstance(node, ast.Call):
                classes.add(self._call(node, inner, module, depth, facts))
            elif isinstance(node, _LOOPS) and node is not loop:
                n = self._size(node, inner, module, facts.env)[0]
                inner_sizes.append(n)
                if (
                    isinstance(node, ast.For)
                    and Sizes(module.resolver, inner).is_range(node.iter)
                    and (n is None or n >= self.min_loop_iterations)
                    and not _searches(node)
                    and not _window(node.iter)
                ):
                    open_ranges.append(node)
            elif isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
                awaits = True
            elif isinstance(node, (ast.Yield, ast.YieldFrom)):
                yields = True
            elif isinstance(node, ast.With):
                self._with(node, inner, module, depth, facts)
            elif isinstance(node, _COMPUTE):
                compute = True
                arithmetic = arithmetic or isinstance(node, (ast.BinOp, ast.AugAssign))
                computes = computes or id(node) not in stored
            elif isinstance(node, (ast.Assign, ast.Delete)):
                stored.update(_target_chains(node))
        if isinstance(loop, ast.For):
            iter_type = module.resolver.qualname(loop.iter, scope)
            if iter_type in ("io.TextIOWrapper", "socket.socket", "sqlite3.Cursor"):
                message = f"loop over `{iter_type}` at line {loop.lineno}"
                facts.io.append((self._step(module, loop, message),))
                return False
        size, how = self._size(loop, scope, module, facts.env)
        if (
            isinstance(loop, ast.For)
            and Sizes(module.resolver, scope, facts.env).is_range(loop.iter)
            and (size is None or size >= self.min_loop_iterations)
            and not _searches(loop)
            and not _window(loop.iter)
        ):
            open_ranges.insert(0, loop)
        inner_range = _nested_ranges(open_ranges)
        # `while True: yield n; n += 1`: each step waits for the consumer, and how many steps
        # it takes is the consumer's business, unless the range says it is big
        known_big = (size or 0) >= self.min_loop_iterations or (size is None and how is not None)
        if yields and not inner_sizes and not known_big:
            return False
        line = loop.lineno
        # why it is heavy, as the evidence says it (None: not heavy)
        why: str | None = None
        if isinstance(loop, ast.While) and arithmetic and _counter_driven(loop, scope):
            why = f"counting `while` loop at line {line}"
        if size is not None and None not in inner_sizes:
            total = size * max([1, *(n for n in inner_sizes if n is not None)])
            if total < self.min_loop_iterations:
                return False  # a known, small amount of work
            if inner_sizes:
                why = f"nested loops of {count(total)} iterations at line {line}"
            else:
                why = f"loop over {how or f'{count(size)} items'} at line {line}"
        elif size is not None and size >= self.min_loop_iterations:
            why = f"loop over {how or f'{count(size)} items'} at line {line}"
        elif size is None and how is not None:
            why = f"loop over {how} at line {line}"  # range(n * 1_000_000)
        elif size is None and inner_range:
            # O(n²): a range of unknown or big size inside another, of unknown size
            why = why or f"nested loops over a `range` at line {line}"
        if awaits or classes & {"io", "release", "unknown"}:
            return False
        # unsized, a loop that only stores into containers (`done[node] = False`) is
        # bookkeeping; a big one (`for i in range(10**7): table[i] = 0`) is work
        if (computes or (compute and why is not None)) or "cpu" in classes:
            heavy = why is not None
            step = self._step(module, loop, why or f"loop at line {line}")
            # the loop's chain goes on into the CPU-bound callee it calls, if any
            inner_chains = facts.cpu[first_cpu_call:]
            facts.cpu.append((step, *(inner_chains[0] if inner_chains else ())))
            if heavy:
                facts.made_heavy(facts.cpu[-1])
            elif inner_chains and facts.heavy_chain is inner_chains[0]:
                facts.heavy_chain = facts.cpu[-1]  # the loop that calls the heavy callee
            facts.own_cpu = True
            return True
        return False

    def _size(
        self,
        loop: ast.For | ast.While | ast.comprehension,
        scope: Scope,
        module: ModuleInfo,
        env: Env,
    ) -> tuple[int | None, str | None]:
        """How many times a loop runs, if known, and how to say it (``range(50_000_000)``,
        ``range(n * 1_000_000)``) when it is a range that says so. A scan for the first item
        that passes a cheap test (``for cid in range(...): if cid not in used: return cid``)
        runs until it finds one: the range is no size."""
        sizes = Sizes(module.resolver, scope, env)
        if isinstance(loop, ast.While):
            # a cap says a loop is small, never that it is big (a generator counting up to
            # a big number waits for its consumer at each step)
            cap = _capped(loop, sizes)
            return (cap if cap is not None and cap < self.min_loop_iterations else None), None

        if isinstance(loop, ast.For) and _first_match(loop):
            return None, None
        n = sizes.length(loop.iter)
        if n is not None:
            # `range(65_472)`: underscores, as Python writes it (`range(65,472)` reads as two)
            return n, f"range({n:_})" if sizes.is_range(loop.iter) else None
        factor = sizes.range_factor(loop.iter)
        if factor is not None and factor >= self.min_loop_iterations:
            return None, f"`{_source(loop.iter)}`"
        return None, None

    def loop_evidence(self, loop: ast.For | ast.While, scope: Scope, module: ModuleInfo) -> Summary:
        """A loop judged on its own, as if it were a function (for GIL206)."""
        facts = _Facts()
        if not self._loop(loop, scope, module, 0, facts):
            return Summary("loop", "unknown")
        return Summary("loop", "cpu", _best(facts.cpu), None, facts.heavy)

    def comprehension_evidence(self, node: ast.AST, scope: Scope, module: ModuleInfo) -> Summary:
        """A comprehension judged on its own (for GIL206)."""
        facts = _Facts()
        self._comprehension(node, scope, module, facts)
        if not facts.cpu:
            return Summary("comprehension", "unknown")
        return Summary("comprehension", "cpu", _best(facts.cpu), None, facts.heavy)

    def _comprehension(
        self, node: ast.AST, scope: Scope, module: ModuleInfo, facts: _Facts
    ) -> None:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        inner = module.scopes.get(node, scope)
        # the first iterable is evaluated in the enclosing scope, the others inside
        sizes = [self._size(gens[0], scope, module, facts.env)]
        sizes += [self._size(g, inner, module, facts.env) for g in gens[1:]]
        known = [n for n, _ in sizes if n is not None]
        heavy = False
        if len(known) == len(sizes):
            total = 1
            for n in known:
                total *= n
            if total < self.min_loop_iterations:
                return  # a known, small amount of work
            heavy = True
        how = sizes[0][1]
        heavy = heavy or (sizes[0][0] is None and how is not None)
        compute = False
        for sub, at in _walk_scoped([node], scope, module, stop_at_loops=False):
            if isinstance(sub, ast.Call):
                name = module.resolver.qualname(sub.func, at)
                if name is None or name not in self.knowledge.pure:
                    return
            elif isinstance(sub, (ast.Await, ast.AsyncFor)):
                return
            elif isinstance(sub, ast.BinOp):
                compute = True
        if compute:
            line = getattr(node, "lineno", 1)
            message = f"comprehension over {how} at line {line}" if how and heavy else None
            facts.cpu.append(
                (self._step(module, node, message or f"comprehension at line {line}"),)
            )
            facts.own_cpu = True
            if heavy:
                facts.made_heavy(facts.cpu[-1])


def _verdict(name: str, facts: _Facts) -> Summary:
    cpu, io, rel = facts.cpu, facts.io, facts.releases
    if cpu and not facts.own_cpu and facts.unknown_calls:
        # CPU work only in a callee, next to calls we know nothing about: no verdict
        return Summary(name, "unknown", (), facts.blocking)
    if cpu and not facts.heavy and facts.opaque and not io and not rel:
        # a loop of unknown size next to calls of unknown cost (a loop that sets a flag per
        # node, then one that calls each node's device): nothing says the Python is what
        # takes the time
        return Summary(name, "unknown", (), facts.blocking)
    if cpu and not io and not rel:
        shown = facts.heavy_chain if facts.heavy and facts.heavy_chain else _best(cpu)
        return Summary(name, "cpu", shown, facts.blocking, facts.heavy)
    if io and not cpu:
        return Summary(name, "io", _best(io), facts.blocking)
    if rel and not cpu and not io:
        return Summary(name, "releases-gil", _best(rel), facts.blocking)
    if cpu and (io or rel):
        return Summary(name, "mixed", _best(cpu) + _best(io or rel), facts.blocking)
    return Summary(name, "unknown", (), facts.blocking)


def _handed_with(fn: FunctionNode, opener: ast.Call) -> list[ast.expr]:
    """What the function hands on together with the file ``opener`` opens (``with open(p)
    as f: Pickler(f, protocol).dump(self.state)``: the protocol and the state): what it may
    write there through a writer nothing lists."""
    handle = next(
        (
            n.optional_vars.id
            for n in walk_own(fn)
            if isinstance(n, ast.withitem)
            and n.context_expr is opener
            and isinstance(n.optional_vars, ast.Name)
        ),
        None,
    )
    if handle is None:
        return []
    out: list[ast.expr] = []
    for node in walk_own(fn):
        if not isinstance(node, ast.Call):
            continue
        inner = node.func.value if isinstance(node.func, ast.Attribute) else None
        takes = [node, *([inner] if isinstance(inner, ast.Call) else [])]
        if any(isinstance(a, ast.Name) and a.id == handle for c in takes for a in c.args):
            out += [
                a for c in takes for a in c.args if not (isinstance(a, ast.Name) and a.id == handle)
            ]
    return out


def _bound_arguments(sub: Summary, call: ast.Call) -> dict[str, list[ast.expr]] | None:
    """The arguments ``call`` passes to each of ``sub``'s parameters (extra positional ones
    to ``*args``, unnamed keywords to ``**kwargs``); None if it cannot be told: a
    ``*args``/``**kwargs`` argument, or more arguments than the definition takes."""
    args = sub.arguments
    if args is None:
        return None
    positional = [a.arg for a in (*args.posonlyargs, *args.args)][1 if sub.method else 0 :]
    named = {*positional, *(a.arg for a in args.kwonlyargs)}
    bound: dict[str, list[ast.expr]] = {}
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None
        if i < len(positional):
            bound.setdefault(positional[i], []).append(arg)
        elif args.vararg is not None:
            bound.setdefault(args.vararg.arg, []).append(arg)
        else:
            return None  # more arguments than the definition takes: not this function
    for kw in call.keywords:
        if kw.arg is None:
            return None  # **kwargs: any parameter may be given anything
        if kw.arg in named:
            bound.setdefault(kw.arg, []).append(kw.value)
        elif args.kwarg is not None:
            bound.setdefault(args.kwarg.arg, []).append(kw.value)
    return bound


def _written_data_at(name: str) -> int | None:
    """Which positional argument of a call of ``name`` is the data it writes, if any."""
    if name in _DATA_FIRST or name.rpartition(".")[2] in _WRITE_METHODS:
        return 0
    return 1 if name in ("os.write", "os.pwrite") else None


def _queue_get(method: str, call: ast.Call) -> bool:
    """``q.get()``, ``q.get(True, 5)``, ``q.get(timeout=1)``: no key, so not ``dict.get`` but
    a queue's blocking ``get`` (a wait, not container work)."""
    if method != "get":
        return False
    first = call.args[0] if call.args else None
    return first is None or (isinstance(first, ast.Constant) and isinstance(first.value, bool))


def _with_arguments(name: str, call: ast.Call, env: Env) -> str:
    """``crunch(50_000_000)``: a call shown with its arguments when they size its callee."""
    if not env:
        return name
    parts = [_argument(a) for a in call.args]
    parts += [f"{k.arg}={_argument(k.value)}" if k.arg else "**..." for k in call.keywords]
    text = ", ".join(parts)
    return f"{name}({text if len(text) <= 40 else text[:37] + '...'})"


def _argument(expr: ast.expr) -> str:
    return _source(expr)


class _Grouped(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) is int and abs(node.value) >= 10_000:
            return ast.Name(f"{node.value:_}")
        return node


def source_text(expr: ast.expr) -> str:
    """``range(n * 1_000_000)``: an expression as written, big numbers grouped."""
    try:
        return ast.unparse(_Grouped().visit(copy.deepcopy(expr)))
    except Exception:  # an AST ast.unparse cannot handle
        return "..."


_source = source_text


def _best(chains: list[tuple[Step, ...]]) -> tuple[Step, ...]:
    """The evidence shown: the first chain seen, in source order."""
    return min(chains, key=lambda c: c[0].row)


def _walk_scoped(
    roots: Sequence[ast.AST], scope: Scope, module: ModuleInfo, *, stop_at_loops: bool
) -> Iterator[tuple[ast.AST, Scope]]:
    """Pre-order walk with each node's scope, not entering nested defs, lambdas or classes.

    With ``stop_at_loops`` a loop is yielded but its inside is not: the loop is
    judged as a whole by its caller.
    """
    # a nested def among the roots (a statement of the body) runs only when it is called
    stack: list[tuple[ast.AST, Scope]] = [
        (r, scope) for r in reversed(roots) if not isinstance(r, _NESTED)
    ]
    scopes = module.scopes
    while stack:
        node, s = stack.pop()
        yield node, s
        if stop_at_loops and isinstance(node, _LOOPS):
            continue
        inner = scopes.get(node, s) if isinstance(node, _COMPREHENSIONS) else s
        children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, _NESTED)]
        stack.extend((c, inner) for c in reversed(children))


# the walk other modules use (the lock sections of GIL205)
walk_scoped = _walk_scoped

_QUERY_GUARDS = frozenset({"RuntimeError", "Exception", "BaseException"})


def _guarded_calls(roots: Sequence[ast.AST]) -> frozenset[ast.AST]:
    """Calls in the body of a ``try`` whose handler catches ``RuntimeError`` (or wider):
    ``try: asyncio.get_running_loop() except RuntimeError:`` asks whether a loop runs."""
    return frozenset(n for n in in_try_bodies(roots, _catches_query) if isinstance(n, ast.Call))


def _catches_query(handler: ast.ExceptHandler) -> bool:
    return handler_catches(handler, _QUERY_GUARDS)


def _target_chains(node: ast.Assign | ast.Delete) -> Iterator[int]:
    """The subscripts ``a[i][j] = v`` (or ``del``) stores through: ``a[i][j]`` and
    ``a[i]`` (their slices are not: ``a[i * 2] = v`` computes)."""
    for target in node.targets:
        for t in ast.walk(target) if isinstance(target, (ast.Tuple, ast.List)) else [target]:
            while isinstance(t, (ast.Subscript, ast.Attribute)):
                if isinstance(t, ast.Subscript):
                    yield id(t)
                t = t.value


# asyncio's questions about a loop's tasks: with the loop named, a read from any thread
_LOOP_QUERIES = frozenset({"asyncio.current_task", "asyncio.all_tasks"})


def _searches(loop: ast.For) -> bool:
    """The loop's body ends with ``break``: it looks for the first item that is not skipped
    (``continue``) and stops there — a scan, not a pass over everything (so a range loop
    of this kind inside another does not multiply)."""
    return bool(loop.body) and isinstance(loop.body[-1], ast.Break)


def _first_match(loop: ast.For) -> bool:
    """The loop only looks for the first item that passes a test and leaves with it: its
    body is ``if <test>: return ...`` / ``break`` (after ``if <test>: continue`` guards), the
    tests calling nothing (``cid not in used``, ``x.id == key``). It runs until a match."""
    *guards, last = loop.body
    return (
        isinstance(last, ast.If)
        and not last.orelse
        and len(last.body) == 1
        and isinstance(last.body[0], (ast.Return, ast.Break))
        and all(
            isinstance(g, ast.If)
            and not g.orelse
            and len(g.body) == 1
            and isinstance(g.body[0], ast.Continue)
            for g in guards
        )
        and not any(
            isinstance(n, ast.Call)
            for test in (last, *guards)
            if isinstance(test, ast.If)
            for n in ast.walk(test.test)
        )
    )


def _window(it: ast.expr) -> bool:
    """``range(i - k, i)``, ``range(i + 1, i + 1 + k)``: a window of a width ``k`` that is
    a setting (``self.buffer_size``, a name, a constant), not the data's size — inside a
    loop over the data it is no O(n²) multiplier."""
    if not (isinstance(it, ast.Call) and len(it.args) == 2 and not it.keywords):
        return False
    start, stop = it.args
    same = ast.dump(start)
    width: ast.expr | None = None
    if isinstance(stop, ast.BinOp) and isinstance(stop.op, ast.Add) and ast.dump(stop.left) == same:
        width = stop.right  # range(a, a + k)
    elif (
        isinstance(start, ast.BinOp)
        and isinstance(start.op, ast.Sub)
        and ast.dump(start.left) == ast.dump(stop)
    ):
        width = start.right  # range(a - k, a)
    return isinstance(width, (ast.Attribute, ast.Name, ast.Constant)) and not any(
        isinstance(n, ast.Call) for n in ast.walk(width)
    )


def _nested_ranges(ranges: Sequence[ast.For]) -> bool:
    """One of these ``range`` loops runs inside another (``for i in range(n): for j in
    range(i)``), not only beside it or inside a loop over data."""
    inside = {id(n) for outer in ranges for n in ast.walk(outer) if n is not outer}
    return any(id(r) in inside for r in ranges)


def _branching_numeric(
    fn: FunctionNode, recursive: Sequence[ast.Call], resolver: Resolver, scope: Scope
) -> tuple[ast.Call, str] | None:
    """Recursion that multiplies on a count: each level calls itself on the count less a
    constant (``n - 1``) two times or more in one go (``fib(n - 1) + fib(n - 2)``, ``hanoi(n
    - 1, ...)`` twice in a row), or in a ``range`` loop (``for i in range(n): perms(n -
    1)``): exponential in the count, heavy like a range inside a range. The rest is CPU work
    of unknown size: one call per level (``factorial(n - 1)``, ``walk(child, level + 1)``
    over a node's children) goes as deep as the data or the recursion limit lets it, calls
    in branches that exclude each other (a binary search) run one per level, and halving
    (``sort(a, lo, mid)``, ``sort(a, mid + 1, hi)``) is as big as the data.

    The first such call, and how it multiplies (for the evidence); None if none does."""
    params = parameter_names(fn.args)
    counted = [c for c in recursive if any(_count_less(a, params) for a in _arguments(c))]
    if not counted:
        return None
    parents = {id(c): n for n in walk_own(fn) for c in ast.iter_child_nodes(n)}
    places = [_place(c, parents) for c in counted]
    for i, (stmt, block) in enumerate(places):
        together = 1 + sum(1 for s, b in places[i + 1 :] if stmt is s or block == b)
        if together > 1:
            return counted[i], f", {together} calls a level,"
    sizes = Sizes(resolver, scope)
    for loop in walk_own(fn):
        if isinstance(loop, ast.For) and sizes.is_range(loop.iter):
            inner = {id(n) for n in ast.walk(loop)}
            for call in counted:
                if id(call) in inner:
                    return call, " in a `range` loop"
    return None


def _arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def _count_less(expr: ast.expr, params: frozenset[str]) -> bool:
    """``n - 1``: a parameter less a constant."""
    return (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Sub)
        and isinstance(expr.left, ast.Name)
        and expr.left.id in params
        and isinstance(expr.right, ast.Constant)
        and type(expr.right.value) is int
        and expr.right.value > 0
    )


def _place(node: ast.AST, parents: Mapping[int, ast.AST]) -> tuple[ast.AST, tuple[int, str]]:
    """The innermost statement around ``node`` and the block it stands in (its holder's id
    and field): statements of one block run one after the other."""
    stmt = node
    while not isinstance(stmt, ast.stmt) and id(stmt) in parents:
        stmt = parents[id(stmt)]
    holder = parents.get(id(stmt))
    if holder is None:
        return stmt, (0, "")
    for name, value in ast.iter_fields(holder):
        if isinstance(value, list) and any(v is stmt for v in value):
            return stmt, (id(holder), name)
    return stmt, (id(holder), "")


def _capped(loop: ast.While, sizes: Sizes) -> int | None:
    """A ``while`` loop that leaves when a count reaches a known number (``if len(pieces) >=
    READ_MAX_LINES: break``, ``if n == 3: return``) as its body's own first steps: it runs
    at most that many times (as far as the count grows each time round). So does one whose
    test bounds a count by a known number (``while node and depth < MAX_DEPTH``)."""
    test = loop.test
    conjuncts = (
        test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    )
    for part in conjuncts:
        cap = _cap_of(part, (ast.Lt, ast.LtE), lambda e: isinstance(e, ast.Name), sizes)
        if cap is not None:
            return cap
    for stmt in loop.body:
        if isinstance(stmt, ast.If) and any(
            isinstance(s, (ast.Break, ast.Return)) for s in stmt.body
        ):
            cap = _cap_of(stmt.test, (ast.Gt, ast.GtE, ast.Eq), _counted, sizes)
            if cap is not None:
                return cap
    return None


# an order turned round: `N > count` is `count < N`
_MIRRORED = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq}


def _cap_of(
    test: ast.expr,
    ops: tuple[type[ast.cmpop], ...],
    counted: Callable[[ast.expr], bool],
    sizes: Sizes,
) -> int | None:
    """``count OP N`` for an ``OP`` of ``ops`` (or ``N`` on the left, the order turned round)
    with a known ``N``: the count's cap, ``N + 1``; None otherwise."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    op, left, right = type(test.ops[0]), test.left, test.comparators[0]
    if op not in ops:
        if _MIRRORED.get(op) not in ops:
            return None
        left, right = right, left
    cap = sizes.int_value(right) if counted(left) else None
    return cap + 1 if cap is not None and cap >= 0 else None


def _counted(expr: ast.expr) -> bool:
    """A count: a name, or ``len(...)``."""
    return isinstance(expr, ast.Name) or (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "len"
    )


def _counter_driven(loop: ast.While, scope: Scope) -> bool:
    """``while i * i <= n: ... i += 1``: numeric iteration, a count driven by arithmetic.

    (``while len(queue) > n: queue.pop()`` is bookkeeping, ``while key in local: key +=
    "_"`` grows a name until it is free, ``while left: left -= 1``
    counts down from a value we know nothing about, and ``while i < len(name): ... i += 1``
    (or ``n = len(name)`` first, then ``while i < n``) walks a sequence by index, as ``for c
    in name`` would, whose size is unknown: none of these is heavy.)
    """
    lengths = _lengths(scope.node)
    if any(
        (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len")
        or (isinstance(n, ast.Name) and n.id in lengths)
        for n in ast.walk(loop.test)
    ):
        return False
    # a bound: `i * i <= n`, `n > 1` (not `key in local`, which a string grows until free)
    if not any(
        isinstance(n, ast.Compare) and any(isinstance(o, _ORDER) for o in n.ops)
        for n in ast.walk(loop.test)
    ):
        return False
    # the names on the small side of a bound (`i * i <= n`, `n > i`): counting up moves
    # them towards it (`while fraction > 0: fraction *= 16` moves away: another step ends it)
    tested: set[str] = set()
    for n in ast.walk(loop.test):
        if not isinstance(n, ast.Compare):
            continue
        sides = [n.left, *n.comparators]
        for index, op in enumerate(n.ops):
            if isinstance(op, (ast.Lt, ast.LtE)):
                small = sides[index]
            elif isinstance(op, (ast.Gt, ast.GtE)):
                small = sides[index + 1]
            else:
                continue
            tested.update(m.id for m in ast.walk(small) if isinstance(m, ast.Name))
    return any(
        isinstance(n, ast.AugAssign)
        and isinstance(n.op, (ast.Add, ast.Mult))  # counting up towards a bound
        and isinstance(n.target, ast.Name)
        and n.target.id in tested
        and not (isinstance(n.value, ast.Constant) and isinstance(n.value.value, (str, bytes)))
        for n in walk_own(loop)
    )


_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@lru_cache(maxsize=4096)
def _lengths(function: ast.AST) -> frozenset[str]:
    """The names ``function`` binds only to a sequence's length (``length = len(value)``)."""
    bound: dict[str, bool] = {}
    for stmt in getattr(function, "body", ()):
        if isinstance(stmt, NESTED_SCOPES):
            continue
        for n in walk_own(stmt):
            if isinstance(n, ast.Assign):
                is_len = (
                    isinstance(n.value, ast.Call)
                    and isinstance(n.value.func, ast.Name)
                    and n.value.func.id == "len"
                )
                for target in n.targets:
                    if isinstance(target, ast.Name):
                        bound[target.id] = bound.get(target.id, True) and is_len
            elif isinstance(n, (ast.AugAssign, ast.AnnAssign)) and isinstance(n.target, ast.Name):
                bound[n.target.id] = False
    return frozenset(name for name, only in bound.items() if only)


@lru_cache(maxsize=8192)
def returned_values(fn: FunctionNode) -> frozenset[int]:
    """The ids of what ``fn``'s own ``return`` statements return, and of the items of a
    tuple it returns (``return os.fdopen(fd), release``)."""
    found: set[int] = set()
    for stmt in fn.body:
        if isinstance(stmt, NESTED_SCOPES):
            continue
        for node in walk_own(stmt):
            if isinstance(node, ast.Return) and node.value is not None:
                found.add(id(node.value))
                if isinstance(node.value, ast.Tuple):
                    found.update(id(e) for e in node.value.elts)
    return frozenset(found)


def is_generator(fn: FunctionNode) -> bool:
    """A ``yield`` in the function's own body (not in a nested def or lambda). Asked for
    every summary (one per function and set of known arguments): kept per function."""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in walk_own(fn))


# builtins that run an iterable they are given to the end (or, `next`, one step)
CONSUMER_NAMES = frozenset(
    "list tuple set frozenset dict sorted sum min max any all next".split()  # noqa: SIM905
)
CONSUMERS = frozenset(f"builtins.{name}" for name in CONSUMER_NAMES)
# lazy wrappers: what they are given runs when they are consumed
PASS_THROUGH_NAMES = frozenset(["enumerate", "zip", "map", "filter", "iter"])
PASS_THROUGH = frozenset(f"builtins.{name}" for name in PASS_THROUGH_NAMES)


def consumed_calls(body: Sequence[ast.AST]) -> frozenset[ast.Call]:
    """Calls in ``body`` whose result is iterated or entered where it is made.

    ``for x in gen()``, ``[... for x in gen()]``, ``with cm():``, ``list(gen())``,
    ``", ".join(gen())``, ``for i, x in enumerate(gen())``: a generator
    function's body runs there. (Builtins are matched by name here; a shadowed
    ``list`` is rare enough.)
    """
    out: set[ast.Call] = set()
    stack = list(reversed(body))
    while stack:  # pre-order: a call is judged before the calls in its arguments
        node = stack.pop()
        candidates: list[ast.AST] = []
        if isinstance(node, ast.For):
            candidates = [node.iter]
        elif isinstance(node, _COMPREHENSIONS):
            candidates = [g.iter for g in node.generators if not g.is_async]
        elif isinstance(node, ast.With):
            candidates = [item.context_expr for item in node.items]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if (
                name in CONSUMER_NAMES
                or (name in PASS_THROUGH_NAMES and node in out)
                or (isinstance(func, ast.Attribute) and func.attr in ("join", "extend"))
            ):
                candidates = list(node.args)
        out.update(c for c in candidates if isinstance(c, ast.Call))
        children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, _NESTED)]
        stack.extend(reversed(children))
    return frozenset(out)


def _imports_asyncio(module: ModuleInfo) -> bool:
    return any(
        b.kind == "import" and (b.qualname or "").partition(".")[0] == "asyncio"
        for b in module.module_scope.bindings.values()
    )


_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
}
# a `with` item that takes a lock: `with self._lock:`, `with mutex:`, `with self._cond:`
_LOCKISH = re.compile(r"lock|mutex|(?:^|[._])cond", re.I)


def _under_lock(fn: FunctionNode) -> frozenset[int]:
    """The ids of the nodes of ``fn`` inside a ``with`` that takes a lock."""
    inside: set[int] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.With) and any(
            _LOCKISH.search(_written(item.context_expr)) for item in node.items
        ):
            inside.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return frozenset(inside)


def _shared_target(target: ast.expr, fn: FunctionNode) -> ast.expr | None:
    """What a read-modify-write in ``fn`` updates when it outlives the call: an attribute
    (``self.count``, ``dump.n``), an item of one (``self.sizes[k]``), or a ``global``."""
    base = target.value if isinstance(target, ast.Subscript) else target
    if isinstance(base, ast.Attribute):
        root = base
        while isinstance(root, ast.Attribute):
            root = root.value  # type: ignore[assignment]
        made_here = isinstance(root, ast.Name) and any(
            isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == root.id for t in n.targets)
            for n in ast.walk(fn)
        )
        return None if made_here else target  # `buf = Buffer(); buf.n += 1` is the call's own
    if isinstance(target, ast.Name) and any(
        isinstance(n, ast.Global) and target.id in n.names for n in ast.walk(fn)
    ):
        return target
    return None


def _written(expr: ast.expr) -> str:
    """``self.tasks[pid].cancel``: the callee as written, for a step's message."""
    try:
        return ast.unparse(expr)
    except Exception:  # an AST ast.unparse cannot handle: show the method alone
        return expr.attr if isinstance(expr, ast.Attribute) else "?"


def is_constant(expr: ast.expr) -> bool:
    """The same value on every call: a literal (``-1``, ``("a", 2)`` too) or a name in
    upper case, a constant by convention (``socket.AF_INET``, ``DEFAULT_PORT``)."""
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.UnaryOp):
        return is_constant(expr.operand)
    if isinstance(expr, ast.Tuple):
        return all(is_constant(e) for e in expr.elts)
    if isinstance(expr, ast.Name):
        return expr.id.isupper()
    return isinstance(expr, ast.Attribute) and expr.attr.isupper()


def _falsy_constant(expr: ast.expr) -> bool:
    """``None``, ``False``, ``0``, ``""``, ``()``, ``[]``, ``{}``: false in an ``if``."""
    if isinstance(expr, ast.Constant):
        return not expr.value
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return not expr.elts
    return isinstance(expr, ast.Dict) and not expr.keys


# a guard that needs its parameter not None (``if p is not None:``), not truthy
_NOT_NONE = " is not None"
# a guard that needs its parameter falsy (the ``else`` of ``if p:``, ``if not p:``)
_FALSY = " is falsy"


# a guard no call from a coroutine meets: the code runs only while no event loop runs on
# its thread (the ``except RuntimeError`` of ``try: asyncio.get_running_loop()``)
_NO_LOOP = "<no running loop>"


def _no_loop_nodes(fn: FunctionNode) -> list[int]:
    """The calls and ``with`` statements of ``fn``'s own code in a handler of a ``try``
    that only asks ``asyncio.get_running_loop()`` and catches ``RuntimeError``: they run only
    when no loop runs on this thread (praisonai's event bus, whose sync bridge waits on a
    future there and hands the coroutine to the running loop otherwise)."""
    found: list[int] = []
    for node in walk_own(fn):
        if not isinstance(node, ast.Try):
            continue
        calls = [n for stmt in node.body for n in walk_own(stmt) if isinstance(n, ast.Call)]
        if not calls or not all(_source(c.func).endswith("get_running_loop") for c in calls):
            continue  # the handler may run for another call's error, a loop running
        for handler in node.handlers:
            if handler_catches(handler, _QUERY_GUARDS):
                found += [
                    id(n)
                    for stmt in handler.body
                    for n in walk_own(stmt)
                    if isinstance(n, (ast.Call, ast.With))
                ]
    return found


# a guard that needs its parameter to be none of some constants: ``"timeout not in
# (0,)"`` for ``cond.wait(timeout)``, which a call passing ``timeout=0`` turns into a poll
_NOT_IN = " not in "


def _guarded_parameter(needed: str) -> str:
    """The parameter a guard is about (``p`` of ``"p is not None"``)."""
    return needed.partition(_NOT_NONE)[0].partition(_FALSY)[0].partition(_NOT_IN)[0]


def _value_guards(forms: Sequence[ArgumentForm], call: ast.Call, facts: _Facts) -> frozenset[str]:
    """What the parameters must not be for ``call`` to wait: for each non-blocking form
    of constants (``Condition.wait(timeout=0)``, ``get(block=False)``) whose argument is
    one of the function's own parameters, passed on as is and never rebound, that
    parameter must be none of them (``"timeout not in (0,)"``): a caller passing one
    makes the call a poll (praisonai's ``dequeue(timeout=0)``)."""
    fn = facts.fn
    if fn is None:
        return frozenset()
    out: set[str] = set()
    for form in forms:
        if not form.values or form.receiver:
            continue
        arg = argument(call, form.keyword, form.position)
        if not isinstance(arg, ast.Name) or arg.id not in facts.params:
            continue
        if any(
            isinstance(n, ast.Name) and n.id == arg.id and not isinstance(n.ctx, ast.Load)
            for n in walk_own(fn)
        ):
            continue  # rebound: the call no longer sees what the caller passed
        out.add(f"{arg.id}{_NOT_IN}{tuple(form.values)!r}")
    return frozenset(out)


def _one_of(value: ast.expr, values: tuple[object, ...]) -> bool:
    """``value`` is a constant among ``values`` (as a non-blocking form compares them)."""
    return isinstance(value, ast.Constant) and any(
        type(value.value) in (bool, int, float, str) and value.value == v for v in values
    )


def _falsy_names(test: ast.expr, params: frozenset[str]) -> frozenset[str]:
    """What the ``else`` of ``if <test>:`` needs of the parameters: ``p`` falsy for a test
    on ``p`` alone (``if is_async:`` … ``else:`` the sync path)."""
    if isinstance(test, ast.Name) and test.id in params:
        return frozenset({f"{test.id}{_FALSY}"})
    return frozenset()


def _truthy_constant(expr: ast.expr) -> bool:
    """``True``, ``1``, ``"x"``: true in an ``if``."""
    return isinstance(expr, ast.Constant) and bool(expr.value)


def truthy_names(test: ast.expr, params: frozenset[str]) -> frozenset[str]:
    """What an ``if`` test needs of the names ``params`` (a function's parameters): truthy
    (``p``, ``p and q``, ``p == "x"`` with a truthy constant), or not None (``p is not
    None``: ``"p is not None"``)."""
    name = _compared_to_none(test, params, ast.IsNot)
    if name is not None:
        return frozenset({f"{name}{_NOT_NONE}"})
    if isinstance(test, ast.Name):
        return frozenset({test.id}) & params
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        out: frozenset[str] = frozenset()
        for value in test.values:
            out |= truthy_names(value, params)
        return out
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.left, ast.Name)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value
    ):
        return frozenset({test.left.id}) & params
    return frozenset()


def _compared_to_none(
    test: ast.expr, params: frozenset[str], op: type[ast.Is] | type[ast.IsNot]
) -> str | None:
    """The parameter ``test`` compares to ``None`` with ``op`` (``p is None``, ``p is not
    None``), or None."""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], op)
        and isinstance(test.left, ast.Name)
        and test.left.id in params
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return test.left.id
    return None


def _passed_names(test: ast.expr, params: frozenset[str]) -> frozenset[str]:
    """What code after ``if <test>: return`` (or ``raise``, ``continue``, ``break``) knows
    of the parameters, the test having been false: ``not p`` → ``p`` truthy, ``p is None``
    → not None, ``not p or not q`` → both."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return truthy_names(test.operand, params)
    if isinstance(test, ast.Name):
        return _falsy_names(test, params)  # `if is_async: return ...`
    name = _compared_to_none(test, params, ast.Is)
    if name is not None:
        return frozenset({f"{name}{_NOT_NONE}"})
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        out: frozenset[str] = frozenset()
        for value in test.values:
            out |= _passed_names(value, params)
        return out
    return frozenset()


def _parameter_guards(fn: FunctionNode, params: frozenset[str]) -> dict[int, frozenset[str]]:
    """For each call and ``with`` under ``if`` tests on ``fn``'s parameters, the parameters
    those tests need truthy — in the ``if``'s body, or after an ``if not p: return`` earlier
    in the same block. A parameter assigned outside the branches it guards is dropped: the
    test no longer sees what the caller passed."""
    found: dict[int, frozenset[str]] = {}
    reassigned: set[str] = set()
    stack: list[tuple[ast.AST, frozenset[str]]] = []

    def block(stmts: list[ast.stmt], guard: frozenset[str]) -> None:
        for stmt in stmts:
            stack.append((stmt, guard))
            if exits_early(stmt):
                assert isinstance(stmt, ast.If)
                guard = guard | _passed_names(stmt.test, params)

    block(fn.body, frozenset())
    while stack:
        node, guard = stack.pop()
        if isinstance(node, _NESTED):
            continue
        if isinstance(node, ast.If):
            stack.append((node.test, guard))
            test = node.test
            body = truthy_names(test, params)
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                body = _falsy_names(test.operand, params)  # `if not is_async:`
            block(node.body, guard | body)
            block(node.orelse, guard | _falsy_names(test, params))
            continue
        if guard and isinstance(node, (ast.Call, ast.With)):
            found[id(node)] = guard
        elif (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, (ast.Store, ast.Del))
            and node.id in params
            and all(_guarded_parameter(g) != node.id for g in guard)
        ):
            reassigned.add(node.id)
        for _, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                block(value, guard)
            elif isinstance(value, list):
                stack.extend((c, guard) for c in value if isinstance(c, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, guard))
    if reassigned:
        found = {
            k: frozenset(n for n in g if _guarded_parameter(n) not in reassigned)
            for k, g in found.items()
        }
    return found


def _all_parameters(sub: Summary) -> frozenset[str]:
    """What a memoized function's cache is keyed on: every parameter but the instance."""
    a = sub.arguments
    if a is None:
        return frozenset()
    positional = [*a.posonlyargs, *a.args][1 if sub.method else 0 :]
    every = (*positional, a.vararg, *a.kwonlyargs, a.kwarg)
    return frozenset(p.arg for p in every if p is not None)


def _is_method(fn: FunctionNode, fn_scope: Scope) -> bool:
    """Defined in a class and bound when called (not a staticmethod)."""
    if fn_scope.enclosing_class() is None:
        return False
    return not any(
        (d.id if isinstance(d, ast.Name) else getattr(d, "attr", None)) == "staticmethod"
        for d in fn.decorator_list
    )


# taking a thread lock waits as long as another holder keeps it: GIL205 judges that where a
# coroutine takes it itself (rules/lock_holds.py); in a helper (a registry's `_acquire()`)
# it is no evidence of a wait, as `with lock:` in a helper is not
_SECTION_ACQUIRES = frozenset({"threading.Lock.acquire", "threading.RLock.acquire"})


def _stub(fn: FunctionNode) -> bool:
    """A body that only declares: a docstring, ``...``, ``pass`` or ``raise
    NotImplementedError`` (a protocol's or an abstract method, a hook subclasses fill in), or
    a method marked ``@abstractmethod`` / ``@overload``: what runs is another body."""
    marked = {_source(d).rpartition(".")[2] for d in fn.decorator_list}
    if marked & {"abstractmethod", "overload"}:
        return True
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring, `...`
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        return False
    return True


def _in_protocol(module: ModuleInfo, fn: FunctionNode) -> ast.ClassDef | None:
    """The ``typing.Protocol`` class ``fn`` is a method of: its body is a default at most."""
    cls = module.scopes[fn].parent
    if cls is None or not isinstance(cls.node, ast.ClassDef):
        return None
    return cls.node if module.is_protocol(cls.node) else None


def _accepts(fn: FunctionNode, declared: FunctionNode) -> bool:
    """``fn`` takes every call the signature ``declared`` allows, by parameter name: each
    of its parameters (``*args`` / ``**kwargs`` standing for any), and requires none that
    ``declared`` lacks."""
    mine, theirs = fn.args, declared.args
    named = [*mine.posonlyargs, *mine.args, *mine.kwonlyargs][1:]  # past `self`
    wanted = {a.arg for a in [*theirs.posonlyargs, *theirs.args, *theirs.kwonlyargs][1:]}
    if not wanted <= {a.arg for a in named} and mine.kwarg is None:
        return False
    positional = [*mine.posonlyargs, *mine.args]
    required = positional[1 : len(positional) - len(mine.defaults)] + [
        a for a, d in zip(mine.kwonlyargs, mine.kw_defaults, strict=True) if d is None
    ]
    return all(a.arg in wanted for a in required)


def _is_pure_function(fn: FunctionNode) -> bool:
    """A small helper with no calls at all (``def square(x): return x * x``)."""
    return not any(isinstance(n, ast.Call) for n in walk_own(fn))


def is_offloaded(module: ModuleInfo, fn: FunctionNode, knowledge: Knowledge) -> bool:
    """``fn`` carries a decorator that runs it in a worker thread or process
    (``@run_on_executor``, ``@sync_to_async(thread_sensitive=False)``, textual's
    ``@work(thread=True)`` but not ``@work``): calling it returns a future at once, and its
    body never runs on the caller's thread."""
    if not fn.decorator_list:
        return False
    own = module.scopes.get(fn)
    # decorators are evaluated where the `def` stands, not inside the function
    scope = own.parent if own is not None and own.parent is not None else None
    if scope is None:
        return False
    for decorator in fn.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = module.resolver.qualname(target, scope)
        if name is not None and knowledge.offloading_decorators.offloads(name, decorator):
            return True
    return False


def in_memory_file_call(
    call: ast.Call, name: str, scope: Scope, resolver: Resolver, knowledge: Knowledge
) -> bool:
    """A file API over an in-memory file (``zipfile.ZipFile(io.BytesIO(data))``,
    ``json.load(buf)`` after ``buf = io.StringIO(text)``): no disk is touched. A call that
    moves data between two file objects (``shutil.copyfileobj``) needs both in memory."""
    in_memory = knowledge.in_memory_files
    args = [*call.args, *(k.value for k in call.keywords)]
    if isinstance(call.func, ast.Attribute) and _quietly_opened(
        call.func.value, scope, resolver, knowledge
    ):
        return True  # `f.read()` of a file the package ships (or the null device)
    found = sum(
        1
        for a in args
        if isinstance(a, (ast.Name, ast.Call, ast.Attribute))
        and (
            resolver.qualname(a, scope) in in_memory
            or _quietly_opened(a, scope, resolver, knowledge)
        )
    )
    return found >= (2 if name in knowledge.two_file_calls else 1)


def _quietly_opened(expr: ast.expr, scope: Scope, resolver: Resolver, knowledge: Knowledge) -> bool:
    """``expr`` is a file opened in a form that does not block (``open(os.devnull)``, a file
    the package ships: ``[non_blocking_forms]``), or a file object of ``[file_objects]``
    made over an in-memory file (``GzipFile(fileobj=io.BytesIO(data))``), written there or
    through a name every assignment of which (``with open(...) as f``) is one."""
    if isinstance(expr, ast.Name):
        binding = resolver.lookup(expr.id, scope)
        if binding is None or binding.kind != "value" or not binding.values:
            return False
        # the assignment that runs at the use, as the resolver reads it: `with
        # open(packaged) as f` then `with open(user_file) as f`
        last = written_last(binding, expr)
        return last is not None and _quietly_opened(last, scope, resolver, knowledge)
    if not isinstance(expr, ast.Call):
        return False
    opener = resolver.qualname(expr.func, scope)
    if opener is None:
        return False
    if opener in knowledge.file_openers and returns_immediately(
        opener, expr, resolver, scope, knowledge
    ):
        return True
    # a file object made over an in-memory one: `GzipFile(fileobj=io.BytesIO(data))`
    return opener in knowledge.file_classes and in_memory_file_call(
        expr, opener, scope, resolver, knowledge
    )
