"""GIL102 on closures: a nonlocal only the one thread running the closure writes loses no
update; another writer (a second closure, the function around it after the start, a second
thread of the same closure) keeps it reported."""

from __future__ import annotations

from textwrap import dedent

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source

WATCH = """\
import threading

def watch(process, patterns):
    state = 0

    def read_logs():
        nonlocal state
        for line in process.stdout:
            if patterns[state].match(line):
                state += 1
{other}
    {start}
    {after}
    return state
"""


def _rows(other: str = "", start: str = "", after: str = "") -> list[int]:
    code = WATCH.format(other=other, start=start, after=after)
    found = lint_source(dedent(code), "m.py", Settings(select=("GIL102",)))
    return [d.row for d in found]


def test_a_closure_one_thread_runs_is_the_only_writer_of_its_cells():
    # sglang's log reader: one thread per call, the counter set before it starts
    assert _rows(start="t = threading.Thread(target=read_logs); t.start(); t.join()") == []


def test_a_closure_defined_in_a_try_block_is_the_same():
    # sglang's pod monitor defines its log reader inside `try:` and starts it with a status
    # thread, then polls an event
    code = dedent(
        """\
        import threading
        def monitor(process, patterns):
            state = 0
            try:
                def read_logs():
                    nonlocal state
                    for line in process.stdout:
                        state += 1
                def check():
                    pass
                log_thread = threading.Thread(target=read_logs)
                status_thread = threading.Thread(target=check)
                log_thread.start()
                status_thread.start()
            finally:
                process.terminate()
            return state
        """
    )
    assert lint_source(code, "m.py", Settings(select=("GIL102",))) == []


def test_another_writer_keeps_the_update_reported():
    # the closure started per item: its threads share the cells
    loop = "for _ in patterns: threading.Thread(target=read_logs).start()"
    assert _rows(start=loop) == [10]
    # the function around it resets the counter while the thread runs
    start = "threading.Thread(target=read_logs).start()"
    assert _rows(start=start, after="state = 0") == [10]
    # a second closure updates it too
    other = "    def reset():\n        nonlocal state\n        state = 0\n"
    assert _rows(other=other, start=start) == [10]
    # handed on elsewhere as well: it may run again
    assert _rows(start=start, after="threading.Thread(target=read_logs).start()") == [10]
