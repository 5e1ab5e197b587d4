from __future__ import annotations

import ast

from gil_lint.diagnostics import Fix
from gil_lint.engine.context import ModuleContext
from gil_lint.fix.edits import cst, replace_call_fix
from gil_lint.rules.base import Example
from gil_lint.rules.blocking import BlockingCallRule, offload_text

# a command line run by the shell: asyncio's counterpart is create_subprocess_shell
_SHELL_COMMANDS = frozenset(
    {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
)
# waits on a process that already exists: nothing to start differently
_PROCESS_WAITS = frozenset({"subprocess.Popen.wait", "subprocess.Popen.communicate"})


class BlockingSubprocessInAsync(BlockingCallRule):
    """
    ## What it does
    Flags `subprocess.run/call/check_call/check_output/Popen`, `os.system`,
    `os.popen` and `os.wait*` inside an `async def`.

    ## Why is this bad?
    These wait for a child process to finish on the event loop's thread: the
    whole program stalls for as long as the child runs.

    A call in code that runs once is not reported: in a one-off callback (`__del__`,
    a `weakref`/`atexit`/signal handler, code that ends with `sys.exit()`) or what
    only such code calls (`engine/lifecycle.py`); nor in a function the program
    starts at (`main`, `init`, an ASGI lifespan), outside its loops, before it sets
    other work going (a task, a `gather`, a server): it delays the start-up only.
    One in another start-up function, or in a shutdown function, still is: it
    holds the loop while other work may be waiting.

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

    A shell command (`os.system`, `shell=True`) becomes
    `asyncio.create_subprocess_shell`. asyncio cannot wait for a process it did
    not start: for `os.waitpid` and kin, or a `Popen` already running, offload
    the wait (`await asyncio.to_thread(os.waitpid, pid, 0)`) or poll with
    `os.WNOHANG`.

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
            at="3:5-3:33",
            fixed="import asyncio, subprocess\nasync def f():\n"
            "    await (await asyncio.create_subprocess_exec('ls', '-l')).wait()\n",
            unsafe=True,
        ),
        Example(
            "import subprocess\nasync def f(d):\n"
            "    subprocess.call(['make', 'all'], cwd=d, stdout=subprocess.DEVNULL)\n",
            at="3:5-3:71",
            fixed="import subprocess\nimport asyncio\nasync def f(d):\n"
            "    await (await asyncio.create_subprocess_exec('make', 'all', cwd=d, "
            "stdout=subprocess.DEVNULL)).wait()\n",
            unsafe=True,
        ),
        Example(
            "import subprocess\nasync def f():\n    subprocess.run(['ls'], check=True)\n",
            at="3:5-3:39",
        ),
        Example(
            "import subprocess as sp\nasync def f():\n    return sp.check_output(['ls'])\n",
            at="3:12-3:35",
        ),
        Example("import os\nasync def f():\n    os.system('ls')\n", at="3:5-3:20"),
        Example(
            "from subprocess import Popen\nasync def f():\n    Popen(['ls']).wait()\n",
            at="3:5-3:18",
        ),
    ]

    def advice_for(self, node: ast.AST, name: str, words: dict[str, str]) -> str | None:
        """asyncio's subprocess API only for what it can replace: it cannot wait for a
        process it did not start (``os.waitpid``, a ``Popen``'s ``wait``)."""
        if not isinstance(node, ast.Call):
            return None
        offload = f"`{offload_text(self.ctx, node, words)}`"
        if name == "os.wait":
            return f"offload the wait: {offload}, or poll with `os.waitpid(-1, os.WNOHANG)`"
        if name in self.ctx.knowledge.wait_functions:
            return f"offload the wait: {offload}, or poll with `os.WNOHANG`"
        if name in _PROCESS_WAITS:
            return (
                f"start the process with `{words['run_process']}(...)` and await it, or "
                f"offload the wait: {offload}"
            )
        shell = name in _SHELL_COMMANDS or any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
        if shell and words["library"] == "asyncio":
            return "use `asyncio.create_subprocess_shell(...)`"
        return None

    def make_fix(self, node: ast.Call, name: str) -> Fix | None:
        return subprocess_fix(self.ctx, node)


# keyword arguments of subprocess.run/call that mean the same to create_subprocess_exec
_SUBPROCESS_KEYWORDS = frozenset({"cwd", "env", "stdin", "stdout", "stderr"})
_STD_STREAMS = frozenset({"stdin", "stdout", "stderr"})


def subprocess_fix(ctx: ModuleContext, call: ast.Call) -> Fix | None:
    """GIL204, where mechanical: a statement ``subprocess.run([...])`` with a literal argv.

    → ``await (await asyncio.create_subprocess_exec(...)).wait()``. ``cwd``/``env`` carry
    over, streams only as ``DEVNULL``/``None`` (a PIPE nobody reads can deadlock
    ``wait()``); ``check=``, ``timeout=``, ``capture_output=`` and the like have no
    one-line equivalent, so no fix then.
    """
    if not isinstance(ctx.parent(call), ast.Expr) or len(call.args) != 1:
        return None
    if ctx.call_name(call) not in ("subprocess.run", "subprocess.call"):
        return None
    argv = call.args[0]
    if (
        not isinstance(argv, (ast.List, ast.Tuple))
        or not argv.elts
        or any(isinstance(e, ast.Starred) for e in argv.elts)
    ):
        return None
    keywords = []
    for kw in call.keywords:
        if kw.arg not in _SUBPROCESS_KEYWORDS:
            return None
        if kw.arg in _STD_STREAMS and not (
            (isinstance(kw.value, ast.Constant) and kw.value.value is None)
            or ctx.qualname(kw.value) in ("subprocess.DEVNULL", "asyncio.subprocess.DEVNULL")
        ):
            return None
        keywords.append(f"{kw.arg}={ctx.segment(kw.value)}")
    args = ", ".join([*(ctx.segment(e) for e in argv.elts), *keywords])

    def build(aio: str, c: cst.Call) -> cst.BaseExpression | None:
        try:
            return cst.parse_expression(f"(await {aio}.create_subprocess_exec({args})).wait()")
        except Exception:  # an element's text that is not an expression on its own
            return None

    return replace_call_fix(
        ctx,
        call,
        message="Use `asyncio.create_subprocess_exec(...)`",
        applicability="unsafe",
        build=build,
    )
