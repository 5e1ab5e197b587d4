from __future__ import annotations

from gil_lint.rules.base import Example
from gil_lint.rules.gil203_blocking_file_io import BlockingFileIOInAsync


class BlockingTextFileIOInAsync(BlockingFileIOInAsync):
    """
    ## What it does
    Flags a text file read or written whole inside an `async def`: `open()` (also
    `io.open`, `codecs.open`, `Path.open`) in a text mode — no mode, `"r"`, `"w"`,
    `"a"`, ... but not `"rb"` —, `Path.read_text`/`write_text`, and `json.load`/
    `json.dump` on a file, once: not in a loop. A helper that does such I/O a few
    calls down is reported at the call in the `async def`, with the chain.
    Everything else GIL203 covers stays GIL203: binary files, copies, archives, tree
    walks, `pickle`, and text files read or written in a loop (every file a walk
    lists, a log appended to on each round); a helper that does both is GIL203's.

    It works as GIL203 does: one finding per module, a file opened and read in one
    function is one finding, code that runs once (start-up, one-off callbacks) and
    files on a thread or an async file object are left alone.

    **Off by default**: turn it on with `extend-select = ["GIL209"]`. Judged by
    hand on some 60 mature async packages, fewer than one in ten of these findings
    was worth changing: a settings or state file of a few kilobytes, a JSON result
    written once at the end of a run, next to network calls that take far longer.
    A project whose coroutines read or write large text files (logs, data sets, a
    document store kept in JSON) on every request, or that wants a strict loop,
    selects it. A mode that cannot be told (`open(p, mode)`) stays GIL203.

    ## Why is this bad?
    The read or write holds the event loop as long as the disk takes: usually
    microseconds for a small file in the page cache, but milliseconds or more for a
    large file, a busy disk or a network file system.

    ## Example
    ```python
    import json

    async def save_state(path, state):
        with open(path, "w") as f:
            json.dump(state, f)
    ```

    ## Use instead
    Do the whole file work in one function run in a thread:
    ```python
    import asyncio
    import json
    from pathlib import Path

    async def save_state(path, state):
        await asyncio.to_thread(Path(path).write_text, json.dumps(state))
    ```
    or `aiofiles.open` (asyncio), `anyio.open_file` / `trio.open_file`.

    ## Fix safety
    As GIL203's: the fix (`await asyncio.to_thread(func, *args)`) is unsafe, the
    call runs in a worker thread; `open()` gets no fix, since offloading the opening
    alone would leave the reads and writes on the event loop.
    """

    CODE = "GIL209"
    VERIFY = "coroutine"
    NAME = "blocking-text-file-io-in-async"
    BRIEF = "text files read or written whole (`open(p)`, `read_text`, `json.dump`) in `async def`"
    CATEGORY = "text"
    DEFAULT = False
    VALID = [
        # binary data, a copy, a mode that cannot be told: GIL203's
        "async def f(p):\n    with open(p, 'rb') as fh:\n        return fh.read()\n",
        "import shutil\nasync def f(a, b):\n    shutil.copy(a, b)\n",
        "async def f(p, mode):\n    return open(p, mode)\n",
        "from pathlib import Path\nasync def f(p):\n    return Path(p).read_bytes()\n",
        # a helper that reads its settings, then copies a tree: GIL203's finding
        "import json, shutil\ndef deploy(cfg, src):\n    with open(cfg) as f:\n"
        "        dst = json.load(f)['dst']\n    shutil.copytree(src, dst)\n"
        "async def f(cfg, src):\n    deploy(cfg, src)\n",
        # a binary file's `json.load`: part of GIL203's finding on the `open`
        "import json\nasync def f(p):\n    with open(p, 'rb') as fh:\n        return json.load(fh)\n",
        # text files in a loop: many files, or one file many times (GIL203's)
        "import os\nasync def f(root):\n    for d, _, names in os.walk(root):\n"
        "        for n in names:\n            with open(os.path.join(d, n)) as fh:\n"
        "                print(fh.read())\n",
        "async def f(p, lines):\n    for line in lines:\n        with open(p, 'a') as fh:\n"
        "            fh.write(line)\n",
        "import asyncio\nfrom pathlib import Path\nasync def f(p):\n"
        "    return await asyncio.to_thread(Path(p).read_text)\n",
        "def f(p):\n    with open(p) as fh:\n        return fh.read()\n",
    ]
    INVALID = [
        Example(
            "async def f(p):\n    with open(p) as fh:\n        return fh.read()\n", at="2:10-2:17"
        ),
        Example(
            "import json\nasync def f(p, state):\n    with open(p, 'w') as fh:\n"
            "        json.dump(state, fh)\n",
            at="3:10-3:22",
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
            "from pathlib import Path\nasync def f(p: Path):\n    with p.open(encoding='utf-8') as fh:\n"
            "        return fh.read()\n",
            at="3:10-3:34",
        ),
        Example(
            "import json\ndef save(p, state):\n    with open(p, 'w') as fh:\n"
            "        json.dump(state, fh)\nasync def f(p, state):\n    save(p, state)\n",
            at="6:5-6:19",
        ),
    ]
