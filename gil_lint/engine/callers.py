"""The package-wide view: who uses a function, and who runs the package's coroutines.

**Command-line reach**: a function only the package's command-line code uses.

**Start-up reach** (``only_at_start_up``): a function another module of the package calls
only from its start-up code (an ASGI lifespan, a start-up hook), which runs once.

Command-line entry code (``cli.py``, ``__main__.py``, a ``cli/`` or ``scripts/`` package:
``config.is_cli_code``) runs one command at a time on its event loop, so the event-loop
rules are quiet there (``cli-code-ignore``). A function elsewhere in the package that only
that code (or test code) uses runs the same way — crawl4ai's interactive profile builder,
called from ``cli.py`` alone, reads the terminal on a loop nothing else shares — and is
quiet too.

"Uses" is read from the text, conservatively: every mention of the function's name as a
word in the package's modules counts — a call, a reference handed on, a comment — and each
must be in command-line or test code, with at least one (a function no other module
mentions may be public API, called by anyone). Any mention in its own module but its
``def`` line, or in any other module of the package, keeps it reported. A name mentioned in
many places (``run``, ``start``) is therefore never quiet. The package is the folder chain
of ``__init__.py`` files above the module; each module's words are read once while it is
unchanged, and the modules looked at are among the findings' dependencies (the result
cache re-lints when one changes). Asked only where a finding is about to be reported.

**Coroutine drivers** (``drives_coroutines``): a package one of whose modules takes a
coroutine's iterator (``coro.__await__()``) and steps it by hand, or tells coroutines apart
and sends and throws into them as a scheduler does, runs its coroutines on no event loop
(ESPHome's code generator, kafka-python's selector loop); read from the same word counts,
and only the few modules that mention ``StopIteration`` and ``__await__`` or
``iscoroutine`` are parsed.
"""

from __future__ import annotations

import ast
import os
import re
import weakref
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from gil_lint.config import is_cli_code, is_test_code
from gil_lint.engine.lifecycle import Lifecycle, Ref, lifecycle
from gil_lint.engine.project import ModuleInfo, Project
from gil_lint.engine.scopes import FunctionNode, package_top

# how far only start-up code reaches a function: from code the program itself starts at,
# or from code named for starting (only_at_start_up)
Reach = Literal["process", "startup"] | None
# a package bigger than this is not scanned (the answer is then "not only command-line")
_MAX_FILES = 3000
# the classes that implement a private protocol are looked for in packages up to this size
_MAX_FILES_IMPLEMENTERS = 10000
_WORD = re.compile(r"\w+")


class CommandLineReach:
    """Answers, per function, whether only command-line (or test) code mentions it. Each
    question stats the package's modules again (a module's words are kept while its size
    and mtime hold, its folder list while the folders' mtimes hold): an editor's long-lived
    process sees a new caller at once."""

    def __init__(self, project: Project) -> None:
        self.project = project
        # package folder → (its modules: relative to the folder above it, and absolute;
        # the mtime of each folder walked)
        self._packages: dict[str, tuple[list[tuple[str, str]] | None, dict[str, int]]] = {}
        # absolute path → (size, mtime, how often each word occurs)
        self._words: dict[str, tuple[int, int, Counter[str]]] = {}
        # absolute path → (an editor's unsaved text, how often each word occurs in it)
        self._overlay_words: dict[str, tuple[str, Counter[str]]] = {}
        # absolute path → (the words it was read with, whether it steps coroutines by hand):
        # read again when the words are (the file changed)
        self._drivers: dict[str, tuple[Counter[str], bool]] = {}
        # absolute path → (the module as the project last parsed it, its lifecycle, how
        # often each name appears in its `from ... import` statements)
        self._lifecycles: dict[str, tuple[ModuleInfo, Lifecycle, Counter[str]]] = {}

    def only_command_line(
        self, path: str, name: str, users: Callable[[str], list[str | None]] | None = None
    ) -> bool:
        """``name``, defined in the module at ``path``, is mentioned in its package only by
        command-line or test code (at least once by command-line code). With ``users`` (the
        module's lifecycle: the outermost function of each reference to a name), a mention
        in its own module counts as command-line code when it is in a function that is
        itself only command-line code (``interactive_manager`` calling ``create_profile``,
        itself called from ``cli.py`` alone)."""
        own = os.path.abspath(path)
        modules = self._modules(package_top(own))
        if not modules:
            return False
        scan: list[tuple[str, str, Counter[str]]] = []
        for rel, module in modules:
            words = self._words_of(module)
            if words is None:
                return False
            scan.append((rel, module, words))
        return self._only(own, name, users, set(), scan)

    def _only(
        self,
        own: str,
        name: str,
        users: Callable[[str], list[str | None]] | None,
        asked: set[str],
        scan: list[tuple[str, str, Counter[str]]],
    ) -> bool:
        """``only_command_line`` over the package's modules and their words, read once per
        question (a function its module uses is asked about in turn)."""
        asked.add(name)
        command_line = False
        for rel, module, words in scan:
            if module == own:
                if words[name] <= 1:
                    continue  # only its `def`
                if users is None:
                    return False  # used in its own module, besides its `def`
                for user in users(name):
                    # at the module's top level, in a function already being asked about
                    # (recursion), or in one other code uses: not only command-line code
                    if (
                        user is None
                        or user in asked
                        or not self._only(own, user, users, asked, scan)
                    ):
                        return False
                    command_line = True
                continue
            if not words[name]:
                continue
            if not (is_cli_code(rel) or is_test_code(rel)):
                return False
            command_line = command_line or is_cli_code(rel)
        return command_line

    def only_at_start_up(self, path: str, name: str) -> Reach:
        """``name``, defined in the module at ``path`` and mentioned there only by its
        ``def``, is used elsewhere in its package only from start-up code (and tests):
        every mention of the word in another module is an import of it or a reference in
        a function of that module's start-up phase (``engine/lifecycle.py``: an ASGI
        lifespan, a function named ``startup`` or handed to a start-up hook, and the
        private helpers only they call) — magentic-ui's ``init_managers``, called from its
        app's lifespan alone. ``"process"`` when every such function is one the program
        itself starts at (a lifespan, ``main``, ``init``: ``Lifecycle.starts_process``),
        ``"startup"`` when some is only named for starting (a plugin's ``start``), None
        when any mention is elsewhere. A mention the module's tree does not show (a
        comment, a string) keeps the answer None; so does a module that cannot be read as
        one of the project's."""
        own = os.path.abspath(path)
        modules = self._modules(package_top(own))
        if not modules:
            return None
        started = False
        process = True
        for rel, module in modules:
            words = self._words_of(module)
            if words is None:
                return None
            if module == own:
                if words[name] > 1:
                    return None  # used in its own module: that module's lifecycle says
                continue
            if not words[name] or is_test_code(rel):
                continue
            found = self._every_mention(rel, module, name, words[name])
            if found is None:
                return None
            life, refs = found
            if any(life.phase(code) != "startup" for _, code, _, _ in refs):
                return None
            started = started or bool(refs)
            process = process and all(life.starts_process(code) for _, code, _, _ in refs)
        if not started:
            return None
        return "process" if process else "startup"

    def only_called_from_coroutines(self, path: str, name: str) -> bool:
        """``name``, a sync function defined once in the module at ``path``, is only ever
        called from ``async def`` code in its package: every mention of the word besides
        its ``def`` (in its own module or another, tests aside) is an import of it or a
        call written directly in a coroutine (``self.get_handler(h)`` in socket handlers).
        Such a function runs on the event loop's thread, never in a worker. A mention the
        modules' trees do not show as such a call — a reference handed on (``Thread(
        target=self.get_handler)``), a call in a sync function or lambda, a comment —
        makes the answer False, as does a package that cannot be read."""
        own = os.path.abspath(path)
        modules = self._modules(package_top(own))
        if not modules:
            return False
        called = False
        for rel, module in modules:
            words = self._words_of(module)
            if words is None:
                return False
            mentions = words[name] - (1 if module == own else 0)
            if mentions <= 0 or (module != own and is_test_code(rel)):
                continue
            found = self._every_mention(rel, module, name, mentions)
            if found is None:
                return False
            _, refs = found
            for _, code, _, is_call in refs:
                if not is_call or not isinstance(code, ast.AsyncFunctionDef):
                    return False
            called = called or bool(refs)
        return called

    def _every_mention(
        self, rel: str, module: str, name: str, mentions: int
    ) -> tuple[Lifecycle, list[Ref]] | None:
        """The module's lifecycle and its references to ``name``, when they and its
        imports of the name account for all ``mentions`` of the word in its text (None: a
        comment or a string mentions it, or the module is not the project's)."""
        info = self.project.module(_dotted(rel))
        if info is None or os.path.abspath(info.path) != module:
            return None
        cached = self._lifecycles.get(module)
        if cached is None or cached[0] is not info:
            life = lifecycle(info.tree, info.scopes, info.resolver, self.project.knowledge)
            cached = self._lifecycles[module] = (info, life, _imported_names(info.tree))
        _, life, imported = cached
        refs = life.refs.get(name, [])
        if len(refs) + imported[name] != mentions:
            return None
        return life, refs

    def drives_coroutines(self, path: str) -> bool:
        """The package of the module at ``path`` runs coroutines itself, with no event loop:
        one of its modules takes a coroutine's iterator (``coro(...).__await__()``) and
        steps it (``next(it)`` or ``it.send(v)`` in a ``try`` that catches
        ``StopIteration``) — ESPHome's code generation awaits its components' ``to_code``
        coroutines on such a ``FakeEventLoop``; kafka-python's selector loop sends and throws
        into the coroutines it tells apart. Read from the modules' words first
        (``StopIteration``, and ``__await__`` or ``iscoroutine``), then the few that have
        them are parsed."""
        modules = self._modules(package_top(os.path.abspath(path)))
        if not modules:
            return False
        for _, module in modules:
            words = self._words_of(module)
            if words is None or not (
                words["StopIteration"] and (words["__await__"] or words["iscoroutine"])
            ):
                continue
            cached = self._drivers.get(module)
            if cached is None or cached[0] is not words:
                cached = self._drivers[module] = (words, _steps_awaitables(module))
            if cached[1]:
                return True
        return False

    def implementers(
        self, path: str, methods: frozenset[str], name: str
    ) -> list[tuple[ModuleInfo, FunctionNode]] | None:
        """The ``name`` methods the package's classes define, besides protocols', when one
        of its classes defines every one of ``methods`` (a private ``Protocol``'s, defined
        in the module at ``path``): what a receiver the protocol types can run, since a
        private protocol names the package's own classes — a subclass that overrides
        ``name`` alone included. Empty when no class implements the protocol; None when
        the package cannot be read. Read from the modules' words first, then the few that
        have the name are parsed."""
        modules = self._modules(package_top(os.path.abspath(path)), _MAX_FILES_IMPLEMENTERS)
        if not modules:
            return None
        found: list[tuple[ModuleInfo, FunctionNode]] = []
        implemented = False
        for rel, module in modules:
            words = self._words_of(module)
            if words is None:
                return None
            if not words[name]:
                continue
            info = self.project.module(_dotted(rel))
            if info is None or os.path.abspath(info.path) != module:
                continue
            for node in ast.walk(info.tree):
                if not isinstance(node, ast.ClassDef) or info.is_protocol(node):
                    continue
                defined = {
                    d.name: d
                    for d in node.body
                    if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))
                }
                if name in defined:
                    found.append((info, defined[name]))
                    implemented = implemented or methods <= defined.keys()
        return found if implemented else []

    def _modules(self, package: str | None, most: int = _MAX_FILES) -> list[tuple[str, str]] | None:
        """The package's modules: (path relative to the folder above it, absolute path);
        None for a package of more than ``most``."""
        if package is None:
            return None
        known = self._packages.get(package)
        if known is None or not all(_mtime(d) == m for d, m in known[1].items()):
            known = self._packages[package] = _walk(package)
        modules = known[0]
        return modules if modules is not None and len(modules) <= most else None

    def _words_of(self, path: str) -> Counter[str] | None:
        overlay = self.project.overlays.get(path) if self.project.overlays else None
        if overlay is not None:
            # an editor's unsaved text: counted once per version of it
            seen = self._overlay_words.get(path)
            if seen is None or seen[0] is not overlay:
                seen = self._overlay_words[path] = (overlay, Counter(_WORD.findall(overlay)))
            return seen[1]
        self._overlay_words.pop(path, None)  # closed in the editor: the file on disk again
        try:
            st = os.stat(path)
        except OSError:
            return None
        self.project.accessed.add((path, st.st_size, st.st_mtime_ns))
        cached = self._words.get(path)
        if cached is not None and cached[:2] == (st.st_size, st.st_mtime_ns):
            return cached[2]
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        words = Counter(_WORD.findall(text))
        self._words[path] = (st.st_size, st.st_mtime_ns, words)
        return words


def _steps_awaitables(path: str) -> bool:
    """The module takes a coroutine's iterator (``.__await__()``) and steps it by hand; or
    it tells coroutines apart (``inspect.iscoroutine(x)``, ``hasattr(x, "__await__")``)
    and drives them as a scheduler does, ``coro.send(v)`` in a ``try`` that catches
    ``StopIteration`` and ``coro.throw(exc)``, importing no event-loop library:
    ESPHome's ``FakeEventLoop``, kafka-python's selector loop."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    iterator = told = throws = steps = sends = False
    # a scheduler of its own uses no event-loop library (shiny's `run_coro_hybrid` steps a
    # coroutine once, then hands it to asyncio)
    loops = any(
        (
            isinstance(n, ast.Import)
            and any(a.name.split(".")[0] in _LOOP_LIBRARIES for a in n.names)
        )
        or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] in _LOOP_LIBRARIES)
        for n in ast.walk(tree)
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            iterator = iterator or (attr == "__await__" and not node.args)
            throws = throws or attr == "throw"
            told = told or (
                attr == "iscoroutine"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "inspect"
            )
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            told = told or (
                node.func.id == "hasattr"
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "__await__"
            )
        elif isinstance(node, ast.Try):
            steps = steps or steps_in(node, _next_or_send)
            sends = sends or steps_in(node, _send)
        if (iterator and steps) or (told and throws and sends and not loops):
            return True
    return False


_LOOP_LIBRARIES = frozenset({"asyncio", "trio", "anyio"})


def _send(call: ast.Call) -> bool:
    """``coro.send(v)``: one step of a coroutine (or generator) given a value."""
    return isinstance(call.func, ast.Attribute) and call.func.attr == "send"


def steps_in(node: ast.Try, step: Callable[[ast.Call], bool]) -> bool:
    """``try: <a call step accepts> except StopIteration``: something stepped by hand, its
    end taken from ``StopIteration``."""
    if not any(
        isinstance(h.type, ast.Name) and h.type.id == "StopIteration" for h in node.handlers
    ):
        return False
    return any(isinstance(n, ast.Call) and step(n) for stmt in node.body for n in ast.walk(stmt))


def _next_or_send(call: ast.Call) -> bool:
    """``next(it)`` / ``it.send(v)``: one step of an iterator."""
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "next") or (
        isinstance(func, ast.Attribute) and func.attr == "send"
    )


def _walk(package: str) -> tuple[list[tuple[str, str]] | None, dict[str, int]]:
    """The package's modules (None past ``_MAX_FILES_IMPLEMENTERS``), and the mtime of
    each folder walked."""
    above = os.path.dirname(package)
    found: list[tuple[str, str]] = []
    folders: dict[str, int] = {}
    for folder, dirs, files in os.walk(package):
        folders[folder] = _mtime(folder)
        dirs[:] = [d for d in dirs if not d.startswith((".", "__pycache__"))]
        for f in files:
            if f.endswith(".py"):
                full = os.path.join(folder, f)
                found.append((Path(os.path.relpath(full, above)).as_posix(), full))
        if len(found) > _MAX_FILES_IMPLEMENTERS:
            return None, folders
    return found, folders


def _mtime(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


_REACH: weakref.WeakKeyDictionary[Project, CommandLineReach] = weakref.WeakKeyDictionary()


def command_line_reach(project: Project) -> CommandLineReach:
    """The project's (one per process, shared by the files it lints)."""
    found = _REACH.get(project)
    if found is None:
        found = _REACH[project] = CommandLineReach(project)
    return found


def _imported_names(tree: ast.Module) -> Counter[str]:
    """How often each name is written in the module's ``from ... import`` statements (the
    name imported, and the ``as`` name): mentions that are not uses."""
    return Counter(
        written
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        for written in {alias.name, alias.asname}
        if written is not None
    )


def _dotted(rel: str) -> str:
    """``pkg/sub/mod.py`` → ``pkg.sub.mod``; ``pkg/sub/__init__.py`` → ``pkg.sub``."""
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
