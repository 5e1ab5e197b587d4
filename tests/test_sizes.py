"""The size model (engine/sizes.py) and the one "heavy" verdict GIL101 and GIL206 share."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from test_eval_files import EVAL_DIR, expected_findings
from test_summaries import lint_file

from gil_lint.config import Settings
from gil_lint.engine.knowledge import load_knowledge
from gil_lint.engine.lint import lint_source
from gil_lint.engine.project import build_module
from gil_lint.engine.sizes import Known, Sizes, bind, merge

# the labelled cases live under tests/ but stand for application code
ENABLED = Settings(target_gil="enabled", test_code_ignore=(), extend_select=("GIL206",))


def _sizes(source: str, function: str | None = None, env=()) -> tuple[Sizes, ast.Module]:
    tree = ast.parse(source)
    module = build_module("m", "m.py", tree, load_knowledge())
    scope = module.module_scope
    if function is not None:
        fn = next(
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function
        )
        scope = module.scopes[fn]
    return Sizes(module.resolver, scope, env), tree


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10**7", 10_000_000),
        ("50 * 1_000_000", 50_000_000),
        ("1 << 20", 1 << 20),
        ("-5 + 2", -3),
        ("LIMIT", 5_000_000),
        ("LIMIT // 5", 1_000_000),
        ("DERIVED", 5_000_001),
        ("len([1, 2, 3])", 3),
        ("len('hello')", 5),
        ("n", None),  # unknown stays unknown
        ("n * 1000", None),
        ("10**1000", None),  # folding stops at sizes no loop runs
        ("2.5 * 4", None),
        ("True + 1", None),
        ("COUNTED", None),  # augmented after its first binding
    ],
)
def test_int_value_folds_constants(text, value):
    sizes, _ = _sizes("LIMIT = 5 * 10**6\nDERIVED = LIMIT + 1\nCOUNTED = 1\nCOUNTED += 1\n")
    assert sizes.int_value(_expr(text)) == value


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("[1, 2]", 2),
        ("(1,)", 1),
        ("{'a': 1}", 1),
        ("'abc'", 3),
        ("WORD", 5),
        ("range(10)", 10),
        ("range(2, 10, 2)", 4),
        ("range(10, 0)", 0),
        ("range(0, 10, 0)", None),  # raises at run time: no size
        ("range(10**7)", 10_000_000),
        ("enumerate(WORD)", 5),
        ("zip([1, 2], data)", 2),
        ("sorted(data)", None),
        ("[*data]", None),
        ("range(len(data))", None),
    ],
)
def test_length_of_literals_and_ranges(text, length):
    sizes, _ = _sizes("WORD = 'hello'\n")
    assert sizes.length(_expr(text)) == length


def test_range_factor_scales_an_unknown_stop():
    sizes, _ = _sizes("")
    assert sizes.range_factor(_expr("range(n * 1_000_000)")) == 1_000_000
    assert sizes.range_factor(_expr("range(0, 10**6 * n)")) == 1_000_000
    assert sizes.range_factor(_expr("range(n)")) is None
    assert sizes.range_factor(_expr("range(5 * 2)")) is None  # known: range_length tells


def test_a_parameter_takes_what_the_call_site_passed_unless_rebound():
    source = "def f(n, m):\n    m = m * 2\n    return n, m\n"
    sizes, _ = _sizes(source, "f", env=(("n", Known(50)), ("m", Known(7))))
    assert sizes.int_value(_expr("n * 2")) == 100
    assert sizes.int_value(_expr("m")) is None  # stored to in the body


def test_a_local_bound_once_is_known_and_an_augmented_one_is_not():
    source = "def f():\n    a = 10\n    b = 10\n    b *= 1000\n"
    sizes, _ = _sizes(source, "f")
    assert sizes.int_value(_expr("a")) == 10
    assert sizes.int_value(_expr("b")) is None


def test_bind_matches_arguments_to_parameters_with_defaults():
    fn = ast.parse("def f(self, a, b=10**6, *, c=3, d=None): pass").body[0]
    assert isinstance(fn, ast.FunctionDef)
    sizes, _ = _sizes("")
    call = _expr("x.f(5, c=[1, 2])")
    assert isinstance(call, ast.Call)
    env = bind(fn.args, True, call.args, call.keywords, sizes.known)
    assert dict(env) == {"a": Known(5), "b": Known(1_000_000), "c": Known(None, 2)}
    # `*args` / `**kwargs` at the call: the parameters after them are not known
    call = _expr("x.f(*xs)")
    assert isinstance(call, ast.Call)
    assert bind(fn.args, True, call.args, call.keywords, sizes.known) == ()


def test_merge_bounds_the_calls_from_above():
    a = (("n", Known(5)), ("xs", Known(None, 2)))
    b = (("n", Known(6)),)
    assert merge([a, b]) == (("n", Known(6)),)
    assert merge([]) == ()


# -- the shared verdict, across modules ---------------------------------------------------


def test_threads_and_the_event_loop_agree_on_a_helper_in_another_module(tmp_path):
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "numeric.py").write_text(
        "def crunch(n):\n    t = 0\n    for i in range(n):\n        t += i % 7\n    return t\n"
    )
    (pkg / "service.py").write_text(
        "import threading\nfrom app.numeric import crunch\n\n"
        "async def handler():\n    return crunch(50_000_000)\n\n"
        "async def light():\n    return crunch(10)\n\n"
        "def start():\n    threading.Thread(target=crunch, args=(50_000_000,)).start()\n"
        "    threading.Thread(target=crunch, args=(10,)).start()\n"
    )
    found = sorted(
        (d.row, d.code, d.message) for d in lint_file(pkg / "service.py") if d.code[3] != "0"
    )
    assert [(row, code) for row, code, _ in found] == [(5, "GIL206"), (11, "GIL101")]
    # the evidence says why: the size, and the call that gave it
    assert "range(50_000_000) at numeric.py:3 via `crunch(50_000_000)` at line 5" in found[0][2]
    assert "via `crunch(50_000_000)` at line 11" in found[1][2]


def test_a_loop_that_only_yields_is_not_cpu_work():
    source = (
        "def ids():\n    n = 0\n    while True:\n        yield n\n        n += 1\n"
        "async def f():\n    return sum(ids())\n"
    )
    assert not [d for d in lint_source(source, "g.py", ENABLED) if d.code == "GIL206"]


def test_a_queue_get_in_a_loop_is_a_wait_not_container_work():
    source = (
        "import threading\ndef drain(q):\n    total = 0\n    while True:\n"
        "        total += q.get()\n"
        "def main(q):\n    threading.Thread(target=drain, args=(q,)).start()\n"
    )
    assert not [d for d in lint_source(source, "q.py", ENABLED) if d.code == "GIL101"]
    # `d.get(key)` is dict work: the same loop over a dict's values is CPU work
    dict_source = source.replace("q.get()", "q.get(total, 1)")
    assert [d.code for d in lint_source(dict_source, "q.py", ENABLED)] == ["GIL101"]


# -- the labelled cases: recall and precision -----------------------------------------------

HEAVY = EVAL_DIR / "heavy_cpu.py"


@pytest.mark.parametrize("code", ["GIL101", "GIL206"])
def test_recall_and_precision_on_the_labelled_cases(code):
    text = Path(HEAVY).read_text(encoding="utf-8")
    expected = {row for row, c in expected_findings(text) if c == code}
    found = {d.row for d in lint_source(text, str(HEAVY), ENABLED) if d.code == code}
    true_positives = len(expected & found)
    recall = true_positives / len(expected)
    precision = true_positives / len(found) if found else 1.0
    assert len(expected) >= 6
    assert recall >= 0.95, f"{code} recall {recall:.2f}: missed rows {sorted(expected - found)}"
    assert precision >= 0.95, f"{code} precision {precision:.2f}: extra {sorted(found - expected)}"


def test_a_loop_over_a_lazy_itertools_product_of_unknown_size_is_not_heavy():
    # aiohttp's cookie filtering: the product of a URL's subdomains and path prefixes
    source = (
        "import itertools\n"
        "def filter_cookies(domains, paths, cookies):\n"
        "    out = []\n"
        "    for p in itertools.product(domains, paths):\n"
        "        if p in cookies:\n"
        "            out.append(p)\n"
        "    return out\n"
        "async def request(domains, paths, cookies):\n"
        "    return filter_cookies(domains, paths, cookies)\n"
    )
    assert [d.code for d in lint_source(source, "c.py", ENABLED)] == []
