"""The rule registry: every ``gilNNN_*.py`` module in this package holds one rule."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from gil_lint.rules.base import Example, Rule

__all__ = ["Example", "Rule", "all_rules", "rule_by_code"]


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("gil"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.__module__ == module.__name__
                and getattr(value, "CODE", None)
            ):
                found.append(value)
    return tuple(sorted(found, key=lambda r: r.CODE))


def rule_by_code(code: str) -> type[Rule] | None:
    code = code.upper()
    for r in all_rules():
        if code == r.CODE or code.lower() == r.NAME:
            return r
    return None
