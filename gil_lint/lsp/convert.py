"""Positions: gil-lint's 1-based code-point columns ↔ LSP's 0-based UTF-16 offsets."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from gil_lint.diagnostics import Edit


def _line(lines: Sequence[str], row: int) -> str:
    if 1 <= row <= len(lines):
        return lines[row - 1].rstrip("\r\n")
    return ""


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_lsp_position(lines: Sequence[str], row: int, col: int) -> types.Position:
    if row > len(lines):  # end of document
        last = _line(lines, len(lines))
        return (
            types.Position(max(len(lines) - 1, 0), _utf16(last)) if lines else types.Position(0, 0)
        )
    text = _line(lines, row)
    return types.Position(row - 1, _utf16(text[: max(col - 1, 0)]))


def to_lsp_range(
    lines: Sequence[str], row: int, col: int, end_row: int, end_col: int
) -> types.Range:
    return types.Range(to_lsp_position(lines, row, col), to_lsp_position(lines, end_row, end_col))


def from_lsp_position(lines: Sequence[str], pos: types.Position) -> tuple[int, int]:
    """LSP position → (row, col) 1-based code points; out-of-range positions are clamped."""
    row = min(max(pos.line, 0), max(len(lines) - 1, 0)) + 1
    text = _line(lines, row)
    units = 0
    for i, ch in enumerate(text):
        if units >= pos.character:
            return row, i + 1
        units += 2 if ord(ch) > 0xFFFF else 1
    return row, len(text) + 1


def to_lsp_text_edit(lines: Sequence[str], e: Edit) -> types.TextEdit:
    if e.row > len(lines) and lines:
        # "end of the document": after the last line's text and newline
        last = lines[-1]
        start = types.Position(len(lines) - 1, _utf16(last.rstrip("\r\n")))
        if last.endswith(("\n", "\r")):
            start = types.Position(len(lines), 0)
    else:
        start = to_lsp_position(lines, e.row, e.col)
    if e.end_row > len(lines) and lines:
        last = lines[-1]
        end = (
            types.Position(len(lines), 0)
            if last.endswith(("\n", "\r"))
            else types.Position(len(lines) - 1, _utf16(last))
        )
    else:
        end = to_lsp_position(lines, e.end_row, e.end_col)
    return types.TextEdit(range=types.Range(start, end), new_text=e.content)
