"""The values the engine produces: diagnostics, fixes and their edits.

Rows are 1-based; columns are 1-based counts of Unicode code points (ruff's
JSON convention). End positions are exclusive. Front ends convert as needed
(the LSP server to 0-based UTF-16 offsets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Applicability = Literal["safe", "unsafe"]
Severity = Literal["error", "warning", "info"]

# Each rule's page: docs/rules/GILNNN.md, generated from the registry by tools/rule_pages.py.
URL_BASE = "https://github.com/gil-lint/gil-lint/blob/main/docs/rules/"


def rule_url(code: str) -> str:
    """The documentation page of the rule ``code`` (every front end links here)."""
    return f"{URL_BASE}{code}.md"


# Engine diagnostics: not rules, but reported like them so every front end shows them.
SYNTAX_ERROR = "GIL001"
FILE_ERROR = "GIL002"
INTERNAL_ERROR = "GIL003"


@dataclass(frozen=True)
class Edit:
    """Replace the text between (row, col) and (end_row, end_col) with ``content``."""

    row: int
    col: int
    end_row: int
    end_col: int
    content: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "location": {"row": self.row, "column": self.col},
            "end_location": {"row": self.end_row, "column": self.end_col},
        }


@dataclass(frozen=True)
class Fix:
    message: str
    applicability: Applicability
    edits: tuple[Edit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [e.to_dict() for e in self.edits],
        }


@dataclass(frozen=True)
class Evidence:
    """One link of a chain of reasons: what was seen where."""

    message: str
    path: str
    row: int
    col: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "filename": self.path,
            "location": {"row": self.row, "column": self.col},
        }


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    path: str
    row: int
    col: int
    end_row: int
    end_col: int
    severity: Severity = "warning"
    fix: Fix | None = None
    evidence: tuple[Evidence, ...] = field(default=())

    @property
    def url(self) -> str | None:
        if self.code in (SYNTAX_ERROR, FILE_ERROR, INTERNAL_ERROR):
            return None
        return rule_url(self.code)

    @property
    def is_internal_error(self) -> bool:
        return self.code == INTERNAL_ERROR

    def to_dict(self) -> dict[str, Any]:
        """The ruff-compatible JSON object (plus ``name``, ``severity`` and ``evidence``)."""
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "filename": self.path,
            "location": {"row": self.row, "column": self.col},
            "end_location": {"row": self.end_row, "column": self.end_col},
            "fix": self.fix.to_dict() if self.fix else None,
            "url": self.url,
            "severity": self.severity,
            "noqa_row": self.row,
            "evidence": [e.to_dict() for e in self.evidence],
        }


def diagnostic_from_dict(d: dict[str, Any]) -> Diagnostic:
    """Inverse of :meth:`Diagnostic.to_dict` (for the cache and baselines)."""
    fix = d.get("fix")
    return Diagnostic(
        code=d["code"],
        name=d["name"],
        message=d["message"],
        path=d["filename"],
        row=d["location"]["row"],
        col=d["location"]["column"],
        end_row=d["end_location"]["row"],
        end_col=d["end_location"]["column"],
        severity=d.get("severity", "warning"),
        fix=Fix(
            message=fix["message"],
            applicability=fix["applicability"],
            edits=tuple(
                Edit(
                    e["location"]["row"],
                    e["location"]["column"],
                    e["end_location"]["row"],
                    e["end_location"]["column"],
                    e["content"],
                )
                for e in fix["edits"]
            ),
        )
        if fix
        else None,
        evidence=tuple(
            Evidence(e["message"], e["filename"], e["location"]["row"], e["location"]["column"])
            for e in d.get("evidence", ())
        ),
    )
