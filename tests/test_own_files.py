"""Whose file (issue #14): file work a helper does on a file it picks itself — a config,
state, pid or marker file named by constants, module globals or its object's attributes —
is not reported through the helper; file work on a file the coroutine names (its own
parameters, data it fetched) is, however many helpers down. A call written in the
``async def`` itself is always reported."""

from __future__ import annotations

from textwrap import dedent, indent

from gil_lint.config import Settings
from gil_lint.diagnostics import Diagnostic
from gil_lint.engine.lint import lint_source


def lint(code: str) -> list[Diagnostic]:
    found = lint_source(dedent(code), "app.py", Settings(select=("ALL",)))
    return [d for d in found if d.code.startswith(("GIL2", "GIL0"))]


def in_store(methods: str) -> str:
    """HELPERS with ``methods`` added to its class."""
    return HELPERS + indent(dedent(methods), "    ")


def rows(code: str) -> list[int]:
    return sorted(d.row for d in lint(code))


HELPERS = """\
import json, pickle
from pathlib import Path

CONFIG = Path.home() / ".tool" / "config.json"

def read_config():
    with open(CONFIG) as f:
        return json.load(f)

def read_file(path):
    with open(path, "rb") as f:
        return f.read()

def save(path, data):
    Path(path).write_bytes(data)

class Store:
    def _state(self):
        return Path(self.dir) / "state.json"
    def _mark(self):
        with open(self._state(), "w") as f:
            json.dump({"done": True}, f)
    def _dump(self):
        with open(self.path, "wb") as f:
            pickle.dump(self.chats, f)
    def _pid(self):
        with open(self.pid_file, "w") as f:
            f.write(str(self.pid))
"""


def test_a_file_the_helper_picks_itself_is_not_reported_through_it():
    code = in_store(
        """\
            async def settings(self):
                return read_config()
            async def done(self):
                self._mark()
            async def fixed(self):
                return read_file("data.bin"), read_file(self.path)
        """
    )
    assert rows(code) == []


def test_a_file_the_coroutine_names_is_reported_through_helpers():
    code = HELPERS + dedent(
        """\
        def relay(path):
            return read_file(path)
        async def upload(path):
            return relay(path)
        async def store(resp, path):
            save("out.bin", await resp.read())
        """
    )
    # the parameter goes down two helpers; the fetched bytes are written by one; both
    # findings are the module's file work, so one finding with the other as evidence
    found = lint(code)
    assert [d.row for d in found] == [32]
    assert any(e.row == 34 for e in found[0].evidence)


def test_the_objects_own_state_written_is_of_any_size():
    # python-telegram-bot's pickle persistence rewrites the whole bot state on each change;
    # a pid or a marker written to the object's own file is a line
    code = in_store(
        """\
            async def update(self):
                self._dump()
            async def started(self):
                self._pid()
                self._mark()
        """
    )
    assert rows(code) == [30]


def test_state_written_through_a_writer_nothing_lists_is_the_objects_state():
    code = dedent(
        """\
        import pickle
        class BotPickler(pickle.Pickler):
            pass
        class Persistence:
            def _dump(self):
                with open(self.path, "wb") as file:
                    BotPickler(file, protocol=5).dump(self.chats)
            async def update(self):
                self._dump()
        """
    )
    assert rows(code) == [9]


def test_a_call_in_the_coroutine_itself_is_reported_whatever_the_file():
    code = dedent(
        """\
        async def settings(self):
            with open("config.toml") as f:
                return f.read()
        """
    )
    assert rows(code) == [2]
