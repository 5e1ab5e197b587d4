"""flake8-async's own eval files, run in its asyncio mode and scored against gil-lint.

An expected ``# ASYNCxxx: col, ...`` error is found when gil-lint reports one of the codes
``peers.toml`` maps ASYNCxxx to on that line — at the call itself, or as evidence of a
finding on the same root cause (``with open(p) as f: f.read()`` is one finding, on the
``open``, with ``f.read`` as its evidence). A gil-lint finding that matches no expected
error, directly or through its evidence, counts against precision.
"""

from __future__ import annotations

import re
from pathlib import Path

from gil_lint.config import Settings
from gil_lint.engine.knowledge import peer_codes
from gil_lint.engine.lint import lint_source

EVAL_DIR = Path(__file__).parent / "flake8_async_eval"
# `# ASYNC230: 4, 'open'` and `# ASYNC230_asyncio: 4, ...`; several on one line
_EXPECTED = re.compile(r"#\s*(ASYNC\d{3})(?:_\w+)?:\s*(\d+)")
_BASE_LIBRARY = re.compile(r"^# BASE_LIBRARY (\w+)", re.MULTILINE)

# flake8-async reports every `open()` in `async def` (ASYNC230); gil-lint's text files are
# GIL209, off by default: the comparison is with the user who selects it, as peers.toml maps
# ASYNC230 to GIL203 and GIL209
EVAL_SETTINGS = Settings(test_code_ignore=(), extend_select=("GIL209",))

RECALL_BAR = 0.85
PRECISION_BAR = 0.95

# gil-lint findings these files do not expect, each judged right. The reason is one of:
# flake8-async's harness enables only the file's own codes (a bare `open()` in the
# async232 file is ASYNC230's, not enabled there); the file marks the case as a known gap
# of flake8-async ("should error", "not implemented", "not tracked"); or flake8-async
# guesses from the call's text where gil-lint knows the receiver's type.
JUDGED_RIGHT = (
    {
        ("async211.py", row): "`foo = PoolManager()`: every `foo.request(...)` sends a request, "
        "whatever its first argument (flake8-async matches HTTP verbs because it has no types)"
        for row in (19, 20, 22, 23, 24, 25, 26)
    }
    | {
        ("async212.py", 98): "`client: Client = Client()`, imported from httpx: marked "
        "'not implemented' in the file",
        ("async232_asyncio.py", 71): "`None | TextIOWrapper | None` still holds a file (the file "
        "marks it 'not handled')",
        ("async232_asyncio.py", 248): "`x: TextIOWrapper` in the class body: 'should error'",
        ("async232_asyncio.py", 256): "`self.x: TextIOWrapper = open(...)`: 'should error'",
        ("async232_asyncio.py", 264): "the helper opens a file: the open blocks (GIL203 through "
        "a helper)",
        ("async232_asyncio.py", 265): "`k = return_textiowrapper(); k.read()`: 'should error'",
        ("async300.py", 73): "`from asyncio import create_task` inside the function: "
        "'not tracked' by flake8-async; the task is still dropped",
        ("async300.py", 77): "`boo = asyncio.create_task; boo(...)`: 'nor is assigning it'; the "
        "task is still dropped",
    }
    | {
        ("async232_asyncio.py", row): "a bare `open()` in `async def`: ASYNC230, which this "
        "file does not enable"
        for row in (107, 112, 122, 212, 219)
    }
)


def asyncio_mode(text: str) -> str | None:
    """The file as flake8-async's harness runs it for asyncio, or None when it is not run."""
    if re.search(r"^# NOASYNCIO", text, re.MULTILINE):
        return None
    m = _BASE_LIBRARY.search(text)
    if (m.group(1) if m else "trio") == "trio":
        text = re.sub(r"(?<!-)(?:\b|(?<=_))trio\b", "asyncio", text)
    if re.search(r"^# ASYNCIO_NO_ERROR", text, re.MULTILINE):
        text = _EXPECTED.sub("#", text)
    return text


def expected_errors(text: str) -> list[tuple[int, str]]:
    """(row, ASYNC code) of every expected error, as the harness parses them."""
    out = []
    for row, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # the harness skips commented-out lines
        out.extend((row, m.group(1)) for m in _EXPECTED.finditer(line))
    return out


def score(
    paths: list[Path], judged: dict[tuple[str, int], str] | None = None
) -> tuple[int, int, int, int, list[str]]:
    """(expected, found of them, reported, right of them, what went wrong). A finding not
    expected but in ``judged`` counts as right."""
    judged = judged or {}
    peers = peer_codes()
    expected_total = found = reported = right = 0
    wrong: list[str] = []
    for path in paths:
        text = asyncio_mode(path.read_text(encoding="utf-8"))
        if text is None:
            continue
        # the eval files stand for application code, though they live under tests/
        diagnostics = lint_source(text, str(path), EVAL_SETTINGS)
        rows_of = [
            (d.code, {d.row} | {e.row for e in d.evidence if e.path == str(path)})
            for d in diagnostics
        ]
        expected = expected_errors(text)
        expected_total += len(expected)
        matched = set()
        for row, code in expected:
            gil = set(peers[code].gil) if code in peers else set()
            hits = [i for i, (c, rows) in enumerate(rows_of) if c in gil and row in rows]
            if hits:
                found += 1
                matched.update(hits)
            else:
                wrong.append(f"missed {path.name}:{row} {code}")
        reported += len(diagnostics)
        for i, d in enumerate(diagnostics):
            if i in matched or (path.name, d.row) in judged:
                right += 1
            else:
                wrong.append(f"extra {path.name}:{d.row} {d.code} {d.message}")
    return expected_total, found, reported, right, wrong


def test_flake8_async_eval_files_recall_and_precision():
    expected, found, reported, right, wrong = score(sorted(EVAL_DIR.glob("*.py")), JUDGED_RIGHT)
    recall = found / expected
    precision = right / reported if reported else 1.0
    summary = f"recall {found}/{expected}={recall:.3f} precision {right}/{reported}={precision:.3f}"
    assert recall >= RECALL_BAR and precision >= PRECISION_BAR, summary + "\n" + "\n".join(wrong)


def test_asyncio_mode_follows_the_harness():
    assert asyncio_mode("# NOASYNCIO\nx = 1\n") is None
    assert asyncio_mode("import trio\ntrio.sleep  # ASYNC251: 4, 'trio'\n") == (
        "import asyncio\nasyncio.sleep  # ASYNC251: 4, 'asyncio'\n"
    )
    # a library name inside another identifier stays; `--trio` flags stay
    assert asyncio_mode("import trio_websocket  # ARG --trio\n") == (
        "import trio_websocket  # ARG --trio\n"
    )
    two_and_a_comment = "f()  # ASYNC210: 4, 'a' # ASYNC210: 9, 'b'\n# g()  # ASYNC210: 0\n"
    assert expected_errors(two_and_a_comment) == [(1, "ASYNC210"), (1, "ASYNC210")]


def test_every_judged_finding_is_still_reported():
    """A judgement outlives nothing: each one names a place gil-lint still reports, as a
    finding or in a finding's evidence (a module's file work is one finding)."""
    reported = set()
    for path in sorted(EVAL_DIR.glob("*.py")):
        text = asyncio_mode(path.read_text(encoding="utf-8"))
        if text is None:
            continue
        for d in lint_source(text, str(path), EVAL_SETTINGS):
            reported.add((path.name, d.row))
            reported.update((path.name, e.row) for e in d.evidence if e.path == str(path))
    stale = {k for k in JUDGED_RIGHT if k not in reported}
    assert not stale, stale
