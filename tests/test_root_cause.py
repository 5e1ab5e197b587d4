"""One finding per root cause (issue #14): a file opened and used is one finding, a fallback
that repeats a call is not a second one, in-memory files and offloading decorators do not
block, and call sites of one blocking helper share the same root-cause evidence."""

from __future__ import annotations

from textwrap import dedent

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic
from gil_lint.engine.lint import lint_source


def lint(code: str, settings: Settings | None = None) -> list[Diagnostic]:
    # GIL208 (metadata) is opt-in: these tests look at every blocking rule
    found = lint_source(dedent(code), "app.py", settings or Settings(select=("ALL",)))
    # the async rules, and engine errors (an internal error must fail the test)
    return [d for d in found if d.code.startswith(("GIL2", "GIL0"))]


def where(found: list[Diagnostic]) -> list[tuple[int, str]]:
    return sorted((d.row, d.code) for d in found)


def notes(d: Diagnostic) -> list[tuple[int, str]]:
    return [(e.row, e.message) for e in d.evidence]


# -- a file opened and used in one function ---------------------------------------------------
def test_open_then_json_load_is_one_finding_on_the_open_with_the_read_as_evidence():
    found = lint(
        """\
        import pickle
        async def handle(path):
            with open(path, "rb") as f:
                cfg = pickle.load(f)
            return cfg
        """
    )
    assert where(found) == [(3, "GIL203")]
    assert found[0].col == 10  # the `open`, not the `pickle.load`
    assert notes(found[0]) == [(4, "`pickle.load` on `f` (app.py:4)")]
    assert (found[0].evidence[0].row, found[0].evidence[0].col) == (4, 15)


def test_every_use_of_the_handle_after_the_open_is_evidence_in_source_order():
    found = lint(
        """\
        import pickle
        async def copy(path, obj):
            f = open(path, "rb+")
            head = f.read(10)
            for line in f:
                print(line)
            pickle.dump(obj, f)
            rows = [r for r in f]
            return head, rows
        """
    )
    assert where(found) == [(3, "GIL203")]
    assert notes(found[0]) == [
        (4, "`f.read` (app.py:4)"),
        (5, "`for … in f` (app.py:5)"),
        (7, "`pickle.dump` on `f` (app.py:7)"),
        (8, "`for … in f` (app.py:8)"),
    ]


def test_a_nested_function_using_its_own_file_is_not_evidence():
    found = lint(
        """\
        async def upload(path):
            with open(path, "rb") as f:
                data = f.read()
            def dump(target):
                with open(target, "wb") as f:
                    f.write(data)
            return dump
        """
    )
    assert where(found) == [(2, "GIL203")]
    assert notes(found[0]) == [(3, "`f.read` (app.py:3)")]


def test_a_file_opened_inline_is_one_finding():
    found = lint("import pickle\nasync def f(p):\n    return pickle.load(open(p, 'rb'))\n")
    assert where(found) == [(3, "GIL203")]
    assert found[0].col == 24
    assert notes(found[0]) == [(3, "`pickle.load` on the file (app.py:3)")]


def test_a_method_on_the_opened_file_is_evidence():
    found = lint("async def f(p):\n    return open(p, 'rb').read()\n")
    assert where(found) == [(2, "GIL203")]
    assert notes(found[0]) == [(2, "`.read` on the file (app.py:2)")]


def test_path_open_then_json_load_is_one_finding():
    found = lint(
        """\
        import pickle
        from pathlib import Path
        async def handle(path):
            with Path(path).open(mode="rb") as f:
                return pickle.load(f)
        """
    )
    assert where(found) == [(4, "GIL203")]
    assert notes(found[0]) == [(5, "`pickle.load` on `f` (app.py:5)")]


def test_two_files_copied_into_each_other_are_one_finding_on_the_first_open():
    found = lint(
        """\
        import shutil
        async def copy(a, b):
            with open(a, "rb") as src, open(b, "wb") as dst:
                shutil.copyfileobj(src, dst)
        """
    )
    assert [(d.row, d.col) for d in found] == [(3, 10)]
    assert found[0].message.endswith("(1 more blocking call in this function)")
    assert notes(found[0]) == [
        (4, "`shutil.copyfileobj` on `src` (app.py:4)"),
        (3, "also `open` (app.py:3)"),
    ]


def test_a_modules_blocking_file_calls_are_one_finding_per_code():
    found = lint(
        """\
        import shutil, time
        from pathlib import Path
        async def download(src, dst, data):
            if data is None:
                data = Path(src).read_bytes()
            Path(dst).write_bytes(data)
            time.sleep(1)
            shutil.copyfile(dst, dst + ".bak")
        async def other(p):
            return Path(p).read_bytes()
        """
    )
    # file work: one finding for the module; the sleep has its own fix, its own finding
    assert where(found) == [(5, "GIL203"), (7, "GIL201")]
    assert found[0].message.endswith(
        "(2 more blocking calls in this function; 1 more in other functions of this module)"
    )
    assert notes(found[0]) == [
        (6, "also `pathlib.Path.write_bytes` (app.py:6)"),
        (8, "also `shutil.copyfile` (app.py:8)"),
        (10, "also `pathlib.Path.read_bytes` in `other()` (app.py:10)"),
    ]


def test_a_modules_file_work_is_reported_where_it_runs_often_not_at_start_up():
    found = lint(
        """\
        import pickle
        def read_config(p):
            with open(p, "rb") as f:
                return pickle.load(f)
        class Client:
            async def _start(self):
                for p in self.paths:
                    self.cfg = read_config(p)
            async def close(self):
                for p in self.paths:
                    open(p, "wb").close()
            async def upload(self, path):
                with open(path, "rb") as f:
                    return await self.send(f.read())
            async def again(self, p):
                self.cfg = read_config(p)
        """
    )
    # `_start` and `close` come first in the file, but `upload` runs per call: it is the
    # finding, and the start-up and shutdown places are its evidence
    assert where(found) == [(13, "GIL203")]
    assert found[0].message.endswith(
        "(2 more in other functions of this module; 1 more call site in this module reaches it)"
    )
    rows = [row for row, _ in notes(found[0])]
    assert rows[0] == 14  # the read of the file opened here
    assert {8, 11, 16} <= set(rows)


def test_a_modules_file_work_is_reported_at_a_call_written_out_before_a_helper():
    found = lint(
        """\
        def save_card(p, card):
            with open(p, "wb") as f:
                f.write(card)
        async def download_contact(p, card):
            save_card(p, card)
        async def download_file(p, chunks):
            f = open(p, "wb")
            async for chunk in chunks:
                f.write(chunk)
        """
    )
    assert where(found) == [(7, "GIL203")]
    assert [row for row, _ in notes(found[0])] == [9, 5, 5, 2]


def test_a_handle_not_opened_in_this_function_is_reported_where_it_is_read():
    found = lint(
        """\
        import pickle
        async def load(f):
            return pickle.load(f)
        class C:
            async def load(self):
                return pickle.load(self.fh)
        """
    )
    assert where(found) == [(3, "GIL203")]
    assert notes(found[0]) == [(6, "also `pickle.load` in `load()` (app.py:6)")]


def test_a_file_opened_in_a_thread_is_still_read_on_the_event_loop():
    found = lint(
        """\
        import asyncio, pickle
        async def load(p):
            f = await asyncio.to_thread(open, p)
            return pickle.load(f)
        """
    )
    assert where(found) == [(4, "GIL203")]


def test_a_handle_also_bound_to_something_else_keeps_its_reads_reported():
    found = lint(
        """\
        import pickle, sys
        async def load(p):
            f = open(p, "rb") if p else sys.stdin
            return pickle.load(f)
        """
    )
    # the read is not the open's own evidence (`f` may be stdin), but the same coroutine's
    # file work all the same: one finding
    assert where(found) == [(3, "GIL203")]
    assert notes(found[0]) == [(4, "also `pickle.load` (app.py:4)")]


def test_the_result_of_a_read_is_not_a_file():
    found = lint(
        """\
        import pickle, pickle
        async def convert(a, out):
            data = pickle.load(a)
            pickle.dump(data, out)
        """
    )
    assert where(found) == [(3, "GIL203")]
    assert notes(found[0]) == [(4, "also `pickle.dump` (app.py:4)")]


# -- a fallback that repeats the call ---------------------------------------------------------
def test_an_except_fallback_repeating_the_call_is_evidence_not_a_second_finding():
    found = lint(
        """\
        import socket
        async def resolve(host):
            try:
                return socket.getaddrinfo(host, 80)
            except OSError:
                return socket.getaddrinfo("fallback.example.com", 80)
        """
    )
    assert where(found) == [(4, "GIL202")]
    assert notes(found[0]) == [
        (6, "`socket.getaddrinfo` again in the `except` fallback (app.py:6)")
    ]


def test_a_fallback_in_the_else_of_the_try_is_one_finding():
    found = lint(
        """\
        import shutil
        async def clean(p, q):
            try:
                shutil.rmtree(p)
            except FileNotFoundError:
                pass
            else:
                shutil.rmtree(q)
        """
    )
    assert where(found) == [(4, "GIL203")]


def test_a_helper_repeated_in_the_fallback_is_one_finding():
    found = lint(
        """\
        import time
        def wait(s):
            time.sleep(s)
        async def handle():
            try:
                wait(1)
            except ValueError:
                wait(2)
        """
    )
    assert where(found) == [(6, "GIL201")]
    assert notes(found[0])[-1] == (8, "`wait` again in the `except` fallback (app.py:8)")


def test_calls_in_one_try_body_or_different_callees_are_one_coroutines_file_work():
    found = lint(
        """\
        import os
        async def clean(a, b):
            try:
                os.remove(a)
                os.remove(b)
                try:
                    prepare()
                except OSError:
                    os.remove(a)
            except OSError:
                os.rmdir(a)
        """
    )
    # the inner handler's `os.remove` repeats nothing of the inner `try`'s body: not a
    # fallback, but more file work of the same coroutine, like the others
    assert where(found) == [(4, "GIL208")]
    assert notes(found[0]) == [
        (5, "also `os.remove` (app.py:5)"),
        (9, "also `os.remove` (app.py:9)"),
        (11, "also `os.rmdir` (app.py:11)"),
    ]


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


def test_a_file_object_made_over_an_in_memory_file_is_not_file_io():
    # TikTokLive's frame decoder: `GzipFile(fileobj=BytesIO(payload))`, then `.read()` on
    # it, in a helper every websocket message goes through
    found = lint(
        """\
        from gzip import GzipFile
        from io import BytesIO
        def decode(payload):
            gz = GzipFile(fileobj=BytesIO(payload))
            try:
                return gz.read()
            finally:
                gz.close()
        def decode_file(path):
            gz = GzipFile(path)
            return gz.read()
        async def on_message(payload):
            return decode(payload)
        async def on_upload(path):
            return decode_file(path)
        """
    )
    # the same class over a path still reads a disk
    assert where(found) == [(15, "GIL203")]


def test_an_in_memory_file_bound_with_other_names_is_not_file_io():
    # open-webui's skill export: `output, roots = io.BytesIO(), set()`, then a zip into it
    found = lint(
        """\
        import io, zipfile
        def export(files):
            output, roots = io.BytesIO(), set()
            with zipfile.ZipFile(output, "w") as archive:
                for name, data in files:
                    roots.add(name)
                    archive.writestr(name, data)
            return output.getvalue()
        async def download(files, path):
            first = export(files)
            data, dst = first, open(path, "wb")
            return data, dst
        """
    )
    # a name bound in the same statement to a real file still is one; the export is not
    assert where(found) == [(11, "GIL203")]
    assert [row for row, _ in notes(found[0])] == []


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
        async def handle():
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
        async def handle():
            return work()
        """
    assert where(lint(code)) == [(7, "GIL201")]
    mine = Settings(knowledge=(("offloading-decorators", ("mycorp.jobs.in_thread",)),))
    assert lint(code, mine) == []


def test_an_offloading_decorator_with_an_argument_condition():
    # textual's `@work(thread=True)` runs the function in a thread; `@work` alone and
    # `@work(thread=False)` make a coroutine worker that runs on the loop
    code = """\
        from textual import work
        class Page:
            @work(thread=True)
            def read_in_thread(self, p):
                with open(p, "rb") as f:
                    return f.read()
            @work(thread=True, exit_on_error=False)
            def read_too(self, p):
                return self.read_in_thread(p)
            @work(thread=False)
            def read_on_loop(self, p):
                with open(p, "rb") as f:
                    return f.read()
            @work(exclusive=True)
            def read_exclusive(self, p):
                with open(p, "rb") as f:
                    return f.read()
            def helper(self, p):
                return self.read_in_thread(p)
            async def show(self, p):
                code = await self.read_in_thread(p).wait()
                self.read_too(p)
                self.helper(p)
                self.read_on_loop(p)
                self.read_exclusive(p)
        """
    # the two that run on the loop are one coroutine's file work: one finding
    (found,) = lint(code)
    assert (found.row, found.code) == (24, "GIL203")
    assert {row for row, _ in notes(found)} - {4, 5, 12, 13, 16, 17, 24} == {25}


def test_user_offloading_decorators_take_argument_conditions():
    code = """\
        import time
        from mycorp.jobs import job
        @job(thread=True)
        def in_thread():
            time.sleep(1)
        @job(thread="yes")
        def truthy_but_not_true():
            time.sleep(1)
        @job
        def on_loop():
            time.sleep(1)
        async def a():
            in_thread()
        async def b():
            truthy_but_not_true()
        async def c():
            on_loop()
        """
    assert where(lint(code)) == [(13, "GIL201"), (15, "GIL201"), (17, "GIL201")]
    mine = Settings(knowledge=(("offloading-decorators", ("mycorp.jobs.job(thread=True)",)),))
    assert where(lint(code, mine)) == [(15, "GIL201"), (17, "GIL201")]


# -- one root cause, several call sites ---------------------------------------------------
def test_call_sites_of_one_blocking_helper_are_one_finding_per_module():
    found = lint(
        """\
        import shutil
        class Arbiter:
            def cleanup(self, w):
                shutil.rmtree(w.path)
            def kill(self, w):
                self.cleanup(w)
            async def stop(self, w1, w2):
                self.kill(w1)
                self.kill(w2)
            async def reap(self, w3):
                self.cleanup(w3)
        """
    )
    # one root cause (the rmtree), one fix: the first call site is the finding ...
    assert where(found) == [(8, "GIL203")]
    (finding,) = found
    assert finding.message.endswith("(2 more call sites in this module reach it)")
    # ... the chain down to the blocking call, then the other call sites as evidence
    assert notes(finding) == [
        (8, "`self.kill` (app.py:8)"),
        (6, "`Arbiter.cleanup` (app.py:6)"),
        (4, "`shutil.rmtree` (app.py:4)"),
        (9, "also reached from `stop()` through `self.kill` (app.py:9)"),
        (11, "also reached from `reap()` through `self.cleanup` (app.py:11)"),
    ]


def test_helpers_that_block_on_different_calls_stay_separate_findings():
    found = lint(
        """\
        import shutil, time
        def wipe(p):
            shutil.rmtree(p)
        def nap():
            time.sleep(1)
        async def stop(p):
            wipe(p)
            nap()
        async def again(p):
            wipe(p)
        """
    )
    assert where(found) == [(7, "GIL203"), (8, "GIL201")]
    assert found[0].message.endswith("(1 more call site in this module reaches it)")
    assert "more call site" not in found[1].message


def test_one_coroutines_file_work_through_two_helpers_is_one_finding():
    found = lint(
        """\
        import pickle
        from pathlib import Path
        class Persistence:
            def _dump_single(self):
                with Path(self.path).open("wb") as f:
                    pickle.dump(self.data, f)
            def _dump(self, path, data):
                with path.open("wb") as f:
                    pickle.dump(data, f)
            async def update_chat(self):
                if self.split:
                    self._dump(Path("chats"), self.chats)
                else:
                    self._dump_single()
            async def update_user(self):
                if self.split:
                    self._dump(Path("users"), self.users)
                else:
                    self._dump_single()
            async def sleepy(self):
                self._dump_single()
        """
    )
    # the second helper joins the coroutine's finding, and its other callers join it too
    assert where(found) == [(12, "GIL203")]
    assert found[0].message.endswith(
        "(1 more blocking call in this function; 3 more call sites in this module reach it)"
    )
    assert [row for row, _ in notes(found[0])][2:] == [14, 17, 19, 21]


def test_a_noqa_on_the_reported_call_site_covers_the_root_cause():
    found = lint(
        """\
        import shutil
        def wipe(p):
            shutil.rmtree(p)
        async def stop(p):
            wipe(p)  # noqa: GIL203
        async def again(p):
            wipe(p)
        """
    )
    assert found == []


# -- lazy initialisation: it blocks the first time only ----------------------------------------
def test_a_lazily_initialised_attribute_blocks_once_directly_and_through_helpers():
    found = lint(
        """\
        import json, pickle, socket
        from pathlib import Path
        _settings = None
        def load(path):
            with open(path, "rb") as f:
                return pickle.load(f)
        class Persistence:
            async def get_user_data(self):
                if self.user_data:
                    pass
                elif not self.single_file:
                    data = load(self.path)
                    self.user_data = data or {}
                else:
                    self._load_everything()
                return self.user_data
            async def config(self):
                if self._config is None:
                    self._config = json.loads(Path(self.path).read_text())
                return self._config
            async def address(self):
                if self._address is not None:
                    return self._address
                self._address = socket.gethostbyname(self.host)
                return self._address
        async def settings(path):
            global _settings
            if not _settings:
                _settings = load(path)
            return _settings
        """
    )
    assert where(found) == []


def test_a_guard_that_does_not_keep_the_value_still_blocks():
    found = lint(
        """\
        import pickle
        def load(path):
            with open(path, "rb") as f:
                return pickle.load(f)
        class Store:
            async def get(self, path):
                if self.data is None:
                    data = load(path)  # a local: loaded again on every call
                    return data
                cached = None
                if cached is None:
                    cached = load(path)  # a local guard: every call
                if self.closed:
                    return None
                return load(path)  # the guard exits, but nothing fills `self.closed`
        """
    )
    assert where(found) == [(8, "GIL203")]
    assert "(2 more call sites in this module reach it)" in found[0].message


def test_a_helper_that_initialises_lazily_does_not_block_its_callers():
    found = lint(
        """\
        import json
        class Client:
            def settings(self):
                if self._settings is None:
                    with open(self.path) as f:
                        self._settings = json.load(f)
                return self._settings
            async def request(self):
                return self.settings()["url"]
        """
    )
    assert where(found) == []


def test_a_sibling_branch_that_never_fills_the_value_is_not_lazy_initialisation():
    # `if self.cluster is not None: ... elif self.scheduler_file: <read it> else: self.cluster
    # = make()`: the file is read on every call, only the last branch fills `cluster` (a
    # method of no start-up name: in a start-up function the read would be a one-off)
    found = lint(
        """\
        import pickle
        class Client:
            async def scheduler_address(self):
                if self.cluster is not None:
                    address = self.cluster.address
                elif self.scheduler_file is not None:
                    with open(self.scheduler_file, "rb") as f:
                        address = pickle.load(f)["address"]
                else:
                    self.cluster = make_cluster()
                    address = self.cluster.address
                return address
        """
    )
    assert where(found) == [(7, "GIL203")]


def test_a_branch_that_fills_the_value_through_a_method_is_lazy_initialisation():
    found = lint(
        """\
        import pickle
        class Persistence:
            def _load_everything(self, path):
                with open(path, "rb") as f:
                    self.user_data = pickle.load(f)
            def _reload(self, path):
                with open(path, "rb") as f:
                    return pickle.load(f)
            async def get_user_data(self, path):
                if self.user_data:
                    pass
                else:
                    self._load_everything(path)
                return self.user_data
            async def get_chat_data(self, path):
                if self.chat_data:
                    pass
                else:
                    self._reload(path)  # fills nothing: every call
                return self.chat_data
        """
    )
    assert where(found) == [(19, "GIL203")]


# -- non-blocking forms seen in the code around the call ------------------------------------
def test_a_socket_call_that_handles_blocking_io_error_is_non_blocking():
    # the code set the socket non-blocking and waits with add_reader/add_writer itself
    found = lint(
        """\
        import asyncio, socket
        def connect_now(sock: socket.socket, path):
            try:
                sock.connect(path)
            except BlockingIOError:
                return False
            return True
        async def accept(sock: socket.socket, loop):
            while True:
                try:
                    return sock.accept()
                except (BlockingIOError, InterruptedError):
                    f = loop.create_future()
                    loop.add_reader(sock, f.set_result, None)
                    await f
        async def connect(sock: socket.socket, path):
            connect_now(sock, path)
            sock.connect(path)
        """
    )
    # only the unguarded connect waits
    assert where(found) == [(18, "GIL202")]


def test_a_socket_switched_to_non_blocking_in_its_function_does_not_wait():
    # home-assistant's source-address probe: a `@callback` helper that makes a UDP socket,
    # calls `setblocking(False)` and `connect`s it to learn the route; the coroutines
    # calling it wait for nothing. A helper that leaves its socket blocking still waits.
    found = lint(
        """\
        import socket
        def source_ip(target):
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.setblocking(False)
            probe.connect((target, 1))
            return probe.getsockname()[0]
        def reach(target):
            conn = socket.socket()
            conn.connect((target, 80))
            return conn
        async def setup(target):
            return source_ip(target)
        async def check(target):
            return reach(target)
        async def direct(sock: socket.socket, addr):
            sock.settimeout(0)
            sock.connect(addr)
        """
    )
    assert where(found) == [(14, "GIL202")]


def test_a_project_queue_polled_until_empty_does_not_wait():
    # shiny's reactive flush: `while not self._queue.empty(): self._queue.get()` on a
    # PriorityQueueFIFO that wraps queue.PriorityQueue; its `get` takes the item seen
    found = lint(
        """\
        import queue
        class FifoQueue:
            def __init__(self):
                self._q = queue.PriorityQueue()
            def get(self):
                return self._q.get()
            def empty(self):
                return self._q.empty()
        class Flusher:
            def __init__(self):
                self._pending = FifoQueue()
            async def flush(self):
                while not self._pending.empty():
                    self._pending.get()
            async def take(self):
                return self._pending.get()
        """
    )
    # only the unguarded get may wait
    assert where(found) == [(16, "GIL205")]


def test_a_lazy_iterator_made_here_but_iterated_elsewhere_does_not_block():
    found = lint(
        """\
        import anyio, os
        from pathlib import Path
        class AsyncPath:
            async def walk(self, top_down=True):
                gen = self._path.walk(top_down)
                while True:
                    value = await anyio.to_thread.run_sync(next, gen, None)
                    if value is None:
                        return
                    yield value
            async def names(self):
                return os.walk(self.root)
            async def first(self):
                it = os.walk(self.root)
                return next(it)
            async def listed(self, p: Path):
                found = p.rglob("*.py")
                for i, f in enumerate(found):
                    print(i, f)
        """
    )
    # `next(it)` and `enumerate(found)` iterate on the loop (one finding: the module's
    # file work), the others do not
    assert where(found) == [(14, "GIL203")]
    assert [row for row, _ in notes(found[0])] == [17]


def test_a_cache_check_under_a_flag_is_lazy_initialisation():
    # temporalio's `load_default_build_id(*, memoize=True)`: `if memoize and _cached: return
    # _cached`, then the reads, then `_cached = digest` when memoizing; a guard joined by
    # `or` runs its body whether or not the value is kept, and stays reported
    found = lint(
        """\
        import hashlib
        _cached = None
        def build_id(path, *, memoize=True):
            global _cached
            if memoize and _cached:
                return _cached
            with open(path, "rb") as f:
                digest = hashlib.md5(f.read()).hexdigest()
            if memoize:
                _cached = digest
            return digest
        def other_id(path, *, fresh=False):
            global _cached
            if fresh or _cached:
                return _cached
            with open(path, "rb") as f:
                _cached = f.read()
            return _cached
        class Worker:
            async def replay(self, path):
                return build_id(path)
            async def hostname(self, path):
                return other_id(path)
        """
    )
    assert where(found) == [(23, "GIL203")]


def test_a_helper_the_coroutine_already_runs_in_a_thread_is_not_reported_on_its_other_branch():
    # openai's `async_upload`: a path is snapshotted in a worker (`file = await
    # run_sync(_snapshot_upload, file)`), then `_upload_content(file)` runs on the loop with
    # bytes — the branch that opens the file is the one the worker took. A coroutine that
    # offloads nothing, or a helper that blocks elsewhere, stays reported.
    found = lint(
        """\
        import asyncio
        from pathlib import Path
        from anyio.to_thread import run_sync

        def _open(path):
            return Path(path).open("rb")

        def _content(file):
            if isinstance(file, Path):
                return _open(file)
            return file

        def _snapshot(file):
            with _content(file) as f:
                return f.read()

        def _settings(path):
            return open(path).read()

        async def upload(file):
            if isinstance(file, Path):
                file = await run_sync(_snapshot, file)
            return _content(file), _settings(file.settings)

        async def upload_in_executor(file):
            loop = asyncio.get_running_loop()
            file = await loop.run_in_executor(None, _snapshot, file)
            return _content(file)

        async def send(file):
            return _content(file)

        async def both(file, other):
            file = await run_sync(_snapshot, file)
            return _content(other)  # not what the worker read
        """
    )
    # one module's file work is one finding (on `_settings()`); `send` joins it, the
    # executor's twin does not
    assert where(found) == [(23, "GIL203")]
    joined = [row for row, _ in notes(found[0])]
    assert 31 in joined and 35 in joined and 28 not in joined


def test_the_same_call_in_another_branch_of_an_if_is_evidence_not_a_second_finding():
    # rocketry's `_restart`: `Popen` in each branch of `if restarting == ...` runs one of
    # them; a call after the `if` runs as well, in the same coroutine: evidence too; a
    # finding with a safe fix stays its own (`time.sleep` → `asyncio.sleep` in each branch)
    found = lint(
        """\
        import subprocess, sys, time
        async def restart(mode, windows):
            if mode == "relaunch":
                subprocess.Popen([sys.executable])
            elif mode == "fresh":
                if windows:
                    subprocess.Popen([sys.executable], creationflags=1)
                else:
                    subprocess.Popen([sys.executable], shell=True)
            subprocess.Popen(["cleanup"])
            if windows:
                time.sleep(1)
            else:
                time.sleep(2)
        """
    )
    assert where(found) == [(4, "GIL204"), (12, "GIL201"), (14, "GIL201")]
    assert [row for row, _ in notes(found[0])] == [7, 9, 10]
    assert found[0].message.endswith("(1 more blocking call in this function)")


def test_one_coroutine_doing_its_work_synchronously_is_one_finding():
    # langchain's nuclia tool: `_arun` is the sync `_run` (a post here, a post there, a
    # polling get): one finding, one fix; another coroutine is its own finding, and a call
    # with a safe fix of its own (`time.sleep`) keeps its finding
    found = lint(
        """\
        import requests, time
        def push(url):
            return requests.post(url)
        def pull(url):
            return requests.get(url)
        async def arun(url, text):
            if text:
                push(url)
            else:
                requests.put(url)
            while True:
                time.sleep(1)
                if pull(url):
                    return
        async def other(url):
            return requests.delete(url)
        """
    )
    assert where(found) == [(8, "GIL202"), (12, "GIL201"), (16, "GIL202")]
    assert found[0].message.endswith("(2 more blocking calls in this function)")
    assert [row for row, _ in notes(found[0])][-2:] == [10, 13]


# -- one client object, one finding -----------------------------------------------------------
STORAGE = """\
import requests, sqlite3
class Storage:
    def __init__(self, path):
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.http = requests.Session()
    async def start(self):
        self.conn.execute("PRAGMA journal_mode=WAL")
    async def update_peers(self, peers):
        self.conn.executemany("INSERT INTO peers VALUES (?, ?)", peers)
        self.conn.commit()
    async def get_peer(self, pid):
        return self.conn.execute("SELECT * FROM peers WHERE id = ?", (pid,)).fetchone()
    async def fetch(self, url):
        return self.http.get(url), requests.get(url), requests.get(url + "/b")
"""


def test_the_calls_on_one_client_object_are_one_finding():
    # kurigram's sqlite storage: 29 findings, one per `self.conn` call in its methods; the
    # finding is the first outside start-up code, the others (start-up's too) its evidence.
    # Another client of the class stays its own finding; the module's functions called in
    # the same coroutine are part of it (one coroutine doing its network work synchronously).
    found = lint(STORAGE)
    assert where(found) == [(9, "GIL202"), (14, "GIL202")]
    assert found[1].message.endswith("(2 more blocking calls in this function)")
    conn = found[0]
    assert conn.message.endswith("(3 more calls on `self.conn` here)")
    assert [row for row, _ in notes(conn)] == [7, 10, 12]
    assert "also `self.conn.execute` in `start()`" in notes(conn)[0][1]


def test_the_cursors_of_one_connection_are_its_calls():
    # rio's authentication template: each method opens `cursor = self.conn.cursor()` and
    # executes on it; seven findings of one connection are one
    found = lint(
        """\
        import sqlite3
        class Store:
            def __init__(self, path):
                self.conn = sqlite3.connect(path)
            async def add(self, row):
                cursor = self.conn.cursor()
                cursor.execute("INSERT INTO t VALUES (?)", (row,))
                self.conn.commit()
            async def get(self, key):
                cursor = self.conn.cursor()
                cursor.execute("SELECT * FROM t WHERE k = ?", (key,))
                return cursor.fetchone()
            async def other(self, path):
                db = sqlite3.connect(path)
                cur = db.cursor()
                cur.execute("SELECT 1")
        """
    )
    # another connection (and its cursor) stays its own finding
    assert where(found) == [(7, "GIL202"), (14, "GIL202")]
    assert [row for row, _ in notes(found[1])] == [16]
    assert [row for row, _ in notes(found[0])] == [8, 11, 12]


def test_a_client_each_endpoint_is_handed_is_one_finding_per_module():
    # pyspur's routers: every `async def` endpoint takes `db: Session = Depends(get_db)` and
    # commits on it — 28 findings, one decision per router (sync endpoints, or an async
    # session); `Optional[Session]` is the same type. An undeclared parameter, a parameter
    # of another type and a nested function's use of its outer parameter stay their own.
    found = lint(
        """\
        from typing import Optional
        import requests
        from fastapi import Depends
        from sqlalchemy.orm import Session
        from app.db import get_db
        async def create_user(user, db: Session = Depends(get_db)):
            db.add(user)
            db.commit()
        async def delete_user(uid, db: Session = Depends(get_db)):
            db.delete(db.get(User, uid))
            db.commit()
        async def update_progress(n, db: Optional[Session] = None):
            db.commit()
        async def fetch(url, http: requests.Session):
            return http.get(url)
        async def outer(db: Session):
            async def inner():
                db.commit()
            return inner
        """
    )
    assert where(found) == [(8, "GIL202"), (15, "GIL202"), (18, "GIL202")]
    first = found[0]
    assert first.message.endswith("(3 more calls on `db: Session` here)")
    assert [row for row, _ in notes(first)] == [10, 11, 13]
    assert "also `db.commit` in `update_progress()`" in notes(first)[2][1]


def test_a_grouped_finding_is_not_placed_on_a_failure_path():
    # a router's first commit in the file is on an index build's failure path (its
    # `except`): the finding sits on the progress commit of the normal path
    found = lint(
        """\
        from fastapi import Depends
        from sqlalchemy.orm import Session
        from app.db import get_db
        async def build(index, db: Session = Depends(get_db)):
            try:
                await index.run()
            except Exception:
                db.rollback()
        async def progress(chunks, db: Session = Depends(get_db)):
            for chunk in chunks:
                db.commit()
        async def rename(name, db: Session = Depends(get_db)):
            db.commit()
        """
    )
    assert where(found) == [(11, "GIL202")]
    assert [row for row, _ in notes(found[0])] == [8, 13]


def test_in_one_function_the_open_stays_the_finding_and_its_noqa_holds():
    # fsspec's download: the maintainer's ASYNC230 suppression is on the `open`; the
    # writes in the loop below are that file's (one root cause, on the open): it holds
    code = """\
        async def get_file(r, lpath, chunk_size):
            if hasattr(lpath, "write"):
                outfile = lpath
            else:
                outfile = open(lpath, "wb")  # noqa: ASYNC230
            try:
                chunk = True
                while chunk:
                    chunk = await r.content.read(chunk_size)
                    outfile.write(chunk)
            finally:
                outfile.close()
        """
    assert where(lint(code)) == []
    assert where(lint(code.replace("  # noqa: ASYNC230", ""))) == [(5, "GIL203")]


def test_a_suppressed_finding_keeps_its_group_where_the_maintainer_put_the_comment():
    # the module's file work was reported on a fallback copy and the maintainer suppressed
    # it on that line: a later place on a normal path does not take the group over and
    # report it again
    code = """\
        import shutil
        async def upload(p, send):
            try:
                await send(p)
            except OSError:
                shutil.copy(p, "/spool")  # noqa: GIL203
        async def backup(src, dst):
            shutil.copy(src, dst)
        """
    assert where(lint(code)) == []
    # without the comment the group sits on the normal path's copy, the fallback evidence
    found = lint(code.replace("  # noqa: GIL203", ""))
    assert where(found) == [(8, "GIL203")]
    assert [row for row, _ in notes(found[0])] == [6]


def test_the_reads_and_writes_of_a_file_whose_open_is_suppressed_are_no_place():
    # fsspec's upload: the open carries the maintainer's ASYNC230 suppression; the reads
    # of that file (here through `with context as f`) are the open's, not a place of the
    # module's file work that could take its finding over
    code = """\
        import io, shutil
        async def wipe(p, send):
            try:
                await send(p)
            except OSError:
                shutil.rmtree(p)
        async def upload(lpath, chunk_size, send):
            if isinstance(lpath, io.IOBase):
                context = lpath
            else:
                context = open(lpath, "rb")  # noqa: ASYNC230
            with context as f:
                chunk = f.read(chunk_size)
                while chunk:
                    await send(chunk)
                    chunk = f.read(chunk_size)
        """
    found = lint(code)
    assert where(found) == [(6, "GIL203")]
    assert [row for row, _ in notes(found[0])] == [11]  # the open, not its reads


def test_a_helper_a_coroutine_hands_the_grouped_client_to_is_part_of_that_finding():
    # kodosumi's status poll: its own calls on `conn` join the module's finding, and so does
    # the helper it hands the cursor to (one coroutine doing its work synchronously)
    found = lint(
        """\
        import sqlite3
        def _extract_error(cursor: sqlite3.Cursor):
            cursor.execute("SELECT message FROM monitor WHERE kind = 'error'")
            return cursor.fetchone()
        async def _event(conn: sqlite3.Connection):
            cursor = conn.cursor()
            cursor.execute("SELECT 1")
        async def _status(conn: sqlite3.Connection):
            cursor = conn.cursor()
            cursor.execute("SELECT 2")
            return _extract_error(cursor)
        """
    )
    assert where(found) == [(7, "GIL202")]
    assert [row for row, _ in notes(found[0])] == [10, 11]


def test_the_methods_of_one_client_class_are_one_finding():
    # cognee's BroadRetriever: `store.add_rows` in build(), `store.describe` in decide(),
    # `store.run` in run_query(), each a method of one synchronous RecordStore
    found = lint(
        """\
        import requests
        class RecordStore:
            def add_rows(self, rows):
                requests.post("http://db/rows", json=rows)
            def describe(self):
                return requests.get("http://db/schema").json()
            def run(self, sql):
                return requests.post("http://db/sql", data=sql).json()
        class Retriever:
            def search(self, q):
                return requests.get("http://search", params={"q": q}).json()
            async def build(self, store: RecordStore, rows):
                store.add_rows(rows)
            async def decide(self, store: RecordStore):
                return store.describe()
            async def query(self, store: RecordStore, sql):
                return store.run(sql)
            async def asearch(self, q):
                return self.search(q)
        """
    )
    # the class's own sync method behind an async wrapper is its own problem
    assert where(found) == [(13, "GIL202"), (19, "GIL202")]
    store = found[0] if found[0].row == 13 else found[1]
    assert store.message.endswith("(2 more calls on `RecordStore` objects here)")
    assert [row for row, _ in notes(store)][-2:] == [15, 17]


def test_sqlite_gets_no_to_thread_fix_nor_advice():
    found = lint(STORAGE)
    conn = found[0]
    assert conn.fix is None and "to_thread(self.conn" not in conn.message
    assert "`aiosqlite`" in conn.message and "belongs to one thread" in conn.message
    # a client that may move between threads keeps its fix
    assert all(d.fix is not None for d in found[1:])


def test_a_helper_on_a_sqlite_connection_made_before_gets_no_to_thread_advice():
    # cognee's RecordStore: `to_thread(store.add_rows)` would run the helper's queries on a
    # worker thread, on a connection the loop's thread made: ProgrammingError
    found = lint(
        """\
        import sqlite3
        class Store:
            def __init__(self, path):
                self.conn = sqlite3.connect(path)
            def add(self, rows):
                self.conn.executemany("insert into t values (?)", rows)
        def make_and_fill(path, rows):
            conn = sqlite3.connect(path)
            conn.executemany("insert into t values (?)", rows)
            conn.close()
        async def build(path, rows):
            store = Store(path)
            store.add(rows)
        async def export(path, rows):
            make_and_fill(path, rows)
        """
    )
    by_row = {d.row: d for d in found}
    add = by_row[13]
    assert add.fix is None and "to_thread(store.add" not in add.message
    assert "belongs to one thread" in add.message
    # a helper that makes its own connection and closes it may run in a thread
    made = by_row[15]
    assert "to_thread(make_and_fill, ...)" in made.message and made.fix is not None


def test_a_helper_on_a_session_its_object_keeps_gets_no_to_thread_fix():
    # pyspur's task recorder: every node the executor runs at once calls it, on one
    # `self.db`; run in threads, they would use one SQLAlchemy Session from several at once
    found = lint(
        """\
        from sqlalchemy.orm import Session
        class Recorder:
            def __init__(self, db: Session):
                self.db = db
            def record(self, row):
                self.db.add(row)
                self.db.commit()
        def save(engine, row):
            with Session(engine) as db:
                db.add(row)
                db.commit()
        class Executor:
            def __init__(self, recorder: Recorder):
                self.recorder = recorder
            async def run_node(self, node):
                self.recorder.record(node)
        async def export(engine, row):
            save(engine, row)
        """
    )
    by_row = {d.row: d for d in found}
    kept = by_row[16]
    assert kept.fix is None and "to_thread(self.recorder.record" not in kept.message
    assert "reaches `self.db`, a `Session` its object keeps" in kept.message
    # a helper that makes its own session per call may run in a thread
    made = by_row[18]
    assert "to_thread(save, ...)" in made.message and made.fix is not None


def test_a_helper_on_a_connection_any_thread_may_use_keeps_its_advice(tmp_path):
    # langflow's event store: `sqlite3.connect(path, check_same_thread=False)` and a lock
    store = tmp_path / "store.py"
    store.write_text(
        "import sqlite3, threading\n"
        "class Store:\n"
        "    def __init__(self, path):\n"
        "        self._lock = threading.Lock()\n"
        "        self.conn = sqlite3.connect(path, check_same_thread=False)\n"
        "    def add(self, rows):\n"
        "        with self._lock:\n"
        "            self.conn.executemany('insert into t values (?)', rows)\n"
        "async def build(store: Store, rows):\n"
        "    store.add(rows)\n"
    )
    found = lint_source(store.read_text(), str(store), Settings())
    assert [(d.code, d.row) for d in found] == [("GIL202", 10)]
    assert "to_thread(store.add, ...)" in found[0].message
    assert "belongs to one thread" not in found[0].message


# -- code on its way out, files a library reads, command-object factories --------------------
def test_code_marked_deprecated_is_not_reported():
    # semantic-kernel's `@deprecated` RedisMemoryStore: its replacement exists
    found = lint(
        """\
        import sys, time
        if sys.version_info >= (3, 13):
            from warnings import deprecated
        else:
            from typing_extensions import deprecated
        import warnings
        @deprecated("use NewStore")
        class OldStore:
            async def get(self):
                time.sleep(1)
        class Store:
            @warnings.deprecated("use aget")
            async def get_old(self):
                time.sleep(1)
            async def get(self):
                time.sleep(1)
        """
    )
    assert where(found) == [(16, "GIL201")]


def test_a_function_that_warns_it_is_deprecated_is_not_reported():
    # google-genai's `start_stream` warns DeprecationWarning first thing; a warning under
    # an `if` is about a parameter, not the function
    found = lint(
        """\
        import asyncio, time, warnings
        class Session:
            async def start_stream(self, stream):
                warnings.warn("use send_realtime_input", DeprecationWarning, stacklevel=2)
                time.sleep(1)
                asyncio.create_task(self.send(stream))
            async def send(self, stream, timeout=None):
                if timeout is not None:
                    warnings.warn("timeout is deprecated", category=DeprecationWarning)
                time.sleep(1)
                await asyncio.sleep(0)
        """
    )
    assert where(found) == [(10, "GIL201")]


def test_file_work_behind_a_flag_the_caller_leaves_off_is_not_reported():
    # mcp-agent's `save_artifact(name, content, to_filesystem=False)`: the write to a file
    # the caller names happens only under `if to_filesystem and ...:`
    code = """\
        class Memory:
            def __init__(self, root):
                self.root = root
                self.artifacts = {}
            def save(self, name, content, to_filesystem=False):
                self.artifacts[name] = content
                if to_filesystem and self.root:
                    with open(self.root / name, "w") as f:
                        f.write(content)
        async def record(memory: Memory, results):
            for name, content in results:
                memory.save(name, content)
        async def export(memory: Memory, results):
            for name, content in results:
                memory.save(name, content, to_filesystem=True)
        """
    assert where(lint(code)) == [(15, "GIL203")]


def test_a_module_of_a_deprecated_package_is_not_reported(tmp_path):
    path = tmp_path / "sdk" / "deprecated" / "dispatcher.py"
    path.parent.mkdir(parents=True)
    for init in (tmp_path / "sdk" / "__init__.py", path.parent / "__init__.py"):
        init.write_text("")
    code = "import time\nasync def register():\n    time.sleep(1)\n"
    assert lint_source(code, str(path), Settings(project_root=tmp_path)) == []
    assert [d.code for d in lint_source(code, str(tmp_path / "sdk" / "x.py"), Settings())] == [
        "GIL201"
    ]


def test_a_handle_only_handed_to_awaited_calls_is_read_by_the_library():
    # `await client.audio.transcriptions.create(file=f)`, `await http.post(files={...})`:
    # the library reads the file as it sends; reading it here is still file work
    found = lint(
        """\
        async def transcribe(client, path):
            with open(path, "rb") as f:
                return await client.audio.transcriptions.create(file=f)
        async def upload(http, path):
            with open(path, "rb") as f:
                return await http.post("/u", files={"file": (path, f)})
        async def read_then_send(http, path):
            with open(path, "rb") as f:
                data = f.read()
                return await http.post("/u", content=f)
        """
    )
    assert where(found) == [(8, "GIL203")]


def test_a_handle_whose_reads_and_writes_run_in_threads_or_a_library_is_not_file_work():
    # each write in a worker thread, the handle in a local handed to an awaited call:
    # only the opening is on the loop
    quiet = [
        """\
        import asyncio
        async def download(response, path):
            with open(path, "wb") as f:
                while chunk := await response.read(4096):
                    await asyncio.to_thread(f.write, chunk)
        """,
        """\
        async def upload(http, path, name):
            with open(path, "rb") as fh:
                files = {"files": (name, fh, "application/octet-stream")}
                return await http.post("/u", files=files)
        """,
    ]
    assert [where(lint(code)) for code in quiet] == [[], []]
    # r2r's SDK: one local per branch carries a handle to the awaited request
    branches = """\
        async def create(client, path, url, fetch):
            if path:
                fh = open(path, "rb")
                files = [("file", ("doc", fh, "application/octet-stream"))]
                try:
                    return await client.request("POST", files=files)
                finally:
                    fh.close()
            local = await fetch(url)
            with open(local, "rb") as fh:
                files = [("file", ("doc", fh))]
                return await client.request("POST", files=files)
        """
    assert where(lint(branches)) == []
    # the project's own wrapper of `to_thread`; a handle bound under a condition, handed to
    # a child process, its descriptor handed on, tested and closed: no file work either
    wrapped = """\
        import asyncio, os
        from pathlib import Path
        async def _thread(function, *args):
            task = asyncio.create_task(asyncio.to_thread(function, *args))
            return await asyncio.shield(task)
        async def copy(source: Path | None, output, spawn):
            stream = source.open("rb", "rb") if source is not None else None
            target = open(output, "wb")
            try:
                process = await spawn(stdin=stream if stream is not None else -1)
                while chunk := await process.read():
                    await _thread(target.write, chunk)
                await _thread(os.fsync, target.fileno())
            finally:
                if stream is not None:
                    stream.close()
                target.close()
        """
    assert where(lint(wrapped)) == []
    # mcp's stdio server: the file a helper returns goes to `anyio.wrap_file`; the other
    # name bound beside it, tested and called, is no file
    claimed = """\
        import anyio, os
        def _claim(fd, mode):
            return os.fdopen(os.dup(fd), mode), (lambda: None)
        async def serve(stdin=None):
            restore = None
            if not stdin:
                buf, restore = _claim(0, "rb")
                stdin = anyio.wrap_file(buf)
            try:
                await stdin.read()
            finally:
                if restore is not None:
                    restore()
        """
    assert where(lint(claimed)) == []
    # gradio: a temporary file made for a child process to write, used only by its name
    named = """\
        import asyncio, tempfile
        async def combine(cache):
            out = tempfile.NamedTemporaryFile(delete=False, suffix=".mp4", dir=cache)
            proc = await asyncio.create_subprocess_exec("ffmpeg", "-i", "x", out.name)
            await proc.communicate()
            return out.name
        """
    assert where(lint(named)) == []
    # a local a call fills from the file, a local read elsewhere too, a read on the loop
    reported = [
        """\
        import pickle
        async def parsed(http, path):
            with open(path, "rb") as fh:
                payload = pickle.load(fh)
                return await http.post("/u", json=payload)
        """,
        """\
        async def kept(http, path):
            with open(path, "rb") as fh:
                files = {"f": fh}
                print(files)
                return await http.post("/u", files=files)
        """,
        """\
        import asyncio
        async def read_here(path):
            with open(path, "rb") as f:
                return await asyncio.to_thread(len, f.read())
        """,
    ]
    assert [where(lint(code)) for code in reported] == [
        [(3, "GIL203")],
        [(2, "GIL203")],
        [(3, "GIL203")],
    ]


def test_making_a_redis_command_object_sends_nothing():
    found = lint(
        """\
        import redis
        class Search:
            def __init__(self):
                self.r = redis.Redis()
            async def index(self, name):
                return self.r.ft(name)
            async def search(self, name, q):
                return self.r.ft(name).search(q)
        """
    )
    # the search is the round trip, not `ft(name)`
    assert where(found) == [(8, "GIL202")]
    assert found[0].message.startswith("`redis.commands.search.Search.search` blocks")


def test_a_coroutine_never_awaited_in_a_sync_function_is_not_told_to_add_await():
    # ccxt's `handle_error_message` (a plain `def`) calls the async `get_listen_key`:
    # `await` there is a syntax error, so the advice says what to do instead
    code = """\
        async def refresh():
            pass
        def on_error():
            refresh()
        async def on_message():
            refresh()
        """
    found = lint_source(dedent(code), "app.py", Settings(select=("GIL401",)))
    assert where(found) == [(4, "GIL401"), (6, "GIL401")]
    in_sync, in_async = (d.message for d in found)
    assert "add `await`" not in in_sync and "loop.create_task(...)" in in_sync
    assert in_async.endswith("; add `await`")


def test_a_shared_cursor_gets_no_advice_to_offload_one_call():
    # llama-stack's postgres store: `self.cursor.execute(...)` then `self.cursor.fetchone()`
    # in each method; `to_thread(self.cursor.execute, ...)` would let another coroutine's
    # query run between them. A cursor made in the coroutine keeps the plain advice.
    found = lint(
        """\
        import psycopg2
        class Store:
            def __init__(self, dsn):
                self.cursor = psycopg2.connect(dsn).cursor()
            async def get(self, key):
                self.cursor.execute("SELECT v FROM kv WHERE k = %s", (key,))
                return self.cursor.fetchone()
        async def one(conn: psycopg2.extensions.connection):
            cur = conn.cursor()
            cur.execute("SELECT 1")
        """
    )
    assert where(found) == [(6, "GIL202"), (10, "GIL202")]
    shared, local = found
    assert "the whole query (execute and fetch) in one function" in shared.message
    assert "to_thread(self.cursor.execute" not in shared.message and shared.fix is None
    assert "to_thread(cur.execute, ...)" in local.message and local.fix is not None


# -- code for the browser runtime (Pyodide) ---------------------------------------------------
BROWSER = """\
import asyncio, sys, time
IS_PYODIDE = sys.platform == "emscripten"
if "pyodide" not in sys.modules:
    async def serve(path):
        return await asyncio.to_thread(open, path)
else:
    async def serve(path):
        with open(path, "rb") as f:
            return f.read()
if sys.platform == "emscripten":
    async def tick():
        time.sleep(0.1)
if IS_PYODIDE and True:
    async def poll():
        time.sleep(0.1)
async def nap():
    time.sleep(0.1)
"""


def test_code_that_runs_only_in_the_browser_runtime_is_not_reported():
    # shiny's FileResponse, defined only where "pyodide" is loaded: the loop is the
    # browser's, there is no thread to offload to, and the files are in memory
    assert where(lint(BROWSER)) == [(17, "GIL201")]


def test_a_function_that_imports_the_js_bridge_is_browser_code():
    # marimo's batched cache fetch: `from js import fetch`, then what runs on the loop;
    # `json` is not `js`
    code = (
        "import json, time\n"
        "async def batch(keys):\n"
        "    time.sleep(0.1)\n"
        "    from js import fetch\n"
        "    time.sleep(0.1)\n"
        "    return fetch, json\n"
    )
    found = lint_source(code, "app.py", Settings())
    assert [(d.code, d.row) for d in found] == [("GIL201", 3)]
    plain = lint_source(code.replace("    from js import fetch\n", ""), "app.py", Settings())
    assert [(d.code, d.row) for d in plain] == [("GIL201", 3), ("GIL201", 4)]


def test_a_module_of_a_pyodide_package_is_browser_code():
    # marimo's `_pyodide/` package runs only inside the browser
    code = "import time\nasync def nap():\n    time.sleep(0.1)\n"
    assert lint_source(code, "pkg/_pyodide/streams.py", Settings()) == []
    assert [d.code for d in lint_source(code, "pkg/streams.py", Settings())] == ["GIL201"]


def test_the_per_module_checks_keep_no_tree_alive():
    # the language server lets modules go as files close: a cache keyed by their trees
    # (the sqlite thread check, the offloading-decorator check) must not hold them
    import ast
    import gc
    import weakref

    from gil_lint.rules import blocking

    tree = ast.parse("import sqlite3\nc = sqlite3.connect('x', check_same_thread=False)\n")
    fn = ast.parse("def run(work):\n    return to_thread(work)\n").body[0]
    assert blocking._any_thread(tree)
    assert blocking._hands_first_parameter_to(fn, frozenset({"to_thread"}))
    refs = [weakref.ref(tree), weakref.ref(fn)]
    del tree, fn
    gc.collect()
    assert [r() for r in refs] == [None, None]
