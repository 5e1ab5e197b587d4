"""Loads ``gil_lint/knowledge/*.toml`` once and answers questions about qualified names.

Rules never hard-code API lists: they ask ``knowledge.blocking_category(name)``
and friends. Users extend the tables from ``[tool.gil-lint.knowledge]``.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from gil_lint.text import NOQA, TYPE_IGNORE, noqa_codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

BLOCKING_CATEGORIES = (
    "sleep",
    "network",
    "file",
    "text",
    "metadata",
    "subprocess",
    "sync",
    "input",
)

# The cost model (blocking.toml gives each category one of these wait classes): which
# classes are still worth a finding when the call is a few helpers down. A metadata
# syscall is reported only where it is written, inside the `async def` itself.
WAIT_CLASSES = ("unbounded", "content", "metadata")
THROUGH_HELPERS = frozenset({"unbounded", "content"})

# Keys accepted in [tool.gil-lint.knowledge] and what each extends.
USER_KEYS = {f"blocking-{c}": c for c in BLOCKING_CATEGORIES} | {
    "non-blocking": "non-blocking",
    "memoizing-decorators": "memoizing-decorators",
    "cpu-bound": "cpu-bound",
    "gil-releasing": "gil-releasing",
    "offloading-decorators": "offloading-decorators",
    "startup-functions": "startup-functions",
    "shutdown-functions": "shutdown-functions",
}
# Keys of [tool.gil-lint.knowledge] that are tables of name = name, not lists: what a call
# returns (`"mycorp.db.connect" = "mycorp.db.Connection"`), another spelling of a name, and
# a class's base (its methods are the base's unless listed on the class itself).
USER_TABLES = ("returns", "aliases", "bases")


def _load(name: str) -> dict[str, Any]:
    with open(KNOWLEDGE_DIR / name, "rb") as f:
        table: dict[str, Any] = tomllib.load(f)  # tomli (3.10) is untyped
    return table


class _NameSet:
    """Exact names plus ``prefix.*`` wildcards."""

    def __init__(self, names: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.prefixes: set[str] = set()
        for n in names:
            if n.endswith(".*"):
                self.prefixes.add(n[:-2])
            else:
                self.exact.add(n)

    def __contains__(self, name: str) -> bool:
        if name in self.exact:
            return True
        if self.prefixes:
            head = name.rpartition(".")[0]
            return head in self.prefixes
        return False


@dataclass(frozen=True)
class GatherBounds:
    """What bounds the items of an ``asyncio.gather`` (concurrency.toml ``[gather_bounds]``)."""

    executor_calls: frozenset[str]
    release_methods: frozenset[str]
    release_prefixes: frozenset[str]
    held_calls: frozenset[str]
    wait_wrappers: frozenset[str]
    connection_limits: frozenset[str]
    pool_keywords: frozenset[str]

    def releases(self, method: str) -> bool:
        """``method`` only waits for, cancels or closes its receiver."""
        return method in self.release_methods or method.startswith(tuple(self.release_prefixes))


class NamePatterns:
    """Function names of a phase of the program's life (``[lifecycle]``): exact names,
    ``prefix*`` and ``*suffix`` patterns. A name is matched with its leading underscores
    dropped (not a dunder's: ``__aexit__`` is written as it is), in snake case (``onClose`` is
    ``on_close``) and without an ``async_`` prefix or ``_async`` suffix (``_async_close``,
    ``stop_async``: the coroutine twin of ``close`` and ``stop``)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.exact: frozenset[str] = frozenset(p for p in patterns if "*" not in p)
        self.prefixes: tuple[str, ...] = tuple(p[:-1] for p in patterns if p.endswith("*"))
        self.suffixes: tuple[str, ...] = tuple(p[1:] for p in patterns if p.startswith("*"))

    def __contains__(self, name: str) -> bool:
        if name.startswith("__") and name.endswith("__"):
            return name in self.exact
        name = name.lstrip("_")
        if not name.islower():
            name = _CAMEL.sub(r"\1_\2", name).lower()
        if name.startswith("async_") and len(name) > 6:
            name = name[6:]
        elif name.endswith("_async") and len(name) > 6:
            name = name[:-6]
        return name in self.exact or (
            bool(name) and (name.startswith(self.prefixes) or name.endswith(self.suffixes))
        )


# a lower-case letter or digit followed by a capital: where camel case starts a word
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


@dataclass(frozen=True)
class Lifecycle:
    """What ``[lifecycle]`` lists: calls that register a one-off callback (the callable's
    argument position), such registrations by method name, calls that end the program,
    and the phase names."""

    callbacks: Mapping[str, int]
    callback_methods: Mapping[str, int]
    # calls that end the program: a function that ends with one runs at most once
    exits: frozenset[str]
    # calls that launch a child process without waiting for it: what a start-up does
    spawns: frozenset[str]
    startup: NamePatterns
    # where a framework takes its start-up hooks: `app.on_startup.append(f)`,
    # `app.after_start += f`, `@app.before_serving`, `@app.on_event("startup")`
    startup_hooks: frozenset[str]
    # an `@asynccontextmanager` taking only the app (annotated with one of these) is a lifespan
    lifespan_apps: frozenset[str]
    # the start-up names the program itself starts at: a helper's file work runs once too
    process_startup: NamePatterns
    shutdown: NamePatterns


@dataclass(frozen=True)
class ArgumentForm:
    """One condition of ``[non_blocking_forms]`` under which a blocking call returns at once
    (engine/callforms.py says how each is checked)."""

    # the argument, by keyword or position (after ``self``)
    keyword: str | None = None
    position: int | None = None
    # ... is a constant among these
    values: tuple[object, ...] = ()
    # ... or is a `|` of flags that includes all of these qualified names
    flags: tuple[str, ...] = ()
    # the receiver was constructed with no bound ([unbounded_constructors])
    unbounded: bool = False
    # `fut.done()` was checked before the call
    done_guard: bool = False
    # `q.empty()` was checked false: the queue holds an item
    empty_guard: bool = False
    # the receiver is a local made on a line just before, that nothing has seen yet
    fresh: bool = False
    # the receiver is a datagram socket made in the function (`socket.socket(AF_INET,
    # SOCK_DGRAM)`) and the peer a numeric address: its `connect` sets the peer, it sends
    # and waits for nothing
    datagram: bool = False
    # ... or is a path built from the module's `__file__`: a file shipped with the package
    packaged: bool = False
    # the condition is on the receiver (`Path(__file__).with_name("x").read_text()`)
    receiver: bool = False
    # ... or is a host name among these (or a numeric address) written as a literal, or a
    # name an enclosing `if name == "localhost":` compared equal to one
    hosts: tuple[str, ...] = ()
    # ... or names one of these values (qualified: `os.devnull`), directly or through a
    # name assigned once
    names: tuple[str, ...] = ()
    # ([text.forms]) ... is not passed, or is a string constant without "b": a text mode
    text_mode: bool = False
    # ([metadata.forms]) ... is not passed (nor hidden in `*args` / `**kwargs`), or is a
    # constant among `values`: `glob.glob(p)` without `recursive=True`
    missing: bool = False
    # ([metadata.forms]) ... is a string literal (or f-string) with no `**` in its text: a
    # glob pattern that lists directories, never a whole tree
    flat: bool = False


@dataclass(frozen=True)
class BoundArgument:
    """The constructor argument that bounds a queue ([unbounded_constructors]); neither
    set: the class has no bound."""

    keyword: str | None = None
    position: int | None = None


# `name(keyword=literal, ...)`: a decorator that offloads only when given these arguments
Conditions = tuple[tuple[str, object], ...]


def parse_decorator(text: str) -> tuple[str, Conditions | None]:
    """``"textual.work(thread=True)"`` → ``("textual.work", (("thread", True),))``; a plain
    name has no conditions (None). ValueError if it is neither."""
    try:
        expr = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"not a dotted name or `name(keyword=literal)`: {text!r}") from None
    conditions: Conditions | None = None
    if isinstance(expr, ast.Call):
        found: list[tuple[str, object]] = []
        for k in expr.keywords:
            if k.arg is None or not isinstance(k.value, ast.Constant):
                raise ValueError(f"only `keyword=literal` arguments are allowed: {text!r}")
            found.append((k.arg, k.value.value))
        if expr.args or not found:
            raise ValueError(f"only `keyword=literal` arguments are allowed: {text!r}")
        conditions = tuple(found)
        expr = expr.func
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        raise ValueError(f"not a dotted name or `name(keyword=literal)`: {text!r}")
    parts.append(expr.id)
    return ".".join(reversed(parts)), conditions


@dataclass(frozen=True)
class OffloadingDecorators:
    """Decorators that run the function in a worker: always (``always``), or only with
    the keyword arguments of one of ``when``'s condition sets."""

    always: _NameSet
    when: Mapping[str, tuple[Conditions, ...]]

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> OffloadingDecorators:
        always: list[str] = []
        when: dict[str, list[Conditions]] = {}
        for entry in entries:
            name, conditions = parse_decorator(entry)
            if conditions is None:
                always.append(name)
            else:
                when.setdefault(name, []).append(conditions)
        return cls(_NameSet(always), {n: tuple(c) for n, c in when.items()})

    def offloads(self, name: str, decorator: ast.expr) -> bool:
        """``decorator`` (``@name`` or ``@name(...)``) runs the function in a worker."""
        if name in self.always:
            return True
        alternatives = self.when.get(name)
        if not alternatives or not isinstance(decorator, ast.Call):
            return False
        given = {
            k.arg: k.value.value
            for k in decorator.keywords
            if k.arg is not None and isinstance(k.value, ast.Constant)
        }
        return any(
            all(kw in given and same_constant(given[kw], value) for kw, value in conditions)
            for conditions in alternatives
        )


def same_constant(a: object, b: object) -> bool:
    """Equal and of one type: ``True`` is not ``1`` here."""
    return type(a) is type(b) and a == b


def _forms(table: Mapping[str, Any]) -> dict[str, tuple[ArgumentForm, ...]]:
    return {
        name: tuple(
            ArgumentForm(
                keyword=c.get("keyword"),
                position=c.get("position"),
                values=tuple(c.get("values", ())),
                flags=tuple(c.get("flags", ())),
                unbounded=bool(c.get("unbounded", False)),
                done_guard=bool(c.get("done_guard", False)),
                empty_guard=bool(c.get("empty_guard", False)),
                fresh=bool(c.get("fresh", False)),
                datagram=bool(c.get("datagram", False)),
                packaged=bool(c.get("packaged", False)),
                receiver=bool(c.get("receiver", False)),
                hosts=tuple(h.lower() for h in c.get("hosts", ())),
                names=tuple(c.get("names", ())),
                text_mode=bool(c.get("text_mode", False)),
                missing=bool(c.get("missing", False)),
                flat=bool(c.get("flat", False)),
            )
            for c in conditions
        )
        for name, conditions in table.items()
    }


@dataclass(frozen=True)
class Knowledge:
    blocking: Mapping[str, _NameSet]
    # category → wait class ("unbounded", "content" or "metadata")
    wait_classes: Mapping[str, str]
    # the categories THROUGH_HELPERS lets through helper chains
    helper_categories: frozenset[str]
    non_blocking: _NameSet
    # functools.lru_cache and kin: a helper under one blocks once per argument tuple
    memoizers: _NameSet
    sync_context_managers: frozenset[str]
    # os.waitpid and kin: os.WNOHANG makes them poll (engine/callforms.py)
    wait_functions: frozenset[str]
    lazy_iterators: frozenset[str]
    # open() and kin: they return a file whose reads and writes block too
    file_openers: frozenset[str]
    cpu_bound: _NameSet
    # cpu-bound call -> what sizes its work: its first argument's "value" or "items"
    # (cpu.toml [cpu_bound.sized_by]); a call not in it is heavy on every call
    cpu_sized_by: Mapping[str, str]
    gil_releasing: _NameSet
    returns: Mapping[str, str]
    aliases: Mapping[str, str]
    # subclass → base class: a method not listed on the subclass is the base's
    bases: Mapping[str, str]
    # every name listed on its own (so not taken from a base class)
    listed: frozenset[str]
    thread_pools: frozenset[str]
    process_pools: frozenset[str]
    submit_methods: frozenset[str]
    close_methods: frozenset[str]
    process_starters: frozenset[str]
    threads: frozenset[str]
    cpu_counts: frozenset[str]
    unpicklable_types: frozenset[str]
    event_loops: frozenset[str]
    event_loop_names: frozenset[str]
    # packages whose import says a module's coroutines run on a real loop
    loop_libraries: frozenset[str]
    task_creators: frozenset[str]
    loop_runners: frozenset[str]
    offloaders: frozenset[str]
    gathers: frozenset[str]
    semaphores: frozenset[str]
    gather_bounds: GatherBounds
    coroutine_functions: frozenset[str]
    # calls that must run on the event loop's thread, and method names taken to be such
    # calls on a receiver of unknown type (`self.tasks[k].cancel()`)
    loop_affine: frozenset[str]
    loop_affine_methods: frozenset[str]
    # calls that make a thread run its own event loop (its loop calls are then its own)
    loop_owners: frozenset[str]
    loop_owner_methods: frozenset[str]
    # what a cancelled coroutine awaits to wind down (GIL406)
    cleanup_names: frozenset[str]
    cleanup_after_cancel: frozenset[str]
    pure: _NameSet
    pure_methods: frozenset[str]
    # decorators that run the function in a worker thread or process (calls return at once)
    offloading_decorators: OffloadingDecorators
    # io.BytesIO and kin: a file API over one does no I/O
    in_memory_files: frozenset[str]
    # [file_objects] classes: files over an OS descriptor, or over a file object given them
    file_classes: frozenset[str]
    two_file_calls: frozenset[str]
    # anyio.wrap_file and kin: a file handed to one is read in a worker thread
    async_file_wrappers: frozenset[str]
    async_file_wrapper_methods: frozenset[str]
    # one-off callbacks and the names of start-up and shutdown functions (engine/lifecycle.py)
    lifecycle: Lifecycle
    # argument forms that make a blocking call return at once (engine/callforms.py)
    non_blocking_forms: Mapping[str, tuple[ArgumentForm, ...]] = field(default_factory=dict)
    # [text.forms]: the [file] calls that open a text file in these forms (category "text")
    text_forms: Mapping[str, tuple[ArgumentForm, ...]] = field(default_factory=dict)
    # [metadata.forms]: the [file] calls that only list directories in these forms
    metadata_forms: Mapping[str, tuple[ArgumentForm, ...]] = field(default_factory=dict)
    unbounded_constructors: Mapping[str, BoundArgument] = field(default_factory=dict)
    # blocking_category's answers by name: it is asked about every call of every function
    _categories: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def blocking_category(self, name: str) -> str | None:
        """The blocking category of a qualified call name, or None."""
        memo = self._categories
        if name in memo:
            return memo[name]
        found = self._category(self.entry(name))
        memo[name] = found
        return found

    def _category(self, name: str) -> str | None:
        if name in self.non_blocking:
            return None
        for category, names in self.blocking.items():
            if name in names:
                return category
        return None

    def wait_class(self, category: str) -> str:
        """The cost model's class of a blocking category: unbounded, content or metadata."""
        return self.wait_classes[category]

    def follows_helpers(self, category: str) -> bool:
        """Whether a call of this category is reported through helper chains."""
        return category in self.helper_categories

    def canonical(self, name: str) -> str:
        """Map alternative spellings (``requests.sessions.Session``) to one name."""
        aliases = self.aliases
        if name in aliases:
            return aliases[name]
        head = name.rpartition(".")[0]
        while head:
            if head in aliases:
                return f"{aliases[head]}.{name[len(head) + 1 :]}"
            head = head.rpartition(".")[0]
        return name

    def entry(self, name: str) -> str:
        """The name the tables list ``name`` under: itself, or for a method the class does
        not list itself, its base's along [bases] (``urllib3.HTTPSConnectionPool.urlopen``
        is listed as ``urllib3.HTTPConnectionPool.urlopen``). Messages keep ``name``."""
        bases = self.bases
        cls, _, attr = name.rpartition(".")
        if cls not in bases:
            return name
        found = name
        listed = self.listed
        for _ in range(16):  # a cycle in a user's [bases] ends here
            if found in listed or f"{cls}.*" in listed:
                return found
            if cls not in bases:
                break
            cls = bases[cls]
            found = f"{cls}.{attr}"
        return name

    def forms(self, name: str) -> tuple[ArgumentForm, ...]:
        """The ``[non_blocking_forms]`` of a call (its base's, for an inherited method)."""
        return self.non_blocking_forms.get(self.entry(name), ())

    def text_forms_of(self, name: str) -> tuple[ArgumentForm, ...]:
        """The ``[text.forms]`` of a call (its base's, for an inherited method)."""
        return self.text_forms.get(self.entry(name), ())

    def metadata_forms_of(self, name: str) -> tuple[ArgumentForm, ...]:
        """The ``[metadata.forms]`` of a call (its base's, for an inherited method)."""
        return self.metadata_forms.get(self.entry(name), ())

    def returns_of(self, name: str) -> str | None:
        """What a call returns, from ``[returns]`` (its base's, for an inherited method)."""
        return self.returns.get(self.entry(name))

    def is_known_name(self, name: str) -> bool:
        """Whether any table mentions ``name`` (used to resolve star imports)."""
        return (
            self.blocking_category(name) is not None
            or name in self.returns
            or name in self.coroutine_functions
            or name in self.task_creators
            or name in self.loop_runners
            or name in self.thread_pools
            or name in self.process_pools
        )


@lru_cache(maxsize=1)
def _base_tables() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    return (
        _load("blocking.toml"),
        _load("types.toml"),
        _load("concurrency.toml"),
        _load("cpu.toml"),
    )


def _pairs(entries: Iterable[str]) -> dict[str, str]:
    """The user's ``name = name`` tables, carried in Settings as ``"name=name"`` strings."""
    return dict(e.split("=", 1) for e in entries)


def file_object_calls(table: Mapping[str, Any]) -> list[str]:
    """``[file_objects]``: every blocking method of every file class, ``Class.method``."""
    return [f"{c}.{m}" for c in table["classes"] for m in table["methods"]]


@lru_cache(maxsize=32)
def load_knowledge(extensions: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> Knowledge:
    """Build the knowledge base; ``extensions`` are the user's (key, names) pairs."""
    blocking_t, types_t, conc_t, cpu_t = _base_tables()
    ext = dict(extensions)
    calls = {c: list(blocking_t[c]["calls"]) for c in BLOCKING_CATEGORIES}
    calls["file"] += file_object_calls(blocking_t["file_objects"])
    blocking = {
        c: _NameSet([*calls[c], *ext.get(f"blocking-{c}", ())]) for c in BLOCKING_CATEGORIES
    }
    returns = {**types_t["returns"], **_pairs(ext.get("returns", ()))}
    forms = _forms(blocking_t.get("non_blocking_forms", {}))
    text_forms = _forms(blocking_t["text"].get("forms", {}))
    metadata_forms = _forms(blocking_t["metadata"].get("forms", {}))
    non_blocking = _NameSet(
        [*blocking_t.get("non_blocking", {}).get("calls", ()), *ext.get("non-blocking", ())]
    )
    # what is listed on its own class, so not taken from a base ("Class.*" for a wildcard)
    listed = {n for names in blocking.values() for n in names.exact}
    listed |= {f"{p}.*" for names in blocking.values() for p in names.prefixes}
    listed |= {*returns, *forms, *text_forms, *metadata_forms, *non_blocking.exact}
    wait_classes = {c: blocking_t[c]["wait"] for c in BLOCKING_CATEGORIES}
    unknown = set(wait_classes.values()) - set(WAIT_CLASSES)
    assert not unknown, f"blocking.toml: unknown wait class {unknown}"
    sized_by = dict(cpu_t.get("cpu_bound", {}).get("sized_by", {}))
    odd = set(sized_by.values()) - {"value", "items"}
    assert not odd, f"cpu.toml: unknown [cpu_bound.sized_by] measure {odd}"
    ex = conc_t["executors"]
    aio = conc_t["asyncio"]
    life = conc_t["lifecycle"]
    return Knowledge(
        blocking=blocking,
        wait_classes=wait_classes,
        helper_categories=frozenset(c for c, w in wait_classes.items() if w in THROUGH_HELPERS),
        memoizers=_NameSet(
            [*blocking_t["memoized"]["decorators"], *ext.get("memoizing-decorators", ())]
        ),
        non_blocking=non_blocking,
        sync_context_managers=frozenset(blocking_t["sync"].get("context_managers", ())),
        wait_functions=frozenset(blocking_t["subprocess"]["wait_functions"]),
        lazy_iterators=frozenset(blocking_t["lazy_iterators"]["calls"]),
        file_openers=frozenset(blocking_t["file"]["openers"]),
        cpu_bound=_NameSet(
            [*cpu_t.get("cpu_bound", {}).get("calls", ()), *ext.get("cpu-bound", ())]
        ),
        cpu_sized_by=sized_by,
        gil_releasing=_NameSet(
            [*cpu_t.get("gil_releasing", {}).get("calls", ()), *ext.get("gil-releasing", ())]
        ),
        returns=returns,
        aliases={**types_t["aliases"], **_pairs(ext.get("aliases", ()))},
        bases={**types_t["bases"], **_pairs(ext.get("bases", ()))},
        listed=frozenset(listed),
        thread_pools=frozenset(ex["thread_pools"]),
        process_pools=frozenset(ex["process_pools"]),
        submit_methods=frozenset(ex["submit_methods"]),
        close_methods=frozenset(ex["close_methods"]),
        process_starters=frozenset(ex["process_starters"]),
        threads=frozenset(ex["threads"]),
        cpu_counts=frozenset(conc_t["workers"]["cpu_counts"]),
        unpicklable_types=frozenset(conc_t["pickling"]["unpicklable_types"]),
        event_loops=frozenset(aio["event_loops"]),
        event_loop_names=frozenset(aio["event_loop_names"]),
        loop_libraries=frozenset(aio["loop_libraries"]),
        task_creators=frozenset(aio["task_creators"]),
        loop_runners=frozenset(aio["loop_runners"]),
        offloaders=frozenset(aio["offloaders"]),
        gathers=frozenset(aio["gathers"]),
        semaphores=frozenset(aio["semaphores"]),
        gather_bounds=GatherBounds(
            **{key: frozenset(names) for key, names in conc_t["gather_bounds"].items()}
        ),
        coroutine_functions=frozenset(aio["coroutine_functions"]),
        loop_affine=frozenset(conc_t["loop_affine"]["calls"]),
        loop_affine_methods=frozenset(conc_t["loop_affine"]["methods"]),
        loop_owners=frozenset(conc_t["loop_affine"]["owners"]),
        loop_owner_methods=frozenset(conc_t["loop_affine"]["owner_methods"]),
        cleanup_names=frozenset(conc_t["cancellation"]["cleanup_names"]),
        cleanup_after_cancel=frozenset(conc_t["cancellation"]["cleanup_after_cancel"]),
        pure=_NameSet(cpu_t.get("pure", {}).get("calls", ())),
        pure_methods=frozenset(cpu_t.get("pure", {}).get("pure_methods", ())),
        non_blocking_forms=forms,
        text_forms=text_forms,
        metadata_forms=metadata_forms,
        unbounded_constructors={
            name: BoundArgument(bound.get("keyword"), bound.get("position"))
            for name, bound in blocking_t.get("unbounded_constructors", {}).items()
        },
        offloading_decorators=OffloadingDecorators.from_entries(
            [*conc_t["offloading"]["decorators"], *ext.get("offloading-decorators", ())]
        ),
        in_memory_files=frozenset(blocking_t["file_objects"]["in_memory"]),
        file_classes=frozenset(blocking_t["file_objects"]["classes"]),
        two_file_calls=frozenset(blocking_t["file_objects"]["two_file_calls"]),
        async_file_wrappers=frozenset(blocking_t["file_objects"]["async_wrappers"]),
        async_file_wrapper_methods=frozenset(blocking_t["file_objects"]["async_wrapper_methods"]),
        lifecycle=Lifecycle(
            callbacks=dict(life["callbacks"]),
            callback_methods=dict(life["callback_methods"]),
            exits=frozenset(life["exits"]),
            spawns=frozenset(life["spawns"]),
            startup=NamePatterns([*life["startup"], *ext.get("startup-functions", ())]),
            startup_hooks=frozenset(life["startup_hooks"]),
            lifespan_apps=frozenset(life["lifespan_apps"]),
            process_startup=NamePatterns(life["process_startup"]),
            shutdown=NamePatterns([*life["shutdown"], *ext.get("shutdown-functions", ())]),
        ),
    )


@dataclass(frozen=True)
class PeerCode:
    """Another linter's code for a problem gil-lint reports (``knowledge/peers.toml``)."""

    code: str
    linters: str
    flags: str
    gil: tuple[str, ...]
    formerly: tuple[str, ...] = ()  # the same check's older codes (flake8-trio's TRIOxxx)
    # how a type checker's ignore comment writes it (`# type: ignore[unused-coroutine]`)
    written: str | None = None


@lru_cache(maxsize=1)
def peer_table() -> tuple[PeerCode, ...]:
    """The rows of ``knowledge/peers.toml``, in file order."""
    return _peer_rows("codes")


@lru_cache(maxsize=1)
def ignore_table() -> tuple[PeerCode, ...]:
    """Type checkers' codes for a problem gil-lint reports, as their ignore comments write
    them (``peers.toml`` ``[ignores]``: ``# type: ignore[unused-coroutine]``)."""
    return _peer_rows("ignores")


def _peer_rows(section: str) -> tuple[PeerCode, ...]:
    return tuple(
        PeerCode(
            code,
            row["linters"],
            row["flags"],
            tuple(row["gil"]),
            tuple(row.get("formerly", ())),
            row.get("written"),
        )
        for code, row in _load("peers.toml").get(section, {}).items()
    )


def ignore_covers(code: str, written: Iterable[str]) -> bool:
    """Whether a type checker's ignore comment naming the ``written`` codes (upper case)
    suppresses ``code``: one of them means the GIL rule's problem."""
    written = set(written)
    return any(p.code.upper() in written and code in p.gil for p in ignore_table())


@lru_cache(maxsize=1)
def peer_codes() -> Mapping[str, PeerCode]:
    """Peer codes (and their former codes) by upper-case code. Loaded on first use: only a
    ``# noqa`` naming a code that is not a GIL code pays for it."""
    return {c.upper(): p for p in peer_table() for c in (p.code, *p.formerly)}


def line_suppresses(line: str, code: str) -> bool:
    """Whether ``line`` carries a comment that suppresses ``code``: a ``# noqa`` — bare,
    naming the code, or naming a peer linter's code for it (``# noqa: ASYNC251`` for
    GIL201) — or a type checker's ignore comment naming its code for the same problem
    (``# type: ignore[unused-coroutine]`` for GIL401)."""
    if "#" not in line:
        return False
    ignored = TYPE_IGNORE.search(line) if "ignore[" in line else None
    if ignored is not None and ignore_covers(
        code, [c.strip().upper() for c in ignored.group("codes").split(",")]
    ):
        return True
    m = NOQA.search(line)
    if m is None:
        return False
    codes = m.group("codes")
    return not codes or noqa_covers(code, [c.upper() for c in noqa_codes(codes)])


def span_suppresses(lines: Sequence[str], code: str, first: int, last: int) -> bool:
    """A comment on line ``first`` or ``last`` (1-based) of ``lines`` suppresses ``code``
    (``line_suppresses``): how a finding spanning them is filtered."""
    return any(
        1 <= row <= len(lines) and line_suppresses(lines[row - 1], code) for row in {first, last}
    )


def noqa_covers(code: str, written: Iterable[str]) -> bool:
    """Whether a ``# noqa`` naming the ``written`` codes (upper case) suppresses ``code``:
    it names ``code`` or a peer code that maps to it."""
    written = set(written)
    if code in written:
        return True
    if all(c.startswith("GIL") for c in written):
        return False
    peers = peer_codes()
    return any(p is not None and code in p.gil for p in map(peers.get, written))


def peer_codes_table() -> str:
    """The README's table of equivalent ``noqa`` codes (a test keeps the README equal to it)."""
    lines = ["| noqa code | linter | flags | suppresses |", "|---|---|---|---|"]
    for p in (*peer_table(), *ignore_table()):
        code = p.code + (f" ({', '.join(p.formerly)})" if p.formerly else "")
        if p.written:
            code = f"`{p.written}`"
        lines.append(f"| {code} | {p.linters} | {p.flags} | {', '.join(p.gil)} |")
    return "\n".join(lines)
