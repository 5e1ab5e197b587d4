"""Microsecond locks (issue #14): a coroutine that takes a ``threading.Lock`` waits as long as
the longest critical section anybody holds it for. When every section is in sight and short,
GIL205 does not report taking it; when one is long, the finding says which and where."""

from __future__ import annotations

from textwrap import dedent

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic
from gil_lint.engine.lint import lint_source


def lint(code: str) -> list[Diagnostic]:
    found = lint_source(dedent(code), "app.py", Settings(select=("GIL205", "GIL0")))
    return [d for d in found if d.code.startswith(("GIL205", "GIL0"))]


def rows(code: str) -> list[int]:
    return [d.row for d in lint(code)]


def notes(d: Diagnostic) -> list[tuple[int, str]]:
    return [(e.row, e.message) for e in d.evidence]


# a class whose thread-side section is {section}; the coroutine only tests a flag
CLASS = """\
import asyncio
import os
import threading
import time


class Scheduler:
    def __init__(self):
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopped = False
        self._timer = None
        self._loops = []
        self._items = []

    def stop(self):
        with self._lock:
{section}

    async def run(self):
        with self._lock:
            if self._stopped:
                return
"""


def in_class(*section: str) -> str:
    return CLASS.format(section="\n".join(f"            {line}" for line in section))


def test_sections_that_test_a_flag_cancel_a_timer_and_stop_loops_are_short():
    code = in_class(
        "if self._stopped:",
        "    return",
        "self._stopped = True",
        "if self._timer:",
        "    self._timer.cancel()",
        "    self._timer = None",
        "for loop in self._loops:",
        "    if loop.is_running():",
        "        loop.call_soon_threadsafe(loop.stop)",
        "self._loops.clear()",
        "self._items = list(self._items) + [len(self._loops)]",
        "os.path.exists('/tmp/x')",  # a metadata syscall: microseconds
    )
    assert rows(code) == []


def test_a_wait_on_another_primitive_is_a_long_hold_named_in_the_message_and_evidence():
    (found,) = lint(in_class("self._ready.wait()"))
    assert found.row == 21
    assert "`stop` holds it across `threading.Event.wait` (line 18)" in found.message
    assert notes(found) == [(18, "`stop` holds it across `threading.Event.wait` (app.py:18)")]


def test_a_blocking_call_in_a_section_keeps_the_finding():
    (found,) = lint(in_class("time.sleep(1)"))
    assert "`stop` holds it across `time.sleep` (line 18)" in found.message


def test_a_blocking_helper_in_a_section_is_named_with_its_chain():
    code = in_class("self._save()") + (
        "\n    def _save(self):\n        with open('state', 'w') as f:\n            f.write('x')\n"
    )
    (found,) = lint(code)
    assert "`stop` holds it across `self._save` (line 18) → `open` (line 26)" in found.message


def test_a_call_of_unknown_effect_is_no_evidence_of_a_long_hold():
    # a callback, a method of an object of unknown type: it may wait or not; a finding
    # needs a section known to hold the lock long (in four fresh sets, every lock reported
    # for such a call was held for microseconds: a dict store, an event set, a user hook)
    assert rows(in_class("self._callback()")) == []
    assert rows(in_class("callbacks = list(self._items)", "for cb in callbacks:", "    cb()")) == []
    assert rows(in_class("self._items[0].close()")) == []


def test_a_known_wait_is_named_before_a_call_of_unknown_effect():
    (found,) = lint(in_class("self._callback()", "self._ready.wait()"))
    assert "`threading.Event.wait` (line 19)" in found.message


def test_an_await_under_the_lock_in_the_coroutine_itself_is_a_long_hold():
    code = in_class("pass").replace(
        "            if self._stopped:\n                return",
        "            await asyncio.sleep(0)",
    )
    (found,) = lint(code)
    assert "`run` holds it across an `await` (line 22)" in found.message


def test_a_heavy_loop_in_a_section_is_a_long_hold():
    (found,) = lint(in_class("for i in range(10_000_000):", "    self._items.append(i * i)"))
    assert "holds it across a loop over range(10_000_000) (line 18)" in found.message


def test_lazy_initialisation_waits_once_and_does_not_make_a_section_long():
    code = in_class(
        "if self._timer is None:",
        "    self._timer = time.sleep(1)",
    )
    assert rows(code) == []


def test_a_public_lock_attribute_may_be_held_by_other_modules():
    assert rows(in_class("pass").replace("self._lock", "self.lock")) == [21]


def test_a_lock_passed_in_is_shared_with_code_out_of_sight():
    code = in_class("pass").replace(
        "def __init__(self):\n        self._lock = threading.Lock()",
        "def __init__(self, lock: threading.Lock):\n        self._lock = lock",
    )
    assert rows(code) == [21]


def test_a_lock_handed_on_to_a_condition_or_a_call_is_out_of_sight():
    handed = "\n    def cond(self):\n        return threading.Condition(self._lock)\n"
    code = in_class("pass") + handed
    assert rows(code) == [21]


def test_a_lock_used_on_another_receiver_or_by_a_subclass_is_out_of_sight():
    other = in_class("pass") + "\n\ndef peek(s):\n    with s._lock:\n        time.sleep(1)\n"
    assert rows(other) == [21]
    sub = in_class("pass") + (
        "\n\nclass Slow(Scheduler):\n    def work(self):\n        with self._lock:\n"
        "            time.sleep(1)\n"
    )
    assert rows(sub) == [21]


def test_acquire_paired_with_release_in_a_finally_is_a_section():
    code = """\
    import threading
    import time

    _lock = threading.Lock()
    _items = []

    def add(item):
        _lock.acquire()
        try:
            _items.append(item)
            {extra}
        finally:
            _lock.release()

    async def snapshot():
        _lock.acquire()
        items = list(_items)
        _lock.release()
        return items
    """
    assert rows(code.format(extra="pass")) == []
    (found,) = lint(code.format(extra="time.sleep(1)"))
    assert found.row == 16 and "`add` holds it across `time.sleep` (line 11)" in found.message


def test_an_acquire_whose_release_is_out_of_sight_keeps_the_finding():
    code = """\
    import threading

    _lock = threading.Lock()

    def take():
        _lock.acquire()

    def give():
        _lock.release()

    async def f():
        with _lock:
            pass
    """
    assert rows(code) == [12]


def test_a_public_module_global_may_be_taken_by_other_modules():
    # taken by a thread here: held for as long as it holds it
    code = """\
    import threading

    lock = threading.Lock()

    async def f():
        with lock:
            pass

    def work():
        with lock:
            pass
    """
    assert rows(code) == [6]


def test_a_lock_only_coroutines_take_without_awaiting_under_it_never_waits():
    # a2a's in-memory stores: `self.lock = threading.RLock()`, taken by coroutines only,
    # none of which awaits while holding it: the loop runs one at a time, so it is never
    # held when one asks. Held across an `await`, another coroutine can find it taken.
    code = """\
    import asyncio, threading

    lock = threading.RLock()

    async def f(d):
        with lock:
            d["x"] = 1

    async def g(d):
        with lock:
            return d.get("x")
    """
    assert rows(code) == []
    # one lock, one finding: the second coroutine's `with lock:` is its evidence
    assert rows(code.replace('return d.get("x")', "await asyncio.sleep(0)")) == [6]


def test_a_local_lock_shared_with_a_thread_through_a_closure_is_judged_by_its_sections():
    code = """\
    import threading
    import time

    async def f():
        lock = threading.Lock()
        done = []

        def work():
            with lock:
                done.append(1)
                {extra}

        threading.Thread(target=work).start()
        with lock:
            return list(done)
    """
    assert rows(code.format(extra="pass")) == []
    assert rows(code.format(extra="time.sleep(1)")) == [14]


def test_an_rlock_entered_again_in_its_own_section_is_not_another_wait():
    code = """\
    import threading

    class Registry:
        def __init__(self):
            self._lock = threading.RLock()
            self._items = {}

        def add(self, key, value):
            with self._lock:
                with self._lock:
                    self._items[key] = value

        async def get(self, key):
            with self._lock:
                return self._items.get(key)
    """
    assert rows(code) == []


def test_a_semaphore_or_a_condition_is_a_wait_by_nature_and_stays_reported():
    code = """\
    import threading

    class Pool:
        def __init__(self):
            self._slots = threading.Semaphore(4)
            self._cond = threading.Condition()

        async def take(self):
            with self._slots:
                pass
            with self._cond:
                pass
    """
    assert rows(code) == [9, 11]


def test_standard_library_calls_the_knowledge_does_not_list_and_project_classes_are_short():
    code = (
        in_class(
            "self._items.append(Entry(time.monotonic()))",
            "self._loops = [asyncio.new_event_loop()]",
        )
        + "\n\nclass Entry:\n    pass\n"
    )
    assert rows(code) == []


def test_another_librarys_unlisted_call_is_no_evidence_and_a_known_wait_is():
    # on every review set, a section long only by "a call of unknown effect" (`np.frombuffer`,
    # `progress.update`, a clock) was a shrug or wrong, whoever else took the lock
    code = "import paho.mqtt.client as mqtt\n" + in_class("mqtt.Client().publish('t', 'x')")
    assert lint(code) == []
    (found,) = lint(in_class("time.sleep(1)"))
    assert "`time.sleep`" in found.message


def test_a_containers_own_method_on_another_librarys_object_is_short():
    # freqtrade: `self._exchange.ohlcvs.get(pair, {}).pop(tf, None)` under the state lock is
    # a dict's, in memory; a client's `get(url)` or `update(...)` may still wait
    lib = "import ccxt\nEX = ccxt.Exchange()\n"
    short = [
        "EX.ohlcvs.get('BTC', {}).pop('1m', None)",
        "EX.cache.setdefault('k', [])",
        "EX.seen.discard('k')",
    ]
    assert [rows(lib + in_class(c)) for c in short] == [[], [], []]
    # ... and a client's `get(url)` or `update(...)` of unknown effect is no evidence either
    assert [rows(lib + in_class(c)) for c in ("EX.session.get('x')", "EX.update(rows)")] == [
        [],
        [],
    ]


def test_a_cpu_heavy_call_in_a_section_is_a_long_hold():
    (found,) = lint(in_class("math.factorial(100_000)").replace("import os", "import math"))
    assert "`math.factorial`, CPU-heavy (line 18)" in found.message


def test_a_public_lock_held_long_in_sight_says_where():
    code = in_class("self._ready.wait()").replace("self._lock", "self.lock")
    (found,) = lint(code)
    assert "`stop` holds it across `threading.Event.wait` (line 18)" in found.message


def test_an_async_with_under_a_thread_lock_is_a_long_hold():
    code = in_class("pass").replace(
        "            if self._stopped:\n                return",
        "            async with asyncio.Lock():\n                pass",
    )
    (found,) = lint(code)
    assert "`run` holds it across `async with asyncio.Lock():` (line 22)" in found.message


def test_a_cpu_bound_call_on_data_of_unknown_size_is_not_a_long_hold():
    code = in_class("statistics.median(self._samples)").replace("import os", "import statistics")
    assert rows(code) == []


def test_an_event_made_later_in_an_attribute_that_starts_as_none_is_known_and_short():
    # `self._done: threading.Event | None = None`, made by one method and set by another:
    # setting an event under the lock is microseconds, not a call of unknown effect
    code = """\
        import threading

        class SendQueue:
            def __init__(self):
                self._lock = threading.Lock()
                self._done: threading.Event | None = None
                self._items = []

            def begin(self):
                with self._lock:
                    self._done = threading.Event()

            def end(self):
                with self._lock:
                    assert self._done is not None
                    self._done.set()
                    self._done = None

            async def flush(self):
                with self._lock:
                    self._items.clear()
        """
    assert rows(code) == []
    # waiting on the event it made is a known wait
    assert rows(code.replace("self._done.set()", "self._done.wait()")) == [20]


def test_an_async_librarys_task_query_and_an_in_memory_cache_are_short():
    # openai's send queue asks anyio which task runs; prefect guards a cachetools TTLCache
    code = """\
        import threading
        import anyio
        from cachetools import TTLCache

        _cache_lock = threading.Lock()
        _cache = TTLCache(maxsize=100, ttl=60)

        class Queue:
            def __init__(self):
                self._lock = threading.Lock()
                self._owner = None

            def release(self):
                with self._lock:
                    self._owner = None

            async def flush(self):
                with self._lock:
                    self._owner = anyio.get_current_task().id

        async def acquire(key):
            with _cache_lock:
                if _cache.get(key):
                    return
                _cache[key] = True
        """
    assert rows(code) == []


def test_a_lock_made_later_in_a_global_that_starts_as_none_is_judged_by_its_sections():
    # prefect's `_metrics_lock: threading.Lock | None = None`, made by the first update
    code = """\
        import threading
        from collections import defaultdict

        _metrics_lock: threading.Lock | None = None
        METRICS = defaultdict(int)

        async def update_metric(key, amount=1):
            global _metrics_lock
            if _metrics_lock is None:
                _metrics_lock = threading.Lock()
            with _metrics_lock:
                METRICS[key] += amount
        """
    assert rows(code) == []
    # only coroutines take it: never held when one asks, whatever a section does. A
    # section that blocks is reported by its own call (strands' offload store, where the
    # asyncio.Lock advice would have broken its loops in worker threads); one of unknown
    # effect says nothing either
    known = code.replace("import threading", "import threading, subprocess")
    assert rows(known.replace("METRICS[key] += amount", "subprocess.run(['sync'])")) == []
    blocking = lint_source(
        dedent(known.replace("METRICS[key] += amount", "subprocess.run(['sync'])")),
        "t.py",
        Settings(),
    )
    assert [(d.code, d.row) for d in blocking] == [("GIL204", 12)]
    assert rows(code.replace("METRICS[key] += amount", "other.flush()")) == []
    # a thread takes it too: the loop waits for that thread's section
    shared = known.replace(
        "async def update_metric",
        "def flush():\n"
        "            with _metrics_lock:\n"
        "                subprocess.run(['sync'])\n\n"
        "        async def update_metric",
    )
    assert rows(shared) == [15]


def test_making_the_exception_a_section_raises_is_short():
    # openai's send queue: `raise WebSocketQueueFullError("...")` under the lock; what
    # the exception is made from still counts
    code = """\
        import threading
        from somewhere import QueueFull, fetch

        class Queue:
            def __init__(self):
                self._lock = threading.Lock()
                self._items = []

            def put(self, x):
                with self._lock:
                    if len(self._items) > 10:
                        raise QueueFull("full")
                    self._items.append(x)
                    self._seen = frozenset[str]()  # a built-in generic: no wait

            async def drain(self):
                with self._lock:
                    self._items.clear()
        """
    assert rows(code) == []
    assert rows(code.replace('QueueFull("full")', "QueueFull(threading.Event().wait(1))")) == [17]


def test_a_section_in_a_coroutine_nested_in_a_method_is_in_sight():
    # openai-agents' ordered turns: the method takes the lock to chain a future, the
    # coroutine it returns takes it again to clear the tail; both sections are short
    code = """\
        import asyncio
        import threading
        from concurrent.futures import Future

        class Session:
            def __init__(self):
                self._lock = threading.Lock()
                self._tail = None

            def run(self, worker):
                completion = Future()
                with self._lock:
                    predecessor = self._tail
                    self._tail = completion

                async def _run():
                    try:
                        return await asyncio.to_thread(worker)
                    finally:
                        completion.set_result(None)
                        with self._lock:
                            if self._tail is completion:
                                self._tail = None

                return _run()
        """
    assert rows(code) == []
    assert rows(code.replace("predecessor = self._tail", "predecessor = completion.result()")) == [
        21
    ]


def test_a_singletons_lock_taken_through_its_accessor_is_the_same_lock():
    # prefect's waiters: `instance = cls.instance()` (`-> Self`) then `with
    # instance._lock:` in sync class methods; every section is a dict store, in sight
    code = """\
        import threading
        from typing import Self

        class Waiter:
            def __init__(self):
                self._lock = threading.Lock()
                self._done = {}

            async def consume(self, key):
                with self._lock:
                    self._done[key] = True

            @classmethod
            def instance(cls) -> Self:
                return cls._instance

            @classmethod
            def add(cls, key):
                instance = cls.instance()
                with instance._lock:
                    instance._done[key] = False
        """
    assert rows(code) == []
    # a section through the accessor that waits is seen, and makes the hold long
    waits = code.replace("instance._done[key] = False", "time.sleep(1)").replace(
        "import threading", "import threading, time"
    )
    (found,) = lint(waits)
    assert found.row == 10 and "`add` holds it across `time.sleep`" in found.message


def test_a_lock_entered_under_another_is_judged_by_its_own_sections():
    # google-adk's analytics plugin: two locks shared with a cleanup thread, taken together
    # (`with a, b:`) or nested, around dict operations only; entering a lock whose every
    # section is short is brief, and so is holding both
    code = """\
        import threading

        class Plugin:
            def __init__(self):
                self._states_guard = threading.RLock()
                self._counts_guard = threading.Lock()
                self._states = {}
                self._counts = {}
                threading.Thread(target=self._cleanup).start()

            def _cleanup(self):
                with self._states_guard, self._counts_guard:
                    self._states.clear()
                    self._counts.clear()

            async def state(self, loop):
                with self._states_guard:
                    state = self._states.setdefault(loop, {})
                    with self._counts_guard:
                        self._counts[loop] = 0
                return state
        """
    assert rows(code) == []
    # the inner lock held across a wait makes entering it, and so the outer, long
    slow = code.replace("import threading", "import threading, time").replace(
        "self._counts.clear()", "time.sleep(1)"
    )
    assert rows(slow) == [17, 19]


def test_one_lock_taken_in_several_coroutines_is_one_finding():
    # appdaemon's stream: one handlers lock taken by three coroutines (a worker thread
    # holds it long) is one decision, one finding; another lock is its own
    source = dedent(
        """\
        import threading, time
        class Stream:
            def __init__(self):
                self.lock = threading.RLock()
                self.other = threading.Lock()
            def sweep(self):
                with self.lock:
                    time.sleep(1)
                with self.other:
                    time.sleep(1)
            async def connect(self, h):
                with self.lock:
                    self.handlers[h] = h
            async def disconnect(self, h):
                with self.lock:
                    del self.handlers[h]
            async def send(self, data):
                with self.lock:
                    self.last = data
                with self.other:
                    self.count = 1
        """
    )
    found = lint_source(source, "app.py", Settings(select=("GIL205",)))
    assert [d.row for d in found] == [12, 20]
    first = found[0]
    assert first.message.endswith("(2 more places taking it)")
    assert [e.row for e in first.evidence if e.message.startswith("also taken in")] == [15, 18]
