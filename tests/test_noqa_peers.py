"""Equivalent ``noqa`` codes: ``# noqa: ASYNC230`` written for ruff or flake8-async
suppresses the GIL finding its code maps to (``gil_lint/knowledge/peers.toml``)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from gil_lint.config import Settings
from gil_lint.engine import knowledge
from gil_lint.engine.knowledge import noqa_covers, peer_codes, peer_codes_table, peer_table
from gil_lint.engine.lint import lint_source
from gil_lint.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent

HEAD = (
    "import asyncio, os, subprocess, time\n"
    "from pathlib import Path\n"
    "import httpx, requests, urllib3\n"
    "\n"
    "async def work(): ...\n"
    "\n"
    "async def handler(u, p, fd, pid):\n"
)

# Lines each peer code flags in its own linter, which gil-lint reports too.
CASES = [
    ("ASYNC103", "while True:\n        try:\n            await work()\n        except: pass"),
    ("ASYNC210", "requests.get(u)"),
    ("ASYNC211", 'urllib3.PoolManager().request("GET", u)'),
    ("ASYNC212", "httpx.Client().get(u)"),
    ("ASYNC220", 'subprocess.Popen(["make"])'),
    ("ASYNC221", 'subprocess.run(["make"])'),
    ("ASYNC222", "os.waitpid(pid, 0)"),
    ("ASYNC230", "open(p)"),
    ("ASYNC231", "os.fdopen(fd)"),  # reported once the project teaches gil-lint os.fdopen
    ("ASYNC232", "data = open(p).read()"),
    ("ASYNC240", "Path(p).read_text()"),
    ("ASYNC240", "Path(p).unlink()"),
    ("ASYNC250", "input()"),
    ("ASYNC251", "time.sleep(1)"),
    ("ASYNC300", "asyncio.create_task(work())"),
    ("RUF006", "asyncio.ensure_future(work())"),
]

# os.fdopen is not in the default blocking table; a project can add it
SETTINGS = replace(Settings(select=("ALL",)), knowledge=(("blocking-file", ("os.fdopen",)),))


def codes(line: str, comment: str = "") -> list[str]:
    source = HEAD + "    " + line + (f"  {comment}" if comment else "") + "\n"
    return [d.code for d in lint_source(source, "t.py", SETTINGS)]


@pytest.mark.parametrize(("peer", "line"), CASES, ids=[f"{p}:{line}" for p, line in CASES])
def test_peer_code_suppresses_the_matching_finding(peer: str, line: str) -> None:
    found = codes(line)
    assert found, "the case must produce a finding to suppress"
    row = peer_codes()[peer]
    assert set(found) <= set(row.gil), (peer, found)
    assert codes(line, f"# noqa: {peer}") == []
    assert codes(line, f"# NOQA: {peer.lower()}") == []  # case-insensitive like GIL codes
    assert codes(line, f"# noqa: E501, {peer}") == []
    assert codes(line, f"# noqa:{peer},F401") == []
    for former in row.formerly:  # flake8-trio's name for the same check
        assert codes(line, f"# noqa: {former}") == [], former


@pytest.mark.parametrize(("peer", "line"), CASES, ids=[f"{p}:{line}" for p, line in CASES])
def test_a_peer_code_for_another_problem_does_not_suppress(peer: str, line: str) -> None:
    found = codes(line)
    for other, row in peer_codes().items():
        if not set(found) & set(row.gil):
            assert codes(line, f"# noqa: {other}") == found, other


def test_every_peer_code_has_a_case() -> None:
    assert {p for p, _ in CASES} == {row.code for row in peer_table()}
    assert set(peer_codes()) == {c for row in peer_table() for c in (row.code, *row.formerly)}


def test_unknown_and_unrelated_codes_still_do_not_suppress() -> None:
    assert codes("time.sleep(1)", "# noqa: ASYNC230") == ["GIL201"]
    assert codes("time.sleep(1)", "# noqa: E501, XYZ123") == ["GIL201"]
    assert codes("time.sleep(1)", "# noqa: ASYNC100") == ["GIL201"]  # a cancel-scope check
    assert codes("time.sleep(1)", "# noqa") == []  # bare noqa unchanged


def test_peer_code_on_the_last_line_of_a_multiline_finding() -> None:
    source = HEAD + "    subprocess.run(\n        ['make'],\n    )  # noqa: ASYNC221\n"
    assert lint_source(source, "t.py") == []
    source = HEAD + "    subprocess.run(  # noqa: ASYNC221\n        ['make'],\n    )\n"
    assert lint_source(source, "t.py") == []
    source = HEAD + "    subprocess.run(\n        ['make'],  # noqa: ASYNC221\n    )\n"
    assert [d.code for d in lint_source(source, "t.py")] == ["GIL204"]


def test_one_peer_code_suppresses_only_its_own_finding_on_a_shared_line() -> None:
    assert codes("requests.get(u); time.sleep(1)", "# noqa: ASYNC251") == ["GIL202"]
    assert codes("requests.get(u); time.sleep(1)", "# noqa: ASYNC251, ASYNC210") == []


def test_peer_codes_are_loaded_only_for_a_noqa_naming_other_codes() -> None:
    peer_codes.cache_clear()
    peer_table.cache_clear()
    codes("time.sleep(1)")
    codes("time.sleep(1)", "# noqa: GIL201")
    codes("time.sleep(1)", "# noqa: GIL202")
    codes("time.sleep(1)", "# noqa")
    assert peer_table.cache_info().currsize == 0
    codes("time.sleep(1)", "# noqa: ASYNC251")
    assert peer_table.cache_info().currsize == 1


def test_peer_targets_are_gil_codes() -> None:
    registered = {r.CODE for r in all_rules()}
    targets = {t for row in peer_table() for t in row.gil}
    assert all(re.fullmatch(r"GIL\d{3}", t) for t in targets), targets
    assert targets <= registered, targets - registered


def test_a_target_no_rule_registers_suppresses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"X100": knowledge.PeerCode("X100", "x", "x", ("GIL999",))}
    monkeypatch.setattr(knowledge, "peer_codes", lambda: table)
    assert not noqa_covers("GIL201", ["X100"])
    assert noqa_covers("GIL999", ["X100"])
    assert codes("time.sleep(1)", "# noqa: X100") == ["GIL201"]


def test_readme_peer_table_is_generated_from_the_data() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert peer_codes_table() in readme, (
        "README.md's table of equivalent noqa codes is out of date: replace it with the "
        "output of `python -c 'from gil_lint.engine.knowledge import peer_codes_table as t; "
        "print(t())'`"
    )


def test_lsp_disable_action_extends_a_noqa_with_peer_codes() -> None:
    """The "Disable GILxxx for this line" action adds the GIL code after a peer code that
    does not cover the finding, and the line then lints clean."""
    from gil_lint.lsp.server import Snapshot, _noqa_edit

    source = HEAD + "    requests.get(u); open(p)  # noqa: ASYNC230\n"
    (d,) = lint_source(source, "t.py")
    assert d.code == "GIL202"
    lines = source.splitlines(keepends=True)
    snap = Snapshot("file:///t.py", "t.py", False, source, lines, 1)
    edit = _noqa_edit(snap, d)
    assert edit is not None and edit.row == d.row
    line = lines[edit.row - 1].rstrip("\n")
    new = line[: edit.col - 1] + edit.content + line[edit.end_col - 1 :]
    assert new.endswith("# noqa: ASYNC230, GIL202")
    fixed = "".join([*lines[: edit.row - 1], new + "\n", *lines[edit.row :]])
    assert lint_source(fixed, "t.py") == []


def test_async240_suppresses_the_metadata_rule() -> None:
    code = "import os\nasync def f(p):\n    return os.path.exists(p)  # noqa: ASYNC240\n"
    on = Settings(extend_select=("GIL208",))
    assert lint_source(code, "t.py", on) == []
    bare = code.replace("  # noqa: ASYNC240", "")
    assert [d.code for d in lint_source(bare, "t.py", on)] == ["GIL208"]


def test_a_type_checkers_ignore_for_an_unused_coroutine_suppresses_gil401() -> None:
    # sqlalchemy: `self._cursor.close()  # type: ignore[unused-coroutine]` where the cursor's
    # close is sync; pyright's spelling too. Other ignore codes, a bare `# type: ignore`, and
    # the same comment on another rule's finding suppress nothing.
    source = (
        "class C:\n"
        "    async def close(self): ...\n"
        "    async def f(self):\n"
        "        self.close()  {}\n"
    )

    def found(comment: str) -> list[str]:
        return [d.code for d in lint_source(source.format(comment), "t.py")]

    assert found("") == ["GIL401"]
    assert found("# type: ignore[unused-coroutine]") == []
    assert found("# type: ignore[attr-defined, unused-coroutine]") == []
    assert found("# pyright: ignore[reportUnusedCoroutine]") == []
    assert found("# type: ignore[attr-defined]") == ["GIL401"]
    assert found("# type: ignore") == ["GIL401"]
    assert codes("time.sleep(1)", "# type: ignore[unused-coroutine]") == ["GIL201"]
