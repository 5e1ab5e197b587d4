"""The real console entry point, run as a subprocess, for every flag and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

BAD = "import time\n\nasync def f():\n    time.sleep(1)\n"
GOOD = "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bad.py").write_text(BAD)
    (tmp_path / "src" / "good.py").write_text(GOOD)
    return tmp_path


def test_bare_paths_and_check_subcommand(project):
    for args in (["src"], ["check", "src"]):
        r = run_cli(*args, "--no-cache", cwd=project)
        assert r.returncode == 1, r.stderr
        assert "src/bad.py:4:5: GIL201" in r.stdout
        assert "Found 1 error" in r.stdout


def test_clean_exit_zero(project):
    r = run_cli("src/good.py", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "All checks passed" in r.stdout


def test_exit_zero_flag(project):
    r = run_cli("src", "--exit-zero", cwd=project)
    assert r.returncode == 0 and "GIL201" in r.stdout


def test_json_output_contract(project):
    r = run_cli("src", "--output-format", "json", cwd=project)
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert len(data) == 1
    d = data[0]
    assert d["code"] == "GIL201"
    assert d["filename"].endswith("bad.py")
    assert d["location"] == {"row": 4, "column": 5}
    assert d["end_location"] == {"row": 4, "column": 18}
    assert d["url"].endswith("/docs/rules/GIL201.md")
    assert "fix" in d and "message" in d


@pytest.mark.parametrize("fmt", ["concise", "json-lines", "github", "sarif", "junit", "full"])
def test_every_output_format_runs(project, fmt):
    r = run_cli("src", "--output-format", fmt, cwd=project)
    assert r.returncode == 1, r.stderr
    assert "GIL201" in r.stdout


def test_select_ignore_extend_select(project):
    assert run_cli("src", "--ignore", "GIL201", cwd=project).returncode == 0
    assert run_cli("src", "--select", "GIL3", cwd=project).returncode == 0
    r = run_cli("src", "--select", "GIL3", "--extend-select", "GIL2", cwd=project)
    assert r.returncode == 1
    r = run_cli("src", "--select", "XYZ1", cwd=project)
    assert r.returncode == 2 and "'XYZ1' is not a rule code" in r.stderr
    # a typo that looks like a code: an error, not a selection of nothing
    r = run_cli("src", "--ignore", "GIL2O1", cwd=project)
    assert r.returncode == 2 and "--ignore: 'GIL2O1' is not a rule code" in r.stderr
    r = run_cli("src", "--extend-select", "GIL5", cwd=project)
    assert r.returncode == 2 and r.stderr == (
        "gil-lint: error: --extend-select: 'GIL5' matches no rule (see `gil-lint rules`)\n"
    )
    assert run_cli("src", "--select", "gil0,gil201", cwd=project).returncode == 1


def test_stdin_filename(project):
    r = run_cli(
        "--stdin-filename", "src/pipe.py", "--output-format", "concise", cwd=project, stdin=BAD
    )
    assert r.returncode == 1
    assert "src/pipe.py:4:5: GIL201" in r.stdout
    r = run_cli("-", cwd=project, stdin=GOOD)
    assert r.returncode == 0


def test_statistics(project):
    (project / "src" / "bad_too.py").write_text(BAD)
    r = run_cli("src", "--statistics", "--no-cache", cwd=project)
    assert r.returncode == 1
    # count, code, fixable mark, name: one finding per bad file, both safely fixable
    assert r.stdout == "2\tGIL201\t[*] blocking-sleep-in-async\n"
    r = run_cli("src", "--statistics", "--output-format", "json", "--no-cache", cwd=project)
    assert json.loads(r.stdout) == [
        {"code": "GIL201", "name": "blocking-sleep-in-async", "count": 2, "fixable": 2}
    ]


def test_config_flag_and_bad_config(project, tmp_path):
    cfg = project / "custom.toml"
    cfg.write_text('[tool.gil-lint]\nignore = ["GIL201"]\n')
    assert run_cli("src", "--config", str(cfg), cwd=project).returncode == 0
    (project / "pyproject.toml").write_text('[tool.gil-lint]\nselcet = ["GIL2"]\n')
    r = run_cli("src", cwd=project)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "unknown key [tool.gil-lint] 'selcet'" in r.stderr
    assert "Traceback" not in r.stderr
    (project / "pyproject.toml").write_text('[tool.gil-lint]\ngather-max-size = "big"\n')
    r = run_cli("src", cwd=project)
    assert r.returncode == 2 and "gather-max-size" in r.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jobs(project, jobs):
    for i in range(6):  # each its own mistake (copies of one would be one finding)
        (project / "src" / f"more{i}.py").write_text(BAD.replace("def f", f"def f{i}"))
    r = run_cli("src", "--jobs", jobs, "--no-cache", "--output-format", "json", cwd=project)
    assert r.returncode == 1
    assert len(json.loads(r.stdout)) == 7


def test_cache_gives_same_results_and_notices_changes(project):
    first = run_cli("src", "--output-format", "json", cwd=project)
    assert (project / ".gil_lint_cache").is_dir()
    second = run_cli("src", "--output-format", "json", cwd=project)
    assert json.loads(first.stdout) == json.loads(second.stdout)
    (project / "src" / "bad.py").write_text(GOOD + "\n")
    third = run_cli("src", "--output-format", "json", cwd=project)
    assert json.loads(third.stdout) == []


def test_check_help_describes_check_and_bare_paths_still_lint(project):
    r = run_cli("check", "--help", cwd=project)
    assert r.returncode == 0
    assert r.stdout.startswith("usage: gil-lint check [options] [PATHS ...]\n")
    assert "--output-format" in r.stdout
    r = run_cli("--help", cwd=project)
    assert r.stdout.startswith(
        "usage: gil-lint [check] [options] [PATHS ...]\n"
        "       gil-lint {observe,rule,rules,server,verify} ...\n"
    )
    r = run_cli("check", "--bogus", cwd=project)
    assert r.returncode == 2 and "see `gil-lint check --help`" in r.stderr
    # the subcommand is optional: both forms lint the same way
    bare = run_cli("src", "--output-format", "json", "--no-cache", cwd=project)
    named = run_cli("check", "src", "--output-format", "json", "--no-cache", cwd=project)
    assert bare.returncode == named.returncode == 1
    assert json.loads(bare.stdout) == json.loads(named.stdout) != []


def test_usage_errors(project):
    r = run_cli("does-not-exist.py", cwd=project)
    assert r.returncode == 2 and "does-not-exist.py: no such file or directory" in r.stderr
    r = run_cli("src", "--output-format", "xml", cwd=project)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_cli("src", "--jobs", "0", cwd=project)
    assert r.returncode == 2


def test_no_python_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    r = run_cli(str(tmp_path))
    assert r.returncode == 0 and "no Python files" in r.stderr


def test_syntax_error_and_bad_files_are_per_file(project):
    # files with no concurrency code are not parsed at all (the pre-scan), so the
    # broken file must mention some: a syntax error there is reported as GIL001
    (project / "src" / "broken.py").write_text("async def f(:\n")
    (project / "src" / "binary.py").write_bytes(b"\x00\x01\x02")
    (project / "src" / "latin.py").write_bytes(b"x = '\xff'\n")
    r = run_cli("src", "--output-format", "json", "--no-cache", cwd=project)
    assert r.returncode == 1, r.stderr
    codes = {(Path(d["filename"]).name, d["code"]) for d in json.loads(r.stdout)}
    assert ("broken.py", "GIL001") in codes
    assert ("binary.py", "GIL002") in codes
    assert ("latin.py", "GIL002") in codes
    assert ("bad.py", "GIL201") in codes


@pytest.mark.parametrize(
    ("data", "row", "col"),
    [
        # past the first two lines: the declared (default) encoding fails
        (b"import os\n\n# caf\xe9 = 1\n", 3, 6),
        # in the first two lines, where tokenize's cookie search fails first
        (b"a = '\xc3\xa9' ; \xff\n", 1, 11),
        # columns count characters, after a BOM; lines end in \r\n or a lone \r too
        (b"\xef\xbb\xbfa = 1\r\nb = 2\rc = '\xc3\xa9\xff'\n", 3, 7),
        # a character cut short by the end of the file
        (b"x = 1\n# \xe2\x82", 2, 3),
    ],
)
def test_undecodable_file_names_line_and_column(tmp_path, data, row, col):
    (tmp_path / "latin.py").write_bytes(data)
    r = run_cli("latin.py", "--output-format", "json", "--no-cache", cwd=tmp_path)
    [d] = json.loads(r.stdout)
    assert d["code"] == "GIL002"
    assert f"at line {row}, column {col}:" in d["message"] and "position" not in d["message"]
    assert d["location"] == {"row": row, "column": col}
    assert d["end_location"] == {"row": row, "column": col + 1}


def test_broken_symlink_named_explicitly_is_a_file_error(project):
    (project / "src" / "dangling.py").symlink_to(project / "nowhere.py")
    r = run_cli(
        "src/dangling.py", "src/bad.py", "--no-cache", "--output-format", "concise", cwd=project
    )
    assert r.returncode == 1
    assert "src/dangling.py:1:1: GIL002" in r.stdout
    assert "GIL201" in r.stdout


def test_symlink_loop_is_not_followed(project):
    (project / "src" / "loop").symlink_to(project / "src", target_is_directory=True)
    r = run_cli("src", "--no-cache", "--output-format", "json", cwd=project, timeout=30)
    assert r.returncode == 1
    assert len(json.loads(r.stdout)) == 1


def test_gitignore_and_exclude(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("generated/\n")
    (project / "generated").mkdir()
    (project / "generated" / "x.py").write_text(BAD)
    (project / "vendor").mkdir()
    (project / "vendor" / "y.py").write_text(BAD)
    (project / "pyproject.toml").write_text('[tool.gil-lint]\nextend-exclude = ["vendor"]\n')
    r = run_cli(".", "--output-format", "json", "--no-cache", cwd=project)
    names = {Path(d["filename"]).name for d in json.loads(r.stdout)}
    assert names == {"bad.py"}
    # a file named explicitly is always linted
    r = run_cli("generated/x.py", "--no-cache", cwd=project)
    assert r.returncode == 1


def test_rule_and_rules_commands():
    r = run_cli("rule", "GIL201")
    assert r.returncode == 0
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert heading in r.stdout
    assert run_cli("rule", "GIL999").returncode == 2
    r = run_cli("rules", "--output-format", "json")
    rules = json.loads(r.stdout)
    assert {x["code"] for x in rules} >= {"GIL101", "GIL201", "GIL404"}
    assert all(x["url"] and x["summary"] for x in rules)


def test_version_and_module_entry():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("gil-lint ")


def test_the_program_freezes_the_heap_before_it_exits_and_a_caller_keeps_its_collector(project):
    # run as the program (no argv), main() freezes what the lint kept so that the
    # interpreter's shutdown does not walk it again; called with arguments, it leaves the
    # caller's garbage collector alone
    args = [str(project), "--no-cache", "--exit-zero", "--quiet"]
    calls = {"main()": "True", f"main({args!r})": "False"}
    for call, frozen in calls.items():
        script = (
            "import gc, sys\nfrom gil_lint.cli import main\n"
            f"sys.argv = ['gil-lint', *{args!r}]\n"
            f"status = {call}\nprint(status, gc.get_freeze_count() > 0)\n"
        )
        r = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[-1] == f"0 {frozen}", (call, r.stdout)


def test_readme_example_folder_has_findings():
    r = run_cli(str(ROOT / "examples"), "--no-cache", "--output-format", "json")
    assert r.returncode == 1
    codes = {d["code"] for d in json.loads(r.stdout)}
    assert {
        "GIL201",
        "GIL202",
        "GIL203",
        "GIL204",
        "GIL401",
        "GIL402",
        "GIL403",
        "GIL101",
        "GIL301",
        "GIL302",
        "GIL304",
    } <= codes
    # GIL404 is off by default: selected, the example's unbounded gather is reported
    assert "GIL404" not in codes
    selected = run_cli(str(ROOT / "examples"), "--no-cache", "--extend-select", "GIL404")
    assert "GIL404" in selected.stdout
    # the installed console script is the same program as `python -m gil_lint`
    script = Path(sys.executable).with_name("gil-lint")
    installed = subprocess.run(
        [script, str(ROOT / "examples"), "--no-cache", "--output-format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 1, installed.stderr
    assert json.loads(installed.stdout) == json.loads(r.stdout)


def test_cache_relints_callers_when_a_helper_module_changes(tmp_path):
    pkg = tmp_path / "svc"
    pkg.mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'svc'\n")
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("def fetch(url):\n    return url\n")
    (pkg / "app.py").write_text(
        "from .helpers import fetch\n\nasync def handle(url):\n    return fetch(url)\n"
    )
    assert run_cli("svc", "--output-format", "json", cwd=tmp_path).stdout.strip() == "[]"
    (pkg / "helpers.py").write_text(
        "import requests\n\ndef fetch(url):\n    return requests.get(url)\n"
    )
    r = run_cli("svc", "--output-format", "json", cwd=tmp_path)
    found = [(Path(d["filename"]).name, d["code"]) for d in json.loads(r.stdout)]
    assert found == [("app.py", "GIL202")]


def test_a_folder_without_init_inside_a_package_is_part_of_it(tmp_path):
    # `svc/api/` has no __init__.py but sits in the package `svc` (a PEP 420 portion):
    # `svc.api.routes` imports `svc.helpers` by its absolute name, and both the helper's
    # blocking call and the coroutine that never suspends are seen through it
    pkg = tmp_path / "svc"
    (pkg / "api").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text(
        "import requests\n\ndef fetch(url):\n    return requests.get(url)\n\n"
        "class Metrics:\n    def __init__(self):\n        self.n = 0\n\n"
        "    async def count(self):\n        self.n += 1\n"
    )
    (pkg / "api" / "routes.py").write_text(
        "import asyncio\n\nfrom svc.helpers import Metrics\n\nfrom ..helpers import fetch\n\n"
        "METRICS = Metrics()\n\n"
        "async def handle(url):\n    asyncio.create_task(METRICS.count())\n"
        "    return fetch(url)\n"
    )
    # no pyproject.toml: the folder named is the only root the run is given
    r = run_cli("svc", "--output-format", "json", "--no-cache", cwd=tmp_path)
    found = [
        (Path(d["filename"]).name, d["location"]["row"], d["code"]) for d in json.loads(r.stdout)
    ]
    assert found == [("routes.py", 11, "GIL202")], r.stdout


def test_baseline_flow(project):
    r = run_cli("src", "--write-baseline", "gil-lint-baseline.json", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "wrote 1 findings" in r.stderr
    assert run_cli("src", "--baseline", "gil-lint-baseline.json", cwd=project).returncode == 0
    # moving the old finding down keeps it baselined; a new one fails the gate
    (project / "src" / "bad.py").write_text(
        "\n\n" + BAD + "\n\nasync def g():\n    time.sleep(2)\n"
    )
    r = run_cli(
        "src", "--baseline", "gil-lint-baseline.json", "--output-format", "concise", cwd=project
    )
    assert r.returncode == 1
    assert r.stdout.count("GIL201") == 1 and ":10:5: GIL201" in r.stdout
    (project / "broken.json").write_text("{")
    r = run_cli("src", "--baseline", "broken.json", cwd=project)
    assert r.returncode == 2 and "broken.json: not a gil-lint baseline" in r.stderr


def test_shards_partition_the_files(project):
    for i in range(12):  # distinct mistakes: copies of one are grouped within a run
        (project / "src" / f"m{i}.py").write_text(BAD.replace("def f", f"def f{i}"))
    everything = json.loads(
        run_cli("src", "--output-format", "json", "--no-cache", cwd=project).stdout
    )
    parts = []
    for k in (1, 2, 3):
        r = run_cli(
            "src", "--output-format", "json", "--no-cache", "--shard", f"{k}/3", cwd=project
        )
        parts += json.loads(r.stdout)
    key = lambda d: (d["filename"], d["location"]["row"])  # noqa: E731
    assert sorted(parts, key=key) == sorted(everything, key=key)
    assert run_cli("src", "--shard", "4/3", cwd=project).returncode == 2


def test_module_entry_is_not_broken_by_a_project_module_shadowing_the_stdlib(project):
    # `python -m` puts the working directory first on sys.path: a project's json.py killed
    # the run while importing gil-lint (exit 1, as if there were findings)
    (project / "json.py").write_text("raise SystemExit('the project json.py was imported')\n")
    (project / "ast.py").write_text("raise SystemExit('the project ast.py was imported')\n")
    r = run_cli("src", "--output-format", "json", "--no-cache", "--jobs", "2", cwd=project)
    assert "was imported" not in r.stdout + r.stderr
    assert r.returncode == 1
    assert [d["code"] for d in json.loads(r.stdout)] == ["GIL201"]
