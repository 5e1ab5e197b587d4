from __future__ import annotations

from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule


class BlockingFileIOInAsync(BlockingCallRule):
    """
    ## What it does
    Flags blocking file-system calls inside an `async def`: `open()`,
    `pathlib.Path.read_text/write_text/read_bytes/write_bytes/open`, `shutil`
    copies and removals, and blocking `os` file calls (`os.listdir`,
    `os.walk`, `os.remove`, ...).

    One file is one finding: a file opened in the function and then read or
    written there (`json.load(f)`, `f.read()`, `for line in f`) is reported on
    the `open`, with those uses as related information. A file handle that
    comes from elsewhere (a parameter, an attribute) is reported where it is
    read. A fallback that repeats the call in the `except` (or `else`) of its
    `try` is related information on the first call, not a second finding.

    File APIs over in-memory files are not reported: an `io.BytesIO` /
    `io.StringIO` argument (`zipfile.ZipFile(io.BytesIO(data))`,
    `json.load(io.StringIO(text))`, `tarfile.open(fileobj=buf)`), directly or
    in a helper, touches no disk. Neither is a helper decorated to run in a
    worker thread or process (`@run_on_executor`, `@sync_to_async`; the
    `offloading-decorators` knowledge list): calling it returns at once.

    ## Why is this bad?
    Disk I/O can take milliseconds (seconds on a network file system or a busy
    disk). The event loop cannot run anything else meanwhile.

    ## Example
    ```python
    async def load(path):
        with open(path) as f:
            return f.read()
    ```

    ## Use instead
    ```python
    import asyncio
    from pathlib import Path

    async def load(path):
        return await asyncio.to_thread(Path(path).read_text)
    ```
    or `aiofiles` / `anyio.Path`.

    ## Fix safety
    The fix (`await asyncio.to_thread(func, *args)`) is unsafe: the call runs in
    a worker thread, and a file opened that way must be used from there too.
    """

    CODE = "GIL203"
    VERIFY = "coroutine"
    NAME = "blocking-file-io-in-async"
    BRIEF = "`open()`, `pathlib` reads/writes, `shutil`, blocking `os` file calls in `async def`"
    CATEGORY = "file"
    FIX = "unsafe"
    ADVICE = "use `await {to_thread}({call}, ...)` or aiofiles"
    VALID = [
        "def rows(p):\n    with open(p) as f:\n        yield from f\nasync def f(p):\n    return rows(p)\n",
        "import aiofiles\nasync def f(p):\n    async with aiofiles.open(p) as fh:\n"
        "        return await fh.read()\n",
        "import asyncio\nfrom pathlib import Path\nasync def f(p):\n"
        "    return await asyncio.to_thread(Path(p).read_text)\n",
        "def f(p):\n    with open(p) as fh:\n        return fh.read()\n",
        "import asyncio\nasync def f(p):\n    return await asyncio.to_thread(lambda: open(p).read())\n",
        "from pathlib import Path\nasync def f(p):\n    return Path(p).name\n",
        # in-memory files: no disk I/O
        "import io, zipfile\nasync def f(data):\n    return zipfile.ZipFile(io.BytesIO(data))\n",
        "import io, json\nasync def f(s):\n    buf = io.StringIO(s)\n    return json.load(buf)\n",
        "import io, tarfile\nasync def f(b):\n    return tarfile.open(fileobj=io.BytesIO(b))\n",
        "import io, json\ndef parse(b):\n    return json.load(io.BytesIO(b))\n"
        "async def f(b):\n    return parse(b)\n",
        # a helper decorated to run in an executor: the call returns a future
        "from tornado.concurrent import run_on_executor\nclass Store:\n"
        "    @run_on_executor\n    def save(self, p, data):\n"
        "        with open(p, 'w') as f:\n            f.write(data)\n"
        "    async def put(self, p, data):\n        fut = self.save(p, data)\n"
        "        return await fut\n",
    ]
    INVALID = [
        Example(
            "def rows(p):\n    with open(p) as f:\n        yield from f\nasync def f(p):\n    for r in rows(p):\n        print(r)\n",
            at="5:14-5:21",
        ),
        Example(
            "def rows(p):\n    with open(p) as f:\n        yield from f\nasync def f(p):\n    return list(rows(p))\n",
            at="5:17-5:24",
        ),
        Example(
            "import asyncio\nfrom pathlib import Path\nasync def f(p):\n"
            "    return Path(p).read_text()\n",
            at="4:12-4:31",
            fixed="import asyncio\nfrom pathlib import Path\nasync def f(p):\n"
            "    return await asyncio.to_thread(Path(p).read_text)\n",
            unsafe=True,
        ),
        Example(
            "async def f(p):\n    with open(p) as fh:\n        return fh.read()\n", at="2:10-2:17"
        ),
        Example(
            "from pathlib import Path\nasync def f(p):\n    return Path(p).read_text()\n",
            at="3:12-3:31",
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
        Example("import os\nasync def f(p):\n    return os.listdir(p)\n", at="3:12-3:25"),
        # one file, one finding: the read through the handle is evidence on the `open`
        Example(
            "import json\nasync def f(p):\n    with open(p) as fh:\n        return json.load(fh)\n",
            at="3:10-3:17",
        ),
        Example("import json\nasync def f(p):\n    return json.load(open(p))\n", at="3:22-3:29"),
        # a handle from elsewhere is read here
        Example("import json\nasync def f(fh):\n    return json.load(fh)\n", at="3:12-3:25"),
        # the fallback repeats the same call: one finding
        Example(
            "import shutil\nasync def f(p):\n    try:\n        shutil.rmtree(p)\n"
            "    except OSError:\n        shutil.rmtree(p, ignore_errors=True)\n",
            at="4:9-4:25",
        ),
        # an in-memory source does not make the real destination free
        Example(
            "import io, shutil\nasync def f(data, dst):\n"
            "    shutil.copyfileobj(io.BytesIO(data), dst)\n",
            at="3:5-3:46",
        ),
    ]
