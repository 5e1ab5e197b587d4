"""Whole-file cases: every ``# error: CODE`` marker is found on its line, nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source

EVAL_DIR = Path(__file__).parent / "eval_files"
MARKER = re.compile(r"#\s*error:\s*(GIL\d{3}(?:\s*,\s*GIL\d{3})*)")


def expected_findings(text: str) -> set[tuple[int, str]]:
    out = set()
    for row, line in enumerate(text.splitlines(), start=1):
        m = MARKER.search(line)
        if m:
            out.update((row, c.strip()) for c in m.group(1).split(","))
    return out


def reported_sites(diagnostics) -> set[tuple[int, str]]:
    """Where each finding is, and the places joined to it as evidence: the other call sites
    of a root cause reported once per module ("also reached from ...") and the other blocking
    calls of one coroutine ("also `...`"): every place a marker names."""
    found = set()
    for d in diagnostics:
        found.add((d.row, d.code))
        found.update((e.row, d.code) for e in d.evidence if e.message.startswith("also "))
    return found


@pytest.mark.parametrize("path", sorted(EVAL_DIR.glob("*.py")), ids=lambda p: p.name)
def test_eval_file(path: Path):
    text = path.read_text(encoding="utf-8")
    # the project's own test packages set this through conftest-free settings
    # every rule, the opt-in ones too (GIL208): the markers label them all; these files are
    # under tests/, but they stand for application code (no test-code-ignore)
    settings = Settings(select=("ALL",), target_gil="enabled", test_code_ignore=())
    diagnostics = lint_source(text, str(path), settings)
    found = reported_sites(diagnostics)
    expected = expected_findings(text)
    missing = sorted(expected - found)
    extra = sorted(found - expected)
    details = "\n".join(f"  {d.row}:{d.col} {d.code} {d.message}" for d in diagnostics)
    assert not missing and not extra, f"missing={missing} extra={extra}\nfound:\n{details}"
