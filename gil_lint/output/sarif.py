"""SARIF 2.1.0 for code-scanning services (GitHub code scanning, Azure DevOps, IDE viewers).

The tests validate this output against the official OASIS schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from gil_lint import __version__
from gil_lint.diagnostics import INTERNAL_ERROR, Diagnostic, Evidence
from gil_lint.output.style import one_line

if TYPE_CHECKING:
    from gil_lint.output import RuleInfo

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/gil-lint/gil-lint"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:/")


def build(diagnostics: Sequence[Diagnostic], rules: Sequence[RuleInfo] = ()) -> dict[str, Any]:
    """The SARIF log as a dict: one run, the rules it knows, one result per finding."""
    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule in rules:
        if rule.code not in index:
            index[rule.code] = len(descriptors)
            descriptors.append(_descriptor(rule))
    for d in diagnostics:  # codes the caller did not describe (engine codes, or no rules given)
        if d.code not in index:
            index[d.code] = len(descriptors)
            descriptors.append(_minimal_descriptor(d))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gil-lint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        # Our columns count code points; SARIF's default would be UTF-16 code units.
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {"executionSuccessful": not any(d.code == INTERNAL_ERROR for d in diagnostics)}
        ],
        "results": [_result(d, index[d.code]) for d in diagnostics],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def write_sarif(
    diagnostics: Sequence[Diagnostic], out: TextIO, *, rules: Sequence[RuleInfo] = ()
) -> None:
    """ASCII-only JSON, like the ``json`` format, so any stdout encoding can carry it."""
    out.write(json.dumps(build(diagnostics, rules), indent=2, ensure_ascii=True) + "\n")


def artifact_location(path: str) -> dict[str, str]:
    """A relative path stays relative to ``%SRCROOT%``; an absolute one becomes a file URI.

    Percent-encoded, because a URI cannot hold a space or a raw ``%``/``#``; an undecodable
    byte of a file name (a lone surrogate here) is encoded as that byte.
    """
    p = path.replace("\\", "/")
    if _WINDOWS_DRIVE.match(p):
        return {"uri": "file:///" + _quote(p, safe="/:")}
    if p.startswith("/"):
        return {"uri": "file://" + _quote(p)}
    while p.startswith("./"):
        p = p[2:]
    return {"uri": _quote(p), "uriBaseId": SRCROOT}


def _quote(p: str, safe: str = "/") -> str:
    return quote(p, safe=safe, encoding="utf-8", errors="surrogateescape")


def region(row: int, col: int, end_row: int, end_col: int) -> dict[str, int]:
    """A text region; end exclusive, as SARIF's ``endColumn`` is. Kept within the schema's
    bounds (1-based, end not before start) even if an engine position is off."""
    row, col = max(row, 1), max(col, 1)
    end_row = max(end_row, row)
    end_col = max(end_col, col) if end_row == row else max(end_col, 1)
    return {"startLine": row, "startColumn": col, "endLine": end_row, "endColumn": end_col}


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    full = rule.full_description or rule.short_description or rule.name
    entry: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": one_line(rule.short_description or rule.name)},
        "fullDescription": {"text": full, "markdown": full},
        # what GitHub code scanning shows as the rule's help
        "help": {"text": full, "markdown": full},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
    }
    if rule.url:
        entry["helpUri"] = rule.url
    return entry


def _minimal_descriptor(d: Diagnostic) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": d.code,
        "name": d.name,
        "shortDescription": {"text": d.name or d.code},
        "defaultConfiguration": {"level": LEVELS.get(d.severity, "warning")},
    }
    if d.url:
        entry["helpUri"] = d.url
    return entry


def _location(path: str, reg: dict[str, int]) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": artifact_location(path), "region": reg}}


def _related(i: int, e: Evidence) -> dict[str, Any]:
    loc = _location(e.path, {"startLine": max(e.row, 1), "startColumn": max(e.col, 1)})
    return {"id": i, "message": {"text": e.message}, **loc}


def _result(d: Diagnostic, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": LEVELS.get(d.severity, "warning"),
        "message": {"text": d.message},
        "locations": [_location(d.path, region(d.row, d.col, d.end_row, d.end_col))],
    }
    if d.evidence:
        result["relatedLocations"] = [_related(i, e) for i, e in enumerate(d.evidence)]
    if d.fix is not None and d.fix.edits:  # the schema needs at least one replacement
        result["fixes"] = [
            {
                "description": {"text": d.fix.message},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact_location(d.path),
                        "replacements": [
                            {
                                "deletedRegion": region(e.row, e.col, e.end_row, e.end_col),
                                "insertedContent": {"text": e.content},
                            }
                            for e in d.fix.edits
                        ],
                    }
                ],
                "properties": {"applicability": d.fix.applicability},
            }
        ]
    return result
