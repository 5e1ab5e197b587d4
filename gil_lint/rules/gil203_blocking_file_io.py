from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.engine.callforms import argument, hides_arguments
from gil_lint.engine.scopes import walk_own
from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule, bound_name, file_api_advice

# what each library offers besides a thread for a file: asyncio has `aiofiles.open`, trio and
# anyio `open_file` (for the rest: blocking.file_api_advice)
_ASYNC_OPEN = frozenset({"builtins.open", "io.open", "pathlib.Path.open"})


# calls given a file handle that do no file work with it (besides builtins and typing's)
_NOT_CONSUMERS = frozenset({"contextlib.closing", "os.fspath", "pathlib.Path"})
# methods that only keep a handle (`stack.enter_context(f)`, `files.append(f)`)
_HOLDERS = frozenset({"enter_context", "append", "add", "extend", "insert", "callback"})


def _file_mode(node: ast.AST, name: str) -> str:
    """What the file ``node`` opens is opened for: "read" (``open(p)``, ``open(p, "rb")``,
    ``path.open()``), "write" (``"wb"``, ``"a"``: no ``+``), else "read and write" (``"r+b"``,
    a temporary file's ``"w+b"``, a mode that cannot be told)."""
    if not isinstance(node, ast.Call) or name not in _ASYNC_OPEN:
        return "read and write"
    mode = argument(node, "mode", 1 if name in ("builtins.open", "io.open") else 0)
    if mode is None:
        return "read and write" if hides_arguments(node) else "read"
    if not isinstance(mode, ast.Constant) or not isinstance(mode.value, str) or "+" in mode.value:
        return "read and write"
    return "write" if any(c in mode.value for c in "wax") else "read"


class BlockingFileIOInAsync(BlockingCallRule):
    """
    ## What it does
    Flags blocking file I/O inside an `async def`, content I/O in gil-lint's cost
    model: `open()` in a binary mode (or one that cannot be told),
    `pathlib.Path.read_bytes/write_bytes`, `os.read`/`os.write`, `pickle` on files,
    `shutil` copies and tree removals, archives, temporary files and tree walks
    (`os.walk`, `Path.rglob`). A helper function that does such I/O a few calls down
    is reported at the call in the `async def`, with the chain.

    A text file read or written whole, once (`open(p)`, `open(p, "w")`,
    `Path.read_text`, `json.load`), is GIL209, off by default: on mature async
    projects those were settings and state files of a few kilobytes. Text files in
    a loop (every file a walk lists, a log appended to on each round) are GIL203's,
    and so is a helper that does both.

    Metadata calls that move no file data (`os.stat`, `os.path.exists`,
    `os.remove`, `os.makedirs`, `os.listdir`, `Path.unlink`, ...) are GIL208, and
    only where they are written in the `async def`, never through a helper.

    One file is one finding: a file opened in the function and then read or
    written there (`json.load(f)`, `f.read()`, `for line in f`) is reported on
    the `open`, with those uses as related information. A file handle that
    comes from elsewhere (a parameter, an attribute) is reported where it is
    read. A fallback that repeats the call in the `except` (or `else`) of its
    `try` is related information on the first call, not a second finding.
    A module's file work on the event loop is one finding, on the call that shows
    it best (outside start-up and shutdown functions, outside an `except` clause,
    written out in the coroutine rather than through a helper, in that order;
    within one function, the first: an `open` before the writes to its file):
    the other calls, in the same coroutine or in others, are its related
    information and counted in its message — moving the file work off the loop
    (thread calls or aiofiles) is one decision for the module.

    File APIs over in-memory files are not reported: an `io.BytesIO` /
    `io.StringIO` argument (`zipfile.ZipFile(io.BytesIO(data))`,
    `json.load(io.StringIO(text))`, `tarfile.open(fileobj=buf)`), directly or
    in a helper, touches no disk. Neither is a helper decorated to run in a
    worker thread or process (`@run_on_executor`, `@sync_to_async`, textual's
    `@work(thread=True)` but not `@work`; the `offloading-decorators` knowledge
    list): calling it returns at once. Nor is a file handed to an asynchronous
    file object (`anyio.wrap_file(open(p))`, aiofiles' `wrap`,
    `loop.connect_read_pipe`; the `[file_objects] async_wrappers` knowledge), also
    through another wrapper or from a helper that returns the file (`buf =
    claim_fd(0)` then `anyio.wrap_file(io.TextIOWrapper(buf))`): its reads run in
    a worker thread. Nor is a file whose reads and writes are all done off the loop:
    each one in a worker thread (`await asyncio.to_thread(f.write, chunk)`, also
    through the project's own wrapper of `to_thread`), the handle handed to an awaited
    call (`await client.post(files={"f": f})`, also through a local holding it) or to a
    child process, or only named, tested, closed or asked for its descriptor: the
    opening left on the loop is a microsecond syscall.

    ## Why is this bad?
    Disk I/O can take milliseconds (seconds on a network file system or a busy
    disk). The event loop cannot run anything else meanwhile.

    Code that runs once is left alone (`engine/lifecycle.py`): a one-off callback
    (`__del__`, a `weakref`/`atexit`/signal handler, code that ends with
    `sys.exit()`) and what only it calls; and
    in a start-up function (`start`, `start_*`, `startup`, `setup`, `main`, ...;
    the `startup-functions` knowledge) the file calls it makes itself, outside its
    loops — a certificate or a config file read once when the server starts. The
    same start-up function's loops, and file work it reaches through a helper (a
    plugin's `start` that unpacks an uploaded directory), are still reported — but
    for a function the program starts at (`main`, `init`, an ASGI lifespan), where
    any blocking call outside its loops, before it sets other work going (a task, a
    `gather`, a server), delays the start-up only.

    ## Example
    ```python
    async def load(path):
        with open(path, "rb") as f:
            return f.read()
    ```

    ## Use instead
    Do the whole file work — opening, reading, writing, closing — in one
    function run in a thread:
    ```python
    import asyncio
    from pathlib import Path

    async def load(path):
        return await asyncio.to_thread(Path(path).read_bytes)
    ```
    or an async file API: `aiofiles.open` / `aiofiles.os` with asyncio,
    `trio.open_file` / `anyio.open_file` and `trio.Path` / `anyio.Path`. The
    advice names one only where it covers the call (there is no async
    `shutil.rmtree`).

    ## Fix safety
    The fix (`await asyncio.to_thread(func, *args)`) is unsafe: the call runs in
    a worker thread. `open()` and the other calls that return a file get no fix:
    `await asyncio.to_thread(open, path)` would leave every read and write on
    the event loop.

    A project helper that blocks a few calls down gets the same fix, run in a
    thread whole, unless it (or a helper it calls) touches event-loop objects:
    cancels a task, sets a future's result, schedules a callback on the loop,
    sets an asyncio event. Those are not thread-safe, so there is no fix and the
    advice names the blocking call to move into a thread instead.
    """

    CODE = "GIL203"
    VERIFY = "coroutine"
    NAME = "blocking-file-io-in-async"
    BRIEF = (
        'file data in `async def`: `open(p, "rb")`, `read_bytes`, `shutil` copies, archives, '
        "tree walks, blocking `os` file calls, text files in a loop"
    )
    CATEGORY = "file"
    ONE_PER_MODULE = True
    FIX = "unsafe"
    ADVICE = "use `await {to_thread}({call}, ...)`"
    VALID = [
        # a zip over bytes in memory (`Final` says the name is not rebound, not its type)
        "import io, zipfile\nfrom typing import Final\nasync def names(blob: bytes):\n"
        "    buf: Final = io.BytesIO(blob)\n    with zipfile.ZipFile(buf) as z:\n"
        "        return z.namelist()\n",
        # read once when the server starts; a file handed to an async file object
        "from pathlib import Path\nclass Updater:\n    async def _start_webhook(self, cert):\n"
        "        return await self._bootstrap(Path(cert).read_bytes())\n",
        "import anyio\nasync def f(p):\n    log = anyio.wrap_file(open(p, 'ab'))\n"
        "    await log.write(b'x')\n",
        # `typing.IO` is satisfied by in-memory files too; a name rebound to another type
        "import typing\nasync def f(fh: typing.IO[str]):\n    return fh.read()\n",
        "import io\nasync def f(fh: io.TextIOWrapper):\n    fh: str = 'x'\n    return fh.upper()\n",
        "def rows(p):\n    with open(p, 'rb') as f:\n        yield from f\nasync def f(p):\n"
        "    return rows(p)\n",
        "import aiofiles\nasync def f(p):\n    async with aiofiles.open(p) as fh:\n"
        "        return await fh.read()\n",
        "import asyncio\nfrom pathlib import Path\nasync def f(p):\n"
        "    return await asyncio.to_thread(Path(p).read_bytes)\n",
        "def f(p):\n    with open(p, 'rb') as fh:\n        return fh.read()\n",
        "import asyncio\nasync def f(p):\n"
        "    return await asyncio.to_thread(lambda: open(p, 'rb').read())\n",
        "from pathlib import Path\nasync def f(p):\n    return Path(p).name\n",
        # metadata, not content: GIL208 (and not through a helper at all)
        "import os\nasync def f(p):\n    os.remove(p)\n",
        "import os\ndef clean(p):\n    if os.path.exists(p):\n        os.remove(p)\n"
        "async def f(p):\n    clean(p)\n",
        # memoized and called with constants: it reads the file once, not on every call
        "import functools, pickle\n@functools.lru_cache(maxsize=None)\ndef settings(path):\n"
        "    with open(path, 'rb') as f:\n        return pickle.load(f)\n"
        "async def f():\n    return settings('settings.json')['port']\n",
        # in-memory files: no disk I/O
        "import io, zipfile\nasync def f(data):\n    return zipfile.ZipFile(io.BytesIO(data))\n",
        "import io, tarfile\nasync def f(b):\n    return tarfile.open(fileobj=io.BytesIO(b))\n",
        "import io, pickle\ndef parse(b):\n    return pickle.load(io.BytesIO(b))\n"
        "async def f(b):\n    return parse(b)\n",
        # a helper decorated to run in an executor: the call returns a future
        "from tornado.concurrent import run_on_executor\nclass Store:\n"
        "    @run_on_executor\n    def save(self, p, data):\n"
        "        with open(p, 'wb') as f:\n            f.write(data)\n"
        "    async def put(self, p, data):\n        fut = self.save(p, data)\n"
        "        return await fut\n",
        # textual runs a `@work(thread=True)` method in a thread
        "from textual import work\nclass Page:\n    @work(thread=True)\n"
        "    def get_code(self, p):\n        with open(p, 'rb') as f:\n            return f.read()\n"
        "    async def show(self, p):\n        return await self.get_code(p).wait()\n",
    ]
    INVALID = [
        # in a start-up function's loop: every round reads it again
        Example(
            "async def main(p):\n    while True:\n        with open(p, 'rb') as f:\n"
            "            print(f.read())\n",
            at="3:14-3:27",
        ),
        # a file handle passed in, or stored on the instance
        Example(
            "import io\nasync def f(fh: io.BufferedReader):\n    return fh.read()\n",
            at="3:12-3:21",
        ),
        Example(
            "from io import TextIOWrapper\nclass Log:\n    out: TextIOWrapper\n"
            "    async def emit(self, line):\n        self.out.write(line)\n",
            at="5:9-5:29",
        ),
        Example(
            "def rows(p):\n    with open(p, 'rb') as f:\n        yield from f\nasync def f(p):\n"
            "    for r in rows(p):\n        print(r)\n",
            at="5:14-5:21",
        ),
        Example(
            "def rows(p):\n    with open(p, 'rb') as f:\n        yield from f\nasync def f(p):\n"
            "    return list(rows(p))\n",
            at="5:17-5:24",
        ),
        Example(
            "import asyncio\nfrom pathlib import Path\nasync def f(p):\n"
            "    return Path(p).read_bytes()\n",
            at="4:12-4:32",
            fixed="import asyncio\nfrom pathlib import Path\nasync def f(p):\n"
            "    return await asyncio.to_thread(Path(p).read_bytes)\n",
            unsafe=True,
        ),
        Example(
            "async def f(p):\n    with open(p, 'rb') as fh:\n        return fh.read()\n",
            at="2:10-2:23",
        ),
        Example(
            "from pathlib import Path\nasync def f(p):\n    return (Path(p) / 'x').write_bytes(b'')\n",
            at="3:12-3:44",
        ),
        Example(
            "import shutil\nasync def f(a, b):\n    shutil.copy(a, b)  # big file\n",
            at="3:5-3:22",
            fixed="import shutil\nimport asyncio\nasync def f(a, b):\n"
            "    await asyncio.to_thread(shutil.copy, a, b)  # big file\n",
            unsafe=True,
        ),
        Example("import os\nasync def f(fd):\n    return os.read(fd, 1024)\n", at="3:12-3:29"),
        Example(
            "import os\ndef save(p, data):\n    os.makedirs(p, exist_ok=True)\n"
            "    with open(p + '/x', 'wb') as f:\n        f.write(data)\n"
            "async def f(p, data):\n    save(p, data)\n",
            at="7:5-7:18",
        ),
        # one file, one finding: the read through the handle is evidence on the `open`
        Example(
            "import pickle\nasync def f(p):\n    with open(p, 'rb') as fh:\n"
            "        return pickle.load(fh)\n",
            at="3:10-3:23",
        ),
        Example(
            "import pickle\nasync def f(p):\n    return pickle.load(open(p, 'rb'))\n",
            at="3:24-3:37",
        ),
        # a handle from elsewhere is read here
        Example("import pickle\nasync def f(fh):\n    return pickle.load(fh)\n", at="3:12-3:27"),
        # the fallback repeats the same call: one finding
        Example(
            "import shutil\nasync def f(p):\n    try:\n        shutil.rmtree(p)\n"
            "    except OSError:\n        shutil.rmtree(p, ignore_errors=True)\n",
            at="4:9-4:25",
        ),
        # a helper that reads its settings (GIL209's alone), then copies a tree: GIL203's
        Example(
            "import json, shutil\ndef deploy(cfg, src):\n    with open(cfg) as f:\n"
            "        dst = json.load(f)['dst']\n    shutil.copytree(src, dst)\n"
            "async def f(cfg, src):\n    deploy(cfg, src)\n",
            at="7:5-7:21",
        ),
        # text files in a loop: many files, or one file many times
        Example(
            "async def f(p, lines):\n    for line in lines:\n        with open(p, 'a') as fh:\n"
            "            fh.write(line)\n",
            at="3:14-3:26",
        ),
        # a binary file's `json.load` is evidence on its `open`; a mode that cannot be told
        Example(
            "import json\nasync def f(p):\n    with open(p, 'rb') as fh:\n"
            "        return json.load(fh)\n",
            at="3:10-3:23",
        ),
        Example(
            "async def f(p, mode):\n    with open(p, mode) as fh:\n        return fh.read()\n",
            at="2:10-2:23",
        ),
        # an in-memory source does not make the real destination free
        Example(
            "import io, shutil\nasync def f(data, dst):\n"
            "    shutil.copyfileobj(io.BytesIO(data), dst)\n",
            at="3:5-3:46",
        ),
    ]

    def advice_for(self, node: ast.AST, name: str, words: dict[str, str]) -> str | None:
        """An async file API only where one covers the call; ``open`` and kin: the whole
        file work in one thread call (offloading the opening alone leaves the reads). A
        handle handed to another call (``PdfReader(f)``, ``await get_metadata(f)``) is read
        there, synchronously: an async file object would break it, so none is advised."""
        library, to_thread = words["library"], words["to_thread"]
        call = self.ctx.segment(node.func) if isinstance(node, ast.Call) else name
        if name in self.ctx.knowledge.file_openers:
            async_open = "`aiofiles.open`" if library == "asyncio" else f"`{library}.open_file`"
            consumers = self._consumers(node)
            # named in the advice: the project's and other libraries' calls; a known file
            # API (`json.dump(obj, f)`) is file work the advice covers already
            named = [text for text, known, _ in consumers if not known]
            given = " and ".join(f"`{c}`" for c in named[:2])
            handle = self._awaits_while_open(node)
            if handle is not None:
                # the reads and writes go on between awaits (chunks of a stream): no single
                # thread call can hold them
                mode = _file_mode(node, name)
                verb = "read" if mode == "read" else "write"
                size = "size" if verb == "read" else "chunk"
                each = f"`await {to_thread}({handle}.{verb}, {size})`"
                if named:
                    return (
                        f"the file work goes on between `await`s, so it cannot be one thread "
                        f"call, and {given} use{'s' if len(named) == 1 else ''} the handle "
                        f"itself, so an async file object would not do: offload each "
                        f"{mode} there ({each})"
                    )
                wrap = async_open if name in _ASYNC_OPEN else "an async file object"
                return (
                    f"the file work goes on between `await`s, so it cannot be one thread "
                    f"call: use {wrap}, or offload each {mode} ({each})"
                )
            work = f"all the file work, {given} included," if named else "all the file work"
            coroutines = [
                text
                for text, known, awaited in consumers
                if not known and awaited is not None and not self._suspends(awaited)
            ]
            if coroutines:
                work = (
                    f"all the file work, {given} included ({'`' + coroutines[0] + '`'} awaits "
                    "nothing that suspends: as a plain function it can run there),"
                )
            advice = (
                f"do {work} in one function run with "
                f"`await {to_thread}(...)` (offloading `{call}` alone leaves the reads and "
                "writes on the event loop)"
            )
            if name in _ASYNC_OPEN and not consumers:
                # an async file object breaks a call that reads the handle itself
                advice += f", or use {async_open}"
            return advice
        return file_api_advice(self.ctx, node, name, words)

    def _consumers(self, node: ast.AST) -> list[tuple[str, bool, ast.Await | None]]:
        """The calls the file ``node`` opens is handed to, as written, each with whether it
        is a file API the knowledge lists, and the ``await`` of the first such call if it is
        awaited (``PdfReader`` in ``with open(p, "rb") as f: PdfReader(f)``; ``json.load``
        in ``json.load(open(p))``; ``await get_metadata(f)``): they read or write it
        themselves. Its own methods, builtins and typing helpers (``getattr``, ``cast``),
        and what only keeps it (``stack.enter_context(f)``, ``files.append(f)``) or wraps
        it for async reads (``loop.connect_read_pipe``) are not such calls."""
        ctx = self.ctx
        parent = ctx.parent(node)
        calls: list[ast.Call] = []
        if isinstance(parent, ast.Call) and node is not parent.func:
            calls.append(parent)  # `json.load(open(p))`
        handle = bound_name(parent, node)
        function = ctx.enclosing_function()
        # each awaited call's `await`, found in the same walk (the walk is ahead of the
        # rule's visit, whose parent links reach only as far as it has gone)
        awaits: dict[int, ast.Await] = {}
        if handle is not None and function is not None:
            for n in walk_own(function.node):
                if isinstance(n, ast.Await) and isinstance(n.value, ast.Call):
                    awaits[id(n.value)] = n
                if isinstance(n, ast.Call) and any(
                    isinstance(a, ast.Name) and a.id == handle
                    for a in (*n.args, *(k.value for k in n.keywords))
                ):
                    calls.append(n)
        knowledge = ctx.knowledge
        found: list[tuple[str, bool, ast.Await | None]] = []
        for c in calls:
            qual = ctx.call_name(c) or ""
            method = c.func.attr if isinstance(c.func, ast.Attribute) else ""
            if qual == "builtins.print":  # `print(..., file=f)` writes to it
                found.append(("print", True, None))
                continue
            if (
                qual.startswith(("builtins.", "typing."))
                or qual in _NOT_CONSUMERS
                or qual in knowledge.async_file_wrappers
                or method in _HOLDERS
                or method in knowledge.async_file_wrapper_methods
            ):
                continue
            text = ctx.segment(c.func)
            if text and all(text != t for t, _, _ in found):
                found.append((text, self._category(c, qual) is not None, awaits.get(id(c))))
        return found

    def _awaits_while_open(self, node: ast.AST) -> str | None:
        """``with open(p, "wb") as f: async for chunk in stream: f.write(chunk)``: the
        handle's name when the ``with`` that opens the file loops over awaited chunks."""
        item = self.ctx.parent(node)
        if not isinstance(item, ast.withitem) or not isinstance(item.optional_vars, ast.Name):
            return None
        block = self.ctx.parent(item)
        if not isinstance(block, (ast.With, ast.AsyncWith)):
            return None
        # chunks: an `async for`, or a loop that awaits (`while chunk := await r.read(n)`),
        # or a coroutine awaited with the handle (`await write_stream(response, f)`: its
        # writes go on between its awaits); one `await` before a single write is a value
        handle = item.optional_vars.id
        for stmt in block.body:
            for n in walk_own(stmt):
                if (
                    isinstance(n, ast.AsyncFor)
                    or (
                        isinstance(n, (ast.For, ast.While))
                        and any(isinstance(a, ast.Await) and self._suspends(a) for a in walk_own(n))
                    )
                    or (
                        isinstance(n, ast.Await)
                        and isinstance(n.value, ast.Call)
                        and any(
                            isinstance(a, ast.Name) and a.id == handle
                            for a in (*n.value.args, *(k.value for k in n.value.keywords))
                        )
                        and self._suspends(n)
                    )
                ):
                    return handle
        return None

    def _suspends(self, node: ast.Await) -> bool:
        """The ``await`` may hand control back to the loop: anything but a project coroutine
        that cannot suspend (``Summaries.may_suspend``), whose file work is a plain call's."""
        ctx = self.ctx
        value = node.value
        qual = ctx.call_name(value) if isinstance(value, ast.Call) else None
        found = ctx.summaries.callee(qual, ctx.module_info) if qual is not None else None
        return found is None or ctx.summaries.may_suspend(*found)

    def make_fix(self, node: ast.Call, name: str) -> Fix | None:
        if name in self.ctx.knowledge.file_openers:
            return None  # `to_thread(open, p)` leaves the reads on the event loop
        return super().make_fix(node, name)
