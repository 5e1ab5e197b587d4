from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.fixes import subprocess_fix
from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule


class BlockingSubprocessInAsync(BlockingCallRule):
    """
    ## What it does
    Flags `subprocess.run/call/check_call/check_output/Popen`, `os.system`,
    `os.popen` and `os.wait*` inside an `async def`.

    ## Why is this bad?
    These wait for a child process to finish on the event loop's thread: the
    whole program stalls for as long as the child runs.

    ## Example
    ```python
    import subprocess

    async def build():
        subprocess.run(["make"], check=True)
    ```

    ## Use instead
    ```python
    import asyncio

    async def build():
        proc = await asyncio.create_subprocess_exec("make")
        await proc.wait()
    ```

    ## Fix safety
    The fix is unsafe: `asyncio.create_subprocess_exec` returns a process
    object, not a `CompletedProcess`, so code that uses the result must change.
    """

    CODE = "GIL204"
    VERIFY = "coroutine"
    NAME = "blocking-subprocess-in-async"
    BRIEF = "`subprocess.*`, `os.system`, `os.popen`, `os.wait*` in `async def`"
    CATEGORY = "subprocess"
    FIX = "unsafe"
    ADVICE = "use `{run_process}(...)`"
    VALID = [
        "import asyncio\nasync def f():\n    p = await asyncio.create_subprocess_exec('ls')\n"
        "    await p.wait()\n",
        "import subprocess\ndef f():\n    subprocess.run(['ls'])\n",
        "import asyncio, subprocess\nasync def f():\n"
        "    await asyncio.to_thread(subprocess.run, ['ls'])\n",
        "import os\nasync def reap():\n    return os.waitpid(-1, os.WNOHANG)\n",
    ]
    INVALID = [
        Example(
            "import asyncio, subprocess\nasync def f():\n    subprocess.run(['ls', '-l'])\n",
            fixed="import asyncio, subprocess\nasync def f():\n"
            "    await (await asyncio.create_subprocess_exec('ls', '-l')).wait()\n",
            unsafe=True,
        ),
        Example(
            "import subprocess\nasync def f(d):\n"
            "    subprocess.call(['make', 'all'], cwd=d, stdout=subprocess.DEVNULL)\n",
            fixed="import subprocess\nimport asyncio\nasync def f(d):\n"
            "    await (await asyncio.create_subprocess_exec('make', 'all', cwd=d, "
            "stdout=subprocess.DEVNULL)).wait()\n",
            unsafe=True,
        ),
        "import subprocess\nasync def f():\n    subprocess.run(['ls'], check=True)\n",
        "import subprocess as sp\nasync def f():\n    return sp.check_output(['ls'])\n",
        "import os\nasync def f():\n    os.system('ls')\n",
        "from subprocess import Popen\nasync def f():\n    Popen(['ls']).wait()\n",
    ]

    def make_fix(self, node: ast.Call, name: str) -> Fix | None:
        return subprocess_fix(self.ctx, node)
