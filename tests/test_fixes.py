"""Fixes: every rule's expected fixed examples, guarantees (re-parse, idempotence, bytes kept),
and `gil-lint --fix/--unsafe-fixes/--diff` through the real console script."""

from __future__ import annotations

import ast
import os
import shutil
import stat
import sysconfig
from pathlib import Path

import pytest
from conftest import run_cli

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic, Edit, Fix
from gil_lint.engine.lint import lint_source
from gil_lint.fix.apply import apply_edits, apply_fixes, fix_source
from gil_lint.rules import Example, all_rules
from gil_lint.text import write_atomically

ALL = Settings(select=("ALL",), target_gil="enabled", target_version=(3, 11))


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


def _diag(row: int, col: int, end_col: int, content: str, code: str = "GIL201") -> Diagnostic:
    edit = Edit(row, col, row, end_col, content)
    return Diagnostic(code, "n", "m", "t.py", row, col, row, end_col, fix=Fix("f", "safe", (edit,)))


def test_a_fix_that_would_not_parse_is_dropped():
    src = "x = 1\ny = 2\n"
    bad = _diag(1, 1, 2, "def")
    good = _diag(2, 5, 6, "3")
    result = apply_fixes(src, [bad, good])
    assert result.source == "x = 1\ny = 3\n"  # the good fix still applies
    assert result.applied == [good]
    assert [(d, reason) for d, reason in result.dropped] == [(bad, "result would not parse")]


def test_a_fix_that_would_not_compile_is_dropped():
    # `await` outside `async def` parses but does not compile
    src = "def f():\n    return g()\n"
    result = apply_fixes(src, [_diag(2, 12, 15, "await g()")])
    assert result.source == src and result.dropped


def test_a_dropped_fix_is_reported_once_over_passes():
    def lint(source, path, settings):
        # a bad fix that is offered again on every pass, next to one good fix per pass
        out = [_diag(1, 1, 2, "def", code="GIL999")]
        if "y = 2" in source:
            out.append(_diag(2, 5, 6, "3"))
        return out

    result = fix_source("x = 1\ny = 2\n", "t.py", lint=lint)
    assert result.source == "x = 1\ny = 3\n"
    assert [d.code for d, _ in result.dropped] == ["GIL999"]


def test_apply_edits_rejects_overlaps():
    with pytest.raises(ValueError):
        apply_edits("abcdef\n", [Edit(1, 1, 1, 4, "x"), Edit(1, 3, 1, 5, "y")])


NO_FIX = {
    "asyncio shadowed by a parameter": "import time\nasync def f(asyncio):\n    time.sleep(1)\n",
    "asyncio bound to something else": "import time\nasyncio = None\n"
    "async def f():\n    time.sleep(1)\n",
    "await is not allowed in a class body": "import time\nasync def f():\n    class C:\n"
    "        x = time.sleep(1)\n",
    "await would make a generator expression async": "import time\nasync def f(xs):\n"
    "    return list(time.sleep(x) for x in xs)\n",
    "a sync function cannot await": "async def g():\n    pass\ndef f():\n    g()\n",
    "check= has no equivalent": "import subprocess\nasync def f():\n"
    "    subprocess.run(['ls'], check=True)\n",
    "an unread PIPE can deadlock wait()": "import subprocess\nasync def f():\n"
    "    subprocess.run(['ls'], stdout=subprocess.PIPE)\n",
    "the result is used": "import subprocess\nasync def f():\n    return subprocess.run(['ls'])\n",
    "the helper's set name is taken": "import asyncio\n_background_tasks = []\n"
    "async def f(c):\n    asyncio.create_task(c)\n",
    "asyncio.run with options": "import asyncio\nasync def g():\n    pass\n"
    "async def f():\n    asyncio.run(g(), debug=True)\n",
    "a thread-only keyword": "from concurrent.futures import ThreadPoolExecutor\n"
    "def work(n):\n    t = 0\n    for i in range(n):\n        t += i * i\n    return t\n"
    "def main():\n    ex = ThreadPoolExecutor(thread_name_prefix='w')\n"
    "    return ex.submit(work, 10**6)\n",
}


@pytest.mark.parametrize("src", list(NO_FIX.values()), ids=list(NO_FIX))
def test_no_fix_where_it_would_be_wrong(src):
    assert lint_source(src, "t.py", ALL), "the example must still be a finding"
    result = fix_source(src, "t.py", ALL, unsafe=True)
    assert result.source == src and result.applied == [] and result.dropped == []


def test_generator_argument_gets_its_own_parentheses():
    src = "import requests\nasync def f(us):\n    requests.post(u for u in us)\n"
    out = fix_source(src, "t.py", ALL, unsafe=True).source
    assert "await asyncio.to_thread(requests.post, (u for u in us))" in out


def test_multiline_call_keeps_layout_and_crlf():
    src = (
        "import requests\r\n\r\nasync def f(u):\r\n    return requests.get(\r\n"
        "        u,  # the url\r\n        timeout=5,\r\n    )\r\n"
    )
    out = fix_source(src, "t.py", ALL, unsafe=True).source
    assert out == (
        "import requests\r\nimport asyncio\r\n\r\nasync def f(u):\r\n"
        "    return await asyncio.to_thread(\r\n        requests.get,\r\n        u,  # the url\r\n"
        "        timeout=5,\r\n    )\r\n"
    )
    assert "\n" not in out.replace("\r\n", "")


def test_multiline_call_gives_the_callable_its_own_line():
    # found on real code (prefect, distributed): `f(\n    a,\n)` became
    # `to_thread(\n    f, a,\n)`; a comment after `(` stays there, once
    src = (
        "import os\n\nasync def f(p):\n    os.unlink(  # why\n        p,\n    )\n"
        "    os.unlink(p,\n              dir_fd=3)\n"
    )
    out = fix_source(src, "t.py", ALL, unsafe=True).source
    assert out == (
        "import os\nimport asyncio\n\nasync def f(p):\n"
        "    await asyncio.to_thread(  # why\n        os.unlink,\n        p,\n    )\n"
        "    await asyncio.to_thread(os.unlink, p,\n              dir_fd=3)\n"
    )


def test_no_to_thread_fix_for_a_lock_release():
    # seen on prefect: `file_lock.release()` (its FileLock unlinks a file) became
    # `await asyncio.to_thread(file_lock.release)`. Prefect's lock does not mind, but
    # filelock.FileLock (thread-local by default) and RLock belong to the acquiring thread:
    # released in a worker thread, the lock stays held
    src = (
        # (it writes too: a chain to the unlink alone is metadata, not reported at all)
        # (on files its caller names: a lock file the helper picks itself is its own)
        "import os\n\nclass FileLock:\n    def release(self, fd):\n        os.write(fd, b'')\n"
        "        os.unlink('x.lock')\n"
        "    def acquire(self, path):\n        fd = os.open(path, os.O_CREAT | os.O_EXCL)\n"
        "        os.write(fd, b'1')\n\n"
        "async def f(path, fd):\n    lock = FileLock()\n    lock.acquire(path)\n    try:\n"
        "        pass\n    finally:\n        lock.release(fd)\n"
    )
    found = lint_source(src, "t.py", ALL)
    # still reported: one coroutine's file work, the release its evidence
    assert sorted(d.code for d in found) == ["GIL203"]
    assert any("FileLock.release" in e.message for e in found[0].evidence)
    assert all(d.fix is None for d in found)
    # nor is offloading one of the two calls the advice
    assert all("an asyncio lock" in d.message and "to_thread(lock" not in d.message for d in found)
    assert fix_source(src, "t.py", ALL, unsafe=True).source == src


def test_import_goes_after_docstring_future_and_import_block():
    src = (
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\nimport time\n\n'
        "X = os.sep\n\n\nasync def f():\n    time.sleep(1)\n"
    )
    out = fix_source(src, "t.py", ALL).source
    assert out.startswith(
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\nimport time\n'
        "import asyncio\n\nX = os.sep\n"
    )


def test_main_guard_moves_the_statements_that_use_the_pool():
    src = (
        "from multiprocessing import Pool\n\n\ndef work(x):\n    return x * x\n\n\n"
        "pool = Pool(4)\nresults = pool.map(work, range(10))\nprint(results)\n"
        "unrelated = 1\n"
    )
    out = fix_source(src, "t.py", ALL, unsafe=True).source
    assert out.endswith(
        'if __name__ == "__main__":\n    pool = Pool(4)\n'
        "    results = pool.map(work, range(10))\n    print(results)\nunrelated = 1\n"
    )
    compile(out, "t.py", "exec")


def test_main_guard_indents_after_a_form_feed():
    # Python counts indentation from the last form feed: "   \f pool.map" is indented by
    # one, so spaces put before the form feed would not indent it (found by the fuzzer)
    src = (
        "from multiprocessing import Pool\n\n\ndef work(x):\n    return x\n\n\n"
        "with Pool() as pool:\n   \x0c pool.map(work, [1])\n"
    )
    (d,) = [d for d in lint_source(src, "t.py", ALL) if d.code == "GIL301"]
    out = apply_edits(src, d.fix.edits)
    assert out.endswith(
        'if __name__ == "__main__":\n    with Pool() as pool:\n   \x0c     pool.map(work, [1])\n'
    )
    compile(out, "t.py", "exec")


def test_thread_pool_fix_from_the_constructor():
    from gil_lint.config import Settings as S
    from gil_lint.engine.context import ModuleContext
    from gil_lint.engine.knowledge import load_knowledge
    from gil_lint.engine.scopes import ScopeBuilder
    from gil_lint.rules.gil101_cpu_bound_in_thread import thread_pool_to_process_pool_fix

    src = "import concurrent.futures as cf\nex = cf.ThreadPoolExecutor(max_workers=2)\n"
    tree = ast.parse(src)
    ctx = ModuleContext(
        path="t.py",
        source=src,
        tree=tree,
        module_name="t",
        scopes=ScopeBuilder("t", False).build(tree),
        knowledge=load_knowledge(S().knowledge),
        settings=S(),
    )
    call = tree.body[1].value
    fix = thread_pool_to_process_pool_fix(ctx, call)
    assert fix is not None and fix.applicability == "unsafe"
    assert apply_edits(src, fix.edits).endswith("ex = cf.ProcessPoolExecutor(max_workers=2)\n")


_WORK = "def work(n):\n    t = 0\n    for i in range(n):\n        t += i * i\n    return t\n"


def _unsafe_fixed(src: str) -> str:
    """The --unsafe-fixes result, checked to compile and to be a fixed point."""
    out = fix_source(src, "t.py", ALL, unsafe=True).source
    compile(out, "t.py", "exec")
    assert fix_source(out, "t.py", ALL, unsafe=True).source == out
    return out


@pytest.mark.parametrize(
    ("imports", "pool", "fixed_imports", "fixed_pool"),
    [
        pytest.param(
            "from concurrent.futures import ThreadPoolExecutor\n",
            "ThreadPoolExecutor()",
            "from concurrent.futures import ProcessPoolExecutor\n",
            "ProcessPoolExecutor()",
            id="rewritten-in-place",
        ),
        pytest.param(
            "from concurrent.futures import ThreadPoolExecutor as TPE\n",
            "TPE(max_workers=4)",
            "from concurrent.futures import ProcessPoolExecutor\n",
            "ProcessPoolExecutor(max_workers=4)",
            id="alias-rewritten",
        ),
        pytest.param(
            "from concurrent.futures import ThreadPoolExecutor, as_completed  # pools\n",
            "ThreadPoolExecutor()",
            "from concurrent.futures import ProcessPoolExecutor, as_completed  # pools\n",
            "ProcessPoolExecutor()",
            id="among-other-names",
        ),
        pytest.param(
            "from concurrent.futures import (\n"
            "    Future,\n    ThreadPoolExecutor,\n    wait,\n)\n",
            "ThreadPoolExecutor()",
            "from concurrent.futures import (\n"
            "    Future,\n    ProcessPoolExecutor,\n    wait,\n)\n",
            "ProcessPoolExecutor()",
            id="parenthesised",
        ),
        pytest.param(
            "import concurrent.futures as cf\n",
            "cf.ThreadPoolExecutor()",
            "import concurrent.futures as cf\n",
            "cf.ProcessPoolExecutor()",
            id="module-alias",
        ),
        pytest.param(
            "import concurrent.futures\n",
            "concurrent.futures.ThreadPoolExecutor()",
            "import concurrent.futures\n",
            "concurrent.futures.ProcessPoolExecutor()",
            id="module",
        ),
    ],
)
def test_thread_pool_fix_rewrites_the_existing_import(imports, pool, fixed_imports, fixed_pool):
    body = f"def main(xs):\n    with {pool} as ex:\n        return list(ex.map(work, xs))\n"
    fixed_body = body.replace(pool, fixed_pool)
    assert _unsafe_fixed(imports + _WORK + body) == fixed_imports + _WORK + fixed_body


@pytest.mark.parametrize(
    ("imports", "fixed_imports", "other_use"),
    [
        pytest.param(
            "from concurrent.futures import ThreadPoolExecutor\n",
            "from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor\n",
            "def io(urls):\n"
            "    with ThreadPoolExecutor() as ex:\n        return list(ex.map(len, urls))\n",
            id="another-pool",
        ),
        pytest.param(
            "from concurrent.futures import ThreadPoolExecutor as TPE\n",
            "from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor as TPE\n",
            "def is_pool(x):\n    return isinstance(x, TPE)\n",
            id="alias-in-isinstance",
        ),
        pytest.param(
            "from concurrent.futures import wait, ThreadPoolExecutor\n",
            "from concurrent.futures import wait, ProcessPoolExecutor, ThreadPoolExecutor\n",
            "__all__ = ['ThreadPoolExecutor', 'wait']\n",
            id="unsorted-and-re-exported",
        ),
        pytest.param(
            "from concurrent.futures import (\n    ThreadPoolExecutor,\n)\n",
            "from concurrent.futures import (\n"
            "    ProcessPoolExecutor,\n    ThreadPoolExecutor,\n)\n",
            "def annotated(ex: 'ThreadPoolExecutor'):\n    return ex\n",
            id="parenthesised-quoted-annotation",
        ),
    ],
)
def test_thread_pool_fix_imports_beside_a_thread_pool_still_used(imports, fixed_imports, other_use):
    pool = imports.rpartition(" ")[2].strip(" ()\n,")  # the name the import binds
    body = f"def main(xs):\n    with {pool}() as ex:\n        return list(ex.map(work, xs))\n"
    fixed_body = body.replace(f"{pool}()", "ProcessPoolExecutor()")
    src = imports + _WORK + body + other_use
    assert _unsafe_fixed(src) == fixed_imports + _WORK + fixed_body + other_use


def test_thread_pool_fix_on_three_pools_leaves_no_thread_pool_import():
    # the first fix imports beside the others' ThreadPoolExecutor; the next ones, a pass
    # each, find ProcessPoolExecutor imported, and the last drops the thread pool
    body = (
        "def main(xs):\n    with ThreadPoolExecutor() as ex:\n"
        "        return list(ex.map(work, xs))\n"
        "def again(xs):\n    with ThreadPoolExecutor(2) as ex:\n"
        "        return ex.submit(work, 10**6)\n"
        "def last(xs):\n    with ThreadPoolExecutor(3) as ex:\n"
        "        return ex.submit(work, 2 * 10**6)\n"
    )
    src = "from concurrent.futures import ThreadPoolExecutor, wait\n" + _WORK + body
    assert _unsafe_fixed(src) == (
        "from concurrent.futures import ProcessPoolExecutor, wait\n"
        + _WORK
        + body.replace("ThreadPoolExecutor", "ProcessPoolExecutor")
    )


@pytest.mark.parametrize(
    ("imports", "fixed_imports"),
    [
        pytest.param(
            "from concurrent.futures import ProcessPoolExecutor\n"
            "from concurrent.futures import ThreadPoolExecutor\n",
            "from concurrent.futures import ProcessPoolExecutor\n",
            id="statement-deleted",
        ),
        pytest.param(
            "from concurrent.futures import (\n"
            "    ProcessPoolExecutor,\n    ThreadPoolExecutor,\n)\n",
            "from concurrent.futures import (\n    ProcessPoolExecutor,\n)\n",
            id="name-dropped",
        ),
        pytest.param(
            "from concurrent.futures import ProcessPoolExecutor\n"
            "from concurrent.futures import ThreadPoolExecutor  # noqa: F401\n",
            "from concurrent.futures import ProcessPoolExecutor\n"
            "from concurrent.futures import ThreadPoolExecutor  # noqa: F401\n",
            id="commented-statement-kept",
        ),
    ],
)
def test_thread_pool_fix_drops_the_thread_pool_when_process_pool_is_imported(
    imports, fixed_imports
):
    body = (
        "def main(xs):\n    with ThreadPoolExecutor() as ex:\n"
        "        return list(ex.map(work, xs))\n"
    )
    fixed_body = body.replace("ThreadPoolExecutor", "ProcessPoolExecutor")
    assert _unsafe_fixed(imports + _WORK + body) == fixed_imports + _WORK + fixed_body


def test_thread_pool_fix_adds_an_import_only_when_there_is_none_to_extend():
    # imported under `if`: no module-level statement to rewrite; one is added below the block
    imports = (
        "import sys\nif sys.platform:\n    from concurrent.futures import ThreadPoolExecutor\n"
    )
    body = (
        "def main(xs):\n    with ThreadPoolExecutor() as ex:\n"
        "        return list(ex.map(work, xs))\n"
    )
    assert _unsafe_fixed(imports + _WORK + body) == (
        imports
        + "from concurrent.futures import ProcessPoolExecutor\n"
        + _WORK
        + body.replace("ThreadPoolExecutor", "ProcessPoolExecutor")
    )


def test_write_atomically_keeps_mode_and_leaves_no_temp_files(tmp_path):
    p = tmp_path / "m.py"
    p.write_bytes(b"old\n")
    os.chmod(p, 0o640)
    link = tmp_path / "link.py"
    link.symlink_to(p)
    write_atomically(str(link), b"new\r\n")
    assert p.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(p.stat().st_mode) == 0o640
    assert link.is_symlink()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["link.py", "m.py"]


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
    r = run_cli(str(p), "--fix", "--no-cache", "--extend-select", "GIL207", cwd=tmp_path)
    assert r.returncode == 1  # unsafe-fixable findings remain
    text = p.read_text()
    assert "await asyncio.sleep(0.1)" in text and "await asyncio.to_thread(input" in text
    assert "3 fixed" in r.stdout and "--unsafe-fixes" in r.stdout
    r = run_cli(
        str(p), "--fix", "--unsafe-fixes", "--no-cache", "--extend-select", "GIL207", cwd=tmp_path
    )
    assert r.returncode == 0, r.stdout
    fixed = p.read_text()
    ast.parse(fixed)
    assert "await asyncio.to_thread(requests.get, url)" in fixed
    assert "create_subprocess_exec" in fixed
    r = run_cli(
        str(p), "--fix", "--unsafe-fixes", "--no-cache", "--extend-select", "GIL207", cwd=tmp_path
    )
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


def test_cli_fix_keeps_crlf_and_comments(tmp_path):
    p = tmp_path / "crlf.py"
    p.write_bytes(
        b"import time  # clock\r\n\r\n\r\nasync def f():\r\n"
        b"    # wait a bit\r\n    time.sleep(1)    # odd spacing kept\r\n"
    )
    r = run_cli(str(p), "--fix", "--no-cache", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert p.read_bytes() == (
        b"import time  # clock\r\nimport asyncio\r\n\r\n\r\nasync def f():\r\n"
        b"    # wait a bit\r\n    await asyncio.sleep(1)    # odd spacing kept\r\n"
    )


def test_cli_unsafe_fixes_alone_shows_them_as_fixable_and_writes_nothing(tmp_path):
    p = tmp_path / "svc.py"
    p.write_text(SEVERAL)
    r = run_cli(str(p), "--unsafe-fixes", "--no-cache", "--extend-select", "GIL207", cwd=tmp_path)
    assert r.returncode == 1
    assert "5 fixable with the `--fix` option" in r.stdout
    assert p.read_text() == SEVERAL
    r = run_cli(str(p), "--no-cache", "--extend-select", "GIL207", cwd=tmp_path)
    assert "3 fixable" in r.stdout and "2 hidden fixes" in r.stdout


def test_cli_fix_stdin_reports_remaining_findings_on_stderr(tmp_path):
    r = run_cli("--fix", "--stdin-filename", "svc.py", cwd=tmp_path, stdin=SEVERAL)
    assert r.returncode == 1  # the unsafe-fixable findings remain
    assert "GIL202" in r.stderr and "GIL202" not in r.stdout
    r = run_cli(
        "--fix", "--unsafe-fixes", "--stdin-filename", "svc.py", cwd=tmp_path, stdin=SEVERAL
    )
    assert r.returncode == 0, r.stderr
    assert "await (await asyncio.create_subprocess_exec(" in r.stdout


def _stdlib_sample(std: Path, n: int = 150) -> list[Path]:
    """``n`` files picked deterministically: asyncio's tests first (async code, where most
    fixes apply), then every third top-level module."""
    tests = sorted((std / "test" / "test_asyncio").glob("*.py"))
    modules = sorted(std.glob("*.py"))[::3]
    return (tests + modules)[:n]


@pytest.mark.slow
def test_unsafe_fixes_over_stdlib_copy_keep_every_file_compiling(tmp_path):
    std = Path(sysconfig.get_paths()["stdlib"])
    corpus = tmp_path / "std"
    for pkg in ("asyncio", "concurrent", "multiprocessing"):
        shutil.copytree(std / pkg, corpus / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for p in _stdlib_sample(std):
        target = corpus / p.relative_to(std)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, target)
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
    leftovers = [p for p in corpus.rglob("*") if p.name.startswith(".gil-lint-")]
    assert leftovers == []


# -- trio and anyio: fixes and advice in the module's own event-loop library --------------
@pytest.mark.parametrize(
    ("source", "fixed", "advice"),
    [
        (
            "import time\nimport trio\n\nasync def f():\n    time.sleep(1)\n",
            "import time\nimport trio\n\nasync def f():\n    await trio.sleep(1)\n",
            "use `await trio.sleep(...)`",
        ),
        (
            "import anyio\nimport requests\n\nasync def f(u):\n    return requests.get(u).text\n",
            "import anyio\nimport requests\n\nasync def f(u):\n"
            "    return (await anyio.to_thread.run_sync(requests.get, u)).text\n",
            "`await anyio.to_thread.run_sync(requests.get, ...)`",
        ),
        (  # `from trio import ...` is enough to know; trio itself gets imported for the fix
            "import time\nfrom trio import open_nursery\n\nasync def f():\n    time.sleep(1)\n",
            "import time\nfrom trio import open_nursery\nimport trio\n\nasync def f():\n"
            "    await trio.sleep(1)\n",
            "use `await trio.sleep(...)`",
        ),
    ],
)
def test_fixes_use_the_modules_async_library(source, fixed, advice):
    # `await asyncio.sleep()` in trio code fails at run time: no asyncio in these modules
    [d] = lint_source(source, "t.py", ALL)
    assert advice in d.message and "asyncio" not in d.message
    out = fix_source(source, "t.py", ALL, unsafe=True).source
    assert out == fixed
    ast.parse(out)


@pytest.mark.parametrize(
    "source",
    [
        # run_sync passes no keyword arguments to the function
        "import anyio\nimport requests\n\nasync def f(u):\n    return requests.get(u, timeout=3)\n",
        # two libraries: no guess
        "import asyncio\nimport time\nimport trio\n\nasync def f():\n    time.sleep(1)\n",
        # no asyncio subprocess in trio code
        "import subprocess\nimport trio\n\nasync def f():\n    subprocess.run(['ls'])\n",
    ],
)
def test_no_fix_where_the_library_is_unclear_or_has_no_equivalent(source):
    assert [d.code for d in lint_source(source, "t.py", ALL)]  # still reported
    assert fix_source(source, "t.py", ALL, unsafe=True).source == source


def test_lazy_iterators_are_iterated_in_the_thread():
    # `await asyncio.to_thread(p.iterdir)` returns a generator whose I/O then runs on the
    # event loop: the fix moves the whole iteration to the thread, where a list will do
    src = (
        "import os\nfrom pathlib import Path\n\nasync def f(p: Path):\n"
        "    for x in p.iterdir():\n        print(x)\n"
        "    names = sorted(p.glob('**/*.py'))\n"
        "    it = os.walk(p)\n"
        "    return [e.name for e in os.scandir(p)], names, next(it)\n"
    )
    found = lint_source(src, "t.py", ALL)
    # iterdir and scandir list one directory (metadata); a `**` glob and walk may visit a
    # tree; one
    # finding per code in a coroutine, the other calls its evidence (each fixed in turn)
    assert [(d.code, d.row) for d in found] == [("GIL208", 5), ("GIL203", 7)]
    assert all("iterate it in a thread" in d.message for d in found)
    out = fix_source(src, "t.py", ALL, unsafe=True).source
    assert "for x in await asyncio.to_thread(list, p.iterdir()):" in out
    assert "sorted(await asyncio.to_thread(list, p.glob('**/*.py')))" in out
    assert "[e.name for e in await asyncio.to_thread(list, os.scandir(p))]" in out
    assert "    it = os.walk(p)\n" in out  # used as an iterator (next): a list would not do
    ast.parse(out)


@pytest.mark.parametrize(
    ("library", "advice"),
    [
        ("asyncio", "`await loop.run_in_executor(process_pool, ...)`"),
        ("trio", "`await trio_parallel.run_sync(...)`"),
        ("anyio", "`await anyio.to_process.run_sync(...)`"),
    ],
)
def test_cpu_bound_in_async_advice_speaks_the_modules_library(library, advice):
    src = (
        f"import {library}\n\ndef work(n):\n    t = 0\n    for i in range(n):\n"
        "        for j in range(n):\n            t += i * j\n    return t\n\n"
        "async def f():\n    return work(1000)\n"
    )
    [d] = lint_source(src, "t.py", ALL)
    assert d.code == "GIL206" and advice in d.message


# -- safe advice: no `to_thread` for a helper that touches event-loop objects ---------------
LOOP_TOUCHING_HELPERS = {
    "cancels a task of unknown type": (
        "self.consumers[pid].cancel()",
        "`self.consumers[pid].cancel` (t.py:9)",
    ),
    "creates a task": (
        "self.task = asyncio.create_task(asyncio.sleep(pid))",
        "`asyncio.create_task` (t.py:9)",
    ),
    "sets a future's result": (
        "asyncio.get_running_loop().create_future().set_result(pid)",
        # `loop.create_future()` is typed: an `asyncio.Future` (knowledge/types.toml)
        "`asyncio.Future.set_result` (t.py:9)",
    ),
    "schedules a callback": (
        "loop = asyncio.get_event_loop()\n        loop.call_soon(print)",
        "`asyncio.AbstractEventLoop.call_soon` (t.py:10)",
    ),
    "sets an asyncio event": ("self.done.set()", "`asyncio.Event.set` (t.py:9)"),
}


@pytest.mark.parametrize(
    ("touch", "cited"), list(LOOP_TOUCHING_HELPERS.values()), ids=list(LOOP_TOUCHING_HELPERS)
)
def test_no_to_thread_for_a_helper_that_touches_the_loop(touch, cited):
    # like gunicorn's `kill_worker`, which cancels a consumer task and cleans up files:
    # `to_thread(self.kill_worker)` would cancel the task off the loop's thread
    src = (
        "import asyncio\nimport shutil\n\nclass Arbiter:\n"
        "    def __init__(self):\n        self.consumers = {}\n"
        "        self.done = asyncio.Event()\n"
        "    def kill_worker(self, pid):\n"
        f"        {touch}\n        self._cleanup(pid)\n"
        "    def _cleanup(self, pid):\n        shutil.rmtree(f'/tmp/{pid}')\n"
        "    async def stop(self, pid):\n        self.kill_worker(pid)\n"
    )
    [d] = lint_source(src, "t.py", ALL)
    assert d.code == "GIL203" and d.fix is None
    assert "to_thread(self.kill_worker" not in d.message
    assert "move `shutil.rmtree(...)` (t.py:" in d.message
    stays = f"`self.kill_worker` also calls {cited}, which must stay on the event loop's thread"
    assert stays in d.message
    assert fix_source(src, "t.py", ALL, unsafe=True).source == src


UNLOCKED_UPDATES = {
    "an attribute": ("self.count += 1", "`self.count += …` (t.py:"),
    "an item of an attribute": ("self.sizes[p] -= 1", "`self.sizes[p] -= …` (t.py:"),
    "a global": ("global N\n        N += 1", "`N += …` (t.py:"),
}


@pytest.mark.parametrize(
    ("update", "cited"), list(UNLOCKED_UPDATES.values()), ids=list(UNLOCKED_UPDATES)
)
def test_no_to_thread_for_a_helper_that_updates_shared_state_without_a_lock(update, cited):
    # langroid's HTML logger numbers its entries: `to_thread(self.log_message)` from two
    # coroutines would race on the counter
    src = (
        "import shutil\nN = 0\n\nclass Store:\n"
        "    def __init__(self):\n        self.count = 0\n        self.sizes = {}\n"
        "    def drop(self, p):\n"
        f"        {update}\n        shutil.rmtree(p)\n"
        "    async def stop(self, p):\n        self.drop(p)\n"
    )
    [d] = lint_source(src, "t.py", ALL)
    assert d.code == "GIL203" and d.fix is None
    assert "move `shutil.rmtree(...)` (t.py:" in d.message
    assert f"`self.drop` also runs {cited}" in d.message and "with no lock" in d.message


def test_a_loop_object_deeper_down_is_named_before_an_update():
    src = (
        "import asyncio, shutil\n\nclass Store:\n"
        "    def __init__(self):\n        self.count = 0\n        self.done = asyncio.Event()\n"
        "    def drop(self, p):\n        self.count += 1\n        self._finish(p)\n"
        "    def _finish(self, p):\n        shutil.rmtree(p)\n        self.done.set()\n"
        "    async def stop(self, p):\n        self.drop(p)\n"
    )
    [d] = lint_source(src, "t.py", ALL)
    assert "`self.drop` also calls `asyncio.Event.set` (t.py:" in d.message


def test_a_locked_or_local_update_keeps_the_to_thread_advice():
    for body in (
        "with self._lock:\n            self.count += 1",
        "buf = Buffer()\n        buf.n += 1",
        "n = 0\n        n += 1",
    ):
        src = (
            "import shutil, threading\nclass Buffer:\n    n = 0\n\nclass Store:\n"
            "    def __init__(self):\n        self._lock = threading.Lock()\n"
            f"    def drop(self, p):\n        {body}\n        shutil.rmtree(p)\n"
            "    async def stop(self, p):\n        self.drop(p)\n"
        )
        [d] = lint_source(src, "t.py", ALL)
        assert "to_thread(self.drop, ...)" in d.message and d.fix is not None, body


def test_a_generator_streamed_to_awaits_is_pulled_item_by_item():
    # cognee's `records()`: `to_thread(list, read_archive(...))` would load a 2 GiB archive
    src = (
        "def read_archive(d):\n    with open(d, 'rb') as f:\n        yield from f\n"
        "async def records(d):\n    for r in read_archive(d):\n        yield r\n"
        "async def send(d, sock):\n    for r in read_archive(d):\n        await sock.send(r)\n"
    )
    [d] = lint_source(src, "t.py", ALL)
    assert "the loop yields between items" in d.message
    assert "`await asyncio.to_thread(next, it, None)`" in d.message
    assert "(list," not in d.message


def test_loop_touching_helper_beyond_the_depth_limit_still_gets_to_thread():
    # the loop-touching call is searched as deep as blocking chains are (max-call-depth)
    deep = "".join(f"def h{i}():\n    h{i + 1}()\n" for i in range(6))
    src = (
        "import asyncio\nimport shutil\n\n"
        + deep
        + "def h6():\n    return asyncio.current_task()\n"
        "def helper(p):\n    h0()\n    shutil.rmtree(p)\n\nasync def f(p):\n    helper(p)\n"
    )
    [d] = lint_source(src, "t.py", ALL)
    assert "to_thread(helper, ...)" in d.message and d.fix is not None


def test_call_soon_threadsafe_and_lambdas_do_not_tie_a_helper_to_the_loop():
    src = (
        "import asyncio\nimport shutil\n\ndef helper(loop):\n"
        "    loop.call_soon_threadsafe(lambda: asyncio.create_task(asyncio.sleep(0)))\n"
        "    shutil.rmtree(loop.dir)\n\nasync def f(loop):\n    helper(loop)\n"
    )
    [d] = lint_source(src, "t.py", ALL)
    assert "to_thread(helper, ...)" in d.message and d.fix is not None


# -- GIL205: an asyncio counterpart only where one exists and only coroutines use the object --
def _advice(src: str) -> list[str]:
    return [d.message.partition("; ")[2] for d in lint_source(src, "t.py", ALL)]


SYNC_PRIMITIVE_ADVICE = {
    "executor shutdown keeps its keyword": (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "async def f(ex: ThreadPoolExecutor):\n    ex.shutdown(cancel_futures=True)\n",
        "offload the wait: `await asyncio.to_thread(ex.shutdown, cancel_futures=True)`",
    ),
    "multiprocessing queue has no counterpart": (
        "import multiprocessing\nQ = multiprocessing.Queue(8)\nasync def f(*items):\n"
        "    Q.put(*items, block=True)\n",
        "offload the wait: `await asyncio.to_thread(Q.put, *items, block=True)`",
    ),
    "thread join": (
        "import threading\nasync def f(t: threading.Thread):\n    t.join(5)\n",
        "offload the wait: `await asyncio.to_thread(t.join, 5)`",
    ),
    "long arguments are elided, not dropped": (
        "import threading\n"
        "async def f(t: threading.Thread, a_rather_long_timeout_name_to_show_here):\n"
        "    t.join(timeout=a_rather_long_timeout_name_to_show_here)\n",
        "offload the wait: `await asyncio.to_thread(t.join, ...)`",
    ),
    "trio passes keywords through functools.partial": (
        "import trio\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "async def f(ex: ThreadPoolExecutor):\n    ex.shutdown(cancel_futures=True)\n",
        "offload the wait: `await trio.to_thread.run_sync("
        "functools.partial(ex.shutdown, cancel_futures=True))`",
    ),
    "a concurrent future is wrapped": (
        "from concurrent.futures import Future\nasync def f(fut: Future):\n"
        "    return fut.result(timeout=3)\n",
        "use `await asyncio.wrap_future(fut)`, or `await asyncio.to_thread(fut.result, timeout=3)`",
    ),
    "a lock only coroutines use": (
        "import threading\nlock = threading.Lock()\nasync def f(x):\n    with lock:\n"
        "        await x\nasync def g(x):\n    with lock:\n        await x\n",
        "`g` holds it across an `await` (line 8); only coroutines use it: make it "
        "`asyncio.Lock()` and use `async with lock:` (1 more place taking it)",
        1,  # one lock, one finding: `g`'s `with lock:` is its evidence
    ),
    "a lock a thread target uses": (
        "import threading\nlock = threading.Lock()\ndef work():\n    with lock:\n        pass\n"
        "threading.Thread(target=work).start()\nasync def f():\n    with lock:\n        pass\n",
        "threads use it too (`work` uses it at line 4), so an asyncio lock would not exclude "
        "them: take and release it inside one function run with `await asyncio.to_thread(...)` "
        "(a cancelled `await asyncio.to_thread(lock.acquire)` would leave it held), or "
        "restructure so the event loop never waits for it",
    ),
    "a lock passed to a thread": (
        "import threading\nasync def f(work):\n    lock = threading.Lock()\n"
        "    threading.Thread(target=work, args=(lock,)).start()\n    lock.acquire()\n",
        "threads use it too (it is passed to `threading.Thread(...)` at line 4), so an asyncio "
        "lock would not exclude them: take and release it inside one function run with "
        "`await asyncio.to_thread(...)` (a cancelled `await asyncio.to_thread(lock.acquire)` "
        "would leave it held), or restructure so the event loop never waits for it",
    ),
    "an RLock a sync method of the class uses": (
        "import threading\nclass C:\n    def __init__(self):\n"
        "        self.lock = threading.RLock()\n"
        "    def sync(self):\n        with self.lock:\n            pass\n"
        "    async def f(self):\n        with self.lock:\n            pass\n",
        "threads use it too (`sync` uses it at line 6), so an asyncio lock would not exclude "
        "them: take and release it inside one function run with `await asyncio.to_thread(...)` "
        "(it belongs to the thread that acquired it), or restructure so the event loop never "
        "waits for it",
    ),
    "a lock from a parameter: both ways, the asyncio one conditional": (
        "import threading\nasync def f(lock: threading.Lock):\n    with lock:\n        pass\n",
        "if only coroutines use it, make it `asyncio.Lock()` and use `async with lock:`; if "
        "threads do too, take and release it inside one function run with "
        "`await asyncio.to_thread(...)` (a cancelled `await asyncio.to_thread(lock.acquire)` "
        "would leave it held)",
    ),
    "a queue a lambda uses": (
        "import queue\nq = queue.Queue()\ncallback = lambda item: q.put(item)\n"
        "async def f():\n    return q.get()\n",
        "threads use it too (a lambda uses it at line 3), so it must stay a thread primitive: "
        "offload the wait: `await asyncio.to_thread(q.get)`",
    ),
    "a condition waited on with a thread sharing it": (
        "import threading\ncond = threading.Condition()\ndef notify():\n    with cond:\n"
        "        cond.notify()\nasync def f():\n    cond.wait()\n",
        "threads use it too (`notify` uses it at line 4), so it must stay a thread primitive: "
        "run the whole `with cond: cond.wait(...)` block in one function with "
        "`await asyncio.to_thread(...)` (a condition is waited on by the thread that holds it)",
    ),
    "an event with no asyncio counterpart in anyio terms is still an Event": (
        "import anyio\nimport threading\nev = threading.Event()\nasync def f():\n    ev.wait()\n",
        "only coroutines use it: make it `anyio.Event()` and `await ev.wait(...)`",
    ),
    "no trio queue class: offload": (
        "import trio\nimport queue\nq = queue.Queue()\nasync def f():\n    q.get()\n",
        "offload the wait: `await trio.to_thread.run_sync(q.get)`",
    ),
}


@pytest.mark.parametrize(
    ("src", "advice", "count"),
    [(*case, 1)[:3] for case in SYNC_PRIMITIVE_ADVICE.values()],
    ids=list(SYNC_PRIMITIVE_ADVICE),
)
def test_sync_primitive_advice(src, advice, count):
    # "use the asyncio equivalent" was wrong for shutdown and multiprocessing queues (there is
    # none), `to_thread(self._executor.shutdown)` dropped `cancel_futures=True`, and "use an
    # asyncio lock" does not exclude the threads a lock is shared with
    assert _advice(src) == [advice] * count
    assert fix_source(src, "t.py", ALL, unsafe=True).source == src  # advice only


# -- GIL203: `open` gets whole-file advice and no fix; async file APIs only where they exist --
FILE_ADVICE = {
    "open: no fix that leaves the reads on the loop": (
        "async def f(p):\n    fh = open(p, 'rb')\n    return fh.read()\n",
        "do all the file work in one function run with `await asyncio.to_thread(...)` "
        "(offloading `open` alone leaves the reads and writes on the event loop), or use "
        "`aiofiles.open`",
    ),
    "a gzip file: no aiofiles counterpart": (
        "import gzip\nasync def f(p):\n    with gzip.open(p) as fh:\n        return fh.read()\n",
        "do all the file work in one function run with `await asyncio.to_thread(...)` "
        "(offloading `gzip.open` alone leaves the reads and writes on the event loop)",
    ),
    "open in trio code": (
        "import trio\nasync def f(p):\n    return open(p).read()\n",
        "do all the file work in one function run with `await trio.to_thread.run_sync(...)` "
        "(offloading `open` alone leaves the reads and writes on the event loop), or use "
        "`trio.open_file`",
    ),
    "chunks of a stream written as they arrive: no one thread call holds them": (
        "async def f(stream, p):\n    with open(p, 'wb') as fh:\n"
        "        async for chunk in stream:\n            fh.write(chunk)\n",
        "the file work goes on between `await`s, so it cannot be one thread call: use "
        "`aiofiles.open`, or offload each write "
        "(`await asyncio.to_thread(fh.write, chunk)`)",
    ),
    "a coroutine awaited with the handle writes between its awaits": (
        "async def save(stream, fh):\n    async for chunk in stream:\n        fh.write(chunk)\n"
        "async def f(stream, p):\n    with open(p, 'wb') as fh:\n"
        "        await save(stream, fh)\n        fh.flush()\n",
        # `save` calls `fh.write` itself: an aiofiles handle would drop every chunk
        "the file work goes on between `await`s, so it cannot be one thread call, and `save` "
        "uses the handle itself, so an async file object would not do: offload each write "
        "there (`await asyncio.to_thread(fh.write, chunk)`)",
    ),
    "a handle read in chunks between awaits: each read offloaded": (
        "async def f(p, sock):\n    with open(p, 'rb') as fh:\n"
        "        while data := fh.read(65536):\n            await sock.send(data)\n",
        "the file work goes on between `await`s, so it cannot be one thread call: use "
        "`aiofiles.open`, or offload each read "
        "(`await asyncio.to_thread(fh.read, size)`)",
    ),
    "a temporary file is read and written: both offloaded": (
        "import tempfile\nasync def f(stream):\n    with tempfile.TemporaryFile() as tmp:\n"
        "        async for chunk in stream:\n            tmp.write(chunk)\n"
        "        tmp.seek(0)\n        return tmp.read()\n",
        "the file work goes on between `await`s, so it cannot be one thread call: use an "
        "async file object, or offload each read and write "
        "(`await asyncio.to_thread(tmp.write, chunk)`)",
    ),
    "builtins and file APIs given the handle are not named; aiofiles is not offered": (
        "import pickle\nfrom typing import cast\nasync def f(p, obj):\n"
        "    with open(p, 'wb') as fh:\n        name = getattr(fh, 'name', None)\n"
        "        pickle.dump(cast(object, obj), fh)\n",
        "do all the file work in one function run with `await asyncio.to_thread(...)` "
        "(offloading `open` alone leaves the reads and writes on the event loop)",
    ),
    "a handle handed to a reader: no async file object": (
        "from pypdf import PdfReader\nasync def f(p):\n    with open(p, 'rb') as fh:\n"
        "        return PdfReader(fh).pages\n",
        "do all the file work, `PdfReader` included, in one function run with "
        "`await asyncio.to_thread(...)` (offloading `open` alone leaves the reads and writes "
        "on the event loop)",
    ),
    "a helper that cannot suspend: its reads are one thread call's": (
        "async def meta(fh):\n    return len(fh.read())\n"
        "async def f(p):\n    with open(p, 'rb') as fh:\n        m = await meta(fh)\n"
        "        return m, fh.read()\n",
        "do all the file work, `meta` included (`meta` awaits nothing that suspends: as a "
        "plain function it can run there), in one function run with "
        "`await asyncio.to_thread(...)` (offloading `open` alone leaves the reads and writes "
        "on the event loop)",
    ),
    "no aiofiles rmtree": (
        "import shutil\nasync def f(p):\n    shutil.rmtree(p)\n",
        "use `await asyncio.to_thread(shutil.rmtree, ...)`",
    ),
    "aiofiles.os has unlink": (
        "import os\nasync def f(p):\n    os.unlink(p)\n",
        "use `await asyncio.to_thread(os.unlink, ...)` or `aiofiles.os.unlink`",
    ),
    "anyio has an async Path": (
        "import anyio\nfrom pathlib import Path\nasync def f(p: Path):\n    p.unlink()\n",
        "use `await anyio.to_thread.run_sync(p.unlink, ...)` or `anyio.Path`",
    ),
}


@pytest.mark.parametrize(("src", "advice"), list(FILE_ADVICE.values()), ids=list(FILE_ADVICE))
def test_file_io_advice(src, advice):
    assert _advice(src) == [advice]


def test_no_fix_only_offloads_open():
    # `(await asyncio.to_thread(open, p)).read()` reads on the event loop all the same
    src = (
        "async def f(p):\n    data = open(p, 'rb').read()\n    fh = open(p, 'rb')\n"
        "    return data, fh\n"
    )
    assert [d.code for d in lint_source(src, "t.py", ALL)] == ["GIL203"]
    assert fix_source(src, "t.py", ALL, unsafe=True).source == src


# -- GIL204: asyncio's subprocess API only for what it can replace ------------------------
SUBPROCESS_ADVICE = {
    "waitpid: asyncio cannot wait for a process it did not start": (
        "import os\nasync def f(pid):\n    os.waitpid(pid, 0)\n",
        "offload the wait: `await asyncio.to_thread(os.waitpid, pid, 0)`, or poll with "
        "`os.WNOHANG`",
    ),
    "a running Popen": (
        "import subprocess\nasync def f(p: subprocess.Popen):\n    p.wait(timeout=3)\n",
        "start the process with `asyncio.create_subprocess_exec(...)` and await it, or offload "
        "the wait: `await asyncio.to_thread(p.wait, timeout=3)`",
    ),
    "a shell command": (
        "import os\nasync def f():\n    os.system('make')\n",
        "use `asyncio.create_subprocess_shell(...)`",
    ),
    "shell=True": (
        "import subprocess\nasync def f(cmd):\n    subprocess.run(cmd, shell=True)\n",
        "use `asyncio.create_subprocess_shell(...)`",
    ),
    "an argv": (
        "import subprocess\nasync def f(cmd):\n    subprocess.run(cmd)\n",
        "use `asyncio.create_subprocess_exec(...)`",
    ),
}


@pytest.mark.parametrize(
    ("src", "advice"), list(SUBPROCESS_ADVICE.values()), ids=list(SUBPROCESS_ADVICE)
)
def test_subprocess_advice(src, advice):
    assert _advice(src) == [advice]


NETWORK_ADVICE = {
    "getaddrinfo: the loop's own": (
        "import socket\nasync def f(h):\n    return socket.getaddrinfo(h, 80)\n",
        "use `await asyncio.get_running_loop().getaddrinfo(...)` or "
        "`await asyncio.to_thread(socket.getaddrinfo, h, 80)`",
    ),
    "getaddrinfo in anyio code": (
        "import anyio\nimport socket\nasync def f(h):\n    return socket.getaddrinfo(h, 80)\n",
        "use `await anyio.getaddrinfo(...)` or "
        "`await anyio.to_thread.run_sync(socket.getaddrinfo, h, 80)`",
    ),
    "getfqdn: no async client for it": (
        "import socket\nasync def f():\n    return socket.getfqdn()\n",
        "offload it: `await asyncio.to_thread(socket.getfqdn)`",
    ),
}


@pytest.mark.parametrize(("src", "advice"), list(NETWORK_ADVICE.values()), ids=list(NETWORK_ADVICE))
def test_network_advice(src, advice):
    assert _advice(src) == [advice]


# -- every argument survives a fix: positional, starred, keyword, double-starred ----------
KEEPS_ARGUMENTS = {
    "direct call": (
        "import requests\nasync def f(u, *a, **kw):\n    requests.get(u, *a, timeout=5, **kw)\n",
        "import requests\nimport asyncio\nasync def f(u, *a, **kw):\n"
        "    await asyncio.to_thread(requests.get, u, *a, timeout=5, **kw)\n",
    ),
    "blocking helper": (
        "import shutil\ndef drop(p, *, missing_ok=False):\n    shutil.rmtree(p)\n"
        "async def f(p):\n    drop(p, missing_ok=True)\n",
        "import shutil\nimport asyncio\ndef drop(p, *, missing_ok=False):\n    shutil.rmtree(p)\n"
        "async def f(p):\n    await asyncio.to_thread(drop, p, missing_ok=True)\n",
    ),
    "trio: starred arguments pass through run_sync": (
        "import trio\nimport shutil\nasync def f(*paths):\n    shutil.copy(*paths)\n",
        "import trio\nimport shutil\nasync def f(*paths):\n"
        "    await trio.to_thread.run_sync(shutil.copy, *paths)\n",
    ),
    "subprocess keywords carried over": (
        "import subprocess\nasync def f(d, e):\n    subprocess.call(['ls'], cwd=d, env=e)\n",
        "import subprocess\nimport asyncio\nasync def f(d, e):\n"
        "    await (await asyncio.create_subprocess_exec('ls', cwd=d, env=e)).wait()\n",
    ),
}


@pytest.mark.parametrize(
    ("src", "fixed"), list(KEEPS_ARGUMENTS.values()), ids=list(KEEPS_ARGUMENTS)
)
def test_fixes_keep_every_argument(src, fixed):
    assert fix_source(src, "t.py", ALL, unsafe=True).source == fixed


@pytest.mark.parametrize(
    "src",
    [
        # a starred argv or a `**options` could hold anything create_subprocess_exec rejects
        "import subprocess\nasync def f(ts):\n    subprocess.run(['make', *ts])\n",
        "import subprocess\nasync def f(o):\n    subprocess.run(['make'], **o)\n",
        # time.sleep's argument spelled as a keyword or starred: no guess
        "import time\nasync def f(a):\n    time.sleep(*a)\n",
    ],
)
def test_fixes_that_cannot_keep_an_argument_are_not_offered(src):
    assert lint_source(src, "t.py", ALL)
    assert fix_source(src, "t.py", ALL, unsafe=True).source == src


def test_a_lock_attribute_read_from_outside_its_class_is_not_called_coroutine_only():
    # `c.lock` in another function is the same lock, used from a thread
    src = (
        "import threading\nclass C:\n    def __init__(self):\n"
        "        self.lock = threading.Lock()\n"
        "    async def f(self, x):\n        with self.lock:\n            await x\n"
        "class D:\n    def __init__(self):\n        self.lock = threading.Lock()\n"
        "    def g(self):\n        with self.lock:\n            pass\n"
        "def h(c: C):\n    return c.lock.locked()\n"
    )
    [advice] = _advice(src)
    # `c: C` is typed: its lock is C's, used outside a coroutine
    assert "threads use it too (`h` uses it at line 15)" in advice
    # D's own `self.lock` in a sync method is another object: without `h`, C's is
    # coroutine-only
    [advice] = _advice(src.rpartition("def h")[0])
    assert "; only coroutines use it" in advice


def test_one_await_before_a_single_write_is_not_a_stream():
    # py-cord's `Attachment.save`: `f.write(await self.read())` is one thread call's work
    src = (
        "async def f(att, p):\n    with open(p, 'wb') as fh:\n        fh.write(await att.read())\n"
    )
    [advice] = _advice(src)
    assert advice.startswith("do all the file work in one function run")
