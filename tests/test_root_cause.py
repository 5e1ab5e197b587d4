"""Findings about no wait at all (issue #14): file APIs over in-memory files, and helpers an
offloading decorator runs in a worker thread or process."""

from __future__ import annotations

from textwrap import dedent

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic
from gil_lint.engine.lint import lint_source


def lint(code: str, settings: Settings | None = None) -> list[Diagnostic]:
    found = lint_source(dedent(code), "app.py", settings or Settings())
    # the async rules, and engine errors (an internal error must fail the test)
    return [d for d in found if d.code.startswith(("GIL2", "GIL0"))]


def where(found: list[Diagnostic]) -> list[tuple[int, str]]:
    return sorted((d.row, d.code) for d in found)


def notes(d: Diagnostic) -> list[tuple[int, str]]:
    return [(e.row, e.message) for e in d.evidence]


# -- in-memory files ----------------------------------------------------------------------
def test_file_apis_over_in_memory_files_are_not_file_io():
    found = lint(
        """\
        import gzip, io, json, pickle, shutil, tarfile, zipfile
        from io import BytesIO
        async def unpack(blob, text):
            z = zipfile.ZipFile(io.BytesIO(blob))
            t = tarfile.open(fileobj=BytesIO(blob), mode="r:*")
            g = gzip.open(BytesIO(blob))
            cfg = json.load(io.StringIO(text))
            buf = BytesIO()
            pickle.dump(cfg, buf)
            shutil.copyfileobj(BytesIO(blob), buf)
            return z, t, g, pickle.load(buf)
        """
    )
    assert found == []


def test_a_copy_between_memory_and_a_real_file_is_still_file_io():
    found = lint(
        """\
        import io, shutil
        async def save(blob, dst):
            shutil.copyfileobj(io.BytesIO(blob), dst)
        """
    )
    assert where(found) == [(3, "GIL203")]


def test_a_helper_over_an_in_memory_file_does_not_block():
    found = lint(
        """\
        import io, json, zipfile
        def names(blob):
            return zipfile.ZipFile(io.BytesIO(blob)).namelist()
        def parse(text):
            buf = io.StringIO(text)
            return json.load(buf)
        async def main(blob, text):
            return names(blob), parse(text)
        """
    )
    assert found == []


def test_a_user_file_api_over_an_in_memory_file_is_not_file_io():
    code = """\
        from io import BytesIO
        from PIL import Image
        async def thumbnail(blob, path):
            small = Image.open(BytesIO(blob))
            big = Image.open(path)
            return small, big
        """
    mine = Settings(knowledge=(("blocking-file", ("PIL.Image.open",)),))
    assert where(lint(code, mine)) == [(5, "GIL203")]


# -- offloading decorators ----------------------------------------------------------------
def test_a_helper_an_offloading_decorator_runs_in_a_thread_does_not_block_the_caller():
    found = lint(
        """\
        import time
        from asgiref.sync import sync_to_async
        from tornado.concurrent import run_on_executor

        class Resolver:
            @run_on_executor
            def resolve(self, host):
                time.sleep(1)

            @run_on_executor(executor="_pool")
            def resolve_other(self, host):
                time.sleep(1)

            def plain(self):
                time.sleep(1)

            async def go(self):
                a = self.resolve("h")
                b = self.resolve_other("h")
                self.plain()
                return await a, await b

        @sync_to_async(thread_sensitive=False)
        def load(p):
            with open(p) as f:
                return f.read()

        def outer(p):
            return load(p)

        async def main(p):
            pending = load(p)
            outer(p)
            return await pending
        """
    )
    assert where(found) == [(20, "GIL201")]  # only `self.plain()`


def test_an_unknown_decorator_does_not_stop_the_chain():
    found = lint(
        """\
        import functools, time
        def traced(fn):
            @functools.wraps(fn)
            def inner(*a):
                return fn(*a)
            return inner
        @traced
        def work():
            time.sleep(1)
        async def main():
            work()
        """
    )
    assert where(found) == [(11, "GIL201")]


def test_offloading_decorators_are_user_extendable():
    code = """\
        import time
        from mycorp.jobs import in_thread
        @in_thread
        def work():
            time.sleep(1)
        async def main():
            return work()
        """
    assert where(lint(code)) == [(7, "GIL201")]
    mine = Settings(knowledge=(("offloading-decorators", ("mycorp.jobs.in_thread",)),))
    assert lint(code, mine) == []
