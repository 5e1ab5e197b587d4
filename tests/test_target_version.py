"""Issue #19: the target Python version (target-version, requires-python, the interpreter),
and the labelled 3.14 project with its 3.11 twin."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from gil_lint.cli import main
from gil_lint.config import (
    ConfigError,
    Settings,
    load_settings,
    lowest_python,
    settings_from_table,
)
from gil_lint.engine.lint import lint_source

FIXTURE = Path(__file__).parent / "fixtures" / "py314_project"
EXPECT = re.compile(r"#\s*expect:\s*(GIL\d{3}(?:\s*,\s*GIL\d{3})*)")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- requires-python ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "lowest"),
    [
        (">=3.10", (3, 10)),
        (">=3.9,<4", (3, 9)),
        ("~=3.11", (3, 11)),
        ("~=3.11.2", (3, 11)),
        ("==3.12.*", (3, 12)),
        ("==3.12", (3, 12)),
        (">3.10", (3, 10)),  # 3.10.1 is allowed
        (">=3.10.2", (3, 10)),
        (">= 3.8 , != 3.8.*", (3, 9)),
        (">=2.7,!=3.0.*,!=3.1.*", (3, 2)),
        (">=3.9.0rc1", (3, 9)),
        (">=3.14", (3, 14)),
        ("<4", None),  # no lower bound: the running interpreter decides
        ("<=3.12", None),
    ],
)
def test_lowest_python_a_specifier_allows(spec, lowest):
    assert lowest_python(spec, "pyproject.toml") == lowest


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("3.10", "cannot parse '3.10'"),
        (">=3.10;", "cannot parse '>=3.10;'"),
        (">=3.x", "cannot parse"),
        ("", "cannot parse ''"),
        (">=3.10.*", "cannot parse"),
        ("~=3", "`~=` needs a version with a dot"),
        (">=3.10,<3.9", "allows no Python 3 version"),
        (">=3.10,<3.10", "allows no Python 3 version"),
        ("==3.12,<3.12", "allows no Python 3 version"),
        (">=4", "allows no Python 3 version"),
    ],
)
def test_a_bad_specifier_is_one_line_naming_file_and_key(spec, fragment):
    with pytest.raises(ConfigError) as e:
        lowest_python(spec, "p/pyproject.toml: [project] requires-python")
    assert str(e.value).startswith("p/pyproject.toml: [project] requires-python: ")
    assert fragment in str(e.value) and "\n" not in str(e.value)


# -- target-version ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "version"), [("3.14", (3, 14)), ("py311", (3, 11))])
def test_target_version_forms(value, version):
    s = settings_from_table({"target-version": value}, "pyproject.toml")
    assert s.target_version == version
    assert s.targets(*version) and not s.targets(version[0], version[1] + 1)


@pytest.mark.parametrize("value", ["3", "3.14t", "py3", "2.7", 3.14, "latest"])
def test_bad_target_version(value):
    with pytest.raises(ConfigError) as e:
        settings_from_table({"target-version": value}, "pyproject.toml")
    assert str(e.value).startswith("pyproject.toml: [tool.gil-lint] target-version: expected")


def test_default_is_the_running_interpreter(tmp_path):
    s = load_settings(start=tmp_path)
    assert s.target_version == sys.version_info[:2]
    assert s.target_version_source == "the running interpreter"


def test_requires_python_without_a_gil_lint_table(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\nrequires-python = ">=3.14"\n')
    s = load_settings(start=tmp_path)
    assert s.target_version == (3, 14)
    assert s.target_version_source.endswith("pyproject.toml: [project] requires-python")


def test_requires_python_beside_the_gil_lint_table(tmp_path):
    write(
        tmp_path / "pyproject.toml",
        '[project]\nrequires-python = "~=3.12"\n[tool.gil-lint]\nignore = ["GIL201"]\n',
    )
    assert load_settings(start=tmp_path / "src").target_version == (3, 12)


def test_target_version_wins_over_requires_python(tmp_path):
    write(
        tmp_path / "pyproject.toml",
        '[project]\nrequires-python = ">=3.9"\n[tool.gil-lint]\ntarget-version = "3.14"\n',
    )
    s = load_settings(start=tmp_path)
    assert s.target_version == (3, 14)
    assert s.target_version_source.endswith("[tool.gil-lint] target-version")


def test_a_standalone_config_reads_requires_python_beside_it(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nrequires-python = ">=3.13"\n')
    config = write(tmp_path / "gil-lint.toml", 'ignore = ["GIL201"]\n')
    assert load_settings(config=config).target_version == (3, 13)


def test_target_version_changes_the_cache_key():
    assert (
        Settings(target_version=(3, 11)).cache_key() != Settings(target_version=(3, 14)).cache_key()
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[project]\nrequires-python = ">=3.x"\n', "[project] requires-python: cannot parse"),
        ("[project]\nrequires-python = 3.14\n", "expected a version specifier string"),
        ('[tool.gil-lint]\ntarget-version = "3.x"\n', "[tool.gil-lint] target-version"),
    ],
)
def test_cli_exits_2_with_one_line_on_a_bad_version(tmp_path, capsys, text, fragment):
    write(tmp_path / "pyproject.toml", text)
    write(tmp_path / "a.py", "x = 1\n")
    assert main([str(tmp_path), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "pyproject.toml" in err


def test_show_settings_names_the_target_version_and_its_source(tmp_path, capsys):
    write(tmp_path / "pyproject.toml", '[project]\nrequires-python = ">=3.14"\n')
    assert main(["--show-settings", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'target-version = "3.14"  # from ' in out
    assert "[project] requires-python" in out
    assert 'target-gil = "auto"' in out


# -- the labelled 3.14 project and its 3.11 twin --------------------------------------------


def _project(tmp_path: Path, requires: str) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('">=3.14"', f'"{requires}"'), encoding="utf-8")
    return root


def _labels(root: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = EXPECT.search(line)
            if m:
                rel = path.relative_to(root).as_posix()
                found.update((rel, number, c.strip()) for c in m.group(1).split(","))
    return found


def _lint(root: Path, capsys) -> list[dict]:
    capsys.readouterr()
    main([str(root), "--no-cache", "--jobs", "1", "--output-format", "json", "--exit-zero"])
    findings = json.loads(capsys.readouterr().out)
    for f in findings:
        f["filename"] = Path(f["filename"]).resolve().relative_to(root.resolve()).as_posix()
    return findings


def _reported(findings: list[dict], root: Path) -> set[tuple[str, int, str]]:
    """(file, row, code) of each finding, and of each copy of one (the same code with the
    same message elsewhere: its evidence)."""
    got = {(f["filename"], f["location"]["row"], f["code"]) for f in findings}
    for f in findings:
        for e in f["evidence"]:
            if e["message"].startswith("the same code ("):
                where = Path(e["filename"]).resolve().relative_to(root.resolve()).as_posix()
                got.add((where, e["location"]["row"], f["code"]))
    return got


def test_the_labelled_314_project_gets_exactly_its_findings(tmp_path, capsys):
    root = _project(tmp_path, ">=3.14")
    labels = _labels(root)
    assert {c for _, _, c in labels} >= {"GIL101", "GIL104", "GIL301", "GIL302", "GIL407"}
    findings = _lint(root, capsys)
    got = _reported(findings, root)
    assert got == labels, f"missing: {sorted(labels - got)}; unexpected: {sorted(got - labels)}"
    by_code: dict[str, list[dict]] = {}
    for f in findings:
        by_code.setdefault(f["code"], []).append(f)
    # 3.14 advice
    (cpu,) = by_code["GIL101"]
    assert "InterpreterPoolExecutor" in cpu["message"]
    assert cpu["fix"]["applicability"] == "unsafe"
    assert [e["content"] for e in cpu["fix"]["edits"]] == [
        "InterpreterPoolExecutor",
        "from concurrent.futures import InterpreterPoolExecutor",
    ]
    for code in ("GIL301", "GIL302"):
        assert all("fails on Linux too from 3.14" in f["message"] for f in by_code[code])
    (sync,) = by_code["GIL407"]  # two copies of one call: one finding
    assert "raises RuntimeError on Python 3.14+" in sync["message"]
    assert sync["message"].endswith("(the same code in 1 more place)")
    (in_async,) = by_code["GIL409"]
    assert in_async["fix"]["applicability"] == "safe"
    assert in_async["fix"]["edits"][0]["content"] == "asyncio.get_running_loop"


def test_the_same_code_on_311_gets_none_of_the_314_advice(tmp_path, capsys):
    root = _project(tmp_path, ">=3.11")
    findings = _lint(root, capsys)
    got = _reported(findings, root)
    # the same mistakes are found: races and get_event_loop() are not new in 3.14
    assert got == _labels(root)
    for f in findings:
        assert "InterpreterPoolExecutor" not in json.dumps(f), f
        assert "3.14" not in f["message"], f
    (cpu,) = [f for f in findings if f["code"] == "GIL101"]
    assert cpu["fix"]["edits"][0]["content"] == "ProcessPoolExecutor"


def test_the_fix_to_interpreter_pool_applies_and_parses():
    from gil_lint.fix.apply import fix_source

    source = (FIXTURE / "jobs" / "crunch.py").read_text(encoding="utf-8")
    settings = Settings(select=("GIL101",), target_version=(3, 14), target_gil="enabled")
    fixed = fix_source(source, "crunch.py", settings, unsafe=True).source
    assert "from concurrent.futures import InterpreterPoolExecutor" in fixed
    assert "with InterpreterPoolExecutor() as pool:" in fixed
    assert "ThreadPoolExecutor" not in fixed
    assert not lint_source(fixed, "crunch.py", settings)


def test_the_editor_setting_target_version_overrides_requires_python(tmp_path):
    from gil_lint.lsp.server import GilLintServer

    write(tmp_path / "pyproject.toml", '[project]\nrequires-python = ">=3.10"\n')
    path = str(write(tmp_path / "mod.py", "x = 1\n"))
    server = GilLintServer("gil-lint", "test")
    try:
        assert server.settings_for(path).target_version == (3, 10)
        server.set_options({"gilLint": {"targetVersion": "3.14"}})
        assert server.settings_for(path).target_version == (3, 14)
    finally:
        server.linter.shutdown()
        server.verifier.shutdown()


@pytest.mark.parametrize(
    ("start", "linux_too"),
    [
        ("", True),
        ("multiprocessing.set_start_method('fork')\n", False),
        ("ctx = multiprocessing.get_context(method='fork')\n", False),
        ("multiprocessing.set_start_method('spawn')\n", True),
    ],
)
def test_forkserver_advice_only_where_the_module_does_not_choose_fork(start, linux_too):
    source = (
        f"import multiprocessing\n{start}"
        "with multiprocessing.Pool(2) as pool:\n    pool.map(abs, [1])\n"
        "def main(xs):\n    with multiprocessing.Pool() as pool:\n"
        "        return pool.map(lambda x: x, xs)\n"
    )
    for version, expected in (((3, 14), linux_too), ((3, 13), False)):
        settings = Settings(target_version=version, select=("GIL301", "GIL302"))
        found = lint_source(source, "m.py", settings)
        assert sorted(d.code for d in found) == ["GIL301", "GIL302"]
        assert all(("fails on Linux too" in d.message) is expected for d in found), found
