"""The engine: one API (``lint_source``, ``lint_paths``) for the CLI, the server and tests."""

from __future__ import annotations

from typing import Any

__all__ = ["lint_source"]


def __getattr__(name: str) -> Any:
    # lazy, so that rules can import engine.context without a cycle
    if name == "lint_source":
        from gil_lint.engine.lint import lint_source

        return lint_source
    raise AttributeError(name)
