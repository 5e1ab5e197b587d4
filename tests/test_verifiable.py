"""Which findings `gil-lint verify` can measure is said once, by ``Rule.VERIFY``: the
verifier accepts exactly those codes and the server offers "verify" on exactly those."""

from __future__ import annotations

import pytest

from gil_lint.diagnostics import FILE_ERROR, INTERNAL_ERROR, SYNTAX_ERROR
from gil_lint.lsp.server import verifiable
from gil_lint.rules import all_rules
from gil_lint.verify import VerifyError
from gil_lint.verify.target import resolve_target, verifiable_findings

ALL_CODES = [r.CODE for r in all_rules()] + [SYNTAX_ERROR, FILE_ERROR, INTERNAL_ERROR]


def test_the_verifiable_rules():
    assert verifiable_findings() == {
        "GIL101": "submission",
        "GIL303": "submission",
        **{f"GIL20{n}": "coroutine" for n in range(1, 10)},  # GIL208, GIL209: stalls too
    }


@pytest.mark.parametrize("code", ALL_CODES)
def test_verify_accepts_exactly_the_verifiable_codes(tmp_path, code):
    target = tmp_path / "m.py"
    target.write_text("import time\n\nasync def main():\n    time.sleep(0)\n")
    try:
        resolve_target(str(target), finding=code, line=4)
    except VerifyError as e:
        accepted = "verify checks" not in str(e)
    else:
        accepted = True
    assert accepted == (code in verifiable_findings())
    assert verifiable(code) == (code in verifiable_findings())
