"""The ``gil-lint`` command: argument parsing and exit codes; everything else is the engine's.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from gil_lint import __version__

if TYPE_CHECKING:
    from gil_lint.rules import Rule

SUBCOMMANDS = ("check", "observe", "rule", "rules", "server", "verify")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, no usage dump: the user sees what is wrong at a glance
        self.exit(EXIT_ERROR, f"gil-lint: error: {message} (see `{self.prog} --help`)\n")


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def _shard(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)/(\d+)", value)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, got {value!r}")
    return int(m.group(1)), int(m.group(2))


def in_shard(path: str, shard: tuple[int, int], root: Path) -> bool:
    """Stable across machines: the slice depends only on the path relative to the project."""
    import zlib

    try:
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = Path(path).as_posix()
    k, n = shard
    return zlib.crc32(rel.encode()) % n == k - 1


def build_check_parser(prog: str = "gil-lint") -> argparse.ArgumentParser:
    """The parser of ``gil-lint check``; ``prog="gil-lint"`` for the bare ``gil-lint PATHS``
    form, whose usage also names ``check`` and the other commands."""
    from gil_lint.output import FORMATS

    usage = "%(prog)s [options] [PATHS ...]"
    if prog == "gil-lint":
        others = ",".join(c for c in SUBCOMMANDS if c != "check")
        usage = f"%(prog)s [check] [options] [PATHS ...]\n       %(prog)s {{{others}}} ..."
    p = _Parser(
        prog=prog,
        usage=usage,
        description=(
            "Find Python concurrency mistakes: CPU-bound work in threads, blocking calls in "
            "async def, multiprocessing and asyncio pitfalls. "
            "Other commands: `gil-lint rule CODE`, `gil-lint rules`, `gil-lint server`, "
            "`gil-lint verify`, `gil-lint observe`."
        ),
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATHS", help="files or directories to lint (default: .)"
    )
    p.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to enable")
    p.add_argument("--extend-select", type=_codes, help="codes or prefixes to enable in addition")
    p.add_argument("--ignore", type=_codes, help="comma-separated codes or prefixes to disable")
    p.add_argument("--output-format", choices=FORMATS, default=None, help="default: full")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--stdin-filename", help="lint source read from stdin, reported as this path")
    p.add_argument("--statistics", action="store_true", help="count findings per rule")
    p.add_argument("--config", type=Path, help="read settings from this TOML file")
    p.add_argument(
        "--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)"
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="lint only the K-th of N deterministic slices of the files (CI fan-out)",
    )
    p.add_argument("--fix", action="store_true", help="apply safe fixes")
    p.add_argument(
        "--unsafe-fixes", action="store_true", help="with --fix or --diff, apply unsafe fixes too"
    )
    p.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff; write nothing (exit 1 if any)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    p.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report only findings not recorded in this baseline file",
    )
    p.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record the current findings in FILE and exit 0",
    )
    p.add_argument(
        "--show-settings",
        action="store_true",
        help="print the settings that apply (and where the target version comes from), then exit",
    )
    p.add_argument("--version", action="version", version=f"gil-lint {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("gil-lint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `gil-lint src | head`: the reader went away; that is not our error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_CLEAN
    finally:
        if argv is None:
            # Run as the program, which exits now: the interpreter's shutdown would run the
            # cycle collector over everything the lint kept (the project's parsed modules,
            # the memos), 0.8 s of a 6 s lint of the standard library in one process.
            # Frozen objects are not collected again; the operating system frees them.
            import gc

            gc.freeze()


def _dispatch(args: list[str]) -> int:
    command = args[0] if args and args[0] in SUBCOMMANDS else "check"
    rest = args[1:] if args and args[0] == command else args
    if command == "rule":
        return _cmd_rule(rest)
    if command == "rules":
        return _cmd_rules(rest)
    if command == "server":
        from gil_lint.lsp.server import main as server_main

        return server_main(rest)
    if command == "verify":
        from gil_lint.verify import main as verify_main

        return verify_main(rest)
    if command == "observe":
        from gil_lint.observe import main as observe_main

        return observe_main(rest)
    # `gil-lint check --help` describes check; bare `gil-lint PATHS` is the same command
    explicit = bool(args) and args[0] == "check"
    return _cmd_check(rest, prog="gil-lint check" if explicit else "gil-lint")


def _cmd_rule(args: list[str]) -> int:
    from gil_lint.rules import rule_by_code

    p = _Parser(prog="gil-lint rule", description="Show a rule's documentation.")
    p.add_argument("code", help="rule code (GIL201) or name (blocking-sleep-in-async)")
    ns = p.parse_args(args)
    rule = rule_by_code(ns.code)
    if rule is None:
        print(f"gil-lint: error: unknown rule {ns.code!r} (see `gil-lint rules`)", file=sys.stderr)
        return EXIT_ERROR
    fix = f"Fix: {rule.FIX}" if rule.FIX else "Fix: none"
    print(f"# {rule.NAME} ({rule.CODE})\n\n{fix}\n{default_text(rule)}\n\n{rule.docs()}")
    return EXIT_CLEAN


def default_text(rule: type[Rule]) -> str:
    """Whether the default selection runs the rule."""
    if rule.DEFAULT:
        return "On by default"
    return (
        f'Off by default: `extend-select = ["{rule.CODE}"]` '
        f"(or `--extend-select {rule.CODE}`) turns it on"
    )


def rules_table(rules: Sequence[type[Rule]]) -> str:
    """The README's rule table (a test keeps the README equal to it)."""
    lines = ["| code | name | flags | fix |", "|---|---|---|---|"]
    lines += [
        f"| {r.CODE} | {r.NAME} | {r.BRIEF}{'' if r.DEFAULT else ' (off by default)'} "
        f"| {r.FIX or '—'} |"
        for r in rules
    ]
    return "\n".join(lines)


def _cmd_rules(args: list[str]) -> int:
    from gil_lint.diagnostics import rule_url
    from gil_lint.rules import all_rules

    p = _Parser(prog="gil-lint rules", description="List all rules.")
    p.add_argument("--output-format", choices=("text", "json", "markdown"), default="text")
    ns = p.parse_args(args)
    rules = all_rules()
    if ns.output_format == "markdown":
        print(rules_table(rules))
        return EXIT_CLEAN
    if ns.output_format == "json":
        out = [
            {
                "code": r.CODE,
                "name": r.NAME,
                "summary": r.summary(),
                "fix": r.FIX,
                "default": r.DEFAULT,
                "severity": r.SEVERITY,
                "url": rule_url(r.CODE),
                "explanation": r.docs(),
            }
            for r in rules
        ]
        print(json.dumps(out, indent=2))
    else:
        width = max(len(r.NAME) for r in rules)
        for r in rules:
            fix = f"[{r.FIX} fix]" if r.FIX else ""
            print(f"{r.CODE}  {r.NAME:<{width}}  {fix}")
    return EXIT_CLEAN


def _settings_for(ns: argparse.Namespace, start: Path):  # type: ignore[no-untyped-def]
    from gil_lint.config import check_selector, load_settings

    settings = load_settings(ns.config, start)
    changes: dict[str, Any] = {}
    if ns.select is not None:
        changes["select"] = tuple(ns.select)
        changes["extend_select"] = ()
    if ns.extend_select:
        changes["extend_select"] = (*settings.extend_select, *ns.extend_select)
    if ns.ignore:
        changes["ignore"] = (*settings.ignore, *ns.ignore)
    for option, codes in (
        ("--select", ns.select),
        ("--extend-select", ns.extend_select),
        ("--ignore", ns.ignore),
    ):
        for code in codes or ():
            check_selector(code, option)
    return replace(settings, **changes)


def _cmd_check(args: list[str], prog: str = "gil-lint") -> int:
    from gil_lint.config import ConfigError

    parser = build_check_parser(prog)
    ns = parser.parse_args(args)
    if ns.jobs is not None and ns.jobs < 1:
        parser.error("--jobs must be at least 1")
    stdin_mode = ns.stdin_filename is not None or ns.paths == ["-"]
    start = Path(ns.stdin_filename).parent if ns.stdin_filename else Path((ns.paths or ["."])[0])
    try:
        settings = _settings_for(ns, start if start.exists() else Path.cwd())
    except ConfigError as e:
        print(f"gil-lint: error: {e}", file=sys.stderr)
        return EXIT_ERROR

    ns.project_root = settings.project_root
    if ns.show_settings:
        print(show_settings(settings))
        return EXIT_CLEAN
    if stdin_mode:
        return _check_stdin(ns, settings)
    return _check_paths(ns, settings)


def show_settings(settings) -> str:  # type: ignore[no-untyped-def]
    """The resolved settings, one ``key = value`` a line, in ``[tool.gil-lint]``'s names."""
    major, minor = settings.target_version
    lines = [
        f"config-file = {str(settings.config_path) if settings.config_path else '(none)'}",
        f"project-root = {settings.project_root}",
        f'target-version = "{major}.{minor}"  # from {settings.target_version_source}',
        f'target-gil = "{settings.target_gil}"',
    ]
    for key in (
        "select",
        "ignore",
        "extend_select",
        "test_code_ignore",
        "cli_code_ignore",
        "exclude",
        "extend_exclude",
    ):
        lines.append(f"{key.replace('_', '-')} = {list(getattr(settings, key))}")
    for key in (
        "respect_gitignore",
        "gather_max_size",
        "cpu_loop_min_iterations",
        "max_call_depth",
        "max_file_size",
    ):
        value = getattr(settings, key)
        shown = str(value).lower() if isinstance(value, bool) else value
        lines.append(f"{key.replace('_', '-')} = {shown}")
    return "\n".join(lines)


def _check_stdin(ns: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from gil_lint.engine.lint import lint_source

    data = sys.stdin.buffer.read()
    path = ns.stdin_filename or "-"
    diagnostics = lint_source(data, path, settings)
    sources = {path: data.decode("utf-8", errors="replace")}
    if ns.fix or ns.diff:
        from gil_lint.fix.apply import fix_file_bytes

        outcome = fix_file_bytes(data, path, settings, unsafe=ns.unsafe_fixes)
        if ns.diff:
            sys.stdout.write(outcome.diff)
            return EXIT_FINDINGS if outcome.changed else EXIT_CLEAN
        # the fixed source goes to stdout; what remains is reported on stderr
        sys.stdout.buffer.write(outcome.data)
        sys.stdout.flush()
        from gil_lint.output import write_report

        write_report("concise", outcome.remaining, sys.stderr)
        return _exit_code(outcome.remaining, ns.exit_zero)
    return _report(ns, _unsafe_as_fixable(ns, diagnostics), sources.get)


def _unsafe_as_fixable(ns: argparse.Namespace, diagnostics):  # type: ignore[no-untyped-def]
    """``--unsafe-fixes`` without ``--fix``/``--diff``: text reports count unsafe fixes as
    fixable (``--fix`` would apply them), like ruff."""
    if (
        not ns.unsafe_fixes
        or ns.fix
        or ns.diff
        or ns.output_format not in (None, "full", "concise")
    ):
        return diagnostics
    return [
        replace(d, fix=replace(d.fix, applicability="safe")) if d.fix is not None else d
        for d in diagnostics
    ]


def _check_paths(ns: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from gil_lint.diagnostics import FILE_ERROR
    from gil_lint.engine.discovery import DiscoveryError, discover
    from gil_lint.engine.runner import lint_paths

    try:
        found = discover(ns.paths or ["."], settings)
    except DiscoveryError as e:
        print(f"gil-lint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    if not found.files and not found.errors:
        print("gil-lint: warning: no Python files found under the given paths", file=sys.stderr)
        return EXIT_CLEAN
    if ns.shard is not None:
        root = settings.project_root or Path.cwd()
        found.files[:] = [f for f in found.files if in_shard(f, ns.shard, root)]
    jobs = ns.jobs or (os.cpu_count() or 1)
    result = lint_paths(found.files, settings, jobs=jobs, use_cache=not ns.no_cache)
    diagnostics = result.diagnostics
    fixed = unsafe_left = 0
    if ns.fix or ns.diff:
        from gil_lint.fix.apply import fix_paths

        outcome = fix_paths(diagnostics, settings, unsafe=ns.unsafe_fixes, write=not ns.diff)
        if ns.diff:
            sys.stdout.write(outcome.diff)
            return EXIT_FINDINGS if outcome.changed else EXIT_CLEAN
        diagnostics, fixed, unsafe_left = outcome.remaining, outcome.fixed, outcome.unsafe_left
        for path, reason in outcome.errors:
            print(f"gil-lint: warning: {path}: {reason}", file=sys.stderr)
    if found.errors:
        from gil_lint.engine.lint import engine_diagnostic

        diagnostics += [
            engine_diagnostic(FILE_ERROR, message, path) for path, message in found.errors
        ]
    diagnostics = _unsafe_as_fixable(ns, diagnostics)
    return _report(ns, diagnostics, _read_source, fixed=fixed, unsafe_left=unsafe_left)


def _read_source(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def _apply_baseline(ns: argparse.Namespace, diagnostics, get_source, root: Path):  # type: ignore[no-untyped-def]
    """--write-baseline records and stops; --baseline drops the known findings."""
    from gil_lint.baseline import filter_baseline, read_baseline, write_baseline

    if ns.write_baseline is not None:
        n = write_baseline(ns.write_baseline, diagnostics, root, get_source)
        print(f"gil-lint: wrote {n} findings to {ns.write_baseline}", file=sys.stderr)
        return None
    if ns.baseline is not None:
        return filter_baseline(diagnostics, read_baseline(ns.baseline), root, get_source)
    return diagnostics


def _report(
    ns: argparse.Namespace,
    diagnostics,
    get_source,
    fixed: int = 0,  # type: ignore[no-untyped-def]
    unsafe_left: int = 0,
) -> int:
    from gil_lint.output import summary, write_report, write_statistics
    from gil_lint.output.style import use_color

    if ns.baseline is not None or ns.write_baseline is not None:
        from gil_lint.baseline import BaselineError

        root = getattr(ns, "project_root", None) or Path.cwd()
        try:
            diagnostics = _apply_baseline(ns, diagnostics, get_source, root)
        except BaselineError as e:
            print(f"gil-lint: error: {e}", file=sys.stderr)
            return EXIT_ERROR
        if diagnostics is None:
            return EXIT_CLEAN

    fmt = ns.output_format or "full"
    out = sys.stdout
    color = use_color(out)
    if ns.statistics:  # a tally of every place
        write_statistics(diagnostics, out, fmt=fmt)
    else:
        from gil_lint.copies import group_copies

        diagnostics = group_copies(diagnostics, get_source)
        rules = _rule_infos() if fmt == "sarif" else ()
        write_report(fmt, diagnostics, out, get_source=get_source, rules=rules, color=color)
        if fmt in ("full", "concise") and not ns.quiet:
            text = summary(diagnostics, fixed=fixed, unsafe_available=unsafe_left, color=color)
            if text:
                print(text, file=out)
    out.flush()
    return _exit_code(diagnostics, ns.exit_zero)


def _exit_code(diagnostics, exit_zero: bool) -> int:  # type: ignore[no-untyped-def]
    if any(d.is_internal_error for d in diagnostics):
        return EXIT_ERROR
    if diagnostics and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _rule_infos():  # type: ignore[no-untyped-def]
    from gil_lint.diagnostics import rule_url
    from gil_lint.output import RuleInfo
    from gil_lint.rules import all_rules

    return [
        RuleInfo(
            code=r.CODE,
            name=r.NAME,
            short_description=r.summary(),
            full_description=r.docs(),
            url=rule_url(r.CODE),
            severity=r.SEVERITY,
        )
        for r in all_rules()
    ]
