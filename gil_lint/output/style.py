"""Text helpers shared by the formatters and the verifier's report: ANSI colour only when
asked (``use_color`` decides for a stream), and text made safe.

Findings quote user data (paths, source lines, messages). That data can hold an ESC that
would drive the terminal, or a lone surrogate (an undecodable byte in a file name) that a
strict output stream refuses to encode, so it is cleaned before it is printed.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

_CODES = {
    "bold": "1",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "cyan": "36",
}

# C0 controls except tab and newline, DEL, C1 controls, lone surrogates.
_UNPRINTABLE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]"
_SURROGATES = "[\ud800-\udfff]"
# Characters XML 1.0 forbids even as character references, plus lone surrogates.
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
# The three patterns above are compiled on first use, and only for text that may hold what
# they match: the first pattern with characters past Latin-1 costs 4 ms to compile, more
# than the rest of a warm run's report. Printable ASCII holds none of them.
_LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n)\s*")

REPLACEMENT = "\ufffd"


def use_color(stream: TextIO) -> bool:
    """Colour for a terminal only, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def paint(text: str, style: str, color: bool) -> str:
    """Wrap ``text`` in an ANSI style (``"bold red"``); a no-op unless colour was asked for."""
    if not color or not style:
        return text
    return f"\x1b[{';'.join(_CODES[s] for s in style.split())}m{text}\x1b[0m"


def printable(text: str) -> str:
    """Replace control characters and lone surrogates for a terminal, one for one.

    One for one, so that columns counted in code points still line up.
    """
    if text.isascii() and text.isprintable():
        return text
    return re.sub(_UNPRINTABLE, REPLACEMENT, text)


def encodable(text: str) -> str:
    """Replace lone surrogates, which no strict UTF-8 stream can write."""
    if text.isascii():
        return text
    return re.sub(_SURROGATES, REPLACEMENT, text)


def xml_safe(text: str) -> str:
    """Replace what XML 1.0 cannot carry; ElementTree would write it raw and break the file."""
    if text.isascii() and text.isprintable():
        return text
    return re.sub(_NOT_XML, REPLACEMENT, text)


def one_line(text: str) -> str:
    """Join a multi-line message into one line, for formats that are one finding per line."""
    return _LINE_BREAKS.sub(" ", text.strip())
