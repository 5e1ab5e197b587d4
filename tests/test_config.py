"""[tool.gil-lint] loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gil_lint.config import ConfigError, Settings, load_settings, settings_from_table
from gil_lint.engine.lint import lint_source


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nearest_pyproject_with_table_wins(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.gil-lint]\nignore = ["GIL201"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    s = load_settings(start=tmp_path / "sub")
    assert s.ignore == ("GIL201",)
    assert s.project_root == tmp_path.resolve()


def test_defaults_without_config(tmp_path):
    s = load_settings(start=tmp_path)
    assert s.is_enabled("GIL201") and s.respect_gitignore and s.target_gil == "auto"


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({"selct": ["GIL2"]}, "unknown key [tool.gil-lint] 'selct'"),
        ({"select": "GIL2x"}, "'GIL2X' is not a rule code"),
        ({"ignore": ["GIL201", "GIL9"]}, "ignore: 'GIL9' matches no rule"),
        ({"per-file-ignores": {"t/*": ["GIL299"]}}, "'GIL299' matches no rule"),
        ({"select": [1]}, "expected a list of rule codes"),
        ({"respect-gitignore": "yes"}, "expected true or false"),
        ({"target-gil": "off"}, "expected one of auto, enabled, disabled"),
        ({"gather-max-size": 0}, "expected an integer >= 1"),
        ({"knowledge": {"blocking-net": ["x"]}}, "unknown knowledge key"),
        ({"knowledge": {"blocking-network": "x"}}, "expected a list of strings"),
        ({"knowledge": {"offloading-decorators": ["a.b(thread=flag)"]}}, "keyword=literal"),
        ({"knowledge": {"offloading-decorators": ["a.b(True)"]}}, "keyword=literal"),
        ({"knowledge": {"offloading-decorators": ["a.b("]}}, "not a dotted name"),
        ({"per-file-ignores": ["x"]}, "expected a table"),
        ({"max-file-size": "ten megabytes"}, 'a string like "10MB"'),
        ({"max-file-size": -1}, 'a string like "10MB"'),
        ({"max-file-size": True}, 'a string like "10MB"'),
    ],
)
def test_bad_values_name_file_and_key(table, fragment):
    with pytest.raises(ConfigError) as e:
        settings_from_table(table, "pyproject.toml")
    assert fragment in str(e.value)
    assert str(e.value).startswith("pyproject.toml")
    assert "\n" not in str(e.value)


def test_selectors_are_checked_against_every_rule_without_importing_the_rules():
    # the config reads the rule codes from the registry's file names: they must be the
    # registry's codes, and every one of them (and only those) must be accepted
    from gil_lint.config import _all_codes
    from gil_lint.rules import all_rules

    codes = {r.CODE for r in all_rules()}
    assert set(_all_codes()) == codes | {"GIL001", "GIL002", "GIL003"}
    for code in codes:
        assert settings_from_table({"ignore": [code]}, "pyproject.toml").ignore == (code,)


def test_invalid_toml_is_one_line(tmp_path):
    p = write(tmp_path / "pyproject.toml", "[tool.gil-lint\nselect = [")
    with pytest.raises(ConfigError) as e:
        load_settings(config=p)
    assert "invalid TOML" in str(e.value)


def test_prefix_selection_longest_wins():
    s = Settings(select=("GIL2",), ignore=("GIL20",), extend_select=("GIL201",))
    assert s.is_enabled("GIL201")
    assert not s.is_enabled("GIL202")
    assert s.is_enabled("GIL207") is False  # GIL20 ignore covers GIL207
    assert not s.is_enabled("GIL101")
    assert Settings(select=("ALL",)).is_enabled("GIL404")


def test_per_file_ignores(tmp_path):
    s = settings_from_table({"per-file-ignores": {"tests/*": ["GIL201"]}}, "p")
    s = Settings(**{**s.__dict__, "project_root": tmp_path})
    code = "import time\nasync def f():\n    time.sleep(1)\n"
    assert lint_source(code, str(tmp_path / "tests" / "t.py"), s) == []
    assert [d.code for d in lint_source(code, str(tmp_path / "src" / "t.py"), s)] == ["GIL201"]


def test_knowledge_extension_by_qualified_name():
    s = settings_from_table({"knowledge": {"blocking-network": ["mycorp.http.fetch"]}}, "p")
    code = "from mycorp.http import fetch\nasync def f():\n    fetch('x')\n"
    assert [d.code for d in lint_source(code, "t.py", s)] == ["GIL202"]
    quiet = settings_from_table({"knowledge": {"non-blocking": ["time.sleep"]}}, "p")
    assert lint_source("import time\nasync def f():\n    time.sleep(1)\n", "t.py", quiet) == []


def test_knowledge_extends_the_cost_model():
    # issue #14: a user's own metadata call is GIL208 where written and nothing through a
    # helper; a user's own memoizing decorator makes a constant-argument call block once
    s = settings_from_table(
        {
            "knowledge": {
                "blocking-metadata": ["mycorp.fs.exists"],
                "memoizing-decorators": ["mycorp.cache.memo"],
            },
            "extend-select": ["GIL208"],
        },
        "p",
    )
    code = (
        "from mycorp.fs import exists\ndef check(p):\n    return exists(p)\n"
        "async def f(p):\n    check(p)\n    return exists(p)\n"
    )
    assert [(d.row, d.code) for d in lint_source(code, "t.py", s)] == [(6, "GIL208")]
    memo = (
        "import requests\nfrom mycorp.cache import memo\n@memo\ndef token():\n"
        "    return requests.get('https://auth')\nasync def f():\n    return token()\n"
    )
    assert lint_source(memo, "t.py", s) == []
    assert [d.code for d in lint_source(memo, "t.py")] == ["GIL202"]


def test_noqa_forms():
    base = "import time\nasync def f():\n"
    assert lint_source(base + "    time.sleep(1)  # noqa\n", "t.py") == []
    assert lint_source(base + "    time.sleep(1)  # noqa: GIL201\n", "t.py") == []
    assert lint_source(base + "    time.sleep(1)  # noqa: GIL202,GIL201\n", "t.py") == []
    assert len(lint_source(base + "    time.sleep(1)  # noqa: GIL202\n", "t.py")) == 1
    assert lint_source("# gil-lint: noqa\n" + base + "    time.sleep(1)\n", "t.py") == []


@pytest.mark.parametrize(
    ("value", "size"), [(0, 0), (2048, 2048), ("10MB", 10_000_000), ("1.5 kb", 1500), ("7", 7)]
)
def test_max_file_size_units(value, size):
    assert settings_from_table({"max-file-size": value}, "pyproject.toml").max_file_size == size


def test_max_file_size_applies_only_to_files_that_need_parsing():
    small = Settings(max_file_size=100)
    bad = "import time\nasync def f():\n    time.sleep(1)\n" + "# padding\n" * 20
    [d] = lint_source(bad, "big.py", small)
    assert d.code == "GIL002" and "over max-file-size (100 B)" in d.message
    # no concurrency code: the byte pre-scan skips it whatever its size
    assert lint_source("x = 1\n" * 100, "data.py", small) == []
    # 0 is no limit
    assert [d.code for d in lint_source(bad, "big.py", Settings(max_file_size=0))] == ["GIL201"]


def test_an_opt_in_rule_runs_only_when_its_code_is_selected():
    # GIL208 (metadata syscalls) is off by default: prefixes do not turn it on, its code does
    code = "import os\nasync def f(p):\n    return os.path.exists(p)\n"
    selections = [
        {},
        {"select": ("GIL2",)},
        {"extend_select": ("GIL20",)},
        {"extend_select": ("GIL208",)},
        {"select": ("GIL208",)},
        {"select": ("ALL",)},
        {"select": ("ALL",), "ignore": ("GIL208",)},
    ]
    codes = {
        repr(selection): [d.code for d in lint_source(code, "t.py", Settings(**selection))]
        for selection in selections
    }
    assert list(codes.values()) == [[], [], [], ["GIL208"], ["GIL208"], ["GIL208"], []]


def test_a_text_file_is_gil209_off_by_default_and_a_users_own_text_api_joins_it():
    # a settings file read whole: GIL209, which only its code turns on; the same reader as
    # a user's own `blocking-text` API, through a helper too
    code = (
        "import json\nfrom mycorp.settings import load\ndef settings(p):\n    return load(p)\n"
        "async def f(p):\n    with open(p) as fh:\n        return json.load(fh), settings(p)\n"
    )
    mine = {"knowledge": {"blocking-text": ["mycorp.settings.load"]}}
    assert lint_source(code, "t.py", settings_from_table(mine, "p")) == []
    on = settings_from_table({**mine, "extend-select": ["GIL209"]}, "p")
    found = lint_source(code, "t.py", on)
    assert [(d.row, d.code) for d in found] == [(6, "GIL209")]
    # the helper's read is the same coroutine's file work: counted on the one finding
    assert "1 more blocking call in this function" in found[0].message


def test_cpu_work_on_the_event_loop_is_gil206_off_by_default():
    # no review set had a GIL206 finding worth a change: it is selected, not on by default
    code = (
        "def crunch(n):\n    t = 0\n    for i in range(n):\n        t += i % 7\n    return t\n"
        "async def handler():\n    return crunch(50_000_000)\n"
    )
    assert lint_source(code, "t.py", Settings(target_gil="enabled")) == []
    on = Settings(target_gil="enabled", extend_select=("GIL206",))
    assert [(d.row, d.code) for d in lint_source(code, "t.py", on)] == [(7, "GIL206")]


def test_performance_rules_are_quiet_in_test_code_and_correctness_rules_are_not(tmp_path):
    # a blocking call in an async test slows the test, nobody's event loop; a coroutine
    # that is never awaited makes the test pass without running it
    code = (
        "import asyncio, time\nasync def helper():\n    pass\n"
        "async def test_it():\n    time.sleep(1)\n    helper()\n"
        "    asyncio.create_task(helper())\n"
    )
    # GIL207 (a prompt) is opt-in: on here, to show where it is quiet
    settings = Settings(project_root=tmp_path, extend_select=("GIL207",))
    found = {
        rel: sorted(d.code for d in lint_source(code, str(tmp_path / rel), settings))
        for rel in (
            "app/service.py",
            "tests/test_service.py",
            "app/testing/client.py",
            "app/utils_test.py",
            "conftest.py",
            "app/test_data_builder.py",
            "contest/latest.py",
            "app/testing.py",
            "app/pytest_plugin.py",
            "app/_testbase/__init__.py",
            "app/testutils.py",
            "app/contesting.py",
            "benchmarks/run.py",
            "pkg/evals/suite.py",
            "pkg/utils/benchmark.py",
            "pkg/evaluation/agent_evaluator.py",
            "pkg/eval_framework/run_eval.py",
            "pkg/debug/dev_tools/layout_page.py",
            "pkg/devtools/preview.py",
            "pkg/evaluator.py",
        )
    }
    assert found == {
        "app/service.py": ["GIL201", "GIL401", "GIL402"],
        "tests/test_service.py": ["GIL401"],
        "app/testing/client.py": ["GIL401"],
        "app/utils_test.py": ["GIL401"],
        "conftest.py": ["GIL401"],
        "app/test_data_builder.py": ["GIL401"],
        "contest/latest.py": ["GIL201", "GIL401", "GIL402"],
        # test support shipped in a package, named as such
        "app/testing.py": ["GIL401"],
        "app/pytest_plugin.py": ["GIL401"],
        "app/_testbase/__init__.py": ["GIL401"],
        "app/testutils.py": ["GIL401"],
        "app/contesting.py": ["GIL201", "GIL401", "GIL402"],
        # benchmark and evaluation harnesses exercise the program like tests
        "benchmarks/run.py": ["GIL401"],
        "pkg/evals/suite.py": ["GIL401"],
        "pkg/utils/benchmark.py": ["GIL401"],
        "pkg/evaluation/agent_evaluator.py": ["GIL401"],
        "pkg/eval_framework/run_eval.py": ["GIL401"],
        # a developer's tools: a layout dump, a preview server
        "pkg/debug/dev_tools/layout_page.py": ["GIL401"],
        "pkg/devtools/preview.py": ["GIL401"],
        # a module named for evaluating is not a harness
        "pkg/evaluator.py": ["GIL201", "GIL401", "GIL402"],
    }
    # the folders above the project say nothing: a project that lives in ~/test/ is not tests
    inside = Settings(project_root=tmp_path / "test" / "proj")
    path = str(tmp_path / "test" / "proj" / "svc.py")
    assert [d.code for d in lint_source(code, path, inside)] == ["GIL201", "GIL401", "GIL402"]
    # `test-code-ignore = []` lints test code like the rest
    strict = settings_from_table({"test-code-ignore": []}, "p", Settings(project_root=tmp_path))
    path = str(tmp_path / "tests" / "test_service.py")
    assert sorted(d.code for d in lint_source(code, path, strict)) == [
        "GIL201",
        "GIL401",
        "GIL402",
    ]


def test_event_loop_rules_are_quiet_in_command_line_entry_code(tmp_path):
    # a command runs alone on its loop: a prompt or a config read there delays nothing else;
    # a thread doing CPU work is as slow for the command's user as anywhere
    code = (
        "import asyncio, threading\nasync def helper():\n    pass\n"
        "def crunch():\n    return sum(i * i for i in range(10**8))\n"
        "async def ask():\n    name = input('name? ')\n    helper()\n"
        "    threading.Thread(target=crunch).start()\n"
    )
    # GIL207 (a prompt) is opt-in: on here, to show where it is quiet (`ask`, not `main`: a
    # prompt in `main` before it starts anything is quiet anywhere)
    settings = Settings(project_root=tmp_path, extend_select=("GIL207",))
    found = {
        rel: sorted(d.code for d in lint_source(code, str(tmp_path / rel), settings))
        for rel in (
            "app/service.py",
            "app/__main__.py",
            "app/cli.py",
            "app/_cli.py",
            "app/cli/run.py",
            "app/scripts/remote.py",
            "app/client.py",
            "app/clients/run.py",
            "app/migrations.py",
            "app/db/migrations/env.py",
            "app/migration/quantize.py",
            "app/migrator.py",
            "app/api/migration.py",
        )
    }
    everything = ["GIL101", "GIL207", "GIL401"]
    assert found == {
        "app/service.py": everything,
        "app/__main__.py": ["GIL101", "GIL401"],
        "app/cli.py": ["GIL101", "GIL401"],
        "app/_cli.py": ["GIL101", "GIL401"],
        "app/cli/run.py": ["GIL101", "GIL401"],
        "app/scripts/remote.py": ["GIL101", "GIL401"],
        "app/client.py": everything,
        "app/clients/run.py": everything,
        # a data migration runs once per upgrade, run by an operator
        "app/migrations.py": ["GIL101", "GIL401"],
        "app/db/migrations/env.py": ["GIL101", "GIL401"],
        "app/migration/quantize.py": ["GIL101", "GIL401"],
        "app/migrator.py": everything,
        # a web API's migration endpoint serves requests
        "app/api/migration.py": everything,
    }
    # `cli-code-ignore = []` lints it like the rest; the key is checked like any other
    strict = settings_from_table({"cli-code-ignore": []}, "p", settings)
    path = str(tmp_path / "app" / "cli.py")
    assert sorted(d.code for d in lint_source(code, path, strict)) == everything
    with pytest.raises(ConfigError, match="cli-code-ignore"):
        settings_from_table({"cli-code-ignore": 3}, "p", Settings())


def test_a_rule_the_file_ignores_is_not_run(tmp_path):
    # its findings would all be dropped: it is not run at all (a test suite is parsed for
    # its correctness rules; the performance rules' summaries and fixes cost the most)
    from gil_lint.rules import rule_by_code

    ran: list[str] = []

    def recording(code: str) -> type:
        rule = rule_by_code(code)
        assert rule is not None

        class Recording(rule):  # type: ignore[valid-type,misc]
            def visit_Call(self, node: object) -> None:
                ran.append(self.CODE)
                super().visit_Call(node)

        return Recording

    rules = [recording("GIL201"), recording("GIL405")]
    code = "import threading, time\nasync def f():\n    time.sleep(1)\nthreading.Thread()\n"
    settings = settings_from_table(
        {"per-file-ignores": {"legacy/*": ["GIL4"]}}, "p", Settings(project_root=tmp_path)
    )
    settings = Settings(**{**settings.__dict__, "project_root": tmp_path})
    found = lint_source(code, str(tmp_path / "app.py"), settings, rules=rules)
    assert [d.code for d in found] == ["GIL201"] and sorted(set(ran)) == ["GIL201", "GIL405"]
    ran.clear()
    assert lint_source(code, str(tmp_path / "tests" / "test_app.py"), settings, rules=rules) == []
    assert sorted(set(ran)) == ["GIL405"]  # GIL2 is ignored in test code; GIL405 is not
    ran.clear()
    assert lint_source(code, str(tmp_path / "legacy" / "old.py"), settings, rules=rules) != []
    assert sorted(set(ran)) == ["GIL201"]  # per-file-ignores drop GIL4 there
    assert settings.ignored_codes(["GIL201", "GIL405", "GIL401"], "legacy/test_x.py") == {
        "GIL201",
        "GIL405",
        "GIL401",
    }
