from __future__ import annotations

from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule


class BlockingInputInAsync(BlockingCallRule):
    """
    ## What it does
    Flags `input()`, `getpass.getpass()` and `sys.stdin` reads inside an
    `async def`.

    ## Why is this bad?
    Reading from the terminal waits for a human. The event loop is frozen until
    they press Enter: timers, network traffic and every other task stop.

    Off by default (`extend-select = ["GIL207"]` turns it on): on fresh async
    packages every prompt it found (14 of 14) was a command-line tool's — a menu, a
    confirmation, a playground's pause — where nothing else runs on the loop while
    the user answers. Turn it on for servers, bots and other programs whose loop
    serves others while someone types.

    A call in code that runs once is not reported: in a one-off callback (`__del__`,
    a `weakref`/`atexit`/signal handler, code that ends with `sys.exit()`) or what
    only such code calls (`engine/lifecycle.py`); nor in a function the program
    starts at (`main`, `init`, an ASGI lifespan), outside its loops, before it sets
    other work going (a task, a `gather`, a server): it delays the start-up only.
    One in another start-up function, or in a shutdown function, still is: it
    holds the loop while other work may be waiting.

    ## Example
    ```python
    async def ask():
        return input("name? ")
    ```

    ## Use instead
    ```python
    import asyncio

    async def ask():
        return await asyncio.to_thread(input, "name? ")
    ```

    ## Fix safety
    The fix is safe: `input` behaves the same in a worker thread.
    """

    CODE = "GIL207"
    VERIFY = "coroutine"
    NAME = "blocking-input-in-async"
    BRIEF = "`input()`, `getpass`, `sys.stdin` reads in `async def`"
    CATEGORY = "input"
    FIX = "safe"
    DEFAULT = False
    ADVICE = "use `await {to_thread}({call}, ...)`"
    VALID = [
        "import asyncio\nasync def f():\n    return await asyncio.to_thread(input, 'x? ')\n",
        "def f():\n    return input('x? ')\n",
        "async def f(input):\n    return input('x')\n",
    ]
    INVALID = [
        Example(
            "async def f():\n    return input('x? ')\n",
            at="2:12-2:24",
            fixed="import asyncio\nasync def f():\n    return await asyncio.to_thread(input, 'x? ')\n",
        ),
        Example(
            "import sys\nasync def f():\n    return sys.stdin.readline()\n",
            at="3:12-3:32",
            fixed="import sys\nimport asyncio\nasync def f():\n"
            "    return await asyncio.to_thread(sys.stdin.readline)\n",
        ),
        Example("import getpass\nasync def f():\n    return getpass.getpass()\n", at="3:12-3:29"),
    ]
