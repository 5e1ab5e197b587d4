"""Loads ``gil_lint/knowledge/*.toml`` once and answers questions about qualified names.

Rules never hard-code API lists: they ask ``knowledge.blocking_category(name)``
and friends. Users extend the tables from ``[tool.gil-lint.knowledge]``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

BLOCKING_CATEGORIES = ("sleep", "network", "file", "subprocess", "sync", "input")

# Keys accepted in [tool.gil-lint.knowledge] and what each extends.
USER_KEYS = {f"blocking-{c}": c for c in BLOCKING_CATEGORIES} | {
    "non-blocking": "non-blocking",
    "cpu-bound": "cpu-bound",
    "gil-releasing": "gil-releasing",
    "offloading-decorators": "offloading-decorators",
}


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
class Knowledge:
    blocking: Mapping[str, _NameSet]
    non_blocking: _NameSet
    sync_context_managers: frozenset[str]
    # os.waitpid and kin: os.WNOHANG makes them poll (engine/callforms.py)
    wait_functions: frozenset[str]
    lazy_iterators: frozenset[str]
    cpu_bound: _NameSet
    gil_releasing: _NameSet
    returns: Mapping[str, str]
    aliases: Mapping[str, str]
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
    task_creators: frozenset[str]
    loop_runners: frozenset[str]
    offloaders: frozenset[str]
    gathers: frozenset[str]
    semaphores: frozenset[str]
    coroutine_functions: frozenset[str]
    pure: _NameSet
    pure_methods: frozenset[str]
    # decorators that run the function in a worker thread or process (calls return at once)
    offloading_decorators: _NameSet
    # calls returning a file object; io.BytesIO and kin: a file API over one does no I/O
    file_openers: frozenset[str]
    in_memory_files: frozenset[str]
    two_file_calls: frozenset[str]

    def blocking_category(self, name: str) -> str | None:
        """The blocking category of a qualified call name, or None."""
        if name in self.non_blocking:
            return None
        for category, names in self.blocking.items():
            if name in names:
                return category
        return None

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


@lru_cache(maxsize=32)
def load_knowledge(extensions: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> Knowledge:
    """Build the knowledge base; ``extensions`` are the user's (key, names) pairs."""
    blocking_t, types_t, conc_t, cpu_t = _base_tables()
    ext = dict(extensions)
    blocking = {
        c: _NameSet([*blocking_t[c]["calls"], *ext.get(f"blocking-{c}", ())])
        for c in BLOCKING_CATEGORIES
    }
    ex = conc_t["executors"]
    aio = conc_t["asyncio"]
    return Knowledge(
        blocking=blocking,
        non_blocking=_NameSet(
            [*blocking_t.get("non_blocking", {}).get("calls", ()), *ext.get("non-blocking", ())]
        ),
        sync_context_managers=frozenset(blocking_t["sync"].get("context_managers", ())),
        wait_functions=frozenset(blocking_t["subprocess"]["wait_functions"]),
        lazy_iterators=frozenset(blocking_t["lazy_iterators"]["calls"]),
        cpu_bound=_NameSet(
            [*cpu_t.get("cpu_bound", {}).get("calls", ()), *ext.get("cpu-bound", ())]
        ),
        gil_releasing=_NameSet(
            [*cpu_t.get("gil_releasing", {}).get("calls", ()), *ext.get("gil-releasing", ())]
        ),
        returns=dict(types_t["returns"]),
        aliases=dict(types_t["aliases"]),
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
        task_creators=frozenset(aio["task_creators"]),
        loop_runners=frozenset(aio["loop_runners"]),
        offloaders=frozenset(aio["offloaders"]),
        gathers=frozenset(aio["gathers"]),
        semaphores=frozenset(aio["semaphores"]),
        coroutine_functions=frozenset(aio["coroutine_functions"]),
        pure=_NameSet(cpu_t.get("pure", {}).get("calls", ())),
        pure_methods=frozenset(cpu_t.get("pure", {}).get("pure_methods", ())),
        offloading_decorators=_NameSet(
            [*conc_t["offloading"]["decorators"], *ext.get("offloading-decorators", ())]
        ),
        file_openers=frozenset(blocking_t["file_objects"]["openers"]),
        in_memory_files=frozenset(blocking_t["file_objects"]["in_memory"]),
        two_file_calls=frozenset(blocking_t["file_objects"]["two_file_calls"]),
    )
