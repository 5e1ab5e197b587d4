"""Text and file primitives every layer shares: Python's line breaks, ``# noqa``, atomic writes.

Python ends a line at ``\\r\\n``, ``\\r`` or ``\\n`` only — not at ``\\f``, ``\\x1c`` or
U+2028 as ``str.splitlines`` would — so reported rows and the lines shown, suppressed or
edited always agree with the parser's.
"""

from __future__ import annotations

import os
import re

LINE_END = re.compile(r"\r\n|\r|\n")

# A line's noqa comment, bare or with codes (GIL201, GIL202); the file-wide gil-lint form.
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
# a type checker's ignore comment naming codes: `# type: ignore[unused-coroutine]`,
# `# pyright: ignore[reportUnusedCoroutine]` (peers.toml maps the ones that mean a GIL rule)
TYPE_IGNORE = re.compile(r"#\s*(?:type|pyright):\s*ignore\[(?P<codes>[^\]]+)\]")
FILE_NOQA = re.compile(rb"#\s*gil-lint:\s*noqa\b(?!:)", re.I)
_CODE_SEP = re.compile(r"[\s,]+")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their endings, split where Python splits them."""
    if "\r" not in text:
        return text.split("\n")  # the same, without the regex: ten times faster
    return LINE_END.split(text)


def noqa_codes(codes: str) -> list[str]:
    """The codes of a ``# noqa: A1, B2`` group (its ``codes`` match), as written."""
    return [c for c in _CODE_SEP.split(codes) if c]


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old or the new file.

    The file keeps its permissions (a new one gets the umask's); a symlink keeps pointing at
    the (rewritten) target. On any error the temp file is removed and the old file stands.
    """
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    import tempfile  # here: with shutil, random and the compressors, 3 ms of a warm start

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gil-lint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
