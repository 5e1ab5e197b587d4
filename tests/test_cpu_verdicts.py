"""CPU and I/O verdicts that must rest on evidence (issue #14, the held-out review).

- A ``range`` inside a loop over data walks each item's span: as big as the data, whose
  size is unknown. Only a range inside another range is numeric O(n²) work (GIL206).
- A loop of unknown size that only stores into containers (``done[node] = False``) is
  bookkeeping, not CPU work; a big one still is.
- A loop of unknown size next to calls of unknown cost (a library's function, a method of
  an object nothing is known of) is not "CPU-bound pure Python": those calls may be the
  work (GIL101). Heavy evidence still counts.
- A function is I/O-bound only if its I/O is all it is known to do: not when it also calls
  what nothing is known of (GIL303). Methods of what the I/O returned (``r.json()``) are
  the I/O's handling; opening ``os.devnull`` is no I/O at all.
"""

from __future__ import annotations

import textwrap

import pytest

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source

SETTINGS = Settings(select=("GIL101", "GIL206", "GIL303"), target_gil="enabled")


def found(source: str) -> list[tuple[int, str]]:
    diags = lint_source(textwrap.dedent(source), "mod.py", SETTINGS)
    return sorted((d.row, d.code) for d in diags)


# -- GIL206: nested ranges -------------------------------------------------------------------


def test_a_range_over_each_items_span_is_not_heavy():
    assert (
        found(
            """
            async def on_sack(chunk):
                seen = set()
                for gap in chunk.gaps:
                    for pos in range(gap[0], gap[1] + 1):
                        seen.add((chunk.tsn + pos) % 4096)
                return seen
            """
        )
        == []
    )


def test_sibling_ranges_in_a_loop_over_data_are_not_heavy():
    assert (
        found(
            """
            async def f(rows, n):
                t = 0
                for row in rows:
                    for i in range(n):
                        t += i
                    for j in range(n):
                        t -= j
                return t
            """
        )
        == []
    )


@pytest.mark.parametrize(
    "nest",
    [
        # a range in a range: O(n²)
        "for i in range(n):\n    for j in range(i):\n        t += i * j",
        # a range in a range, both inside a loop over data
        "for row in rows:\n    for i in range(n):\n"
        "        for j in range(i):\n            t += i * j",
    ],
    ids=["range-in-range", "range-in-range-in-data"],
)
def test_a_range_inside_a_range_is_heavy(nest):
    body = textwrap.indent(nest, "    ")
    source = f"async def f(rows, n):\n    t = 0\n{body}\n    return t\n"
    assert found(source) == [(3, "GIL206")]


@pytest.mark.parametrize(
    "window",
    ["range(i - self.width, i)", "range(i + 1, i + 1 + self.width)", "range(i, i + WIDTH)"],
)
def test_a_window_of_a_set_width_around_each_item_is_not_heavy(window):
    # llama-index's semantic splitter joins each sentence with `buffer_size` neighbours: a
    # window of a setting's width is O(n), not O(n²); a range to the end of the data is
    source = f"""
        WIDTH = 3
        class Splitter:
            async def groups(self, xs):
                t = 0
                for i in range(len(xs)):
                    for j in {window}:
                        t += j
                return t
            async def pairs(self, xs):
                t = 0
                for i in range(len(xs)):
                    for j in range(i, len(xs)):
                        t += i * j
                return t
        """
    assert found(source) == [(12, "GIL206")]


def test_a_range_searched_for_the_first_item_that_passes_a_cheap_test_is_no_size():
    # bumble's `find_free_br_edr_cid`: the first CID not in use, out of 65,472; it stops
    # at the first free one (a connection uses a handful). A test that calls something
    # may be the heavy part, and a loop that does more than test and leave is a pass.
    scan = """
        def find_free(used):
            for cid in range(0x40, 0xFFFF + 1):
                if cid in RESERVED:
                    continue
                if cid not in used:
                    return cid
            raise LookupError(used)
        async def open_channel(used):
            return find_free(used)
        """
    assert found(scan) == []
    assert found(scan.replace("cid not in used", "cid % 7 == len(used)")) == [(10, "GIL206")]
    assert found(scan.replace("return cid", "used.add(cid)")) == [(10, "GIL206")]


def test_a_range_that_stops_at_the_first_item_it_does_not_skip_is_a_scan():
    # openai-agents: for each reasoning item, look ahead to the next non-reasoning one and
    # `break` there: a scan per item, not a pass over everything (not O(n²) work). A range
    # inside a range that does not stop is still heavy, and a function's heavy verdict
    # shows the chain that makes it heavy.
    scan = """
        async def drop(items, n, reasoning):
            t = 0
            for index in range(n - 1, -1, -1):
                for j in range(index + 1, n):
                    if j in reasoning:
                        continue
                    t += j
                    break
            return t
        """
    assert found(scan) == []
    assert found(scan.replace("                    break\n", "")) == [(4, "GIL206")]
    diags = lint_source(
        textwrap.dedent(
            """
            def light(items):
                seen = set()
                for item in items:
                    seen.add(item * 2)
                return seen

            def heavy(n):
                t = 0
                for i in range(n):
                    for j in range(i):
                        t += i * j
                return t

            def both(items, n):
                return light(items), heavy(n)

            async def handler(items, n):
                return both(items, n)
            """
        ),
        "mod.py",
        SETTINGS,
    )
    (d,) = diags
    assert "nested loops over a `range`" in d.message and "`light`" not in d.message


def test_a_helper_that_walks_spans_is_not_heavy_either():
    assert (
        found(
            """
            def covered(gaps):
                seen = set()
                for gap in gaps:
                    for pos in range(gap[0], gap[1]):
                        seen.add(pos * 2)
                return seen
            async def f(chunk):
                return covered(chunk.gaps)
            """
        )
        == []
    )


# -- GIL101: unsized loops next to calls of unknown cost ----------------------------------


SESSION = """
    import threading
    {imports}
    def request_all(session, devices):
        for node in session.nodes:
            session.done[node] = False
        {calls}
    def main(session, devices):
        threading.Thread(target=request_all, args=(session, devices)).start()
    """


@pytest.mark.parametrize(
    ("imports", "calls"),
    [
        # a method of an object nothing is known of, in a loop
        ("", "for node in session.nodes:\n            devices[node].request_fields(node)"),
        # a library's function, outside a loop
        ("from devicelib import poll_all", "poll_all(devices)"),
        # through a project helper that calls a library
        (
            "from devicelib import poll\ndef ask(d):\n    return poll(d)",
            "ask(devices)",
        ),
    ],
    ids=["method-in-loop", "library-call", "through-helper"],
)
def test_unsized_loop_next_to_unknown_calls_is_not_cpu_bound(imports, calls):
    source = textwrap.dedent(SESSION).format(imports=imports, calls=calls)
    assert found(source) == []


def _row(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def test_a_loop_that_only_stores_is_bookkeeping():
    """``done[node] = False`` per item: no computing, whatever the size of the data."""
    source = textwrap.dedent(SESSION).format(imports="", calls="pass")
    assert found(source) == []


def test_an_unsized_computing_loop_alone_is_still_cpu_bound():
    assert found(
        """
        import threading
        def checksum(data, out):
            total = 0
            for byte in data:
                total = (total * 31 + byte) % 1_000_003
            out[0] = total
        def main(data, out):
            threading.Thread(target=checksum, args=(data, out)).start()
        """
    ) == [(9, "GIL101")]


def test_a_big_loop_that_only_stores_is_still_heavy():
    assert found(
        """
        async def f(table):
            for i in range(10**7):
                table[i] = 0
        """
    ) == [(3, "GIL206")]


def test_heavy_work_next_to_an_unknown_call_is_still_cpu_bound():
    assert found(
        """
        import threading
        def crunch(n, log):
            log.info("start")
            t = 0
            for i in range(n):
                for j in range(i):
                    t += i * j
            return t
        def main(n, log):
            threading.Thread(target=crunch, args=(n, log)).start()
        """
    ) == [(11, "GIL101")]


# -- GIL303: I/O-bound only when the I/O is all ------------------------------------------


POOL = """
    import contextlib, json, os
    import requests
    from concurrent.futures import ProcessPoolExecutor
    {imports}
    def job(arg):
        {body}
    def main(args):
        with ProcessPoolExecutor() as ex:
            return list(ex.map(job, args))
    """


def _pool(body: str, imports: str = "") -> tuple[list[tuple[int, str]], int]:
    """The findings on ``job`` sent to a process pool, and the row of the ``map``."""
    indented = "\n        ".join(body.splitlines())
    imported = "\n    ".join(imports.splitlines())
    source = textwrap.dedent(POOL.format(imports=imported, body=indented))
    return found(source), _row(source, "ex.map")


@pytest.mark.parametrize(
    "body",
    [
        "return requests.get(arg).status_code",
        # methods of what the I/O returned are its handling, not work of their own
        "return requests.get(arg).json()",
        "r = requests.get(arg)\nr.raise_for_status()\nreturn r.headers.get('etag')",
        "with open(arg) as f:\n    return json.load(f)",
    ],
    ids=["attribute", "json-of-response", "methods-of-response", "json-load"],
)
def test_io_alone_is_io_bound(body):
    diags, row = _pool(body)
    assert diags == [(row, "GIL303")]


@pytest.mark.parametrize(
    ("imports", "body"),
    [
        # silencing a library call that does the work (a parse, a transform)
        (
            "from libcst.codemod import transform",
            "with open(os.devnull, 'w') as null, contextlib.redirect_stderr(null):\n"
            "    return transform(**arg)",
        ),
        # the library call is the work; the I/O is its input
        ("from mylib import analyse", "return analyse(requests.get(arg).text)"),
        # a method of an object nothing is known of
        ("", "data = open(arg).read()\nreturn arg.parser.parse(data)"),
        # through a project helper
        (
            "from mylib import analyse\ndef check(text):\n    return analyse(text)",
            "return check(requests.get(arg).text)",
        ),
    ],
    ids=["devnull-and-library", "library-on-io-result", "unknown-method", "through-helper"],
)
def test_io_next_to_unknown_calls_is_not_io_bound(imports, body):
    assert _pool(body, imports)[0] == []


def test_opening_devnull_is_no_io():
    assert _pool("with open(os.devnull, 'w') as null:\n    return arg * 2")[0] == []


# -- recursion and CPU-bound library calls: heavy only on evidence ---------------------------


def test_recursion_over_a_structure_with_a_depth_counter_is_not_heavy():
    # piccolo's _get_graph: a topological sort of the project's table classes
    assert (
        found(
            """
            def get_graph(tables, iterations=0, max_iterations=5):
                out = {}
                if iterations >= max_iterations:
                    return out
                for table in tables:
                    deps = set()
                    for fk in table.foreign_keys:
                        deps.add(fk.name)
                        if fk.name not in out:
                            out.update(get_graph([fk.table], iterations=iterations + 1))
                    out[table.name] = deps
                return out
            async def dump(tables):
                return get_graph(tables)
            """
        )
        == []
    )


@pytest.mark.parametrize(
    "body",
    [
        # one call per level goes as deep as the recursion limit lets it
        "return 1 if n < 2 else n * fact(n - 1)",
        # branches that exclude each other: one call per level (a binary search)
        "if n < 2:\n    return n\nif n % 2:\n    return fact(n - 1)\nreturn fact(n - 2)",
        # halving: as big as the data
        "return 0 if n < 2 else fact(n // 2) + fact(n // 2)",
    ],
)
def test_recursion_that_does_not_multiply_on_a_count_is_not_heavy(body):
    code = f"def fact(n):\n{textwrap.indent(body, '    ')}\nasync def f(n):\n    return fact(n)\n"
    assert found(code) == []


@pytest.mark.parametrize(
    "body",
    [
        "return n if n < 2 else fib(n - 1) + fib(n - 2)",
        "if n == 0:\n    return 0\na = fib(n - 1)\nb = fib(n - 1)\nreturn a + b",
        "t = 1\nfor i in range(n):\n    t += fib(n - 1)\nreturn t",
    ],
)
def test_recursion_that_multiplies_on_a_count_is_heavy(body):
    code = f"def fib(n):\n{textwrap.indent(body, '    ')}\nasync def f(n):\n    return fib(n)\n"
    assert found(code) == [(code.count("\n"), "GIL206")]


def test_a_median_of_recent_samples_is_not_heavy():
    # faust's monitor: the median of a bounded deque, once a second
    assert (
        found(
            """
            import asyncio
            from statistics import median
            class Monitor:
                def sample(self):
                    if self.runtimes:
                        self.avg = median(self.runtimes)
                    self.count = self.total - self.prev
                async def sampler(self):
                    while True:
                        await asyncio.sleep(1)
                        self.sample()
            """
        )
        == []
    )


@pytest.mark.parametrize(
    ("call", "heavy"),
    [
        ("statistics.median(range(10**6))", True),
        ("statistics.stdev(list(range(LIMIT)))", True),
        ("statistics.median(range(n * 1_000_000))", True),
        ("math.factorial(100_000)", True),
        ("math.comb(LIMIT, 3)", True),
        ("statistics.median(samples)", False),
        ("statistics.median([1, 5, 3])", False),
        ("math.factorial(20)", False),
        ("math.perm(n, 2)", False),
    ],
)
def test_a_cpu_bound_library_call_is_heavy_on_data_known_big(call, heavy):
    code = (
        "import math, statistics\nLIMIT = 10**6\n"
        f"def stats(n, samples):\n    return {call}\n"
        "async def f(n, samples):\n    return stats(n, samples)\n"
    )
    assert found(code) == ([(6, "GIL206")] if heavy else [])


def test_a_size_passed_by_the_caller_makes_a_library_call_heavy():
    code = """
        import statistics
        def middle(values):
            return statistics.median(values)
        async def f(xs):
            a = middle(xs)
            b = middle(list(range(10**6)))
            return a, b
        """
    assert found(code) == [(7, "GIL206")]


def test_cpu_work_of_unknown_size_in_a_thread_is_still_reported():
    # GIL101 reports unsized CPU work: threads serialize any of it
    assert found(
        """
        import statistics, threading
        def summarise(samples):
            return statistics.stdev(samples)
        def walk(node, level=0):
            return sum(walk(child, level + 1) for child in node.children) + level
        def main(samples, tree):
            threading.Thread(target=summarise, args=(samples,)).start()
            threading.Thread(target=walk, args=(tree,)).start()
        """
    ) == [(8, "GIL101"), (9, "GIL101")]


def test_heavy_recursion_says_why():
    (diag,) = lint_source(
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "async def f(n):\n    return fib(n)\n",
        "mod.py",
        SETTINGS,
    )
    assert "(recursion on `n - 1`, 2 calls a level, at line 2)" in diag.message


def test_a_name_grown_until_it_is_free_is_no_counting_loop():
    # aioconsole: `while key in local: key += "_"` runs once or twice; a numeric count
    # towards a bound still is one
    free = """
        async def aeval(local):
            key = "__result__"
            while key in local:
                key += "_"
            return key
        """
    assert found(free) == []
    counting = """
        async def primes(n):
            i = 2
            while i * i <= n:
                i += 1
            return i
        """
    assert found(counting) == [(4, "GIL206")]


def test_walking_a_sequence_by_index_through_its_length_is_no_counting_loop():
    # open-webui's DN unescaping: `length = len(value)` then `while pos < length` walks the
    # string as `for c in value` would; a local that is not only a length is still a bound
    walk = """
        async def unescape(value):
            out = []
            pos = 0
            length = len(value)
            while pos < length:
                out.append(value[pos])
                pos += 1
            return out
        """
    assert found(walk) == []
    bound = """
        async def count(value, n):
            pos = 0
            length = len(value)
            if n:
                length = n * n
            while pos < length:
                pos += 1
            return pos
        """
    assert found(bound) == [(7, "GIL206")]


def test_a_while_loop_capped_by_a_small_count_and_a_count_moving_away_are_not_heavy():
    # agno's paging: `if len(pieces) >= READ_MAX_LINES: break` first thing in the loop;
    # twikit's float-to-hex: `while fraction > 0: fraction *= 16` (the `-=` ends it)
    capped = """
        READ_MAX_LINES = 400
        async def page(lines, end):
            pieces = []
            current = 0
            while current <= end:
                if len(pieces) >= READ_MAX_LINES:
                    break
                pieces.append(lines[current])
                current += 1
            return pieces
        """
    assert found(capped) == []
    away = """
        async def to_hex(fraction):
            out = []
            while fraction > 0:
                fraction *= 16
                digit = int(fraction)
                fraction -= digit
                out.append(digit)
            return out
        """
    assert found(away) == []
    # google-adk's parent walk: the test itself bounds the count by a small constant
    bounded = """
        MAX_DEPTH = 50
        async def path(node):
            depth = 0
            parts = []
            while node is not None and depth < MAX_DEPTH:
                parts.append(node.name)
                node = node.parent
                depth += 1
            return parts
        """
    assert found(bounded) == []
    # a cap too big to be small, and a count towards a bound written the other way round
    big = """
        async def page(end):
            n = 0
            while n <= end:
                if n >= 10_000_000:
                    break
                n += 1
            return n
        async def primes(n):
            i = 2
            while n > i * i:
                i += 1
            return i
        """
    assert found(big) == [(4, "GIL206"), (11, "GIL206")]
