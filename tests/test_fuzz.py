"""Robustness: generated and mutated programs never crash the engine, and every range is
inside the document.

Budget: GIL_LINT_FUZZ_EXAMPLES (default 1000 grammar-generated programs) plus 1000
mutants of the repository's example files; set it higher for a long run. A failure
prints the seed (hypothesis prints its own reproduction blob) so it can be replayed.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source

ROOT = Path(__file__).resolve().parent.parent
BUDGET = int(os.environ.get("GIL_LINT_FUZZ_EXAMPLES", "1000"))
ALL = Settings(select=("ALL",), target_gil="enabled")
SEEDS = sorted(
    [
        *ROOT.glob("examples/**/*.py"),
        *ROOT.glob("tests/eval_files/*.py"),
        *ROOT.glob("tests/fixtures/cpu_project/**/*.py"),
        *ROOT.glob("tests/fixtures/async_project/**/*.py"),
    ]
)
INSERTS = [
    "async ",
    "await ",
    "time.sleep(1)",
    "import time",
    "    ",
    "(",
    ")",
    ":",
    "asyncio.create_task(f())",
    "with ThreadPoolExecutor() as ex:",
    "ex.submit(f)",
    "lambda: 0",
    "\x0c",
    "\r",
    "global x",
    "x += 1",
    "yield",
    "def g():",
]


def check(source: str, name: str = "fuzz.py") -> None:
    diagnostics = lint_source(source, name, ALL)
    lines = re.split(r"\r\n|\r|\n", source)
    for d in diagnostics:
        assert d.code != "GIL003", d.message
        assert 1 <= d.row <= d.end_row <= max(len(lines), 1), d
        if d.code == "GIL001":
            continue
        assert 1 <= d.col <= len(lines[d.row - 1]) + 1, d
        assert 1 <= d.end_col <= len(lines[d.end_row - 1]) + 1, d
        if d.row == d.end_row:
            assert d.col <= d.end_col, d


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(["delete", "duplicate", "swap", "truncate", "insert", "indent"])
        i = rng.randrange(len(lines))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate":
            cut = rng.randrange(sum(map(len, lines)) + 1)
            text = "".join(lines)[:cut]
            lines = text.splitlines(keepends=True) or [""]
        elif op == "insert":
            pos = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:pos] + rng.choice(INSERTS) + lines[i][pos:]
        else:
            lines[i] = "    " + lines[i]
    return "".join(lines)


def test_mutation_fuzzer():
    seed = int(os.environ.get("GIL_LINT_FUZZ_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    assert texts
    for i in range(BUDGET):
        source = mutate(rng.choice(texts), rng)
        try:
            check(source)
        except AssertionError as e:  # pragma: no cover - the message is the point
            pytest.fail(f"GIL_LINT_FUZZ_SEED={seed} mutant #{i} failed: {e}\n---\n{source}")


@settings(
    max_examples=BUDGET, deadline=None, derandomize=False, suppress_health_check=list(HealthCheck)
)
@given(hypothesmith.from_grammar())
def test_grammar_generated_programs(source):
    check(source)


@settings(max_examples=max(BUDGET // 4, 50), deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_node_generated_programs(source):
    check(source)


def test_pathological_inputs():
    check("(" * 10_000 + ")" * 10_000)
    check("".join("    " * i + "if x:\n" for i in range(1000)) + "    " * 1000 + "pass\n")
    check("x = 1\r\ny = 2\rz = 3\n\x0casync def f():\r\n    time.sleep(1)\n")
    check("\ufeffimport time\nasync def f():\n    time.sleep(1)\n")
    check("async def f():\n    " + "a." * 5000 + "b()\n")
    check("import time\nasync def f():\n    " + "time.sleep(1); " * 2000 + "\n")
    assert lint_source(b"\x00\x01", "bin.py", ALL)[0].code == "GIL002"
    assert lint_source(b"x = '\xff'\n", "latin.py", ALL)[0].code == "GIL002"
    assert lint_source("", "empty.py", ALL) == []
