"""The modules of the project around a file, found and parsed on demand.

Function summaries follow calls into other modules of the same project
(`from .mathutils import count_primes`, `import pkg.mod as m`). This index
maps a qualified module name to its file under the import roots (the folder
above the file's top-level package, the project root and its ``src/``),
parses it with ``ast`` only when a summary needs it, and keeps it per
process keyed by path, size and mtime, so each module is parsed once per run.
"""

from __future__ import annotations

import ast
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from gil_lint.engine.knowledge import Knowledge
from gil_lint.engine.scopes import FunctionNode, Resolver, Scope, ScopeBuilder
from gil_lint.text import split_lines

_MAX_MODULES = 128
# Re-exports followed through __init__.py files (`from .impl import helper`), and objects
# through to their class (`from .base import logger; logger.hook()`).
_MAX_REEXPORT_HOPS = 6
_D = TypeVar("_D")


@dataclass(eq=False)
class ModuleInfo:
    name: str
    path: str
    tree: ast.Module
    scopes: dict[ast.AST, Scope]
    resolver: Resolver

    @property
    def module_scope(self) -> Scope:
        return self.scopes[self.tree]

    def is_protocol(self, cls: ast.ClassDef) -> bool:
        """``cls`` is a ``typing.Protocol`` class: its methods' bodies are defaults at most."""
        scope = self.scopes.get(cls)
        return scope is not None and any(
            (self.resolver.qualname(base, scope) or "").endswith("Protocol") for base in cls.bases
        )


def build_module(
    name: str, path: str, tree: ast.Module, knowledge: Knowledge, source: str | None = None
) -> ModuleInfo:
    lines = split_lines(source) if source is not None else None
    scopes = ScopeBuilder(name, path.endswith("__init__.py"), lines).build(tree)
    return ModuleInfo(name, path, tree, scopes, Resolver(scopes, scopes[tree], knowledge))


class Project:
    """Finds and parses sibling modules; shared by all files linted in one process."""

    def __init__(self, knowledge: Knowledge, roots: list[Path] | None = None) -> None:
        self.knowledge = knowledge
        self.roots: list[Path] = list(roots or [])
        self._modules: OrderedDict[tuple[str, int, int], ModuleInfo | None] = OrderedDict()
        self._by_name: dict[str, ModuleInfo] = {}
        self._found: dict[tuple[str, tuple[Path, ...]], str | None] = {}
        # unsaved editor buffers, by absolute path: read instead of the file on disk
        self.overlays: dict[str, str] = {}
        self._local = threading.local()

    @property
    def accessed(self) -> set[tuple[str, int, int]]:
        """(path, size, mtime) of every other module read by this thread since the last
        ``clear()``: a file's findings are valid only while these are unchanged. Per
        thread, because the language server lints two documents at once."""
        found: set[tuple[str, int, int]] | None = getattr(self._local, "accessed", None)
        if found is None:
            found = self._local.accessed = set()
        return found

    def add_root(self, root: Path) -> None:
        if root not in self.roots:
            self.roots.append(root)

    def register(self, info: ModuleInfo) -> None:
        """The module being linted: use its tree rather than parsing the file again, and
        find the modules it imports under its own import root (besides the project's).

        Only the current one is kept: holding every linted tree would grow without bound
        over a large run (other modules come from the bounded cache below). The roots of
        modules linted before are not kept either: what a file's imports resolve to must
        not depend on which files a process happened to lint first (`--jobs 1` and
        `--jobs 2` gave different findings).
        """
        self._by_name.clear()
        self._by_name[info.name] = info
        self._local.root = _import_root(Path(info.path), info.name)

    def release(self, info: ModuleInfo) -> None:
        """Forget the module registered for a lint that has finished, so that its tree
        and scopes are freed as soon as the lint's own objects are."""
        if self._by_name.get(info.name) is info:
            del self._by_name[info.name]

    # -- modules -----------------------------------------------------------------
    def module(self, name: str) -> ModuleInfo | None:
        known = self._by_name.get(name)
        if known is not None:
            return known
        path = self._find(name)
        if path is None:
            return None
        overlay = self.overlays.get(os.path.abspath(path)) if self.overlays else None
        if overlay is not None:
            # an open, maybe unsaved, buffer: keyed by its content, not the file's stat
            key = (path, -1, hash(overlay))
        else:
            try:
                st = os.stat(path)
            except OSError:
                return None
            key = (path, st.st_size, st.st_mtime_ns)
        self.accessed.add(key)
        if key in self._modules:
            self._modules.move_to_end(key)
            return self._modules[key]
        info = self._parse(name, path, overlay)
        self._modules[key] = info
        if len(self._modules) > _MAX_MODULES:
            self._modules.popitem(last=False)
        return info

    def parsed(self, path: str) -> ModuleInfo | None:
        """The module at ``path`` as this process last read it — the one being linted, or
        one the summaries followed (an editor's unsaved buffer included) — or None: not
        read again here."""
        for known in self._by_name.values():
            if known.path == path:
                return known
        for (where, _, _), cached in reversed(self._modules.items()):
            if where == path and cached is not None:
                return cached
        return None

    def _search_roots(self) -> tuple[Path, ...]:
        """The project's roots, then the import root of the module this thread lints."""
        own: Path | None = getattr(self._local, "root", None)
        if own is None or own in self.roots:
            return tuple(self.roots)
        return (*self.roots, own)

    def _find(self, name: str) -> str | None:
        """The file of module ``name`` under the roots (memoised: asked for every call)."""
        roots = self._search_roots()
        key = (name, roots)
        if key in self._found:
            return self._found[key]
        rel = name.replace(".", "/")
        found = None
        for root in roots:
            for candidate in (f"{root}/{rel}.py", f"{root}/{rel}/__init__.py"):
                if os.path.isfile(candidate):
                    found = candidate
                    break
            if found:
                break
        self._found[key] = found
        return found

    def _parse(self, name: str, path: str, overlay: str | None = None) -> ModuleInfo | None:
        try:
            data: str | bytes
            if overlay is not None:
                data = overlay
            else:
                with open(path, "rb") as f:
                    data = f.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data, filename=path)
        except (OSError, SyntaxError, ValueError, MemoryError, RecursionError):
            return None
        if isinstance(data, bytes):
            # the lines only spare the scope pass work: in any encoding a source file may
            # have, line breaks and keywords are the ASCII bytes they are in UTF-8
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                return build_module(name, path, tree, self.knowledge)
        return build_module(name, path, tree, self.knowledge, data)

    # -- functions -------------------------------------------------------------------
    def function(self, qualname: str) -> tuple[ModuleInfo, FunctionNode] | None:
        """The definition of ``pkg.mod.func`` / ``pkg.mod.Class.method`` in the project."""
        return self._definition(qualname, lambda info, name: info.resolver.function_def(name))

    def class_scope(self, qualname: str) -> tuple[ModuleInfo, Scope] | None:
        """The scope of the class ``pkg.mod.Class`` in the project."""
        return self._definition(qualname, lambda info, name: info.resolver.class_scope(name))

    def _definition(
        self, qualname: str, find: Callable[[ModuleInfo, str], _D | None]
    ) -> tuple[ModuleInfo, _D] | None:
        """What ``find`` finds for ``qualname`` in the module that defines it, following
        re-exports (``from .impl import helper`` in a package's ``__init__``)."""
        for _ in range(_MAX_REEXPORT_HOPS):
            found = self._split(qualname)
            if found is None:
                return None
            info, attrs = found
            definition = find(info, f"{info.name}.{attrs}")
            if definition is not None:
                return info, definition
            # `from .impl import helper` in the module: follow the re-export
            head = attrs.partition(".")[0]
            binding = info.module_scope.bindings.get(head)
            if binding is not None and binding.kind == "import" and binding.qualname:
                qualname = f"{binding.qualname}{attrs[len(head) :]}"
                continue
            # `base.service_logger.hook` where `service_logger = ServiceLogging()` there, or
            # `cache.RedisCache.logger.hook` where `self.logger = ServiceLogging()`: the
            # method of the object's class
            typed = _through_object(info, attrs)
            if typed is None:
                return None
            qualname = typed
        return None

    def _split(self, qualname: str) -> tuple[ModuleInfo, str] | None:
        parts = qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            info = self.module(".".join(parts[:i]))
            if info is not None:
                return info, ".".join(parts[i:])
        return None


def _through_object(info: ModuleInfo, attrs: str) -> str | None:
    """``attrs`` (a name in ``info`` and what follows it) with the object it starts from —
    a module-level name, or an instance attribute of a class there — written as its class:
    ``logger.hook`` → ``pkg.log.ServiceLogging.hook``. None when there is no such object,
    or its class is not known."""
    parts = attrs.split(".")
    for k in (2, 1):
        if len(parts) <= k:
            continue
        typed = info.resolver.member_type(".".join(parts[:k]))
        if typed is not None:
            return ".".join((typed, *parts[k:]))
    return None


def _import_root(path: Path, module_name: str) -> Path | None:
    """The folder that must be on sys.path for ``module_name`` to import from ``path``."""
    depth = module_name.count(".") + (1 if path.name != "__init__.py" else 2)
    try:
        root = path.resolve().parents[depth - 1]
    except IndexError:
        return None
    return root


_PROJECTS: dict[tuple[str, int], Project] = {}


def project_for(root: Path | None, knowledge: Knowledge) -> Project:
    """One Project per process, root and knowledge: modules parsed once are reused."""
    key = (str(root), id(knowledge))
    project = _PROJECTS.get(key)
    if project is None:
        project = Project(knowledge)
        if root is not None:
            project.add_root(root)
            if (root / "src").is_dir():
                project.add_root(root / "src")
        _PROJECTS[key] = project
    return project
