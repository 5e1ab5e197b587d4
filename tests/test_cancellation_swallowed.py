"""GIL406: a clause that keeps the cancellation for later is not swallowing it."""

from __future__ import annotations

from textwrap import dedent

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source

RESPONDER = dedent(
    """\
    async def respond(gen, send):
        reply, pending = None, None
        while True:
            if pending is None:
                step = gen.asend(reply)
            else:
                step = gen.athrow(pending)
            reply = await step
            try:
                reply = await send(reply)
            except BaseException as err:
                pending = err
            else:
                pending = None
    """
)


def _swallowed(code: str) -> list[int]:
    found = lint_source(code, "m.py", Settings(select=("GIL406",)))
    return [d.row for d in found]


def test_an_error_thrown_into_the_generator_on_the_next_pass_is_not_swallowed():
    # hata's command responder: the generator gets the cancellation and raises it back
    assert _swallowed(RESPONDER) == []


def test_an_error_kept_but_only_logged_is_swallowed():
    logged = RESPONDER.replace("step = gen.athrow(pending)", "log(pending); step = gen.asend(None)")
    assert _swallowed(logged) == [11]


def test_the_throw_must_be_in_the_loop_around_the_clause():
    # kept in one loop, thrown only after another ends: the first loop goes on cancelled
    code = dedent(
        """\
        async def f(gen, send, xs):
            pending = None
            for x in xs:
                try:
                    await send(x)
                except BaseException as err:
                    pending = err
            while False:
                gen.throw(pending)
        """
    )
    assert _swallowed(code) == [6]


DRAIN = dedent(
    """\
    import asyncio
    class Transport:
        async def _process_events(self):
            while True:
                try:
                    event = await self._queue.get()
                    await self.deliver(event)
                except asyncio.CancelledError:
                    break
                except Exception:
                    pass
            {tail}
    """
)


def test_a_break_then_a_drain_of_the_queue_winds_down():
    # cancelled: the loop ends, what is left in the queue is handled, and the task ends
    for test in ("not self._queue.empty()", "self._queue.qsize()", "self._queue.qsize() > 0"):
        tail = f"while {test}:\n                await self.deliver(self._queue.get_nowait())"
        assert _swallowed(DRAIN.format(tail=tail)) == [], test


def test_a_break_then_a_loop_that_keeps_working_still_swallows():
    # after the break another loop waits for more: the cancellation is lost
    tail = "while self.running:\n                await self.deliver(await self._queue.get())"
    assert _swallowed(DRAIN.format(tail=tail)) == [8]


CLOSING = dedent(
    """\
    import asyncio
    class Transport:
        def close(self):
            self._closing = True
        def pause(self):
            self._paused = True
        async def _ensure_reader(self):
            while not self._closing:
                try:
                    await self.read()
                except asyncio.CancelledError:
                    self.{method}()
    """
)


def test_a_flag_the_clause_sets_through_a_method_ends_the_loop():
    # pyinsteon's hub reader: `self.close()` sets `self._closing`, which the loop tests
    assert _swallowed(CLOSING.format(method="close")) == []
    # a method setting a flag the loop does not test: the loop reads again, cancelled
    assert _swallowed(CLOSING.format(method="pause")) == [11]
