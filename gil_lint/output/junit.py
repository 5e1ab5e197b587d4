"""JUnit XML for CI systems that read test reports: one test case per file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import groupby
from typing import TextIO

from gil_lint.diagnostics import Diagnostic


def write_junit(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    suites = ET.Element("testsuites", name="gil-lint")
    suite = ET.SubElement(
        suites, "testsuite", name="gil-lint", tests="0", failures=str(len(diagnostics)), errors="0"
    )
    cases = 0
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        cases += 1
        case = ET.SubElement(suite, "testcase", name=path, classname="gil-lint")
        for d in group:
            failure = ET.SubElement(
                case, "failure", message=f"{d.code} {d.message}", type=d.code
            )
            failure.text = f"{d.path}:{d.row}:{d.col}: {d.code} {d.message}"
    if cases == 0:
        ET.SubElement(suite, "testcase", name="gil-lint", classname="gil-lint")
        cases = 1
    suite.set("tests", str(cases))
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode") + "\n")
