"""Fixes: every rule's expected fixed examples, guarantees (re-parse, idempotence, bytes kept),
and `gil-lint --fix/--unsafe-fixes/--diff` through the real console script."""

from __future__ import annotations

import ast
import shutil
import sysconfig
from pathlib import Path

import pytest
from conftest import run_cli

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic, Edit, Fix
from gil_lint.fixes import apply_edits, apply_fixes, fix_source
from gil_lint.rules import Example, all_rules

ALL = Settings(select=("ALL",), target_gil="enabled")


def _fixed_examples():
    for rule in all_rules():
        for i, ex in enumerate(rule.INVALID):
            if isinstance(ex, Example) and ex.fixed is not None:
                yield pytest.param(rule.CODE, ex, id=f"{rule.CODE}-{i}")


@pytest.mark.parametrize(("code", "example"), list(_fixed_examples()))
def test_rule_fix_examples(code, example):
    result = fix_source(example.code, "example.py", ALL, unsafe=example.unsafe)
    assert code in {d.code for d in result.applied}
    assert result.source == example.fixed
    ast.parse(result.source)
    again = fix_source(result.source, "example.py", ALL, unsafe=example.unsafe)
    assert again.applied == [] and again.source == result.source  # idempotent
    if example.unsafe:
        safe_only = fix_source(example.code, "example.py", ALL)
        assert safe_only.source == example.code


def test_every_fixable_rule_has_a_fixed_example():
    for rule in all_rules():
        if rule.FIX:
            assert any(isinstance(e, Example) and e.fixed for e in rule.INVALID), rule.CODE


def test_existing_alias_is_reused_and_import_added_once():
    src = (
        "import asyncio as aio\nimport time\n\nasync def f():\n    time.sleep(1)\n"
        "    time.sleep(2)  # keep me\n"
    )
    out = fix_source(src, "t.py", ALL).source
    assert out == (
        "import asyncio as aio\nimport time\n\nasync def f():\n"
        "    await aio.sleep(1)\n    await aio.sleep(2)  # keep me\n"
    )
    src = "import time\n\nasync def f():\n    time.sleep(1)\n    time.sleep(2)\n"
    out = fix_source(src, "t.py", ALL).source
    assert out.count("import asyncio") == 1


def test_receiver_of_a_method_call_is_parenthesised():
    src = "from urllib.request import urlopen\nasync def f(u):\n    return urlopen(u).read()\n"
    out = fix_source(src, "t.py", ALL, unsafe=True).source
    assert "(await asyncio.to_thread(urlopen, u)).read()" in out
    ast.parse(out)


def test_context_manager_call_gets_no_fix():
    src = "async def f(p):\n    with open(p) as fh:\n        return fh.read()\n"
    assert fix_source(src, "t.py", ALL, unsafe=True).source == src


def test_crlf_and_comments_are_kept():
    src = "import time\r\n\r\nasync def f():  # c\r\n    time.sleep(1)  # why\r\n"
    out = fix_source(src, "t.py", ALL).source
    assert out == (
        "import time\r\nimport asyncio\r\n\r\nasync def f():  # c\r\n"
        "    await asyncio.sleep(1)  # why\r\n"
    )


def test_a_fix_that_would_not_parse_is_dropped():
    src = "x = 1\n"
    bad = Diagnostic(
        "GIL201",
        "n",
        "m",
        "t.py",
        1,
        1,
        1,
        2,
        fix=Fix("break it", "safe", (Edit(1, 1, 1, 2, "def"),)),
    )
    result = apply_fixes(src, [bad])
    assert result.source == src
    assert result.dropped and "would not parse" in result.dropped[0][1]


def test_apply_edits_rejects_overlaps():
    with pytest.raises(ValueError):
        apply_edits("abcdef\n", [Edit(1, 1, 1, 4, "x"), Edit(1, 3, 1, 5, "y")])


SEVERAL = """import subprocess
import time

import requests


async def handler(url):
    time.sleep(0.1)
    data = requests.get(url)
    time.sleep(0.2)
    name = input("name? ")
    subprocess.run(["ls", "-l"])
    return data, name
"""


def test_cli_fix_repairs_a_file_and_second_run_is_clean(tmp_path):
    p = tmp_path / "svc.py"
    p.write_text(SEVERAL)
    r = run_cli(str(p), "--fix", "--no-cache", cwd=tmp_path)
    assert r.returncode == 1  # unsafe-fixable findings remain
    text = p.read_text()
    assert "await asyncio.sleep(0.1)" in text and "await asyncio.to_thread(input" in text
    assert "3 fixed" in r.stdout and "--unsafe-fixes" in r.stdout
    r = run_cli(str(p), "--fix", "--unsafe-fixes", "--no-cache", cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    fixed = p.read_text()
    ast.parse(fixed)
    assert "await asyncio.to_thread(requests.get, url)" in fixed
    assert "create_subprocess_exec" in fixed
    r = run_cli(str(p), "--fix", "--unsafe-fixes", "--no-cache", cwd=tmp_path)
    assert r.returncode == 0 and p.read_text() == fixed
    assert [x.name for x in tmp_path.iterdir()] == ["svc.py"]  # no temp files left


def test_cli_diff_writes_nothing(tmp_path):
    p = tmp_path / "svc.py"
    p.write_text(SEVERAL)
    r = run_cli(str(p), "--diff", cwd=tmp_path)
    assert r.returncode == 1
    assert "-    time.sleep(0.1)" in r.stdout and "+    await asyncio.sleep(0.1)" in r.stdout
    assert p.read_text() == SEVERAL
    clean = tmp_path / "ok.py"
    clean.write_text("x = 1\n")
    assert run_cli(str(clean), "--diff", cwd=tmp_path).returncode == 0


def test_cli_fix_stdin_writes_fixed_source(tmp_path):
    r = run_cli("--fix", "--stdin-filename", "svc.py", cwd=tmp_path, stdin=SEVERAL)
    assert "await asyncio.sleep(0.1)" in r.stdout
    ast.parse(r.stdout)


def test_cli_fix_keeps_bom_and_latin1(tmp_path):
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfimport time\nasync def f():\n    time.sleep(1)\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes(
        b"# -*- coding: latin-1 -*-\nimport time\nasync def f():\n"
        b"    s = '\xe9'\n    time.sleep(1)\n"
    )
    run_cli(str(bom), str(latin), "--fix", "--no-cache", cwd=tmp_path)
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"await asyncio.sleep(1)" in bom.read_bytes()
    data = latin.read_bytes()
    assert b"'\xe9'" in data and b"await asyncio.sleep(1)" in data


def test_cli_never_modifies_a_file_with_a_syntax_error(tmp_path):
    p = tmp_path / "broken.py"
    p.write_text("import time\nasync def f(:\n    time.sleep(1)\n")
    before = p.read_bytes()
    run_cli(str(p), "--fix", "--unsafe-fixes", "--no-cache", cwd=tmp_path)
    assert p.read_bytes() == before


@pytest.mark.slow
def test_unsafe_fixes_over_stdlib_copy_keep_every_file_compiling(tmp_path):
    std = Path(sysconfig.get_paths()["stdlib"])
    corpus = tmp_path / "std"
    for pkg in ("asyncio", "concurrent", "multiprocessing"):
        shutil.copytree(std / pkg, corpus / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        std / "test" / "test_asyncio",
        corpus / "test_asyncio",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    others = sorted(p for p in std.glob("*.py"))[::3][:150]
    for p in others:
        shutil.copy(p, corpus / p.name)
    before = {p: p.read_bytes() for p in corpus.rglob("*.py")}
    (corpus / "pyproject.toml").write_text("[project]\nname = 'std'\n")
    r = run_cli(
        ".",
        "--fix",
        "--unsafe-fixes",
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "concise",
        cwd=corpus,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    changed = [p for p, data in before.items() if p.read_bytes() != data]
    assert changed, "the stdlib copy has fixable findings"
    for p in changed:
        compile(p.read_bytes(), str(p), "exec")
