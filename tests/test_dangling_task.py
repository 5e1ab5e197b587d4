"""GIL402: the tasks a module drops are one finding (one helper that keeps the tasks fixes
them all), the other places its evidence; the one fix keeps every one."""

from __future__ import annotations

import ast
from textwrap import dedent

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source
from gil_lint.fix.apply import fix_source

LISTENERS = dedent(
    """\
    import asyncio
    class Connection:
        def _on_log(self, cb, message):
            asyncio.ensure_future(cb.cb(self, message))
        def _on_terminate(self, cb):
            asyncio.ensure_future(cb.cb(self))
        def _on_notify(self, cb, pid, channel):
            asyncio.ensure_future(cb.cb(self, pid, channel))
        def _on_notice(self):
            asyncio.create_task(self.notify_closed())
        def _on_error(self):
            asyncio.create_task(self._close())  # a task that closes: not reported
    """
)


def test_the_tasks_a_module_drops_are_one_finding():
    found = [d for d in lint_source(LISTENERS, "c.py", Settings()) if d.code == "GIL402"]
    assert [d.row for d in found] == [4]
    first = found[0]
    assert first.message.endswith("(and in 3 more places here)")
    assert [(e.row, e.message) for e in first.evidence] == [
        (6, "also `cb.cb` dropped (c.py:6)"),
        (8, "also `cb.cb` dropped (c.py:8)"),
        (10, "also `self.notify_closed` dropped (c.py:10)"),
    ]
    # the one fix wraps every place
    assert first.fix is not None
    assert sum(e.content.startswith("_keep_task(") for e in first.fix.edits) == 4


def test_the_unsafe_fix_keeps_every_task_at_once():
    result = fix_source(LISTENERS, "c.py", Settings(), unsafe=True)
    out = result.source
    ast.parse(out)
    assert out.count("_keep_task(asyncio.ensure_future(cb.cb(") == 3
    assert "_keep_task(asyncio.create_task(self.notify_closed()))" in out
    assert [d for d in lint_source(out, "c.py", Settings()) if d.code == "GIL402"] == []
    assert len(result.applied) == 1  # one finding, one fix
