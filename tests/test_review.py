"""benchmarks/review.py: sampling, rates and formatting (no network, no pip)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "review.py"
_spec = importlib.util.spec_from_file_location("gil_lint_review", _PATH)
assert _spec is not None and _spec.loader is not None
review = importlib.util.module_from_spec(_spec)
sys.modules["gil_lint_review"] = review  # dataclasses look the module up by name
_spec.loader.exec_module(review)


def raw(filename: str, row: int, code: str = "GIL202", evidence: list | None = None) -> dict:
    return {
        "code": code,
        "message": f"{code} at {row}",
        "filename": filename,
        "location": {"row": row, "column": 5},
        "evidence": evidence or [],
    }


def test_findings_from_json_relative_paths_evidence_and_no_internal_errors(tmp_path):
    root = tmp_path / "pkg"
    hop = {"message": "`f` (a.py:3)", "filename": str(root / "m" / "a.py"), "location": {"row": 3}}
    out = review.findings_from_json(
        "pkg",
        root,
        [raw(str(root / "m" / "a.py"), 7, evidence=[hop]), raw(str(root / "b.py"), 1, "GIL003")],
    )
    assert out == [
        review.Finding(
            package="pkg",
            path="m/a.py",
            row=7,
            column=5,
            code="GIL202",
            message="GIL202 at 7",
            evidence=(("`f` (a.py:3)", "m/a.py", 3),),
        )
    ]


def findings(n: int, package: str = "p") -> list:
    return [
        review.Finding(package, f"f{i % 7}.py", i, 1, f"GIL20{i % 3}", "m", ()) for i in range(n)
    ]


def test_sample_is_seeded_and_independent_of_input_order():
    fs = findings(50)
    a = review.sample(fs, 10, seed=3)
    assert len(a) == 10 and len(set(a)) == 10
    assert review.sample(list(reversed(fs)), 10, seed=3) == a
    assert review.sample(fs, 10, seed=4) != a
    # chosen findings come back in review order: package, path, line
    assert a == sorted(a, key=lambda f: f.key)


def test_sample_independent_of_install_folder(tmp_path):
    """The same findings under two install folders give the same sample."""
    picks = []
    for folder in ("one", "two"):
        root = tmp_path / folder
        rows = [raw(str(root / f"m{i % 4}.py"), i) for i in range(1, 30)]
        picks.append(review.sample(review.findings_from_json("p", root, rows), 8, seed=1))
    assert picks[0] == picks[1]


@pytest.mark.parametrize("n", [0, 5, 6])
def test_sample_zero_or_too_many_returns_everything_ordered(n):
    fs = findings(5)
    assert review.sample(list(reversed(fs)), n, seed=1) == sorted(fs, key=lambda f: f.key)


def test_per_100k_and_rate_table():
    assert review.per_100k(3, 50_000) == 6.0
    assert review.per_100k(3, 0) == 0.0
    a = [review.Finding("alpha", "x.py", 1, 1, "GIL402", "m", ())] * 2
    b = [review.Finding("a-long-package-name", "y.py", 1, 1, "GIL201", "m", ())]
    table = review.rate_table(
        [("alpha", "1.0", 20_000, a), ("a-long-package-name", "2", 50_000, b)]
    )
    assert table[0].split() == [
        "package",
        "version",
        "lines",
        "findings",
        "/100k",
        "GIL201",
        "GIL402",
    ]
    assert table[1].split() == ["alpha", "1.0", "20000", "2", "10.0", "-", "2", "(10.0)"]
    assert table[2].split() == ["a-long-package-name", "2", "50000", "1", "2.0", "1", "(2.0)", "-"]
    assert table[3].split() == ["total", "70000", "3", "4.3", "1", "(1.4)", "2", "(2.9)"]
    assert len({len(line) for line in table}) == 1  # columns line up


def test_context_marks_the_line_and_clips_at_file_edges():
    src = [f"line{i}" for i in range(1, 12)]
    assert review.context(src, 1, 2) == ["> 1 | line1", "  2 | line2", "  3 | line3"]
    assert review.context(src, 6, 1) == ["  5 | line5", "> 6 | line6", "  7 | line7"]
    assert review.context(src, 11, 3)[0] == "   8 | line8"  # width of the widest number
    assert review.context(src, 11, 3)[-1] == "> 11 | line11"
    assert len(review.context(src, 11, 3)) == 4


def test_render_shows_source_message_and_evidence():
    f = review.Finding(
        "pkg", "m/a.py", 2, 9, "GIL202", "`get` blocks", (("`x` (a.py:5)", "m/a.py", 5),)
    )
    out = review.render(4, f, ["def f():", "    get()", "    pass"], radius=3)
    assert out == [
        "#4 [pkg] m/a.py:2:9 GIL202",
        "      1 | def f():",
        "    > 2 |     get()",
        "      3 |     pass",
        "    -> `get` blocks",
        "       evidence: `x` (a.py:5) [m/a.py:5]",
    ]
    assert review.render(1, f, None, 3)[1] == "    (source not available)"
    assert review.render(1, f, ["only one line"], 3)[1] == "    (source not available)"


def test_cli_rejects_unpinned_packages(capsys):
    with pytest.raises(SystemExit) as exc:
        review.main(["--packages", "fastapi"])
    assert exc.value.code == 2
    assert "pin every package" in capsys.readouterr().err


def test_a_package_with_no_python_files_is_skipped_with_a_note(tmp_path, monkeypatch, capsys):
    # fastmcp 4 is a metapackage: its wheel holds no module to lint or review
    meta, real = tmp_path / "meta", tmp_path / "real"
    meta.mkdir()
    (real / "pkg").mkdir(parents=True)
    (real / "pkg" / "m.py").write_text("import time\nasync def f():\n    time.sleep(1)\n")
    monkeypatch.setattr(review, "install", lambda work, packages: [("meta", meta), ("real", real)])
    monkeypatch.setattr(review, "dist_version", lambda path, name: "1.0")
    args = review.argparse.Namespace(packages=["meta==1", "real==1"], sample=0, seed=1, context=1)
    assert review.run(args, tmp_path) == 0
    out = capsys.readouterr()
    assert "review: meta has no Python files; skipped" in out.err
    assert "[real] pkg/m.py:3:5 GIL201" in out.out
