"""Copies of one mistake across files: one finding.

Fourteen example scripts that each start with the same
``loop = asyncio.get_event_loop()`` are one mistake copied fourteen times, fixed the same
way in every copy. A run over several files reports the first copy (by path and line)
and lists the others as its evidence ("the same code"), counted in its message: the
report stays one line per thing to decide, and no place is lost.

Two findings are copies when they have the same code and message and the reported code
is the same text (whitespace aside). The counts a finding's own grouping adds to its
message ("(and in 2 more places here)", "(1 more blocking call in this function)") do not
count: ``asyncio.create_task(inner_call())`` dropped once in one module and three times in
another is one mistake. A dropped task's copies are the same coroutine dropped, whatever
makes the task (``asyncio.create_task(self.on_timeout())`` in one module,
``self.loop.create_task(self.on_timeout(), name=...)`` in another). Each is filtered by its
own ``# noqa`` and baseline before it is grouped, and ``--fix`` fixes every copy. The
language server reports each file on its own, as the editor shows one file at a time.

A blocking helper reached from several modules is one root cause too, as it is within one
module (rules/blocking.py): three framework adapters whose handlers each run the sync
``App.dispatch`` → ``time.sleep`` chain are one finding, on the first, the other call
sites its evidence ("also reached from `handle()`"), counted in its message.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from gil_lint.diagnostics import (
    FILE_ERROR,
    INTERNAL_ERROR,
    SYNTAX_ERROR,
    Diagnostic,
    Evidence,
)
from gil_lint.text import split_lines

# the counts in-module grouping appends to a message: "(and in 2 more places here)",
# "(1 more blocking call in this function; 3 more call sites in this module reach it)"
_COUNTS = re.compile(r"(?: \((?:and in )?\d+ more [^()]*\))+$")

_ENGINE = frozenset({SYNTAX_ERROR, FILE_ERROR, INTERNAL_ERROR})
# a dropped task: copies are the same coroutine dropped, whichever call made the task
# (`asyncio.create_task(self.on_timeout())` in a view, `self.loop.create_task(
# self.on_timeout(), name=...)` in the modal copied from it)
_DROPPED_TASK = "GIL402"
# a finding through a helper chain: "`handle()` calls `run_bolt_app` (x.py:61) → ... →
# `time.sleep` (runner.py:164); `time.sleep` blocks the event loop — ..."
_CHAIN = re.compile(r"^`([^`]+)\(\)` (?:calls|iterates|enters) ")


def group_copies(
    diagnostics: Iterable[Diagnostic], get_source: Callable[[str], str | None]
) -> list[Diagnostic]:
    """``diagnostics`` (in report order) with each copy joined to its first occurrence, then
    each finding through a helper joined to the first of another file with the same root."""
    lines: dict[str, list[str] | None] = {}

    def reported_text(d: Diagnostic) -> str | None:
        if d.path not in lines:
            source = get_source(d.path)
            lines[d.path] = None if source is None else split_lines(source)
        text = lines[d.path]
        if text is None or not 1 <= d.row <= d.end_row <= len(text):
            return None
        if d.row == d.end_row:
            part = text[d.row - 1][d.col - 1 : d.end_col - 1]
        else:
            first, *middle, last = text[d.row - 1 : d.end_row]
            part = "\n".join([first[d.col - 1 :], *middle, last[: d.end_col - 1]])
        return " ".join(part.split()) or None

    def copy_key(d: Diagnostic) -> tuple[object, ...] | None:
        text = reported_text(d)
        if text is None:
            return None
        if d.code == _DROPPED_TASK:
            dropped = _first_argument(text)
            if dropped is not None:
                return (d.code, dropped)
        return (d.code, _COUNTS.sub("", d.message), text)

    def copy_place(d: Diagnostic) -> tuple[Evidence, ...]:
        where = f"the same code ({os.path.basename(d.path)}:{d.row})"
        return (Evidence(where, d.path, d.row, d.col),)

    def copies_counted(more: int) -> str:
        return f"the same code in {more} more {'place' if more == 1 else 'places'}"

    copies = _join(diagnostics, copy_key, copy_place, copies_counted)
    return _join(copies, _root_key, _call_site, _sites_counted, other_files_only=True)


def _first_argument(text: str) -> str | None:
    """The first argument of the call ``text`` (``self.on_timeout()`` of
    ``self.loop.create_task(self.on_timeout(), name=...)``), as ``ast.unparse`` writes it."""
    try:
        call = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(call, ast.Call) or not call.args:
        return None
    return ast.unparse(call.args[0])


def _join(
    diagnostics: Iterable[Diagnostic],
    key_of: Callable[[Diagnostic], tuple[object, ...] | None],
    places_of: Callable[[Diagnostic], tuple[Evidence, ...]],
    counted: Callable[[int], str],
    *,
    other_files_only: bool = False,
) -> list[Diagnostic]:
    """``diagnostics`` (in report order) with each finding whose ``key_of`` an earlier one
    has joined to that one: its ``places_of`` become the earlier one's evidence, and the
    earlier one's message, as first written, says ``counted(how many)``. Engine errors and
    findings of no key stay apart; ``other_files_only``: so do findings in the same file."""
    first: dict[tuple[object, ...], int] = {}  # key → the index in out of its first finding
    joined: dict[int, int] = {}  # index in out → findings joined to it
    messages: dict[int, str] = {}  # index in out → its message before the first join
    out: list[Diagnostic] = []
    for d in diagnostics:
        key = None if d.code in _ENGINE else key_of(d)
        if key is None or key not in first or (other_files_only and out[first[key]].path == d.path):
            if key is not None and key not in first:
                first[key] = len(out)
            out.append(d)
            continue
        index = first[key]
        more = joined[index] = joined.get(index, 0) + 1
        original = out[index]
        messages.setdefault(index, original.message)
        out[index] = replace(
            original,
            evidence=(*original.evidence, *places_of(d)),
            message=f"{messages[index]} ({counted(more)})",
        )
    return out


def _chain_root(d: Diagnostic) -> tuple[str, int, int] | None:
    """Where the helper chain of a finding through helpers ends: the blocking call (its
    evidence lists the call site, each helper, then that call)."""
    if _CHAIN.match(d.message) is None:
        return None
    steps = d.message.split("; ", 1)[0].count(" → ") + 1
    if len(d.evidence) < steps:
        return None
    root = d.evidence[steps - 1]
    return (os.path.abspath(root.path), root.row, root.col)


def _root_key(d: Diagnostic) -> tuple[object, ...] | None:
    root = _chain_root(d)
    return None if root is None else (d.code, *root)


def _call_site(d: Diagnostic) -> tuple[Evidence, ...]:
    """A finding through a helper joined to another of the same root: its call site, and
    the copies of it already joined to it."""
    match = _CHAIN.match(d.message)
    caller = match.group(1) if match else "?"
    where = f"also reached from `{caller}()` ({os.path.basename(d.path)}:{d.row})"
    copies = [e for e in d.evidence if e.message.startswith("the same code (")]
    return (Evidence(where, d.path, d.row, d.col), *copies)


def _sites_counted(more: int) -> str:
    sites, reach = ("site", "reaches") if more == 1 else ("sites", "reach")
    return f"{more} more call {sites} in other files {reach} it"
