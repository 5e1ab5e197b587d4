"""How deep should helper chains be followed? Count and time them per depth.

    python benchmarks/call_depth.py [DIR ...] [--depths 0 1 2 3 4 5 6]

For each corpus folder (default: the standard library) and each
``max-call-depth``, lints with ``--jobs 2`` and no cache and prints the number
of blocking findings reached through helpers, how many of them are new at
that depth, and the time. The default depth in ``config.py`` was chosen from
this table (see docs/precision.md).
"""

from __future__ import annotations

import argparse
import sysconfig
import time
from pathlib import Path

from gil_lint.config import Settings
from gil_lint.engine.discovery import discover
from gil_lint.engine.runner import lint_paths

_BLOCKING = {"GIL201", "GIL202", "GIL203", "GIL204", "GIL205", "GIL207", "GIL208", "GIL209"}


def through_helpers(root: Path, depth: int) -> tuple[set[tuple[str, int, str]], float, int]:
    settings = Settings(project_root=root, respect_gitignore=False, max_call_depth=depth)
    files = discover([str(root)], settings).files
    start = time.perf_counter()
    result = lint_paths(files, settings, jobs=2, use_cache=False)
    elapsed = time.perf_counter() - start
    found = {
        (d.path, d.row, d.code)
        for d in result.diagnostics
        if d.code in _BLOCKING and len(d.evidence) > 1  # a chain: the call, then helpers
    }
    return found, elapsed, len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--depths", nargs="+", type=int, default=[0, 1, 2, 3, 4, 5, 6])
    args = parser.parse_args()
    dirs = args.dirs or [Path(sysconfig.get_paths()["stdlib"])]
    print("| corpus | files | depth | findings through helpers | new at this depth | seconds |")
    print("|---|---|---|---|---|---|")
    for root in dirs:
        previous: set[tuple[str, int, str]] = set()
        for depth in args.depths:
            found, elapsed, n = through_helpers(root.resolve(), depth)
            print(
                f"| {root.name} | {n} | {depth} | {len(found)} | {len(found - previous)} "
                f"| {elapsed:.2f} |",
                flush=True,
            )
            previous = found


if __name__ == "__main__":
    main()
