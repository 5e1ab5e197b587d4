"""Why detection runs on ``ast``: name resolution on ``ast`` (gil-lint's scopes) against
libcst's metadata (``ScopeProvider`` + ``QualifiedNameProvider``), on the same files.

    python benchmarks/ast_vs_libcst.py             # stdlib asyncio, concurrent, multiprocessing
    python benchmarks/ast_vs_libcst.py PATH ...    # .py files under these files or folders

Sources are read into memory first, so only parsing and resolution are timed. Times are CPU
seconds of this process (``time.process_time``): other load on the machine slows the wall
clock, not the work measured. Each stage is run ``--rounds`` times (default 3) and the
fastest round counts (libcst: one round unless ``--libcst-rounds`` says otherwise, it takes
tens of seconds). Stages:

  ast.parse                     the parse alone
  ast + scopes                  ``ScopeBuilder.build``: every scope and binding of the module
  ast + scopes + qualnames      and the qualified name of every call's callee, as the rules
                                ask for them (``Resolver.qualname``)
  libcst.parse_module           the parse alone
  libcst + ScopeProvider +      ``MetadataWrapper(module).resolve_many(...)``: what a libcst
    QualifiedNameProvider       rule reads to know that ``t.sleep`` is ``time.sleep``

The ratio printed last is the libcst pipeline's time over the ast pipeline's.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import sys
import sysconfig
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider

from gil_lint.engine.knowledge import load_knowledge
from gil_lint.engine.scopes import Resolver, Scope, ScopeBuilder, module_name_for

DEFAULT_PACKAGES = ("asyncio", "concurrent", "multiprocessing")


def default_corpus() -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return [stdlib / name for name in DEFAULT_PACKAGES]


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(p.rglob("*.py"))
        elif p.suffix == ".py":
            yield p


def load_corpus(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(path, source) of every file both parsers accept (the comparison is on equal input)."""
    corpus = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in old test files
        for path in python_files(paths):
            try:
                source = path.read_text(encoding="utf-8")
                ast.parse(source)
                cst.parse_module(source)
            except (OSError, UnicodeDecodeError, SyntaxError, cst.ParserSyntaxError):
                continue
            corpus.append((str(path), source))
    return corpus


def _calls_with_scopes(
    tree: ast.Module, scopes: dict[ast.AST, Scope]
) -> Iterator[tuple[ast.Call, Scope]]:
    stack: list[tuple[ast.AST, Scope]] = [(tree, scopes[tree])]
    while stack:
        node, scope = stack.pop()
        scope = scopes.get(node, scope)
        if isinstance(node, ast.Call):
            yield node, scope
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))


def ast_parse(path: str, source: str) -> None:
    ast.parse(source, path)


def ast_scopes(path: str, source: str) -> None:
    tree = ast.parse(source, path)
    ScopeBuilder(module_name_for(path), path.endswith("__init__.py")).build(tree)


def ast_qualnames(path: str, source: str) -> None:
    tree = ast.parse(source, path)
    scopes = ScopeBuilder(module_name_for(path), path.endswith("__init__.py")).build(tree)
    resolver = Resolver(scopes, scopes[tree], load_knowledge())
    for call, scope in _calls_with_scopes(tree, scopes):
        resolver.qualname(call.func, scope)


def libcst_parse(path: str, source: str) -> None:
    cst.parse_module(source)


def libcst_metadata(path: str, source: str) -> None:
    MetadataWrapper(cst.parse_module(source)).resolve_many([ScopeProvider, QualifiedNameProvider])


def best_cpu_time(
    stage: Callable[[str, str], None], corpus: list[tuple[str, str]], rounds: int
) -> float:
    best = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(rounds):
            start = time.process_time()
            for path, source in corpus:
                stage(path, source)
            best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: stdlib)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the ast stages")
    parser.add_argument("--libcst-rounds", type=int, default=1, help="rounds of the libcst stages")
    ns = parser.parse_args(argv)
    if ns.rounds < 1 or ns.libcst_rounds < 1:
        parser.error("rounds must be at least 1")
    paths = ns.paths or default_corpus()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    corpus = load_corpus(paths)
    if not corpus:
        parser.error("no Python file that both ast and libcst parse")
    lines = sum(source.count("\n") for _, source in corpus)
    load_knowledge()  # loaded once per process by gil-lint too: not part of a file's cost
    print(
        f"corpus: {len(corpus)} files, {lines:,} lines "
        f"({', '.join(map(str, paths))}); CPython {sys.version.split()[0]}, "
        f"libcst {importlib.metadata.version('libcst')}"
    )
    stages = [
        ("ast.parse", ast_parse, ns.rounds),
        ("ast + scopes", ast_scopes, ns.rounds),
        ("ast + scopes + qualnames", ast_qualnames, ns.rounds),
        ("libcst.parse_module", libcst_parse, ns.libcst_rounds),
        ("libcst + Scope + QualifiedName", libcst_metadata, ns.libcst_rounds),
    ]
    times: dict[str, float] = {}
    print(f"{'stage':<32}{'CPU s':>9}{'lines/s':>12}")
    for name, stage, rounds in stages:
        seconds = best_cpu_time(stage, corpus, rounds)
        times[name] = seconds
        print(f"{name:<32}{seconds:>9.2f}{lines / seconds:>12,.0f}", flush=True)
    ratio = times["libcst + Scope + QualifiedName"] / times["ast + scopes + qualnames"]
    parse_ratio = times["libcst.parse_module"] / times["ast.parse"]
    print(
        f"libcst metadata / ast + scopes + qualnames: {ratio:.0f}x slower "
        f"(the parsers alone: {parse_ratio:.0f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
