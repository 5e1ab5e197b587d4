"""`gil-lint verify` confirms every GIL101 and GIL206 example of the docs.

The rule pages (`docs/rules/GIL101.md`, `GIL206.md`) show each rule's INVALID examples:
each one, saved as a module, is linted, and the verifier runs the finding it reports and
must call it confirmed (threads no faster than one after another, processes faster; or the
event loop stalled). Most examples give the verifier its call on the finding's line; for
those that cannot (the work is fed by a caller's data, a `Thread` subclass, a lambda) the
table below names the call to time, the same work with a size chosen here.

Load-sensitive like every verifier test: an "inconclusive" verdict (other processes took
the cores) is retried, a wrong one fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_verify import FAST, measure_parallelism, needs_two_cores

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source
from gil_lint.rules import all_rules
from gil_lint.verify import verify_callable
from gil_lint.verify.target import resolve_target

CODES = ("GIL101", "GIL206")
# (code, a line of the example) -> (function, call) when the finding's line does not say
CALLS: dict[tuple[str, str], tuple[str, str]] = {
    ("GIL101", "return list(ex.map(work, xs))"): ("work", "work(2_000_000)"),
    ("GIL101", "Worker().start()"): ("Worker", "Worker().run()"),
    ("GIL101", "threading.Thread(target=lambda:"): ("main", "sum(i * i for i in range(10**7))"),
    ("GIL206", "return sum(squares(n))"): ("f", "f(4_000)"),
    # 6M additions: a stall well above the verifier's 50 ms floor on a fast machine too
    # (2M measured 50 ms once on an idle one: not confirmed, by a hair)
    ("GIL206", "for i in range(n * 1_000_000):"): ("f", "f(6)"),
}


def _examples() -> list[tuple[str, int, str]]:
    return [
        (rule.CODE, i, example.code)
        for rule in all_rules()
        if rule.CODE in CODES
        for i, example in enumerate(rule.INVALID)
    ]


def _call_for(code: str, source: str) -> tuple[str | None, str | None]:
    for (table_code, line), (function, call) in CALLS.items():
        if table_code == code and line in source:
            return function, call
    return None, None


def test_the_table_names_only_examples_that_exist():
    sources = {(code, source) for code, _, source in _examples()}
    for code, line in CALLS:
        assert any(c == code and line in s for c, s in sources), (code, line)


@pytest.mark.parametrize(
    ("code", "index", "source"), _examples(), ids=[f"{c}-{i}" for c, i, _ in _examples()]
)
def test_the_verifier_knows_what_to_run_for_every_example(
    tmp_path: Path, code: str, index: int, source: str
):
    # load-independent: the call is read off the finding's line, or given by the table
    path = tmp_path / f"example_{code.lower()}_{index}.py"
    path.write_text(source)
    found = lint_source(source, str(path), Settings(target_gil="enabled", select=CODES))
    (row,) = [d.row for d in found if d.code == code]
    function, call = _call_for(code, source)
    target = resolve_target(str(path), function, call, finding=code, line=row)
    assert target.function


@needs_two_cores
@pytest.mark.parametrize(
    ("code", "index", "source"), _examples(), ids=[f"{c}-{i}" for c, i, _ in _examples()]
)
def test_verify_confirms_every_example(tmp_path: Path, code: str, index: int, source: str):
    path = tmp_path / f"example_{code.lower()}_{index}.py"
    path.write_text(source)
    found = lint_source(source, str(path), Settings(target_gil="enabled", select=CODES))
    findings = [d.row for d in found if d.code == code]
    assert len(findings) == 1, [(d.row, d.code) for d in found]
    function, call = _call_for(code, source)
    report = measure_parallelism(
        lambda: verify_callable(
            str(path), function, call, finding=code, line=findings[0], timeout=120, **FAST
        )
    )
    assert report.verdict.status == "confirmed", report.verdict.detail
