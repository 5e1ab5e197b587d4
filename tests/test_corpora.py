"""The ecosystem check of benchmarks/corpora.py: the snapshot's format and the diff logic.

Pure functions on small inputs; nothing here installs or lints a package.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_corpora():
    spec = importlib.util.spec_from_file_location("corpora", ROOT / "benchmarks" / "corpora.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpora"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


corpora = _load_corpora()
Finding = corpora.Finding


def finding(line: int, source: str = "os.unlink(path)", **kw) -> Finding:
    values = {
        "package": "pkg",
        "file": "pkg/a.py",
        "line": line,
        "code": "GIL208",
        "source": source,
        "message": f"`os.unlink` blocks (a.py:{line})",
    }
    return Finding(**(values | kw))


def test_same_findings_match():
    old = [finding(3, verdict="TP", reason="r"), finding(9, "open(p)", code="GIL203")]
    now = [replace(f, verdict="unreviewed", reason="") for f in old]
    diff = corpora.diff_snapshot(old, now)
    assert (diff.new, diff.vanished) == ([], [])
    assert sorted((o.line, n.line) for o, n in diff.matched) == [(3, 3), (9, 9)]


def test_a_moved_finding_still_matches():
    diff = corpora.diff_snapshot([finding(3)], [finding(40)])
    assert (diff.new, diff.vanished) == ([], [])
    assert [(o.line, n.line) for o, n in diff.matched] == [(3, 40)]


def test_repeated_key_pairs_equal_lines_first_then_in_order():
    old = [finding(10), finding(20)]
    now = [finding(20), finding(35), finding(50)]
    diff = corpora.diff_snapshot(old, now)
    assert sorted((o.line, n.line) for o, n in diff.matched) == [(10, 35), (20, 20)]
    assert [f.line for f in diff.new] == [50]
    assert diff.vanished == []


def test_key_is_package_file_code_and_source():
    old = [finding(3)]
    for changed in (
        {"package": "other"},
        {"file": "pkg/b.py"},
        {"code": "GIL203"},
        {"source": "os.remove(path)"},
    ):
        diff = corpora.diff_snapshot(old, [replace(finding(3), **changed)])
        assert len(diff.new) == len(diff.vanished) == 1, changed
    # the message is not part of the key: a reworded message still matches
    diff = corpora.diff_snapshot(old, [replace(finding(3), message="reworded")])
    assert len(diff.matched) == 1


def test_new_finding_fails_and_says_how_to_accept_it():
    diff = corpora.diff_snapshot([], [finding(3)])
    lines, failed = corpora.snapshot_report(diff, "eco.toml")
    assert failed
    assert any(line.startswith("NEW [pkg] GIL208 pkg/a.py:3:") for line in lines)
    assert any("--update-snapshot" in line and "eco.toml" in line for line in lines)
    assert "  pkg            GIL208  +1 -0" in lines


def test_unreviewed_finding_fails():
    diff = corpora.diff_snapshot([finding(3)], [finding(3)])
    lines, failed = corpora.snapshot_report(diff, "eco.toml")
    assert failed
    assert any(line.startswith("UNREVIEWED [pkg] GIL208 pkg/a.py:3") for line in lines)


def test_vanished_finding_is_printed_but_does_not_fail():
    old = [finding(3, verdict="TP", reason="r"), finding(7, "x()", verdict="wrong", reason="r")]
    diff = corpora.diff_snapshot(old, [old[0]])
    lines, failed = corpora.snapshot_report(diff, "eco.toml")
    assert not failed
    assert any(line.startswith("VANISHED [pkg] GIL208 pkg/a.py:7 (was wrong)") for line in lines)
    assert "  pkg            GIL208  +0 -1" in lines


def test_summary_counts_verdicts_and_actionable_share():
    old = [
        finding(1, "a()", verdict="TP", reason="r"),
        finding(2, "b()", verdict="debatable", reason="r"),
        finding(3, "c()", verdict="debatable", reason="r"),
        finding(4, "d()", verdict="wrong", reason="r"),
    ]
    lines, failed = corpora.snapshot_report(corpora.diff_snapshot(old, old), "eco.toml")
    assert not failed
    assert lines[0] == (
        "ecosystem check (eco.toml): 4 findings; TP 1, debatable 2, wrong 1, unreviewed 0,"
        " new 0, vanished 0; actionable (TP of reviewed): 25%"
    )


def test_changed_message_is_reported_without_failing():
    old = [finding(3, verdict="TP", reason="r")]
    diff = corpora.diff_snapshot(old, [replace(old[0], message="now says more")])
    lines, failed = corpora.snapshot_report(diff, "eco.toml")
    assert not failed
    assert "changed message [pkg] GIL208 pkg/a.py:3: now says more" in lines


def test_update_keeps_verdicts_adds_new_unreviewed_drops_vanished():
    kept = finding(3, verdict="TP", reason="real")
    gone = finding(5, "x()", verdict="wrong", reason="false")
    elsewhere = finding(1, package="other", verdict="debatable", reason="r")
    now = [replace(kept, line=4, message="moved"), finding(8, "y()")]
    diff = corpora.diff_snapshot([kept, gone], now)
    updated = corpora.update_snapshot([kept, gone, elsewhere], diff, {"pkg"})
    assert sorted(updated, key=lambda f: (f.package, f.line)) == [
        elsewhere,
        replace(kept, line=4, message="moved"),
        finding(8, "y()"),
    ]


def test_dump_then_load_round_trips():
    findings = [
        finding(3, 'open("a\\\\b", "r")  # é "quoted"', verdict="TP", reason='says "why"'),
        finding(9, "x()", code="GIL203"),
    ]
    text = corpora.dump_snapshot({"pkg": "1.0", "other": "2.0"}, findings)
    versions, loaded = corpora.load_snapshot(text)
    assert versions == {"pkg": "1.0", "other": "2.0"}
    assert loaded == findings
    assert text.count("[[finding]]") == 2


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[[finding", "not valid TOML"),
        ("versions = 3", "[versions] must map"),
        ("[[finding]]\npackage = 'p'", "finding 1: missing 'file'"),
        (
            "[[finding]]\npackage='p'\nfile='f'\nline='3'\ncode='C'\nsource='s'\n"
            "message='m'\nverdict='TP'\nreason='r'",
            "finding 1: 'line' must be a int",
        ),
        (
            "[[finding]]\npackage='p'\nfile='f'\nline=3\ncode='C'\nsource='s'\n"
            "message='m'\nverdict='tp'\nreason='r'",
            "verdict 'tp' is not one of TP, debatable, wrong, unreviewed",
        ),
        (
            "[[finding]]\npackage='p'\nfile='f'\nline=3\ncode='C'\nsource='s'\n"
            "message='m'\nverdict='wrong'",
            "f:3): a wrong verdict needs a reason",
        ),
        (
            "[[finding]]\npackage='p'\nfile='f'\nline=3\ncode='C'\nsource='s'\n"
            "message='m'\nverdict='TP'\nreason='r'\nseverity='x'",
            "unknown key 'severity'",
        ),
    ],
)
def test_bad_snapshot_is_a_one_line_error(text: str, error: str):
    with pytest.raises(corpora.SnapshotError) as e:
        corpora.load_snapshot(text, "eco.toml")
    message = str(e.value)
    assert error in message
    assert message.startswith("eco.toml")
    assert "\n" not in message


def test_bad_snapshot_exits_2_before_linting(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "eco.toml"
    bad.write_text("[[finding]]\npackage = 'p'\n")
    args = ["--packages", "--no-stdlib", "--snapshot", str(bad), "--work", str(tmp_path)]
    assert corpora.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("corpora.py: error: ") and err.count("\n") == 1


def test_as_finding_keys_on_the_file_in_the_package_and_its_source_line(tmp_path: Path):
    root = tmp_path / "pkg"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("import os\n\n    os.unlink(p)  \n")
    raw = {
        "code": "GIL208",
        "message": "m",
        "filename": str(root / "pkg" / "a.py"),
        "location": {"row": 3, "column": 5},
    }
    got = corpora.as_finding("pkg", root, raw, {})
    assert got == Finding("pkg", "pkg/a.py", 3, "GIL208", "os.unlink(p)", "m")


def test_committed_snapshot_is_reviewed_and_matches_the_pins():
    versions, findings = corpora.load_snapshot(corpora.SNAPSHOT.read_text(), "ecosystem.toml")
    pins = dict(spec.split("==") for spec in corpora.DEFAULT_PACKAGES)
    assert versions == pins
    assert {f.package for f in findings} <= set(pins)
    assert [f for f in findings if f.verdict == corpora.UNREVIEWED] == []
    # the file is what dump_snapshot writes: sorted, so diffs of it stay small
    assert corpora.dump_snapshot(versions, findings) == corpora.SNAPSHOT.read_text()
