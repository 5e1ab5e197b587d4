"""Every rule runs over its own VALID and INVALID examples; the registry is checked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source
from gil_lint.rules import Example, all_rules, rule_by_code

ROOT = Path(__file__).resolve().parent.parent
RULES = all_rules()
SETTINGS = Settings(select=("ALL",), target_gil="enabled", target_version=(3, 11))


def _cases(kind: str):
    for rule in RULES:
        for i, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.CODE}-{kind.lower()}-{i}")


def _underlined(code: str, ranges: list[tuple[int, int, int, int]]) -> str:
    """``code`` with each range marked by carets under it, for failure messages."""
    lines = code.splitlines()
    out = []
    for number, line in enumerate(lines, 1):
        out.append(f"{number:3}| {line}")
        for row, col, end_row, end_col in ranges:
            if row <= number <= end_row:
                start = col if number == row else 1
                end = end_col if number == end_row else len(line) + 1
                out.append("   | " + " " * (start - 1) + "^" * max(1, end - start))
    return "\n".join(out)


@pytest.mark.parametrize(("rule", "code"), list(_cases("VALID")))
def test_valid_examples_are_silent(rule, code):
    found = [d for d in lint_source(code, "example.py", SETTINGS) if d.code == rule.CODE]
    assert found == [], f"{rule.CODE} fired on a VALID example:\n{code}"


@pytest.mark.parametrize(("rule", "example"), list(_cases("INVALID")))
def test_invalid_examples_are_reported_once_at_their_range(rule, example):
    """The range is a contract (editors underline it, JSON and SARIF carry it):
    each INVALID example names it, and the one finding must cover exactly that."""
    assert isinstance(example, Example), (
        f"{rule.CODE}: write INVALID examples as Example(code, at=...), with the range"
    )
    expected = example.span
    found = lint_source(example.code, "example.py", SETTINGS)
    mine = [(d.row, d.col, d.end_row, d.end_col) for d in found if d.code == rule.CODE]
    assert mine == [expected], (
        f"{rule.CODE}: expected one finding at {example.at}, got "
        f"{[f'{r}:{c}-{er}:{ec}' for r, c, er, ec in mine]}\n"
        f"expected:\n{_underlined(example.code, [expected])}\n"
        f"found:\n{_underlined(example.code, mine)}"
    )
    assert not [d for d in found if d.code.startswith("GIL00")], found


def test_an_example_range_must_be_well_formed():
    assert Example("x", at="3:5-3:18").span == (3, 5, 3, 18)
    for bad in ("", "3:5", "3-5", "3:5-3", "3:5-3:18:2", "a:5-3:18"):
        with pytest.raises(ValueError):
            _ = Example("x", at=bad).span


@pytest.mark.parametrize("rule", RULES, ids=[r.CODE for r in RULES])
def test_rule_metadata(rule):
    assert re.fullmatch(r"GIL[1-4]\d\d", rule.CODE)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.NAME)
    assert rule.MESSAGE
    docs = rule.docs()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in docs, f"{rule.CODE} docs lack {heading!r}"
    if rule.FIX:
        assert "## Fix safety" in docs
    assert rule.VALID and rule.INVALID
    assert rule.TRIGGERS, "rules declare the byte strings that make a file worth parsing"
    for example in [*rule.VALID, *rule.INVALID]:
        code = example.code if isinstance(example, Example) else example
        ast.parse(code)


def test_codes_and_names_are_unique():
    codes = [r.CODE for r in RULES]
    names = [r.NAME for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert rule_by_code("gil201") is rule_by_code("blocking-sleep-in-async")


def test_readme_rule_table_is_generated_from_the_registry():
    """The table is `gil-lint rules --output-format markdown`, verbatim."""
    from gil_lint.cli import rules_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = rules_table(all_rules())
    assert table in readme, (
        "README.md's rule table is out of date: replace it with the output of "
        "`gil-lint rules --output-format markdown`"
    )


def test_examples_trigger_the_prescan():
    """An INVALID example must contain one of its rule's TRIGGERS, or the pre-scan hides it."""
    for rule in RULES:
        for example in rule.INVALID:
            code = example.code if isinstance(example, Example) else example
            assert any(t in code.encode() for t in rule.TRIGGERS), (rule.CODE, code)


def test_an_engine_bug_becomes_an_internal_error_for_that_file(monkeypatch):
    """Outside any one rule (scope building, the walker), a crash must not escape
    lint_source: the file gets GIL003 and the run goes on."""
    from gil_lint.engine import lint as lint_module

    def broken(self, tree):
        raise KeyError("boom")

    monkeypatch.setattr(lint_module.ScopeBuilder, "build", broken)
    diags = lint_module.lint_source("import time\nasync def f():\n    time.sleep(1)\n", "m.py")
    assert [d.code for d in diags] == ["GIL003"]
    assert "KeyError" in diags[0].message and "please report it" in diags[0].message
