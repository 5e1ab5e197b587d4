"""ANSI styling, only when the CLI says colour is wanted."""

from __future__ import annotations

_CODES = {"bold": "1", "red": "31", "cyan": "36", "blue": "34", "dim": "2", "yellow": "33"}


def paint(text: str, style: str, color: bool) -> str:
    if not color:
        return text
    return f"\x1b[{_CODES[style]}m{text}\x1b[0m"
