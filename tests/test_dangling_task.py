"""GIL402: the tasks a module drops are one finding (one helper that keeps the tasks fixes
them all), the other places its evidence; the one fix keeps every one."""

from __future__ import annotations

import ast
from pathlib import Path
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


def _dropped(code: str) -> list[int]:
    found = lint_source(dedent(code), "m.py", Settings(select=("GIL402",)))
    return [d.row for d in found if d.code == "GIL402"]


STATS = """\
import asyncio
from typing import Protocol


class Stats:
    def __init__(self):
        self.n = 0

    async def count(self):
        self.n += 1
        await self._note()

    async def _note(self):
        self.n += 1

    async def flush(self):
        await asyncio.sleep(0)

    async def slow_count(self):
        await self.flush()

    async def hook(self):
        pass


class Sink(Protocol):
    async def send(self) -> None: ...


def sink() -> Sink: ...


class Server:
    def __init__(self):
        self.stats: Stats = Stats()
        self.stats = make_stats()
        self.lazy = None
        self.made = Stats()

    def start(self):
        self.lazy = self.lazy or Stats()
        if self.made is None:
            self.made = self.made()

    async def handle(self):
        {call}
"""


def test_a_task_whose_coroutine_cannot_suspend_is_not_reported():
    # it runs to its end in its first step, while the loop holds the task: a metrics hook
    # that only counts (through a project coroutine that cannot suspend either), reached
    # through an attribute declared `self.stats: Stats` and assigned something else later
    assert _dropped(STATS.format(call="asyncio.create_task(self.stats.count())")) == []
    local = "coro = self.stats.count()\n        asyncio.create_task(coro)"
    assert _dropped(STATS.format(call=local)) == []
    # made lazily (`self.x = self.x or Stats()`), or re-made from itself: still a Stats
    assert _dropped(STATS.format(call="asyncio.create_task(self.lazy.count())")) == []
    assert _dropped(STATS.format(call="asyncio.create_task(self.made.count())")) == []


def test_a_task_whose_coroutine_may_suspend_is_still_reported():
    # it awaits asyncio (itself or through a project coroutine), or its body is a stub: a
    # hook subclasses fill in, a protocol's method
    for call in (
        "asyncio.create_task(self.stats.flush())",
        "asyncio.create_task(self.stats.slow_count())",
        "asyncio.create_task(self.stats.hook())",
        "asyncio.create_task(sink().send())",
        "asyncio.create_task(unknown())",
    ):
        assert _dropped(STATS.format(call=call)) == [46], call


QUEUES = dedent(
    """\
    import asyncio
    INBOX = asyncio.Queue()
    class Behaviour:
        def __init__(self, outbox):
            self.queue = asyncio.Queue()
            self.bounded = asyncio.Queue(maxsize=10)
            self.outbox = outbox
        async def _deliver(self, msg):
            await self.queue.put(msg)
        async def _deliver_bounded(self, msg):
            await self.bounded.put(msg)
        def on_message(self, msg):
            {call}
    """
)


def test_a_put_on_an_unbounded_asyncio_queue_cannot_suspend():
    # `put` on an asyncio queue made with no bound returns at once and cannot raise: the
    # task runs to its end in its first step, itself or through a project coroutine
    for call in (
        "asyncio.create_task(self.queue.put(msg))",
        "asyncio.create_task(INBOX.put(msg))",
        "asyncio.ensure_future(self._deliver(msg))",
        "q = asyncio.Queue()\n        asyncio.create_task(q.put(msg))",
    ):
        assert _dropped(QUEUES.format(call=call)) == [], call
    # a bound makes `put` wait; a queue made elsewhere (a parameter) may have one
    for call in (
        "asyncio.create_task(self.bounded.put(msg))",
        "asyncio.create_task(self._deliver_bounded(msg))",
        "asyncio.create_task(self.outbox.put(msg))",
        "asyncio.create_task(asyncio.Queue(1).put(msg))",
    ):
        assert _dropped(QUEUES.format(call=call)) == [13], call


def test_a_task_dropped_in_deprecated_code_is_not_reported():
    code = """\
        import asyncio, warnings
        class Session:
            async def start_stream(self, stream):
                warnings.warn("use send_realtime_input", DeprecationWarning)
                asyncio.create_task(self.send(stream))
            async def send(self, stream):
                await asyncio.sleep(0)
        """
    assert _dropped(code) == []
    assert _dropped(code.replace("DeprecationWarning", "UserWarning")) == [5]


def test_ensure_future_of_a_future_a_function_returns_makes_no_task():
    # ib_async's request methods: a plain `def` that sends the request and returns the
    # future it keeps; `ensure_future` hands that future back
    code = """\
        import asyncio
        class IB:
            def __init__(self):
                self._futures = {}
            def reqSummaryAsync(self):
                future = asyncio.get_running_loop().create_future()
                self._futures[1] = future
                return future
            def _coro(self):
                coro = self._run()
                return coro
            async def _run(self):
                await asyncio.sleep(0)
            def on_error(self):
                asyncio.ensure_future(self.reqSummaryAsync())
        """
    assert _dropped(code) == []
    # a function that returns a coroutine it made: a task, dropped
    assert _dropped(code.replace("self.reqSummaryAsync()", "self._coro()")) == [15]


HANDLED = dedent(
    """\
    import asyncio, logging
    async def ack(session):
        "Best effort."
        try:
            await session.send('ack')
        except Exception:
            logging.exception('ack')
    async def pump(session):
        while True:
            try:
                await session.step()
            except BaseException:
                logging.exception('step')
    async def flush(session):
        try:
            await session.send('flush')
        except Exception:
            logging.exception('flush')
        await session.close()
    """
)


def _task_message(coroutine: str) -> str:
    source = HANDLED + f"def go(session):\n    asyncio.create_task({coroutine}(session))\n"
    [found] = lint_source(source, "app.py", Settings(select=("GIL402",)))
    return found.message


def test_the_message_says_an_exception_goes_unseen_only_when_one_can():
    # skyvern's screencast ack catches every error itself: what is left to say is the
    # weak reference and shutdown; one that awaits outside its `try` can lose an exception
    for handled in ("ack", "pump"):
        assert "only logged" not in _task_message(handled)
        assert "nothing awaits it, so shutdown cuts it off" in _task_message(handled)
    assert "an exception it raises is only logged, when the task is collected" in (
        _task_message("flush")
    )


def test_ensure_future_of_an_executor_future_makes_no_task():
    # aioxmpp's entity-caps write-back: `run_in_executor` already returns a future, which
    # `ensure_future` hands back; the executor holds the work to its end
    code = """\
        import asyncio
        def save(path, data):
            asyncio.ensure_future(asyncio.get_event_loop().run_in_executor(None, print, data))
            loop = asyncio.get_running_loop()
            fut = loop.run_in_executor(None, print, path)
            asyncio.ensure_future(fut)
            asyncio.ensure_future(asyncio.wrap_future(pool.submit(print)))
        async def work():
            await asyncio.sleep(1)
        def later():
            asyncio.ensure_future(work())
        """
    assert _dropped(code) == [11]
    # a coroutine there is a task, dropped: the module's one finding moves to it
    assert _dropped(code.replace("ensure_future(fut)", "ensure_future(work())")) == [6]


def _package_findings(root, **modules: str) -> list[tuple[str, int]]:
    from gil_lint.engine.discovery import discover
    from gil_lint.engine.runner import lint_paths

    for rel, text in {"app/__init__.py": "", **modules}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    settings = Settings(project_root=root, select=("GIL402",))
    files = [str(f) for f in discover([str(root / "app")], settings).files]
    found = lint_paths(files, settings).diagnostics
    return sorted((Path(d.path).relative_to(root).as_posix(), d.row) for d in found)


METRICS = """\
    from typing import Protocol


    class _SpanSink(Protocol):
        async def emit(self, name: str, parent=None) -> None: ...
        async def fail(self, name: str, error: str = "") -> None: ...


    class Metrics:
        def __init__(self):
            self.n = 0

        def _sink(self, which) -> _SpanSink | None:
            return which

        async def hook(self, name, parent=None):
            self.n += 1
            sink = self._sink(name)
            if sink is not None:
                await sink.emit(name, parent=parent)


    class Registry:
        def __init__(self):
            self.metrics = Metrics()


    metrics = Metrics()
    registry = Registry()
    """
# the classes of the package the private protocol stands for: they only count, or do
# nothing; one takes other arguments (not what the protocol describes)
SINKS = """\
    class TraceSink:
        async def emit(self, name, parent=None, **extra):
            self.last = name
        async def fail(self, name, error=""):
            self.last = error

    class QuietSink:
        async def emit(self, *args, **kwargs):
            \"\"\"Spans are not sent here.\"\"\"
        async def fail(self, *args, **kwargs):
            \"\"\"Spans are not sent here.\"\"\"

    class CounterSink:
        async def emit(self, service, duration):
            import asyncio
            await asyncio.sleep(0)
        async def fail(self, service, duration):
            pass
    """
USER = """\
    import asyncio
    from app.metrics import metrics, registry

    async def handle(request):
        asyncio.create_task(metrics.hook("request"))

    async def other(request):
        asyncio.create_task(registry.metrics.hook("request"))
    """


def test_a_task_on_an_object_another_module_holds_is_followed_to_its_class(tmp_path):
    # `metrics` is a `Metrics()` made in app/metrics.py; `registry.metrics` an instance
    # attribute of a class there: `hook` awaits only a private protocol whose classes in
    # the package never suspend (one does nothing, and one that does suspend takes other
    # arguments than the protocol describes): the task runs to its end in its first step
    found = _package_findings(
        tmp_path, **{"app/metrics.py": METRICS, "app/sinks.py": SINKS, "app/user.py": USER}
    )
    assert found == []


def test_a_private_protocol_one_of_whose_classes_suspends_may_suspend(tmp_path):
    slow = SINKS.replace("self.last = name", "import asyncio\n            await asyncio.sleep(1)")
    found = _package_findings(
        tmp_path, **{"app/metrics.py": METRICS, "app/sinks.py": slow, "app/user.py": USER}
    )
    assert found == [("app/user.py", 5)]
    # a public protocol may be anyone's; a private one no class of the package implements
    # says nothing either
    public = METRICS.replace("_SpanSink", "SpanSink")
    found = _package_findings(
        tmp_path / "p", **{"app/metrics.py": public, "app/sinks.py": SINKS, "app/user.py": USER}
    )
    assert found == [("app/user.py", 5)]
    found = _package_findings(tmp_path / "n", **{"app/metrics.py": METRICS, "app/user.py": USER})
    assert found == [("app/user.py", 5)]
    # a subclass that overrides one method alone is one of them too
    sub = SINKS + dedent(
        """\
        class SlowTraceSink(TraceSink):
            async def emit(self, name, parent=None, **extra):
                import asyncio
                await asyncio.sleep(1)
        """
    )
    found = _package_findings(
        tmp_path / "s", **{"app/metrics.py": METRICS, "app/sinks.py": sub, "app/user.py": USER}
    )
    assert found == [("app/user.py", 5)]
