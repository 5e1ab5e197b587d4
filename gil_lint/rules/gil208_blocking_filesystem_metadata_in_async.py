from __future__ import annotations

import ast

from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule, file_api_advice


class BlockingFilesystemMetadataInAsync(BlockingCallRule):
    """
    ## What it does
    Flags file-system metadata calls written inside an `async def`: `os.stat`,
    `os.path.exists`/`isfile`/`isdir`/`getsize`, `os.remove`/`unlink`,
    `os.mkdir`/`makedirs`, `os.rename`/`replace`, `os.chmod`, `os.listdir`/`scandir`
    and their `pathlib.Path` equivalents (`exists()`, `unlink()`, `mkdir()`,
    `iterdir()`, ...); `os.open` and `tempfile.mkstemp` (a descriptor, no data: the
    `os.read`/`os.write` on it are GIL203); `tempfile.TemporaryDirectory` (a `mkdtemp`
    whose removal at exit takes only what its block wrote, reported where it is
    written); and a glob that does not recurse (`glob.glob(p)` without
    `recursive=True`, `path.glob("*.json")`: one `listdir` per wildcard level, while
    `path.glob("**/*.json")`, `rglob` and `os.walk` visit a tree and stay GIL203).
    These calls move no file data: reading and writing it is GIL203.

    Only a call written in the `async def` itself is reported, not one a few
    helpers down (where GIL203 follows content I/O): in gil-lint's cost model a
    metadata syscall is cheap enough that a chain to one is not worth a finding.
    The list is `[metadata]` in the blocking knowledge; add your own with
    `blocking-metadata = [...]` in `[tool.gil-lint.knowledge]`.

    **Off by default**: turn it on with `extend-select = ["GIL208"]`. On mature
    async projects its findings were one `stat` per request or a socket file
    removed at start-up — true, but rarely worth a maintainer's time; a project
    that serves files from network storage, or that wants a strict loop, selects it.

    ## Why is this bad?
    Each call is one syscall: microseconds on a local disk, but it still holds
    the event loop, and on a network file system, a slow or busy disk or a large
    directory (`listdir`) it can take milliseconds or more. It has its own code,
    apart from GIL203's file data, as ruff separates ASYNC240 from ASYNC230.

    A call that runs once is not reported (`engine/lifecycle.py`): in a one-off
    callback (`__del__`, a `weakref`/`atexit`/signal handler, code that ends with
    `sys.exit()`) or what only it calls,
    and in a start-up function (`start`, `startup`, `setup_*`, `main`, ...; the
    `startup-functions` knowledge) outside its loops — removing a stale socket file
    before binding it.

    ## Example
    ```python
    import os

    async def save(path, data):
        if not os.path.exists(path):
            os.makedirs(path)
        ...
    ```

    ## Use instead
    ```python
    import asyncio
    import os

    async def save(path, data):
        await asyncio.to_thread(os.makedirs, path, exist_ok=True)
        ...
    ```
    or `anyio.Path` / `aiofiles.os`. Better still, do the whole file work, metadata
    and data, in one function run with `asyncio.to_thread`.

    ## Fix safety
    The fix (`await asyncio.to_thread(func, *args)`) is unsafe: the call then runs
    in a worker thread, after other tasks have had a chance to run, so a check
    such as `exists()` may see a different file system than the code around it.
    `os.scandir` and `Path.iterdir` do their I/O as they are iterated: the fix
    iterates them in the thread (`await asyncio.to_thread(list, p.iterdir())`).
    """

    CODE = "GIL208"
    VERIFY = "coroutine"
    NAME = "blocking-filesystem-metadata-in-async"
    BRIEF = (
        "`os.stat`, `os.path.exists`, `os.remove`, `os.makedirs`, `os.listdir`, a glob that "
        "does not recurse, `mkstemp` / `TemporaryDirectory` and `pathlib` metadata calls in "
        "`async def`"
    )
    CATEGORY = "metadata"
    ONE_PER_MODULE = True
    DEFAULT = False
    FIX = "unsafe"
    ADVICE = "use `await {to_thread}({call}, ...)`"
    VALID = [
        # a helper whose only blocking call is a metadata syscall: not worth a finding
        "import os\ndef cleanup(p):\n    os.unlink(p)\nasync def f(p):\n    cleanup(p)\n",
        "import asyncio, os\nasync def f(p):\n    await asyncio.to_thread(os.makedirs, p)\n",
        # a lazy iterator handed to a thread does its I/O there, as it is consumed
        "import asyncio\nfrom pathlib import Path\nasync def f(p: Path):\n"
        "    return await asyncio.to_thread(list, p.iterdir())\n",
        "import anyio, os\nasync def f(p):\n    return await anyio.to_thread.run_sync(list, os.scandir(p))\n",
        "import os\ndef f(p):\n    return os.path.exists(p)\n",
        "import os\nasync def f(p):\n    return os.path.join(p, 'x')\n",
        "from pathlib import Path\nasync def f(p):\n    return Path(p).with_suffix('.txt')\n",
    ]
    INVALID = [
        Example(
            "import os\nasync def f(p):\n    os.unlink(p)\n",
            at="3:5-3:17",
            fixed="import os\nimport asyncio\nasync def f(p):\n"
            "    await asyncio.to_thread(os.unlink, p)\n",
            unsafe=True,
        ),
        Example("import os\nasync def f(p):\n    return os.path.exists(p)\n", at="3:12-3:29"),
        Example("import os\nasync def f(p):\n    return os.listdir(p)\n", at="3:12-3:25"),
        Example(
            "from pathlib import Path\nasync def f(p):\n    Path(p).mkdir(parents=True)\n",
            at="3:5-3:32",
        ),
        Example(
            "from pathlib import Path\nasync def f(p: Path):\n"
            "    for child in p.iterdir():\n        print(child)\n",
            at="3:18-3:29",
            fixed="from pathlib import Path\nimport asyncio\nasync def f(p: Path):\n"
            "    for child in await asyncio.to_thread(list, p.iterdir()):\n        print(child)\n",
            unsafe=True,
        ),
    ]

    def advice_for(self, node: ast.AST, name: str, words: dict[str, str]) -> str | None:
        return file_api_advice(self.ctx, node, name, words)
