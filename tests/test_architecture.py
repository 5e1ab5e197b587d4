"""docs/architecture.md's worked example is true: a new rule is one file.

The test copies the package, adds the document's rule file verbatim, and runs the real CLI
on the copy: the rule is registered, selectable, reported at its INVALID example's range,
silent on its VALID examples, and documented by ``gil-lint rule``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
MARKER = re.compile(
    r"<!-- worked-example: (?P<name>gil\d{3}_\w+\.py) -->\n```python\n(?P<code>.*?\n)```\n", re.S
)


def _example() -> tuple[str, str]:
    m = MARKER.search(DOC.read_text(encoding="utf-8"))
    assert m, "docs/architecture.md lost its worked example (the worked-example marker)"
    return m.group("name"), m.group("code")


def _class_constant(code: str, name: str) -> object:
    """A constant of the example's rule class, read from its source (VALID, INVALID...)."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
    raise AssertionError(f"the worked example has no {name}")


def _run(package_root: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    return subprocess.run(
        [sys.executable, "-m", "gil_lint", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_worked_example_rule_is_added_by_one_file(tmp_path):
    name, code = _example()
    package_root = tmp_path / "pkg"
    shutil.copytree(
        ROOT / "gil_lint",
        package_root / "gil_lint",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (package_root / "gil_lint" / "rules" / name).write_text(code, encoding="utf-8")
    rule_code = "GIL" + name[3:6]

    invalid = _class_constant(code, "INVALID")
    assert isinstance(invalid, ast.List) and invalid.elts
    work = tmp_path / "work"
    work.mkdir()
    for i, example in enumerate(invalid.elts):
        assert isinstance(example, ast.Call)
        source = ast.literal_eval(example.args[0])
        at = next(ast.literal_eval(k.value) for k in example.keywords if k.arg == "at")
        (work / f"bad{i}.py").write_text(source, encoding="utf-8")
        out = _run(
            package_root,
            work,
            f"bad{i}.py",
            "--select",
            rule_code,
            "--no-cache",
            "--output-format",
            "json",
        )
        assert out.returncode == 1, out.stderr
        found = json.loads(out.stdout)
        spans = [
            f"{d['location']['row']}:{d['location']['column']}-"
            f"{d['end_location']['row']}:{d['end_location']['column']}"
            for d in found
        ]
        assert [d["code"] for d in found] == [rule_code]
        assert spans == [at]

    valid = _class_constant(code, "VALID")
    assert isinstance(valid, ast.List) and valid.elts
    for i, example in enumerate(valid.elts):
        (work / f"good{i}.py").write_text(ast.literal_eval(example), encoding="utf-8")
        out = _run(package_root, work, f"good{i}.py", "--select", rule_code, "--no-cache")
        assert out.returncode == 0, out.stdout + out.stderr

    doc = _run(package_root, work, "rule", rule_code)
    assert doc.returncode == 0, doc.stderr
    assert "## What it does" in doc.stdout
    assert rule_code in _run(package_root, work, "rules").stdout


def test_worked_example_is_not_a_shipped_rule():
    """The example documents the mechanism; it must not also sit in the real registry."""
    name, _ = _example()
    assert not (ROOT / "gil_lint" / "rules" / name).exists()
