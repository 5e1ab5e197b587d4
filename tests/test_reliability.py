"""Bad input at scale: a 50 MB module, fixing many findings, and ``--fix`` killed mid-run
(every file is the old or the new content, never half; no temp file is linted). Deep
nesting and odd bytes are in test_fuzz.py and test_cli.py."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import run_cli

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source
from gil_lint.engine.scopes import ScopeBuilder, _DeepScopeBuilder
from gil_lint.fix.apply import fix_source

ALL = Settings(select=("ALL",), target_gil="enabled")


# -- fixing many findings ------------------------------------------------------------------
def _many_fixes(n: int) -> str:
    # n module-level names and n fixable calls: each fix looked up asyncio among every
    # module binding, and checked its span against every span taken (both quadratic)
    defs = "".join(f"def h{i}():\n    pass\n" for i in range(n))
    return "import time\n" + defs + "async def f():\n" + "    time.sleep(1)\n" * n


def _fix_seconds(source: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = fix_source(source, "many.py", ALL)
        best = min(best, time.perf_counter() - start)
    assert "time.sleep" not in result.source
    return best


def test_fixing_scales_linearly_with_the_number_of_fixes():
    small, large = _fix_seconds(_many_fixes(1000), 3), _fix_seconds(_many_fixes(8000), 2)
    # 8x the fixes: linear is ~8x the time; the quadratic version took ~25x
    print(f"1,000 fixes {small:.2f} s, 8,000 fixes {large:.2f} s ({large / small:.1f}x)")
    assert large / small < 16, (small, large)


# -- a 50 MB file ----------------------------------------------------------------------------
FUNC = (
    "def f{i}(x):\n    total = 0\n    for k in range(x):\n        total += k * k\n"
    "    return total\n\nasync def g{i}():\n    time.sleep(1)\n    return f{i}(3)\n\n"
)


def _generated(path: Path, megabytes: int, body: str, header: str = "") -> Path:
    chunk = "".join(body.format(i=i) for i in range(2000))
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        while f.tell() < megabytes * 1_000_000:
            f.write(chunk)
    return path


def test_a_50_mb_module_is_reported_not_linted(tmp_path):
    # linting it took 6.5 minutes and 10 GB (a finding every 150 bytes); it is one
    # per-file diagnostic instead, the file untouched even with --fix
    big = _generated(tmp_path / "generated.py", 50, FUNC, "import threading, time\n")
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    r = run_cli(str(big), "--fix", "--no-cache", "--output-format", "json", timeout=120)
    assert r.returncode == 1, r.stderr
    [d] = json.loads(r.stdout)
    assert d["code"] == "GIL002" and "over max-file-size (10.0 MB)" in d["message"]
    assert hashlib.sha256(big.read_bytes()).hexdigest() == digest


def test_a_50_mb_module_without_concurrency_code_is_clean(tmp_path):
    data = _generated(tmp_path / "table.py", 50, "ROW_{i} = ({i}, 'x' * 40, [1.5, 2.5])\n")
    r = run_cli(str(data), "--no-cache", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


# -- --fix killed mid-run --------------------------------------------------------------------
def _fixable(i: int) -> str:
    calls = "".join(f"    time.sleep({k})\n" for k in range(10))
    return f"import time\n\n\nasync def handler_{i}():\n{calls}"


def test_fix_killed_mid_run_leaves_every_file_old_or_new(tmp_path):
    """SIGKILL at three points of a --fix run over 150 files: each file is byte for byte
    the original or the fixed version, never half written, and nothing but gil-lint's
    own temporary files (never a .py) is left behind. A full run afterwards finishes
    the job."""
    old = {f"m{i:03}.py": _fixable(i) for i in range(150)}
    new = {name: fix_source(text, name, Settings()).source for name, text in old.items()}
    assert all(new[n] != old[n] for n in old)
    mixed_runs = 0
    for trial, delay in enumerate((0.0, 0.05, 0.2)):
        folder = tmp_path / f"run{trial}"
        folder.mkdir()
        for name, text in old.items():
            (folder / name).write_text(text, encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "gil_lint", str(folder), "--fix", "--no-cache"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sizes = {name: len(text.encode()) for name, text in old.items()}
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            # a fixed file is longer (asyncio imported, awaits): cheap to poll
            with os.scandir(folder) as entries:
                if any(e.name in sizes and e.stat().st_size != sizes[e.name] for e in entries):
                    break
            time.sleep(0.002)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        states = []
        for name in old:
            text = (folder / name).read_text(encoding="utf-8")
            assert text in (old[name], new[name]), f"{name} is neither old nor new"
            states.append(text == new[name])
        print(f"trial {trial}: {sum(states)} of {len(states)} files fixed when killed")
        mixed_runs += any(states) and not all(states)
        leftovers = {p.name for p in folder.iterdir()} - set(old)
        assert all(n.startswith(".gil-lint-") and n.endswith(".tmp") for n in leftovers)
        r = run_cli(str(folder), "--fix", "--no-cache", timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert all((folder / n).read_text(encoding="utf-8") == new[n] for n in old)
    # the kills must have landed mid-run, or the test proves nothing
    assert mixed_runs >= 1


# -- long operator chains --------------------------------------------------------------------
def test_a_2000_operand_expression_is_linted_not_an_internal_error():
    # `x + x + ... + x` is a left-deep tree CPython compiles; the scope builder recursed
    # once per operand and gave GIL003 (exit 2 on valid code) from about 500 operands
    source = "import time\nasync def f(x):\n    time.sleep(1)\n    return " + " + ".join(
        ["x"] * 2000
    )
    compile(source, "chain.py", "exec")
    found = lint_source(source, "chain.py", ALL)
    assert [d.code for d in found] == ["GIL201"]
    assert "await asyncio.sleep(1)" in fix_source(source, "chain.py", ALL).source


def test_the_deep_scope_builder_builds_the_same_scopes():
    # the iterative builder used for too-deep trees must agree with the recursive one
    def shape(scopes):
        return [
            (
                type(node).__name__,
                getattr(node, "lineno", 0),
                scope.kind,
                scope.qualname,
                sorted(
                    (n, b.kind, b.qualname, [(v.lineno, v.col_offset) for v in b.values])
                    for n, b in scope.bindings.items()
                ),
            )
            for node, scope in scopes.items()
        ]

    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("gil_lint/**/*.py"), *root.glob("tests/fixtures/**/*.py")]
    assert len(files) > 50
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fast = ScopeBuilder("m", False).build(tree)
        deep = _DeepScopeBuilder("m", False)._build(tree)
        assert shape(fast) == shape(deep), path


def test_the_scope_pass_given_the_lines_builds_the_same_scopes():
    # with the source lines, statements with no `lambda`, `for` or `:=` on their lines are
    # not walked into: everything the pass records must come out the same
    from gil_lint.text import split_lines

    def shape(scopes):
        return [
            (
                type(node).__name__,
                getattr(node, "lineno", 0),
                scope.kind,
                scope.qualname,
                sorted(scope.globals),
                sorted(scope.nonlocals),
                scope.star_imports,
                [
                    (attr, [(v.lineno, v.col_offset, s.qualname) for v, s in values])
                    for attr, values in scope.self_attributes.items()
                ],
                [
                    (n, b.kind, b.qualname, [(v.lineno, v.col_offset) for v in b.values])
                    for n, b in scope.bindings.items()
                ],
            )
            for node, scope in scopes.items()
        ]

    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("gil_lint/**/*.py"), *root.glob("tests/**/*.py")]
    sources = [path.read_text(encoding="utf-8") for path in files]
    sources.append(
        "class C:\n    def __init__(self):\n        self.f = lambda: (y := 1)\n"
        "        self.g = [x for x in range(3)]\n        z: int = 0\n        z += 1\n"
        "    while (n := 3):\n        if n:\n            k = {a: b for a, b in d}\n"
        "        else:\n            try:\n                q = 1\n            except E as e:\n"
        "                r = lambda: e\n            finally:\n                del q\n"
    )
    for source in sources:
        tree = ast.parse(source)
        plain = ScopeBuilder("m", False).build(tree)
        with_lines = ScopeBuilder("m", False, split_lines(source)).build(tree)
        assert shape(plain) == shape(with_lines)


def test_split_lines_splits_where_python_does():
    from gil_lint.text import split_lines

    # \r\n, \r and \n only: not \f, \x1c or U+2028 as str.splitlines would
    for text in ("a\nb\n", "a\r\nb\rc\n", "a\fb\x1cc\u2028d\n", "", "\n", "x", "\r"):
        assert split_lines(text) == re.split(r"\r\n|\r|\n", text)
