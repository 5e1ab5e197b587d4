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
