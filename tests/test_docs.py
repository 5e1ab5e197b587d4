"""docs/rules/ is generated from the rule registry and every diagnostic links to a page that
exists; the README promises nothing the checkout does not hold."""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType

from conftest import ROOT

from gil_lint.diagnostics import Diagnostic, rule_url
from gil_lint.rules import Example, all_rules


def _rule_pages() -> ModuleType:
    path = ROOT / "tools" / "rule_pages.py"
    spec = importlib.util.spec_from_file_location("rule_pages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("rule_pages", module)
    spec.loader.exec_module(module)
    return module


def test_rule_pages_are_generated_from_the_registry():
    rule_pages = _rule_pages()
    stale = rule_pages.stale_pages(rule_pages.render_pages())
    assert stale == [], (
        f"docs/rules/ is out of date ({', '.join(stale)}): run `{rule_pages.COMMAND}`"
    )


def test_every_rule_url_is_a_committed_page():
    for rule in all_rules():
        url = rule_url(rule.CODE)
        assert url == f"https://github.com/gil-lint/gil-lint/blob/main/docs/rules/{rule.CODE}.md"
        assert (ROOT / "docs" / "rules" / f"{rule.CODE}.md").is_file(), url
        d = Diagnostic(rule.CODE, rule.NAME, "m", "f.py", 1, 1, 1, 2)
        assert d.url == url


def test_engine_diagnostics_have_no_url():
    for code in ("GIL001", "GIL002", "GIL003"):
        assert Diagnostic(code, "engine", "m", "f.py", 1, 1, 1, 2).url is None


def test_page_renders_each_example_with_its_fix():
    rule_pages = _rule_pages()
    rule = next(r for r in all_rules() if r.CODE == "GIL201")
    page = rule_pages.rule_page(rule)
    assert page.startswith(rule_pages.GENERATED + "\n\n# GIL201: blocking-sleep-in-async\n")
    assert rule.docs() in page
    for example in rule.INVALID:
        source = example if isinstance(example, str) else example.code
        assert source.rstrip() in page
        if isinstance(example, Example) and example.fixed:
            assert example.fixed.rstrip() in page
    for source in rule.VALID:
        assert source.rstrip() in page


def test_examples_tolerate_extra_fields():
    """An Example with more fields (e.g. the expected range) renders the same code and fix."""
    from dataclasses import dataclass

    rule_pages = _rule_pages()

    @dataclass(frozen=True)
    class Ranged:
        code: str
        fixed: str | None = None
        unsafe: bool = True
        range: tuple[int, int, int, int] = (1, 1, 1, 2)

    assert rule_pages._example(Ranged("a()\n", "b()\n")) == ("a()\n", "b()\n", True)
    assert rule_pages._example("x\n") == ("x\n", None, False)


def test_code_fences_survive_backticks_in_a_snippet():
    block = _rule_pages()._code_block('s = """```"""\n')
    assert block.startswith("````python\n") and block.endswith("\n````")


def test_readme_promises_only_what_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "readthedocs" not in readme
    assert not re.search(r"""pip install ['"]?gil-lint\b""", readme), "gil-lint is not on PyPI"
    links = re.findall(r"\]\((?![a-z]+:)([^)#]+)", readme)  # relative links
    assert "docs/rules/README.md" in links and "docs/architecture.md" in links
    for link in links:
        assert (ROOT / link).exists(), f"README links to missing {link}"
