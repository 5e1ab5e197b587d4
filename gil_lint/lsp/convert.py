"""Positions: gil-lint's 1-based code-point columns ↔ LSP's 0-based columns.

LSP columns count code units of the position encoding negotiated at ``initialize``:
UTF-16 unless the client offers another (pygls picks the client's first preference,
e.g. UTF-8 for Neovim 0.11, UTF-32 for Emacs 29). Lines end only at ``\\r\\n``, ``\\r`` or
``\\n`` (not at ``\\f`` or ``\\u2028`` as ``str.splitlines`` would have it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

from gil_lint.diagnostics import Edit

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lines_with_ends(source: str) -> list[str]:
    """The document's lines as LSP counts them, each with its line ending."""
    return _LINE.findall(source)


def _line(lines: Sequence[str], row: int) -> str:
    if 1 <= row <= len(lines):
        return lines[row - 1].rstrip("\r\n")
    return ""


def units(text: str, encoding: str = UTF16) -> int:
    """Length of ``text`` in code units of ``encoding``."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", errors="surrogatepass"))
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def _char_units(ch: str, encoding: str) -> int:
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        return len(ch.encode("utf-8", errors="surrogatepass"))
    return 2 if ord(ch) > 0xFFFF else 1


def to_lsp_position(
    lines: Sequence[str], row: int, col: int, encoding: str = UTF16
) -> types.Position:
    if row > len(lines):  # end of document
        if not lines:
            return types.Position(0, 0)
        last = lines[-1]
        if last.endswith(("\n", "\r")):
            return types.Position(len(lines), 0)
        return types.Position(len(lines) - 1, units(last, encoding))
    text = _line(lines, row)
    return types.Position(max(row - 1, 0), units(text[: max(col - 1, 0)], encoding))


def to_lsp_range(
    lines: Sequence[str], row: int, col: int, end_row: int, end_col: int, encoding: str = UTF16
) -> types.Range:
    return types.Range(
        to_lsp_position(lines, row, col, encoding),
        to_lsp_position(lines, end_row, end_col, encoding),
    )


def from_lsp_position(
    lines: Sequence[str], pos: types.Position, encoding: str = UTF16
) -> tuple[int, int]:
    """LSP position → (row, col) 1-based code points; out-of-range positions are clamped."""
    row = min(max(pos.line, 0), max(len(lines) - 1, 0)) + 1
    text = _line(lines, row)
    used = 0
    for i, ch in enumerate(text):
        if used >= pos.character:
            return row, i + 1
        used += _char_units(ch, encoding)
    return row, len(text) + 1


def to_lsp_text_edit(lines: Sequence[str], e: Edit, encoding: str = UTF16) -> types.TextEdit:
    return types.TextEdit(
        range=to_lsp_range(lines, e.row, e.col, e.end_row, e.end_col, encoding),
        new_text=e.content,
    )
