"""``gil-lint observe [PATHS] -- COMMAND``: run the project's own command (its tests) with an
observer in every Python process it starts, lint PATHS, and say for every finding what the
run showed: the event loop stalled there, the code ran without stalling, it was never reached,
threads running it took turns on the GIL or ran in parallel. Stalls and serialised thread
work that no finding explains are reported too: the analyzer's misses.

The observer is ``probe.py``, copied as ``sitecustomize.py`` into a temporary folder put first
on ``PYTHONPATH``; see that module for what it records.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn, TextIO

from gil_lint.observe.join import join, read_records, watch_list

EXIT_CLEAN, EXIT_OBSERVED, EXIT_ERROR = 0, 1, 2
DEFAULT_THRESHOLD_MS = 50.0
LAST_OBSERVATION = "observe.json"  # in the cache folder; the language server reads it
VERSION = 1


class ObserveError(Exception):
    """Bad input: reported as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, no usage dump, like the other commands
        self.exit(EXIT_ERROR, f"gil-lint observe: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="gil-lint observe",
        usage="%(prog)s [PATHS ...] [options] -- COMMAND [ARGS ...]",
        description=(
            "Run COMMAND (e.g. `python -m pytest -q`) with an observer in every Python "
            "process it starts, lint PATHS (default: .) and join the two: which findings "
            "stalled the event loop, ran, were never reached, or were serialised by the GIL "
            "in threads; and the stalls no finding explains."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATHS", help="the project's code (default: .)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--threshold-ms",
        type=float,
        default=DEFAULT_THRESHOLD_MS,
        metavar="N",
        help=f"a loop callback longer than this is a stall (default {DEFAULT_THRESHOLD_MS:g})",
    )
    p.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE")
    p.add_argument("--select", help="comma-separated codes or prefixes to report")
    p.add_argument("--config", type=Path, help="read settings from this TOML file")
    return p


def main(argv: list[str]) -> int:
    """Entry point for ``gil-lint observe ARGS``; returns the exit code."""
    if "--" in argv:
        cut = argv.index("--")
        own, command = argv[:cut], argv[cut + 1 :]
    else:
        own, command = argv, []
    try:
        args = build_parser().parse_args(own)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_ERROR
    try:
        if not command:
            raise ObserveError("no command to run: give it after `--`, e.g. -- python -m pytest")
        if args.threshold_ms <= 0:
            raise ObserveError("--threshold-ms must be positive")
        return observe(args, command)
    except ObserveError as e:
        print(f"gil-lint observe: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("gil-lint observe: interrupted", file=sys.stderr)
        return 130


def _lint(args: argparse.Namespace) -> tuple[list[Any], Path]:
    from dataclasses import replace

    from gil_lint.config import ConfigError, check_selector, load_settings
    from gil_lint.engine.discovery import DiscoveryError, discover
    from gil_lint.engine.runner import lint_paths

    paths = args.paths or ["."]
    start = Path(paths[0])
    try:
        settings = load_settings(args.config, start if start.is_dir() else start.parent)
        if args.select:
            codes = [c.strip().upper() for c in args.select.split(",") if c.strip()]
            for code in codes:
                check_selector(code, "--select")
            settings = replace(settings, select=tuple(codes), extend_select=())
        found = discover(paths, settings)
    except (ConfigError, DiscoveryError) as e:
        raise ObserveError(str(e)) from None
    result = lint_paths(found.files, settings, jobs=os.cpu_count() or 1)
    rules = [d for d in result.diagnostics if not d.code.startswith("GIL00")]
    return rules, settings.project_root or Path.cwd()


def _roots(paths: list[str]) -> list[str]:
    """The folders (ending in a separator) and files whose code is the project's."""
    roots = []
    for p in paths or ["."]:
        full = os.path.normcase(os.path.abspath(p))
        roots.append(os.path.join(full, "") if os.path.isdir(full) else full)
    return roots


def _executable(command: list[str]) -> None:
    exe = command[0]
    if os.sep in exe or (os.altsep and os.altsep in exe):
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            raise ObserveError(f"cannot run {exe!r}: no such executable file")
    elif shutil.which(exe) is None:
        raise ObserveError(f"cannot run {exe!r}: not found on PATH")


def observe(args: argparse.Namespace, command: list[str]) -> int:
    _executable(command)
    diagnostics, project_root = _lint(args)
    roots = _roots(args.paths)
    with tempfile.TemporaryDirectory(prefix="gil-lint-observe-") as tmp:
        site, records_dir = Path(tmp, "site"), Path(tmp, "records")
        site.mkdir()
        records_dir.mkdir()
        probe = Path(__file__).with_name("probe.py").read_text(encoding="utf-8")
        (site / "sitecustomize.py").write_text(probe, encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)
        env["GIL_LINT_OBSERVE_DIR"] = str(records_dir)
        env["GIL_LINT_OBSERVE_ROOTS"] = os.pathsep.join(roots)
        env["GIL_LINT_OBSERVE_THRESHOLD_MS"] = repr(args.threshold_ms)
        env["GIL_LINT_OBSERVE_SITE"] = str(site)
        watch = Path(tmp, "watch.json")
        watch.write_text(json.dumps(watch_list(diagnostics)), encoding="utf-8")
        env["GIL_LINT_OBSERVE_WATCH"] = str(watch)
        # JSON on stdout stays parseable: the command's stdout then goes to stderr
        stdout = sys.stderr if args.json and args.output is None else None
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, env=env, stdout=stdout)
        except OSError as e:
            raise ObserveError(f"cannot run {command[0]!r}: {e.strerror or e}") from None
        wall = time.perf_counter() - started
        records = read_records(records_dir)
    findings, runtime_only = join(diagnostics, records, roots)
    report = {
        "version": VERSION,
        "command": {"argv": command, "exit_code": proc.returncode, "wall_s": round(wall, 3)},
        "processes": records.processes,
        "findings": findings,
        "runtime_only": runtime_only,
    }
    _save(report, project_root)
    if args.output is not None:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                _write(report, f, as_json=args.json)
        except OSError as e:
            raise ObserveError(f"cannot write {args.output}: {e.strerror or e}") from None
    else:
        _write(report, sys.stdout, as_json=args.json)
    if proc.returncode != 0:
        # killed by a signal: the shell's 128 + N
        return proc.returncode if proc.returncode > 0 else 128 - proc.returncode
    bad = {"stalled", "serialised"}
    if runtime_only or any(f["observed"]["status"] in bad for f in findings):
        return EXIT_OBSERVED
    return EXIT_CLEAN


def _save(report: dict[str, Any], root: Path) -> None:
    from gil_lint.engine.runner import CACHE_DIR_NAME
    from gil_lint.text import write_atomically

    folder = root / CACHE_DIR_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        gitignore = folder / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# created by gil-lint\n*\n")
        # file names are as the run gave them: the editor resolves them against its folder
        saved = {**report, "cwd": os.getcwd()}
        write_atomically(folder / LAST_OBSERVATION, json.dumps(saved).encode("utf-8"))
    except OSError:
        pass  # a read-only checkout still gets its report


def describe(observed: dict[str, Any]) -> str:
    """One line for people: the CLI's observed column and the editor's message."""
    status = observed.get("status")
    where = observed.get("where")
    at = f" in {where}" if where else ""
    if status == "stalled":
        count = observed.get("count", 1)
        times = f" ({count} times, {observed.get('total_ms', 0):g} ms in all)" if count > 1 else ""
        return f"stalled the loop {observed.get('worst_stall_ms', 0):g} ms{at}{times}"
    if status in ("serialised", "parallel"):
        how = "took turns on the GIL" if status == "serialised" else "ran in parallel"
        return (
            f"{status}: {observed.get('threads')} threads {how}, "
            f"{observed.get('cores', 0):g} cores for {observed.get('wall_ms', 0):g} ms{at}"
        )
    if status == "ran" and observed.get("parallelism"):
        return f"ran; whether its threads took turns on the GIL is {observed['parallelism']}"
    if status == "ran":
        return "ran, no stall over the threshold"
    if status == "unknown":
        return "unknown: the file ran outside the import system (Python < 3.12)"
    return "not reached by the command"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('s') else 's'}"


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _write(report: dict[str, Any], out: TextIO, *, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(report, indent=2, ensure_ascii=True) + "\n")
        return
    cmd = report["command"]
    out.write(
        f"gil-lint observe: `{' '.join(cmd['argv'])}` exited {cmd['exit_code']} "
        f"after {cmd['wall_s']:.1f} s ({_plural(report['processes'], 'Python process')} "
        "observed)\n"
    )
    findings = report["findings"]
    if findings:
        out.write("\nFindings:\n")
    for f in sorted(findings, key=lambda f: (f["filename"], f["location"]["row"])):
        loc = f"{_relative(f['filename'])}:{f['location']['row']}:{f['location']['column']}"
        out.write(f"  {loc}: {f['code']} {f['message']}\n")
        out.write(f"      observed: {describe(f['observed'])}\n")
    runtime = report["runtime_only"]
    if runtime:
        out.write("\nRuntime only (no finding explains these):\n")
    for r in runtime:
        loc = f"{_relative(r['filename'])}:{r['line']}"
        if r["kind"] == "stall":
            what = describe({**r, "status": "stalled"})
        else:
            what = describe({**r, "status": "serialised"})
        out.write(f"  {loc} in {r['function']}(): {what}\n")
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["observed"]["status"]] = counts.get(f["observed"]["status"], 0) + 1
    parts = [f"{n} {s}" for s, n in sorted(counts.items())]
    parts.append(f"{len(runtime)} runtime-only")
    out.write(f"\n{len(findings)} findings: {', '.join(parts)}\n")


def last_observation(root: Path) -> dict[str, Any] | None:
    """The report of the last ``gil-lint observe`` run under ``root``, if any."""
    from gil_lint.engine.runner import CACHE_DIR_NAME

    try:
        with open(root / CACHE_DIR_NAME / LAST_OBSERVATION, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None
