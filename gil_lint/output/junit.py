"""JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure): the run is one test
suite, each file with findings is a failing test case with one ``<failure>`` per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TextIO

from gil_lint.diagnostics import Diagnostic
from gil_lint.output.style import one_line, xml_safe

SUITE = "gil-lint"


def build(diagnostics: Sequence[Diagnostic]) -> ET.Element:
    """The ``<testsuites>`` tree, one test case per file in the order first seen.

    ``failures`` counts failing test cases (files), so that ``tests - failures`` is the number
    that passed, as report viewers compute it.
    """
    root = ET.Element("testsuites", name=SUITE)
    suite = ET.SubElement(root, "testsuite", name=SUITE)
    by_file: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_file.setdefault(d.path, []).append(d)
    failing = len(by_file)
    for path, group in by_file.items():
        case = ET.SubElement(
            suite, "testcase", name=xml_safe(path), classname=SUITE, file=xml_safe(path)
        )
        for d in group:
            failure = ET.SubElement(
                case,
                "failure",
                message=xml_safe(f"{d.row}:{d.col}: {d.code} {one_line(d.message)}"),
                type=d.code,
            )
            failure.text = xml_safe(_details(d))
    if failing == 0:  # a clean run still reports one passing test, so the gate shows as run
        ET.SubElement(suite, "testcase", name="no findings", classname=SUITE)
    cases = max(failing, 1)
    for element in (root, suite):
        element.set("tests", str(cases))
        element.set("failures", str(failing))
        element.set("errors", "0")
    suite.set("skipped", "0")
    return root


def _details(d: Diagnostic) -> str:
    lines = [f"{d.path}:{d.row}:{d.col}: {d.code} ({d.name}) {d.message}"]
    if d.fix is not None and d.fix.edits:
        lines.append(f"help: {d.fix.message} ({d.fix.applicability} fix)")
    lines += [f"note: {e.path}:{e.row}:{e.col}: {e.message}" for e in d.evidence]
    if d.url:
        lines.append(d.url)
    return "\n".join(lines)


def write_junit(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    """ASCII with character references: valid whatever the stream's encoding."""
    root = build(diagnostics)
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="us-ascii").decode("ascii") + "\n")
