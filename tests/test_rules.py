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
SETTINGS = Settings(select=("ALL",), target_gil="enabled")


def _cases(kind: str):
    for rule in RULES:
        for i, example in enumerate(getattr(rule, kind)):
            code = example.code if isinstance(example, Example) else example
            yield pytest.param(rule, code, id=f"{rule.CODE}-{kind.lower()}-{i}")


@pytest.mark.parametrize(("rule", "code"), list(_cases("VALID")))
def test_valid_examples_are_silent(rule, code):
    found = [d for d in lint_source(code, "example.py", SETTINGS) if d.code == rule.CODE]
    assert found == [], f"{rule.CODE} fired on a VALID example:\n{code}"


@pytest.mark.parametrize(("rule", "code"), list(_cases("INVALID")))
def test_invalid_examples_are_reported_once(rule, code):
    found = lint_source(code, "example.py", SETTINGS)
    mine = [d for d in found if d.code == rule.CODE]
    assert len(mine) == 1, f"{rule.CODE}: expected one finding, got {found}\n{code}"
    assert not [d for d in found if d.code.startswith("GIL00")], found


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
