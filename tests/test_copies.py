"""A mistake copied into several files is one finding of a run, the copies its evidence
(gil_lint/copies.py); each copy keeps its own noqa, and --fix fixes every copy."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

from gil_lint.copies import group_copies
from gil_lint.diagnostics import Diagnostic

START = "import asyncio\n\nasync def main():\n    pass\n\nloop = asyncio.get_event_loop()\n"
SLEEPY = "import time\n\nasync def fetch():\n    time.sleep(1)\n"


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.gil-lint]\n")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _json(tmp_path: Path, *args: str) -> list[dict]:
    r = run_cli(".", "--no-cache", "--output-format", "json", *args, cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def test_copies_in_several_files_are_one_finding_with_the_others_as_evidence(tmp_path):
    root = _project(
        tmp_path,
        {"examples/a.py": START, "examples/b.py": START, "examples/c.py": "\n" + START},
    )
    found = _json(root)
    assert [(d["filename"].rpartition("/")[2], d["location"]["row"]) for d in found] == [
        ("a.py", 6)
    ]
    (finding,) = found
    assert finding["message"].endswith("(the same code in 2 more places)")
    assert [(e["message"], e["location"]["row"]) for e in finding["evidence"]] == [
        ("the same code (b.py:6)", 6),
        ("the same code (c.py:7)", 7),
    ]
    # the text output says it too, and the run still fails
    r = run_cli(".", "--no-cache", "--output-format", "concise", cwd=root)
    assert r.returncode == 1
    assert "Found 1 error." in r.stdout


def test_different_code_or_a_different_message_is_not_a_copy(tmp_path):
    other = SLEEPY.replace("fetch", "download")  # another function: another message
    longer = SLEEPY.replace("time.sleep(1)", "time.sleep(2)")  # other code
    root = _project(tmp_path, {"a.py": SLEEPY, "b.py": other, "c.py": longer, "d.py": SLEEPY})
    found = _json(root)
    assert [d["filename"].rpartition("/")[2] for d in found] == ["a.py", "b.py", "c.py"]
    assert [e["message"] for e in found[0]["evidence"]] == ["the same code (d.py:4)"]


def test_a_copy_with_its_own_noqa_is_not_joined(tmp_path):
    quiet = SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # noqa: GIL201")
    root = _project(tmp_path, {"a.py": SLEEPY, "b.py": quiet, "c.py": SLEEPY})
    (finding,) = _json(root)
    assert [e["message"] for e in finding["evidence"]] == ["the same code (c.py:4)"]


def test_fix_fixes_every_copy(tmp_path):
    root = _project(tmp_path, {"a.py": SLEEPY, "b.py": SLEEPY})
    r = run_cli(".", "--no-cache", "--fix", cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("a.py", "b.py"):
        assert "await asyncio.sleep(1)" in (root / name).read_text()


def test_grouping_keeps_order_and_leaves_engine_errors_alone():
    def d(path: str, code: str = "GIL201", row: int = 1) -> Diagnostic:
        return Diagnostic(code, "n", "m", path, row, 1, row, 4)

    sources = {"a.py": "abc\n", "b.py": "abc\n", "c.py": "abd\n"}
    out = group_copies(
        [d("a.py"), d("a.py", "GIL003"), d("b.py"), d("b.py", "GIL003"), d("c.py")],
        sources.get,
    )
    assert [(x.path, x.code, len(x.evidence)) for x in out] == [
        ("a.py", "GIL201", 1),
        ("a.py", "GIL003", 0),
        ("b.py", "GIL003", 0),
        ("c.py", "GIL201", 0),
    ]
    # a file that cannot be read is never joined to anything
    assert len(group_copies([d("x.py"), d("x.py", row=1)], lambda _: None)) == 2


def test_a_multi_line_range_is_compared_whitespace_aside():
    def d(path: str) -> Diagnostic:
        return Diagnostic("GIL201", "n", "m", path, 2, 5, 3, 6)

    sources = {
        "a.py": "x\n    go(1,\n   2)\n",
        "b.py": "x\n    go(1, 2\n    )\n",  # other text: ")" ends the range
        "c.py": "y\n    go(1,\n  2)\n",  # the same, indented otherwise
    }
    out = group_copies([d("a.py"), d("b.py"), d("c.py")], sources.get)
    assert [(x.path, len(x.evidence)) for x in out] == [("a.py", 1), ("b.py", 0)]


def test_the_counts_of_a_findings_own_grouping_do_not_make_it_another_mistake():
    def d(path: str, message: str, row: int) -> Diagnostic:
        return Diagnostic("GIL402", "n", message, path, row, 1, row, 4)

    base = "The task from `asyncio.create_task` is not kept"
    sources = {"a.py": "abc\nabc\n", "b.py": "abc\n"}
    out = group_copies(
        [d("a.py", f"{base} (and in 1 more place here)", 1), d("b.py", base, 1)], sources.get
    )
    (first,) = out
    assert first.message == f"{base} (and in 1 more place here) (the same code in 1 more place)"
    # text after the counts is not a count: another message
    other = group_copies([d("a.py", f"{base} (see docs)", 1), d("b.py", base, 1)], sources.get)
    assert len(other) == 2


HELPER = "import time\n\ndef dispatch(request):\n    time.sleep(1)\n    return request\n"


def test_one_blocking_helper_reached_from_several_modules_is_one_finding(tmp_path):
    root = _project(
        tmp_path,
        {
            "app/core.py": HELPER,
            "app/asgi.py": "from app.core import dispatch\n\nasync def handle(r):\n"
            "    return dispatch(r)\n",
            "app/socket.py": "from app.core import dispatch\n\n\nasync def on_message(m):\n"
            "    return dispatch(m)\n",
            "app/other.py": "import time\n\nasync def nap():\n    time.sleep(1)\n",
        },
    )
    (root / "app" / "__init__.py").write_text("")
    found = _json(root)
    assert [(d["filename"].rpartition("/")[2], d["code"]) for d in found] == [
        ("asgi.py", "GIL201"),
        ("other.py", "GIL201"),
    ]
    chain = found[0]
    assert chain["message"].endswith("(1 more call site in other files reaches it)")
    assert chain["evidence"][-1]["message"] == "also reached from `on_message()` (socket.py:5)"


def test_the_same_coroutine_dropped_in_several_files_is_one_finding(tmp_path):
    # py-cord's view and the modal copied from it drop `self.on_timeout()` through
    # different calls; another coroutine dropped is another finding
    view = (
        "import asyncio\n\nclass View:\n    def _dispatch_timeout(self):\n"
        "        asyncio.create_task(self.on_timeout(), name='view-timeout')\n"
    )
    modal = (
        "import asyncio\n\nclass Modal:\n    def __init__(self):\n"
        "        self.loop = asyncio.get_running_loop()\n\n    def _dispatch_timeout(self):\n"
        "        self.loop.create_task(\n            self.on_timeout(), name='modal-timeout'\n"
        "        )\n"
    )
    other = view.replace("self.on_timeout()", "self.refresh()")
    root = _project(tmp_path, {"ui/modal.py": modal, "ui/view.py": view, "ui/z.py": other})
    found = _json(root)
    assert [(d["filename"].rpartition("/")[2], d["location"]["row"]) for d in found] == [
        ("modal.py", 8),
        ("z.py", 5),
    ]
    assert [e["message"] for e in found[0]["evidence"]] == ["the same code (view.py:5)"]
