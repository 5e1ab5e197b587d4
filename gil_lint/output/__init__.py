"""Formatters: diagnostics → text for people (full, concise), tools (json, json-lines, sarif,
junit) and CI annotations (github). One module per format; this module dispatches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from gil_lint.diagnostics import Diagnostic

FORMATS: tuple[str, ...] = ("full", "concise", "json", "json-lines", "sarif", "github", "junit")


@dataclass(frozen=True)
class RuleInfo:
    """What SARIF's ``tool.driver.rules`` needs to know about a rule."""

    code: str
    name: str
    short_description: str
    full_description: str
    url: str | None
    severity: str = "warning"


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.row, d.col, d.code)


def write_report(
    fmt: str,
    diagnostics: Sequence[Diagnostic],
    out: TextIO,
    *,
    get_source: Callable[[str], str | None] = lambda p: None,
    rules: Sequence[RuleInfo] = (),
    color: bool = False,
) -> None:
    diagnostics = sorted(diagnostics, key=sort_key)
    if fmt == "full":
        from gil_lint.output.full import write_full

        write_full(diagnostics, out, get_source=get_source, color=color)
    elif fmt == "concise":
        from gil_lint.output.concise import write_concise

        write_concise(diagnostics, out, color=color)
    elif fmt == "json":
        from gil_lint.output.json_format import write_json

        write_json(diagnostics, out)
    elif fmt == "json-lines":
        from gil_lint.output.json_lines import write_json_lines

        write_json_lines(diagnostics, out)
    elif fmt == "sarif":
        from gil_lint.output.sarif import write_sarif

        write_sarif(diagnostics, out, rules=rules)
    elif fmt == "github":
        from gil_lint.output.github import write_github

        write_github(diagnostics, out)
    elif fmt == "junit":
        from gil_lint.output.junit import write_junit

        write_junit(diagnostics, out)
    else:
        raise ValueError(f"unknown output format {fmt!r}")


def write_statistics(diagnostics: Sequence[Diagnostic], out: TextIO, *, fmt: str) -> None:
    """Per-code counts, most frequent first (like ``ruff --statistics``)."""
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = Counter(d.code for d in diagnostics if d.fix is not None)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if fmt == "json":
        import json

        data = [
            {"code": c, "name": names[c], "count": n, "fixable": fixable[c]} for c, n in rows
        ]
        out.write(json.dumps(data, indent=2) + "\n")
        return
    width = max((len(str(n)) for _, n in rows), default=1)
    for code, n in rows:
        mark = "[*]" if fixable[code] else "   "
        out.write(f"{n:>{width}}\t{code}\t{mark} {names[code]}\n")


def summary(
    diagnostics: Sequence[Diagnostic],
    *,
    fixed: int = 0,
    unsafe_available: int = 0,
    color: bool = False,
) -> str:
    remaining = len(diagnostics)
    if remaining == 0 and fixed == 0:
        return "All checks passed!"
    noun = "error" if remaining + fixed == 1 else "errors"
    if fixed:
        head = f"Found {remaining + fixed} {noun} ({fixed} fixed, {remaining} remaining)."
    else:
        head = f"Found {remaining} {noun}."
    safe = sum(1 for d in diagnostics if d.fix is not None and d.fix.applicability == "safe")
    unsafe = unsafe_available or sum(
        1 for d in diagnostics if d.fix is not None and d.fix.applicability == "unsafe"
    )
    lines = [head]
    if safe:
        line = f"[*] {safe} fixable with the `--fix` option"
        if unsafe:
            line += f" ({unsafe} hidden {'fix' if unsafe == 1 else 'fixes'} can be enabled with the `--unsafe-fixes` option)"
        lines.append(line + ".")
    elif unsafe:
        lines.append(
            f"No fixes available ({unsafe} hidden {'fix' if unsafe == 1 else 'fixes'} can be "
            "enabled with the `--unsafe-fixes` option)."
        )
    return "\n".join(lines)
