"""Import a module on first use: start-up time matters for an editor save or a pre-commit
run on a few files, and some dependencies are slow to import."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._lazy_module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr == "_lazy_module":  # not set yet: __init__ is running
            raise AttributeError(attr)
        module = self._lazy_module
        if module is None:
            module = self._lazy_module = importlib.import_module(self.__name__)
        return getattr(module, attr)


def lazy_module(name: str) -> Any:
    """A stand-in for ``import name`` that imports it when an attribute is first used."""
    return _LazyModule(name)
