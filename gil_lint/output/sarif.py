"""SARIF 2.1.0 (validated against the official schema in the tests)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from gil_lint import __version__
from gil_lint.diagnostics import Diagnostic

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _region(row: int, col: int, end_row: int, end_col: int) -> dict[str, int]:
    return {
        "startLine": row,
        "startColumn": col,
        "endLine": end_row,
        "endColumn": max(end_col, col) if end_row == row else end_col,
    }


def _uri(path: str) -> str:
    return path.replace("\\", "/")


def write_sarif(diagnostics: Sequence[Diagnostic], out: TextIO, *, rules: Sequence[Any]) -> None:
    rule_entries: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for r in rules:
        index[r.code] = len(rule_entries)
        rule_entries.append(
            {
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.short_description or r.name},
                "fullDescription": {"text": r.full_description or r.name},
                **({"helpUri": r.url} if r.url else {}),
                "defaultConfiguration": {"level": _LEVELS.get(r.severity, "warning")},
            }
        )
    for d in diagnostics:
        if d.code not in index:
            index[d.code] = len(rule_entries)
            rule_entries.append(
                {
                    "id": d.code,
                    "name": d.name,
                    "shortDescription": {"text": d.name},
                    **({"helpUri": d.url} if d.url else {}),
                    "defaultConfiguration": {"level": _LEVELS[d.severity]},
                }
            )
    results = [_result(d, index[d.code]) for d in diagnostics]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "gil-lint",
                        "version": __version__,
                        "informationUri": "https://github.com/gil-lint/gil-lint",
                        "rules": rule_entries,
                    }
                },
                "results": results,
            }
        ],
    }
    out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _location(path: str, region: dict[str, int]) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"},
            "region": region,
        }
    }


def _result(d: Diagnostic, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[d.severity],
        "message": {"text": d.message},
        "locations": [_location(d.path, _region(d.row, d.col, d.end_row, d.end_col))],
    }
    if d.evidence:
        result["relatedLocations"] = [
            {
                "id": i,
                "message": {"text": e.message},
                **_location(e.path, {"startLine": e.row, "startColumn": e.col}),
            }
            for i, e in enumerate(d.evidence)
        ]
    if d.fix is not None:
        result["fixes"] = [
            {
                "description": {"text": d.fix.message},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": _uri(d.path), "uriBaseId": "%SRCROOT%"},
                        "replacements": [
                            {
                                "deletedRegion": _region(e.row, e.col, e.end_row, e.end_col),
                                "insertedContent": {"text": e.content},
                            }
                            for e in d.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result
