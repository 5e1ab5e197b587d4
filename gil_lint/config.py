"""``[tool.gil-lint]`` in pyproject.toml → :class:`Settings` (a frozen dataclass).

Every key is checked: an unknown key or a value of the wrong type is a
:class:`ConfigError` naming the file and the key, which the CLI prints on one
line and exits with 2. Nothing is silently ignored.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TARGET_GIL_VALUES = ("auto", "enabled", "disabled")
# Test code (a file `test_*.py`, `*_test.py`, `conftest.py`, test support named so, or under a
# folder `tests`, `test`, `testing`...: is_test_code) runs once per test: these performance
# rules are not reported there by default
# (a blocking call or a CPU loop in a test slows the test, nobody's event loop), nor is a
# task a test starts and drops (GIL402: a server or listener the test runs against, for the
# length of the test, whose own checks see it fail); the correctness rules (a coroutine
# never awaited, a race, a swallowed cancellation) are. Benchmarks and evaluation harnesses
# (`benchmarks/`, `evals/`, `evaluation/`, `eval_framework/`, `benchmark.py`) exercise the
# program the same way, and so do a developer's tools (`dev_tools/`, `devtools/`): a layout
# dump or a preview server a developer clicks, never a user's request.
DEFAULT_TEST_CODE_IGNORE = ("GIL101", "GIL103", "GIL2", "GIL303", "GIL402", "GIL404")
_TEST_FOLDERS = frozenset(
    {
        "tests",
        "test",
        "testing",
        "_testing",
        "testutils",
        "_testbase",
        "benchmarks",
        "benchmark",
        "evals",
        "evaluation",
        "eval_framework",
        "dev_tools",
        "devtools",
    }
)
# test-support modules shipped in a package, named as such (`tornado/testing.py`,
# `aiohttp/pytest_plugin.py`; a `pytest_*.py` module is a pytest plugin): the helpers a
# project's tests (and its users' tests) run, like a `testing/` folder's
_TEST_SUPPORT_MODULES = frozenset(
    {"testing.py", "_testing.py", "testutils.py", "_testbase.py", "benchmark.py"}
)
# Command-line entry code (`__main__.py`, `cli.py`, a `cli/` or `scripts/` package:
# is_cli_code) and data migrations (`migrations.py`, a `migrations/` package: run once per
# upgrade, by an operator, with the service stopped or paused) run one
# command at a time on its event loop: a blocking call there (a prompt, a config file, a
# subprocess) delays nothing else, so the event-loop rules are not reported by default. The
# thread and process rules are: a command is slow for its user either way.
DEFAULT_CLI_CODE_IGNORE = ("GIL2",)
_CLI_FOLDERS = frozenset({"cli", "_cli", "scripts", "migration", "migrations"})
# `migration.py` alone is left out: a web API names its migration endpoint so
_CLI_MODULES = frozenset({"__main__.py", "cli.py", "_cli.py", "migrations.py"})
RUNNING_VERSION: tuple[int, int] = (sys.version_info[0], sys.version_info[1])
_CODE_PREFIX = re.compile(r"GIL[0-9]{0,3}")
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".gil_lint_cache",
    "site-packages",
    # vendored copies of other projects: fixed upstream and copied again, never edited here
    "_vendor",
    "vendored",
    "_vendored",
    "thirdparty",
    "third_party",
)


class ConfigError(Exception):
    """A bad configuration value; ``str()`` is the one-line message for the user."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("GIL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    test_code_ignore: tuple[str, ...] = DEFAULT_TEST_CODE_IGNORE
    cli_code_ignore: tuple[str, ...] = DEFAULT_CLI_CODE_IGNORE
    target_gil: str = "auto"
    # Issue #19: the oldest Python the code must run on: `target-version`, else the lowest
    # version `[project] requires-python` allows, else the running interpreter's.
    target_version: tuple[int, int] = RUNNING_VERSION
    # where target_version came from, for `--show-settings` (not part of the cache key)
    target_version_source: str = field(default="the running interpreter", compare=False)
    # GIL404: a gather over a literal range up to this size is not "unbounded".
    gather_max_size: int = 100
    # GIL101/GIL206: a loop is CPU-bound evidence only above this many iterations
    # when the count is a literal (`for _ in range(3)` is not).
    cpu_loop_min_iterations: int = 1000
    # Issue #10: how many helper calls deep the async rules follow.
    max_call_depth: int = 3
    # Issue #9: a file that needs parsing and is larger than this (bytes; 0 = no limit) is
    # reported as GIL002 instead of linted: parsing cost and memory grow with size, and a
    # generated 50 MB module would hold an editor or a commit hook for minutes.
    max_file_size: int = 10_000_000
    knowledge: tuple[tuple[str, tuple[str, ...]], ...] = ()
    project_root: Path | None = field(default=None, compare=False)
    config_path: Path | None = field(default=None, compare=False)

    def is_enabled(self, code: str, *, opt_in: bool = False) -> bool:
        """Ruff-style prefix selection: the longest matching prefix wins. An ``opt_in`` rule
        (not on by default) needs a selector that names its full code, or ``ALL``."""
        best_sel = max(
            (
                len(p)
                for p in (*self.select, *self.extend_select)
                if _matches(code, p) and (not opt_in or p in (code, "ALL"))
            ),
            default=-1,
        )
        best_ign = max((len(p) for p in self.ignore if _matches(code, p)), default=-1)
        return best_sel >= 0 and best_sel > best_ign

    def quiet_in_command_line_code(self, code: str) -> bool:
        """``cli-code-ignore`` leaves ``code`` out of command-line entry code."""
        return any(_matches(code, i) for i in self.cli_code_ignore)

    def ignored_for_file(self, code: str, path: str) -> bool:
        return code in self.ignored_codes((code,), path)

    def ignored_codes(self, codes: Iterable[str], path: str) -> set[str]:
        """The codes among ``codes`` that ``test-code-ignore``, ``cli-code-ignore`` or
        ``per-file-ignores`` drop in ``path`` (whether it is test or command-line code, and
        which globs match it, asked once)."""
        codes = list(codes)
        out: set[str] = set()
        for ignore, applies in (
            (self.test_code_ignore, is_test_code),
            (self.cli_code_ignore, is_cli_code),
        ):
            quiet = [c for c in codes if any(_matches(c, i) for i in ignore)]
            if quiet and applies(self.within_project(path)):
                out.update(quiet)
        if self.per_file_ignores:
            rel = self.relative(path)
            name = Path(path).name
            for pattern, ignored in self.per_file_ignores:
                if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern):
                    out.update(c for c in codes if any(_matches(c, i) for i in ignored))
        return out

    def within_project(self, path: str) -> str:
        """``path`` relative to the project root, else to the working folder; a path outside
        both is reduced to its file name (the folders above a project say nothing of it)."""
        p = Path(path)
        if not p.is_absolute():
            return p.as_posix()
        for root in (self.project_root, Path.cwd()):
            if root is not None:
                try:
                    return p.relative_to(root).as_posix()
                except ValueError:
                    pass
        return p.name

    def relative(self, path: str) -> str:
        p = Path(path)
        if self.project_root is not None and p.is_absolute():
            try:
                return p.relative_to(self.project_root).as_posix()
            except ValueError:
                pass
        return p.as_posix()

    def cache_key(self) -> str:
        """Everything that changes findings, for the result cache."""
        return repr(
            (
                self.select,
                self.ignore,
                self.extend_select,
                self.per_file_ignores,
                self.test_code_ignore,
                self.cli_code_ignore,
                self.target_gil,
                self.target_version,
                self.gather_max_size,
                self.cpu_loop_min_iterations,
                self.max_call_depth,
                self.max_file_size,
                self.knowledge,
            )
        )

    def targets(self, major: int, minor: int) -> bool:
        """The target version is ``major.minor`` or later."""
        return self.target_version >= (major, minor)

    def gil_disabled(self) -> bool:
        if self.target_gil == "disabled":
            return True
        if self.target_gil == "enabled":
            return False
        is_enabled = getattr(sys, "_is_gil_enabled", None)
        return is_enabled is not None and not is_enabled()


def is_test_code(path: str) -> bool:
    """``path`` (relative to the project when it can be) is a test module or lies in a test
    folder: ``test_x.py``, ``x_test.py``, ``conftest.py``, ``tests/``, ``test/``, ``testing/``;
    or is test support named as such: ``testing.py``, ``testutils.py``, ``_testbase/``, a
    pytest plugin ``pytest_*.py``; or a benchmark or evaluation harness (``benchmarks/``,
    ``evals/``, ``evaluation/``, ``eval_framework/``, ``benchmark.py``) or a developer's tools
    (``dev_tools/``, ``devtools/``)."""
    parts = Path(path).parts
    if not parts:
        return False
    name = parts[-1]
    if name.startswith(("test_", "pytest_")) or name.endswith("_test.py"):
        return True
    if name == "conftest.py" or name in _TEST_SUPPORT_MODULES:
        return True
    return any(part in _TEST_FOLDERS for part in parts[:-1])


def is_cli_code(path: str) -> bool:
    """``path`` (relative to the project when it can be) is a program's command-line entry:
    ``__main__.py``, ``cli.py``, ``_cli.py``, or a module of a ``cli/`` or ``scripts/``
    package (a package's console scripts); or a data migration, run once per upgrade by an
    operator (``migrations.py``, a ``migration/`` or ``migrations/`` package)."""
    parts = Path(path).parts
    if not parts:
        return False
    return parts[-1] in _CLI_MODULES or any(part in _CLI_FOLDERS for part in parts[:-1])


def _matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _codes(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes, got {value!r}")
    return tuple(check_selector(v.strip().upper(), where) for v in value)


def check_selector(selector: str, where: str) -> str:
    """``selector`` if it is ALL or a code or prefix of at least one rule; else ConfigError
    (a typo such as GIL2O1 or GIL9 would otherwise select or ignore nothing, silently)."""
    if selector == "ALL":
        return selector
    if not _CODE_PREFIX.fullmatch(selector):
        raise ConfigError(f"{where}: {selector!r} is not a rule code or prefix (e.g. GIL201, GIL2)")
    if not any(code.startswith(selector) for code in _all_codes()):
        raise ConfigError(f"{where}: {selector!r} matches no rule (see `gil-lint rules`)")
    return selector


@lru_cache(maxsize=1)
def _all_codes() -> tuple[str, ...]:
    """The engine's codes and the rules', the latter read from the registry's file names
    (one ``gilNNN_*.py`` module per rule): importing the rules would add ~35 ms to every
    run with a selector in its config, the warm ones included."""
    from gil_lint.diagnostics import FILE_ERROR, INTERNAL_ERROR, SYNTAX_ERROR

    rules = Path(__file__).with_name("rules").glob("gil[0-9][0-9][0-9]_*.py")
    return (SYNTAX_ERROR, FILE_ERROR, INTERNAL_ERROR, *(p.name[:6].upper() for p in rules))


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _int(value: Any, where: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3}
_QUALNAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _size(value: Any, where: str) -> int:
    """Bytes from an integer or a string such as "10MB" (decimal units); 0 means no limit."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    m = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise ConfigError(
            f'{where}: expected a size in bytes or a string like "10MB", got {value!r}'
        )
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "B").upper()])


def format_size(size: int) -> str:
    for unit in ("GB", "MB", "KB"):
        if size >= _UNITS[unit]:
            return f"{size / _UNITS[unit]:.1f} {unit}"
    return f"{size} B"


def settings_from_table(
    table: Mapping[str, Any], source: str, base: Settings | None = None
) -> Settings:
    """Validate a ``[tool.gil-lint]``-shaped mapping; ``source`` names it in errors."""
    s = base or Settings()
    changes: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{source}: [tool.gil-lint] {key}"
        if key == "select":
            changes["select"] = _codes(value, where)
        elif key == "ignore":
            changes["ignore"] = _codes(value, where)
        elif key == "extend-select":
            changes["extend_select"] = _codes(value, where)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of glob = [codes]")
            changes["per_file_ignores"] = tuple(
                (str(glob), _codes(codes, f"{where}.{glob!r}")) for glob, codes in value.items()
            )
        elif key == "test-code-ignore":
            changes["test_code_ignore"] = _codes(value, where)
        elif key == "cli-code-ignore":
            changes["cli_code_ignore"] = _codes(value, where)
        elif key == "exclude":
            changes["exclude"] = _strings(value, where)
        elif key == "extend-exclude":
            changes["extend_exclude"] = _strings(value, where)
        elif key == "respect-gitignore":
            changes["respect_gitignore"] = _bool(value, where)
        elif key == "target-gil":
            if value not in TARGET_GIL_VALUES:
                raise ConfigError(
                    f"{where}: expected one of {', '.join(TARGET_GIL_VALUES)}, got {value!r}"
                )
            changes["target_gil"] = value
        elif key == "target-version":
            changes["target_version"] = parse_target_version(value, where)
            changes["target_version_source"] = f"{source}: [tool.gil-lint] target-version"
        elif key == "gather-max-size":
            changes["gather_max_size"] = _int(value, where, 1)
        elif key == "cpu-loop-min-iterations":
            changes["cpu_loop_min_iterations"] = _int(value, where, 1)
        elif key == "max-call-depth":
            changes["max_call_depth"] = _int(value, where, 0)
        elif key == "max-file-size":
            changes["max_file_size"] = _size(value, where)
        elif key == "knowledge":
            changes["knowledge"] = _knowledge(value, where)
        else:
            raise ConfigError(f"{source}: unknown key [tool.gil-lint] {key!r}")
    return replace(s, **changes)


_TARGET_VERSION = re.compile(r"(?:py3(\d{1,2})|3\.(\d{1,2}))")


def parse_target_version(value: Any, where: str) -> tuple[int, int]:
    """``"3.14"`` or ``"py314"`` (ruff's spelling) → (3, 14); anything else is a ConfigError."""
    m = _TARGET_VERSION.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise ConfigError(
            f'{where}: expected a Python version like "3.14" or "py314", got {value!r}'
        )
    return 3, int(m.group(1) or m.group(2))


# one clause of a version specifier (PEP 440): operator, release, pre/post/dev suffix, `.*`
_CLAUSE = re.compile(
    r"\s*(~=|===|==|!=|<=|>=|<|>)\s*v?(\d+(?:\.\d+)*)"
    r"((?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview|post|rev|r|dev)[-_.]?\d*)*)(\.\*)?\s*",
    re.IGNORECASE,
)


def lowest_python(spec: str, where: str) -> tuple[int, int] | None:
    """The lowest ``3.minor`` a ``requires-python`` specifier allows (``">=3.10"``,
    ``">=3.9,<4"``, ``"~=3.11"``, ``"==3.12.*"``, ``">3.10"``, ``">=2.7,!=3.0.*"``).
    None: it sets no lower bound (``"<4"``). A clause that does not parse, or a specifier
    that allows no Python 3 at all, is a ConfigError naming ``where``."""
    lowest = (3, 0)
    bounded = False
    excluded: set[tuple[int, int]] = set()
    # the clauses that cap the version: ("<" or "<=", release padded to 3 parts), or
    # ("minor" / "major", release) for a prefix the version must start with
    caps: list[tuple[str, tuple[int, ...]]] = []
    for clause in spec.split(","):
        m = _CLAUSE.fullmatch(clause)
        if m is None or (m.group(4) and m.group(1) not in ("==", "!=")):
            raise ConfigError(f"{where}: cannot parse {clause.strip()!r} in {spec!r}")
        op, star = m.group(1), bool(m.group(4))
        release = tuple(int(p) for p in m.group(2).split("."))
        if op == "~=" and len(release) < 2:
            raise ConfigError(f"{where}: `~=` needs a version with a dot, in {spec!r}")
        major_minor = (release[0], release[1] if len(release) > 1 else 0)
        if op in (">=", ">", "~=", "==", "==="):
            bounded = True
            lowest = max(lowest, major_minor)
        if op in ("==", "===") and (star or len(release) <= 2):
            caps.append(("minor" if len(release) > 1 else "major", release))
        elif op in ("==", "==="):
            caps.append(("<=", (*release, 0, 0)[:3]))
        elif op in ("<", "<="):
            caps.append((op, (*release, 0, 0)[:3]))
        elif op == "~=":
            caps.append(("minor" if len(release) > 2 else "major", release))
        elif op == "!=" and star and len(release) == 2:
            excluded.add(major_minor)
        elif op == "!=" and star and len(release) == 1:
            excluded.update((release[0], n) for n in range(100))
    while lowest in excluded and lowest[1] < 99:
        lowest = (lowest[0], lowest[1] + 1)
    first = (*lowest, 0)  # the first release of the lowest minor
    for op, release in caps:
        if (
            (op == "<" and not first < release)
            or (op == "<=" and not first <= release)
            or (op == "minor" and lowest != (release[0], release[1]))
            or (op == "major" and lowest[0] != release[0])
        ):
            raise ConfigError(f"{where}: {spec!r} allows no Python 3 version")
    if lowest in excluded or lowest[0] != 3:
        raise ConfigError(f"{where}: {spec!r} allows no Python 3 version")
    return lowest if bounded or excluded else None


def _knowledge(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    # imported here: the knowledge module (and its data classes) is 3 ms of every start,
    # and only a `[tool.gil-lint.knowledge]` table needs its key lists before linting
    from gil_lint.engine.knowledge import USER_KEYS, USER_TABLES, parse_decorator

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table")
    out = []
    for key, names in value.items():
        if key in USER_TABLES:
            out.append((key, _name_table(names, f"{where}.{key}")))
            continue
        if key not in USER_KEYS:
            known = ", ".join(sorted([*USER_KEYS, *USER_TABLES]))
            raise ConfigError(f"{where}.{key}: unknown knowledge key (known: {known})")
        strings = _strings(names, f"{where}.{key}")
        if key == "offloading-decorators":
            for entry in strings:
                try:
                    parse_decorator(entry)
                except ValueError as e:
                    raise ConfigError(f"{where}.{key}: {e}") from None
        out.append((key, strings))
    return tuple(sorted(out))


def _name_table(value: Any, where: str) -> tuple[str, ...]:
    """``{"mycorp.db.connect" = "mycorp.db.Connection"}`` → ``("mycorp.db.connect=...",)``:
    a table of qualified names, kept hashable in Settings."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of qualified names")
    out = []
    for name, target in value.items():
        if not isinstance(target, str) or not _QUALNAME.fullmatch(target):
            raise ConfigError(f"{where}.{name}: expected a qualified name, got {target!r}")
        if not _QUALNAME.fullmatch(name):
            raise ConfigError(f"{where}: {name!r} is not a qualified name")
        out.append(f"{name}={target}")
    return tuple(sorted(out))


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None


def read_pyproject(path: Path) -> dict[str, Any] | None:
    """The ``[tool.gil-lint]`` table of a pyproject.toml, or None if it has none."""
    data = _load_toml(path)
    tool = data.get("tool", {})
    table = tool.get("gil-lint") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.gil-lint] must be a table")
    return table


def requires_python(path: Path) -> tuple[int, int] | None:
    """The lowest Python ``[project] requires-python`` of the pyproject.toml at ``path``
    allows; None if the file, the key or a lower bound is missing."""
    if not path.is_file():
        return None
    project = _load_toml(path).get("project")
    spec = project.get("requires-python") if isinstance(project, dict) else None
    if spec is None:
        return None
    where = f"{path}: [project] requires-python"
    if not isinstance(spec, str):
        raise ConfigError(f"{where}: expected a version specifier string, got {spec!r}")
    return lowest_python(spec, where)


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.gil-lint]`` table, walking up from ``start``."""
    start = start.resolve()
    for d in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "gil-lint" in text and read_pyproject(candidate) is not None:
                return candidate
    return None


def find_project_root(start: Path) -> Path:
    start = start.resolve()
    for d in (start, *start.parents) if start.is_dir() else start.parents:
        if (d / "pyproject.toml").is_file() or (d / ".git").exists():
            return d
    return start if start.is_dir() else start.parent


def load_settings(
    config: Path | None = None, start: Path | None = None, overrides: Iterable[Any] = ()
) -> Settings:
    """Settings from ``--config FILE`` or the nearest pyproject.toml above ``start``."""
    start = start or Path.cwd()
    if config is not None:
        if not config.is_file():
            raise ConfigError(f"{config}: config file not found")
        path: Path | None = config
    else:
        path = find_config(start)
    if path is None:
        root = find_project_root(start)
        return _with_requires_python(Settings(project_root=root), root / "pyproject.toml")
    table = read_pyproject(path)
    if table is None and path.name != "pyproject.toml":
        # a standalone gil-lint.toml written without the [tool.gil-lint] header
        with open(path, "rb") as f:
            try:
                table = tomllib.load(f)
            except tomllib.TOMLDecodeError as e:
                raise ConfigError(f"{path}: invalid TOML: {e}") from None
    s = settings_from_table(table or {}, str(path))
    root = path.resolve().parent
    s = replace(s, project_root=root, config_path=path)
    if "target-version" in (table or {}):
        return s
    return _with_requires_python(
        s, path if path.name == "pyproject.toml" else root / "pyproject.toml"
    )


def _with_requires_python(s: Settings, pyproject: Path) -> Settings:
    """``s`` targeting the lowest Python ``pyproject``'s requires-python allows, if it says."""
    lowest = requires_python(pyproject)
    if lowest is None:
        return s
    return replace(
        s, target_version=lowest, target_version_source=f"{pyproject}: [project] requires-python"
    )
