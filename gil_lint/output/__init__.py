"""Formatters: diagnostics as text for people (full, concise), for tools (json, json-lines, sarif,
junit) and as CI annotations (github). One module per format, imported only when used so the
CLI starts fast; this module dispatches and holds the shared summary and statistics."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from gil_lint.diagnostics import Diagnostic, Severity
from gil_lint.output.concise import has_safe_fix
from gil_lint.output.style import paint

FORMATS: tuple[str, ...] = ("full", "concise", "json", "json-lines", "sarif", "github", "junit")

__all__ = ["FORMATS", "RuleInfo", "sort_key", "summary", "write_report", "write_statistics"]


@dataclass(frozen=True)
class RuleInfo:
    """What a report needs to describe a rule (SARIF's ``tool.driver.rules``).

    The CLI builds these from the rule registry, so formatters never import the rules.
    """

    code: str
    name: str
    short_description: str  # one line
    full_description: str  # markdown
    url: str | None = None
    severity: Severity = "warning"


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, int, int, str]:
    """Reports are ordered by file, position, then code: stable output for diffs and tests."""
    return (d.path, d.row, d.col, d.code, d.end_row, d.end_col, d.message)


def _no_source(path: str) -> str | None:
    return None


def write_report(
    fmt: str,
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    get_source: Callable[[str], str | None] = _no_source,
    rules: Sequence[RuleInfo] = (),
    color: bool = False,
) -> None:
    """Write ``diagnostics`` to ``out`` in format ``fmt`` (one of FORMATS), sorted by sort_key.

    ``get_source`` gives a file's text for the code frames of ``full`` (None: no frame);
    ``rules`` describes the rules for ``sarif``; ``color`` applies to ``full`` and ``concise``.
    """
    ordered = sorted(diagnostics, key=sort_key)
    if fmt == "full":
        from gil_lint.output.full import write_full

        write_full(ordered, out, get_source=get_source, color=color)
    elif fmt == "concise":
        from gil_lint.output.concise import write_concise

        write_concise(ordered, out, color=color)
    elif fmt == "json":
        from gil_lint.output.json_format import write_json

        write_json(ordered, out)
    elif fmt == "json-lines":
        from gil_lint.output.json_lines import write_json_lines

        write_json_lines(ordered, out)
    elif fmt == "sarif":
        from gil_lint.output.sarif import write_sarif

        write_sarif(ordered, out, rules=rules)
    elif fmt == "github":
        from gil_lint.output.github import write_github

        write_github(ordered, out)
    elif fmt == "junit":
        from gil_lint.output.junit import write_junit

        write_junit(ordered, out)
    else:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")


def write_statistics(diagnostics: Sequence[Diagnostic], out: TextIO, *, fmt: str) -> None:
    """``--statistics``: count per code, most frequent first, like ``ruff --statistics``.

    ``fixable`` counts findings with a safe fix (what `--fix` alone would fix). A JSON list of
    ``{code, name, count, fixable}`` when ``fmt`` is ``json``, else a tab-separated table.
    """
    counts = Counter(d.code for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if has_safe_fix(d))
    names: dict[str, str] = {}
    for d in diagnostics:
        names.setdefault(d.code, d.name)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if fmt == "json":
        data = [{"code": c, "name": names[c], "count": n, "fixable": fixable[c]} for c, n in rows]
        out.write(json.dumps(data, indent=2, ensure_ascii=True) + "\n")
        return
    count_width = max((len(str(n)) for _, n in rows), default=1)
    code_width = max((len(c) for c, _ in rows), default=1)
    any_fixable = bool(fixable)
    for code, n in rows:
        mark = ("[*] " if fixable[code] else "[ ] ") if any_fixable else ""
        out.write(f"{n:>{count_width}}\t{code:<{code_width}}\t{mark}{names[code]}\n")


def summary(
    diagnostics: Sequence[Diagnostic],
    *,
    fixed: int = 0,
    unsafe_available: int = 0,
    color: bool = False,
) -> str:
    """The closing lines of a text report, worded like ruff's.

    ``diagnostics`` are what remains; ``fixed`` how many ``--fix`` fixed. ``unsafe_available``
    is the number of unsafe fixes not applied; 0 means count them in ``diagnostics``.
    """
    remaining = len(diagnostics)
    if remaining == 0 and fixed == 0:
        return paint("All checks passed!", "green bold", color)
    total = remaining + fixed
    noun = "error" if total == 1 else "errors"
    if fixed:
        lines = [f"Found {total} {noun} ({fixed} fixed, {remaining} remaining)."]
    else:
        lines = [f"Found {total} {noun}."]
    safe = sum(1 for d in diagnostics if has_safe_fix(d))
    unsafe = unsafe_available or sum(
        1
        for d in diagnostics
        if d.fix is not None and d.fix.applicability == "unsafe" and d.fix.edits
    )
    hidden = (
        f"{unsafe} hidden {'fix' if unsafe == 1 else 'fixes'} can be enabled with the "
        "`--unsafe-fixes` option"
    )
    if safe:
        line = f"{paint('[*]', 'cyan', color)} {safe} fixable with the `--fix` option"
        lines.append(f"{line} ({hidden})." if unsafe else f"{line}.")
    elif unsafe:
        lines.append(f"No fixes available ({hidden}).")
    return "\n".join(lines)
