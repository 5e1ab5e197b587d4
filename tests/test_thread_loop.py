"""GIL405, GIL406, GIL408: recall and precision on the labelled cases, fixes end to end,
the loop knowledge shared with the blocking rules' advice."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from test_eval_files import expected_findings

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source
from gil_lint.fix.apply import fix_source

CASES = Path(__file__).parent / "eval_files" / "thread_loop.py"
CODES = ("GIL405", "GIL406", "GIL408")
ALL = Settings(select=("ALL",), target_gil="enabled")


@pytest.mark.parametrize("code", CODES)
def test_recall_and_precision_on_labelled_cases(code):
    text = CASES.read_text(encoding="utf-8")
    expected = {(row, c) for row, c in expected_findings(text) if c == code}
    found = {(d.row, d.code) for d in lint_source(text, str(CASES), ALL) if d.code == code}
    assert len(expected) >= 3
    true_positives = len(expected & found)
    recall = true_positives / len(expected)
    precision = true_positives / len(found) if found else 0.0
    assert recall >= 0.95, sorted(expected - found)
    assert precision >= 0.95, sorted(found - expected)


def test_call_soon_from_a_thread_gets_the_safe_threadsafe_fix():
    src = (
        "import asyncio, threading\ndef tick(loop):\n    loop.call_soon(print, 'a', *[1])\n"
        "def main(loop):\n    threading.Thread(target=tick, args=(loop,)).start()\n"
    )
    result = fix_source(src, "t.py", ALL)
    assert [d.code for d in result.applied] == ["GIL405"]
    assert "loop.call_soon_threadsafe(print, 'a', *[1])" in result.source
    ast.parse(result.source)


def test_create_task_from_a_thread_becomes_run_coroutine_threadsafe():
    src = (
        "import asyncio as aio\nasync def job():\n    pass\n"
        "def spawn(loop):\n    aio.create_task(job())\n"
        "async def main():\n    await aio.to_thread(spawn, aio.get_running_loop())\n"
    )
    only = Settings(select=("GIL405",), target_gil="enabled")  # not GIL402's fix on the call
    assert fix_source(src, "t.py", only).source == src  # unsafe only
    result = fix_source(src, "t.py", only, unsafe=True)
    assert "    aio.run_coroutine_threadsafe(job(), loop)\n" in result.source
    ast.parse(result.source)


def test_no_fix_without_a_loop_at_hand():
    src = (
        "import asyncio\nfut = None\ndef work(f: asyncio.Future):\n    f.set_result(1)\n"
        "async def main():\n    await asyncio.to_thread(work, fut)\n"
    )
    found = [d for d in lint_source(src, "t.py", ALL) if d.code == "GIL405"]
    assert len(found) == 1 and found[0].fix is None


def test_finding_names_the_helper_in_another_module(tmp_path):
    (tmp_path / "helpers.py").write_text(
        "import asyncio\ndef wake(ev: asyncio.Event):\n    ev.set()\n", encoding="utf-8"
    )
    main = tmp_path / "main.py"
    main.write_text(
        "import asyncio\nfrom helpers import wake\nev = asyncio.Event()\n"
        "async def f():\n    await asyncio.to_thread(wake, ev)\n",
        encoding="utf-8",
    )
    found = [d for d in lint_source(main.read_text(), str(main), ALL) if d.code == "GIL405"]
    assert len(found) == 1
    assert found[0].evidence[-1].path.endswith("helpers.py")
    assert found[0].fix is None  # the call is in another file


def test_blocking_advice_and_gil405_share_the_loop_knowledge():
    # a helper that sets an asyncio future: GIL202's advice does not offer to_thread
    src = (
        "import asyncio, requests\ndef fetch(fut: asyncio.Future, url):\n"
        "    fut.set_result(requests.get(url))\n"
        "async def handle(url):\n    fut = asyncio.get_running_loop().create_future()\n"
        "    fetch(fut, url)\n    await asyncio.to_thread(fetch, fut, url)\n"
    )
    found = {d.code: d for d in lint_source(src, "t.py", ALL)}
    assert "to_thread" not in found["GIL202"].message.split(";")[-1].split("`")[0]
    assert found["GIL202"].fix is None
    assert "GIL405" in found


def test_gil406_noqa_for_e722_does_not_silence_it():
    src = (
        "async def f(g):\n    while True:\n        try:\n            await g()\n"
        "        except:  # noqa: E722\n            pass\n"
    )
    assert [d.code for d in lint_source(src, "t.py", ALL)] == ["GIL406"]


def test_gil408_takes_the_wait_from_gil205():
    src = (
        "import asyncio\nasync def f(c, loop):\n"
        "    return asyncio.run_coroutine_threadsafe(c, loop).result()\n"
    )
    assert [d.code for d in lint_source(src, "t.py", ALL)] == ["GIL408"]
    src_gil205 = src.replace("return asyncio.run_coroutine_threadsafe(c, loop)", "return c")
    assert "GIL408" not in {d.code for d in lint_source(src_gil205, "t.py", ALL)}


def test_method_run_in_a_thread_uses_the_loop_its_instance_keeps():
    src = (
        "import asyncio, sys, threading\nclass Reader:\n    def __init__(self, loop):\n"
        "        self.loop = loop\n        self.queue = asyncio.Queue()\n"
        "    def start(self):\n        threading.Thread(target=self._read).start()\n"
        "    def _read(self):\n        for line in sys.stdin:\n"
        "            self.queue.put_nowait(line)\n"
    )
    [found] = [d for d in lint_source(src, "t.py", ALL) if d.code == "GIL405"]
    assert (found.row, found.evidence[0].row) == (7, 10)
    result = fix_source(src, "t.py", ALL, unsafe=True)
    assert "            self.loop.call_soon_threadsafe(self.queue.put_nowait, line)\n" in (
        result.source
    )
    ast.parse(result.source)


def test_a_thread_that_already_uses_the_threadsafe_forms_is_silent():
    src = (
        "import asyncio, threading\nclass Watcher(threading.Thread):\n"
        "    def __init__(self, loop, fut, coro):\n        super().__init__()\n"
        "        self._loop, self.fut, self.coro = loop, fut, coro\n"
        "    def run(self):\n        self._loop.call_soon_threadsafe(self.fut.set_result, 1)\n"
        "        asyncio.run_coroutine_threadsafe(self.coro, self._loop).result()\n"
        "def main(loop, fut, coro):\n    Watcher(loop, fut, coro).start()\n"
    )
    assert "GIL405" not in {d.code for d in lint_source(src, "t.py", ALL)}
