"""Lint real, concurrency-heavy code: the stdlib plus packages installed from PyPI.

    python benchmarks/corpora.py [--packages httpx tornado ...] [--sample 30 --seed 1]

Packages are installed with ``pip install --no-deps --target`` into a throwaway
folder (their dependencies are not needed to lint them). Prints one row per
corpus — files, lines, seconds, internal errors, findings per code — and with
``--sample N`` a random sample of findings (code, location, message, source
line) for review by hand. Exits 1 if any corpus had an internal error.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path

DEFAULT_PACKAGES = [
    "httpx",
    "httpcore",
    "anyio",
    "starlette",
    "uvicorn",
    "tornado",
    "celery",
    "kombu",
    "aiohttp",
    "requests",
    "urllib3",
    "websockets",
    "gunicorn",
    "distributed",
]


def lint(path: Path) -> tuple[list[dict], float]:
    start = time.perf_counter()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gil_lint",
            str(path),
            "--output-format",
            "json",
            "--no-cache",
            "--exit-zero",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"gil-lint failed on {path} ({r.returncode}): {r.stderr[-800:]}")
    return json.loads(r.stdout), elapsed


def count(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*.py") if "site-packages" not in p.parts]
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", nargs="*", default=DEFAULT_PACKAGES)
    ap.add_argument("--no-stdlib", action="store_true")
    ap.add_argument("--sample", type=int, default=0, help="print N random findings to review")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="gil-lint-corpora-"))
    corpora: list[tuple[str, Path]] = []
    if not args.no_stdlib:
        corpora.append(("stdlib", Path(sysconfig.get_paths()["stdlib"])))
    for name in args.packages:
        target = work / name
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--target",
                str(target),
                name,
            ],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            print(f"skipping {name}: pip failed: {r.stderr.strip()[-200:]}", file=sys.stderr)
            continue
        corpora.append((name, target))

    all_findings: list[dict] = []
    failed = False
    print(f"{'corpus':14} {'files':>6} {'lines':>8} {'secs':>6} {'internal':>8}  findings")
    for name, path in corpora:
        files, lines = count(path)
        findings, secs = lint(path)
        internal = sum(1 for f in findings if f["code"] == "GIL003")
        failed |= internal > 0
        codes = Counter(f["code"] for f in findings if not f["code"].startswith("GIL00"))
        summary = ", ".join(f"{c}:{n}" for c, n in sorted(codes.items())) or "-"
        print(f"{name:14} {files:6} {lines:8} {secs:6.1f} {internal:8}  {summary}")
        for f in findings:
            f["corpus"] = name
        all_findings += [f for f in findings if not f["code"].startswith("GIL00")]

    if args.sample:
        rng = random.Random(args.seed)
        sample = rng.sample(all_findings, min(args.sample, len(all_findings)))
        print(f"\nrandom sample of {len(sample)} findings (seed {args.seed}):")
        for f in sample:
            path = Path(f["filename"])
            try:
                line = path.read_text(errors="replace").splitlines()[f["location"]["row"] - 1]
            except (OSError, IndexError):
                line = "?"
            print(f"\n[{f['corpus']}] {f['code']} {path.name}:{f['location']['row']}")
            print(f"    {line.strip()}")
            print(f"    -> {f['message']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
