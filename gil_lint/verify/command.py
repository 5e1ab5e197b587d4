"""``gil-lint verify``: argument parsing, output and exit codes around ``verify_callable``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from gil_lint.output.style import use_color
from gil_lint.verify.api import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_ROUNDS,
    DEFAULT_TIMEOUT_S,
    verify_callable,
)
from gil_lint.verify.plot import require_matplotlib, save_plot
from gil_lint.verify.render import plural, render_text
from gil_lint.verify.report import VerifyError
from gil_lint.verify.target import split_target

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gil-lint verify",
        description=(
            "Run a function sequentially, in threads and in processes (or on an event "
            "loop, for async code) in a sandboxed child process, and say whether a "
            "finding holds. Runs your code: only on request, with a timeout and a "
            "memory limit."
        ),
    )
    p.add_argument("target", metavar="PATH[::function]", help="file, and the function to run")
    p.add_argument("--call", metavar="EXPR", help='the call to time, e.g. "count(200_000)"')
    p.add_argument("--finding", metavar="CODE", help="verify this finding (with --line)")
    p.add_argument("--line", type=int, metavar="N", help="the line the finding is reported on")
    p.add_argument("--workers", type=int, metavar="N", help="parallel calls (default: cores)")
    p.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        metavar="R",
        help=f"repetitions; medians are reported (default {DEFAULT_ROUNDS})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds for the whole run (default {DEFAULT_TIMEOUT_S:g})",
    )
    p.add_argument(
        "--memory-limit",
        type=int,
        default=DEFAULT_MEMORY_LIMIT_MB,
        metavar="MB",
        help=(
            "address-space limit per process, plus room for thread stacks; 0 for none "
            f"(default {DEFAULT_MEMORY_LIMIT_MB})"
        ),
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="also draw the report (needs matplotlib)")
    return p


def main(argv: list[str]) -> int:
    """Entry point for ``gil-lint verify ARGS``; returns the exit code, never raises."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse already printed
        return e.code if isinstance(e.code, int) else EXIT_ERROR
    try:
        return _verify(args)
    except VerifyError as e:
        if args.json:
            print(json.dumps({"error": e.to_dict()}, indent=2))
        print(f"gil-lint verify: error: {e.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        # the sandbox has already killed the child's whole process tree
        print("gil-lint verify: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # a bug in gil-lint: one line, not a traceback
        print(
            f"gil-lint verify: error: internal error: {type(e).__name__}: {e}; please report it",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _verify(args: argparse.Namespace) -> int:
    path, function = split_target(args.target)
    if args.line is not None and args.finding is None:
        raise VerifyError("bad-input", "--line needs --finding CODE")
    if args.plot:
        require_matplotlib()
    report = verify_callable(
        path,
        function,
        args.call,
        workers=args.workers,
        rounds=args.rounds,
        timeout=args.timeout,
        memory_limit_mb=args.memory_limit,
        finding=args.finding,
        line=args.line,
        progress=_progress_printer(args.rounds) if sys.stderr.isatty() else None,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        sys.stdout.write(render_text(report, colour=use_color(sys.stdout)))
    if args.plot:
        save_plot(report, args.plot)
    return EXIT_OK


def _progress_printer(rounds: int) -> Callable[[str], None]:
    """One stderr line as each mode starts, so that a long run does not look hung."""

    def show(mode: str) -> None:
        print(f"gil-lint verify: {mode}, {plural(rounds, 'round')}...", file=sys.stderr, flush=True)

    return show
