"""Branches a module's own constants never take (issue #14: pymongo's `unasync`-ed async
package keeps `if _IS_SYNC: socket.getaddrinfo(...)` beside `else: await
loop.getaddrinfo(...)` with `_IS_SYNC = False`; engine/constants.py)."""

from __future__ import annotations

import ast
from textwrap import dedent

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic
from gil_lint.engine.constants import prune_constant_branches
from gil_lint.engine.lint import lint_source


def lint(code: str) -> list[Diagnostic]:
    found = lint_source(dedent(code), "app.py", Settings(select=("ALL",)))
    return [d for d in found if d.code.startswith(("GIL2", "GIL4", "GIL0"))]


def rows(code: str) -> list[int]:
    return sorted(d.row for d in lint(code))


HEAD = """\
import asyncio
import socket

_IS_SYNC = False
"""


def test_a_branch_the_module_constant_never_takes_is_not_linted():
    code = HEAD + dedent(
        """\
        async def resolve(host, connect):
            if _IS_SYNC:
                return socket.getaddrinfo(host, 80)
            else:
                return await asyncio.get_running_loop().getaddrinfo(host, 80)

        async def resolve_and(host, connect):
            if _IS_SYNC and connect:
                socket.getaddrinfo(host, 80)

        async def resolve_or(host, connect):
            if connect or not _IS_SYNC:
                return None
            else:
                socket.getaddrinfo(host, 80)

        async def early_return(host):
            if not _IS_SYNC:
                return await asyncio.get_running_loop().getaddrinfo(host, 80)
            return socket.getaddrinfo(host, 80)

        async def undecided(host, connect):
            if connect:
                socket.getaddrinfo(host, 81)
        """
    )
    assert rows(code) == [28]


def test_a_helper_whose_blocking_branch_is_dead_does_not_block_its_callers():
    code = HEAD + dedent(
        """\
        def lookup(host):
            if _IS_SYNC:
                return socket.getaddrinfo(host, 80)
            return None

        async def handler(host):
            return lookup(host)
        """
    )
    assert rows(code) == []


def test_a_name_bound_twice_or_declared_global_is_not_a_constant():
    code = dedent(
        """\
        import socket
        _FAST = False
        _FAST = True
        _DEBUG = False
        _HAS = False
        try:
            import uvloop
            _HAS = True
        except ImportError:
            pass
        def enable():
            global _DEBUG
            _DEBUG = True
        async def a(host):
            if _FAST:
                socket.getaddrinfo(host, 80)
        async def b(host):
            if not _DEBUG:
                return
            socket.getaddrinfo(host, 80)
        async def c(host):
            if _HAS:
                socket.getaddrinfo(host, 80)
        """
    )
    assert rows(code) == [16, 20, 23]


def test_only_the_dead_branch_goes():
    tree = ast.parse(
        dedent(
            """\
            FLAG = True
            if FLAG:
                a = 1
            else:
                b = 2
            if not FLAG:
                c = 3
            elif x:
                d = 4
            """
        )
    )
    prune_constant_branches(tree)
    assert ast.unparse(tree) == dedent(
        """\
        FLAG = True
        if FLAG:
            a = 1
        if not FLAG:
            pass
        elif x:
            d = 4"""
    )


def test_a_literal_test_is_decided_too():
    # psycopg's generated async twin: `if True:  # ASYNC` ... `else: <the sync code>`
    code = dedent(
        """\
        import asyncio
        import socket
        async def resolve(host):
            if True:  # ASYNC
                ans = await asyncio.get_running_loop().getaddrinfo(host, 80)
            else:
                ans = socket.getaddrinfo(host, 80)
            if False:
                socket.getaddrinfo(host, 81)
            return ans
        class Connection:
            def _set_autocommit(self, value):
                if True:  # ASYNC
                    self._no_set_async("autocommit")
                else:
                    self.set_autocommit(value)
            async def set_autocommit(self, value):
                self.value = value
        """
    )
    assert rows(code) == []
