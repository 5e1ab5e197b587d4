"""Lint real, concurrency-heavy code: the stdlib plus packages installed from PyPI.

    python benchmarks/corpora.py [--packages httpx tornado ...] [--sample 30 --seed 1]
    python benchmarks/corpora.py --fix [--work DIR]
    python benchmarks/corpora.py --install-only --work DIR

Packages are installed with ``pip install --no-deps --target`` into a throwaway
folder (their dependencies are not needed to lint them). Prints one row per
corpus — files, lines, seconds, internal errors, findings per code — and with
``--sample N`` a random sample of findings (code, location, message, source
line) for review by hand. Exits 1 if any corpus had an internal error.

``--fix`` also runs ``gil-lint --fix --unsafe-fixes`` on a copy of each corpus
and checks the result: every file that compiled before still compiles, and a
second ``--fix`` run changes nothing (idempotence). It adds the columns fixes
(applied, as the CLI counts them), changed (files), broken (files that
compiled before and no longer do), 2nd (files the second pass changed) and
dropped (fixes the engine refused because the result would not compile: the
engine's safety net caught a bad fix). Exits 1, naming the files, on an
internal error, a broken file or a second-pass change.

``--work DIR`` installs into (and reuses packages already in) DIR instead of a
fresh temp folder; ``--install-only`` installs and exits 1 if any package
failed, so CI can retry the network part on its own.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Pinned: CI runs this list, and a new release must not change its verdict unseen; bump
# the pins on purpose (docs/reliability.md has the numbers for these versions).
DEFAULT_PACKAGES = [
    "httpx==0.28.1",
    "httpcore==1.0.9",
    "anyio==4.16.0",
    "starlette==1.10.0",
    "uvicorn==0.54.0",
    "tornado==6.6.1",
    "celery==5.7.0",
    "kombu==5.7.0",
    "aiohttp==3.14.5",
    "requests==2.34.2",
    "urllib3==2.8.0",
    "websockets==17.4",
    "gunicorn==27.0.1",
    "distributed==2026.8.0",
]
# files gil-lint never walks into (its default excludes that occur in installed trees)
SKIP_DIRS = {"__pycache__", "site-packages"}


def gil_lint(path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the CLI on ``path``; exit 2 (an internal error, GIL003) is for the caller."""
    start = time.perf_counter()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gil_lint",
            str(path),
            "--no-cache",
            "--exit-zero",
            "--jobs",
            "2",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - start
    if r.returncode not in (0, 2):
        raise SystemExit(f"gil-lint failed on {path} ({r.returncode}): {r.stderr[-800:]}")
    return r, elapsed


def lint(path: Path) -> tuple[list[dict], float]:
    r, elapsed = gil_lint(path, "--output-format", "json")
    try:
        return json.loads(r.stdout), elapsed
    except json.JSONDecodeError:
        raise SystemExit(f"gil-lint failed on {path}: {r.stderr[-800:]}") from None


# `--fix` runs print the concise format: `path:row:col: CODE message` lines, then a summary
_FINDING = re.compile(r"^(?P<where>.+?:\d+:\d+): (?P<code>GIL\d{3}) (?P<message>.*)$")
_FIXED = re.compile(r"\((\d+) fixed, \d+ remaining\)")


def fix_run(path: Path) -> tuple[int, list[str], list[str], float]:
    """``--fix --unsafe-fixes`` on ``path``: (fixes applied, internal errors, dropped, secs)."""
    r, secs = gil_lint(path, "--fix", "--unsafe-fixes", "--output-format", "concise")
    fixed = _FIXED.search(r.stdout)
    internal = [
        f"{m['where']}: {m['message']}"
        for m in map(_FINDING.match, r.stdout.splitlines())
        if m and m["code"] == "GIL003"
    ]
    dropped = [
        line.removeprefix("gil-lint: warning: ")
        for line in r.stderr.splitlines()
        if "a fix was dropped" in line
    ]
    return int(fixed[1]) if fixed else 0, internal, dropped, secs


def py_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*.py") if not SKIP_DIRS.intersection(p.parts))


def count(path: Path) -> tuple[int, int]:
    files = py_files(path)
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def compiles(data: bytes, path: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


@dataclass
class FixCheck:
    fixes: int = 0
    changed: int = 0
    broken: list[str] = field(default_factory=list)
    second: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    secs: float = 0.0


def copy_corpus(src: Path, dst: Path) -> None:
    """The .py files (and the config files gil-lint reads), keeping the layout."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        keep = {"pyproject.toml", ".gitignore"}
        return {
            n
            for n in names
            if n in SKIP_DIRS
            or (not (Path(folder) / n).is_dir() and not n.endswith(".py") and n not in keep)
        }

    shutil.copytree(src, dst, symlinks=True, ignore=ignore)


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in py_files(root)}


def check_fix(name: str, src: Path, work: Path) -> FixCheck:
    """``--fix --unsafe-fixes`` on a copy of ``src``: compiles, idempotent, counted."""
    copy = work / "fixed" / name
    if copy.exists():
        shutil.rmtree(copy)
    copy_corpus(src, copy)
    original = snapshot(copy)
    out = FixCheck()
    out.fixes, out.internal, out.dropped, out.secs = fix_run(copy)
    after = snapshot(copy)
    for rel, data in sorted(after.items()):
        old = original.get(rel)
        if old == data:
            continue  # unchanged: compiles exactly as before
        out.changed += 1
        where = str(src / rel)
        if old is not None and compiles(old, where) and not compiles(data, where):
            out.broken.append(str(copy / rel))
    again, internal, _, secs = fix_run(copy)
    out.secs += secs
    out.internal += internal
    second = snapshot(copy)
    out.second = [str(copy / rel) for rel in sorted(second) if second[rel] != after.get(rel)]
    if again:
        out.second.append(f"{again} fixes applied by the second run")
    return out


def dist_version(target: Path, name: str) -> str:
    want = re.sub(r"[-_.]+", "_", name).lower()
    for info in target.glob("*.dist-info"):
        dist, _, version = info.name.removesuffix(".dist-info").partition("-")
        if dist.lower() == want:
            return version
    return "?"


def install(work: Path, names: list[str]) -> list[tuple[str, Path]]:
    installed = []
    for spec in names:
        name = spec.split("==")[0]
        target = work / name
        if not (target.is_dir() and any(target.glob("*.dist-info"))):
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
                    spec,
                ],
                capture_output=True,
                text=True,
            )
            if r.returncode != 0:
                print(f"skipping {spec}: pip failed: {r.stderr.strip()[-200:]}", file=sys.stderr)
                continue
        installed.append((name, target))
    return installed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", nargs="*", default=DEFAULT_PACKAGES)
    ap.add_argument("--no-stdlib", action="store_true")
    ap.add_argument("--sample", type=int, default=0, help="print N random findings to review")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fix", action="store_true", help="also check --fix --unsafe-fixes on a copy")
    ap.add_argument("--work", type=Path, help="install into / reuse this folder")
    ap.add_argument("--install-only", action="store_true", help="install the packages, exit")
    args = ap.parse_args(argv)

    if args.work is None:
        work = Path(tempfile.mkdtemp(prefix="gil-lint-corpora-"))
        try:
            return run(args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    args.work.mkdir(parents=True, exist_ok=True)
    return run(args, args.work)


def run(args: argparse.Namespace, work: Path) -> int:
    installed = install(work, args.packages)
    if args.install_only:
        return 0 if len(installed) == len(args.packages) else 1
    corpora: list[tuple[str, str, Path]] = []
    if not args.no_stdlib:
        corpora.append(("stdlib", sys.version.split()[0], Path(sysconfig.get_paths()["stdlib"])))
    corpora += [(name, dist_version(path, name), path) for name, path in installed]

    all_findings: list[dict] = []
    problems: list[str] = []
    header = f"{'corpus':14} {'version':>9} {'files':>6} {'lines':>8} {'secs':>6} {'internal':>8}"
    if args.fix:
        header += (
            f" {'fixes':>6} {'changed':>7} {'broken':>6} {'2nd':>4} {'dropped':>7} {'fixsecs':>7}"
        )
    print(header + "  findings", flush=True)
    totals = Counter()
    for name, version, path in corpora:
        files, lines = count(path)
        findings, secs = lint(path)
        internal = [f for f in findings if f["code"] == "GIL003"]
        problems += [
            f"{name}: internal error: {f['filename']}:{f['location']['row']}: {f['message']}"
            for f in internal
        ]
        codes = Counter(f["code"] for f in findings if not f["code"].startswith("GIL00"))
        summary = ", ".join(f"{c}:{n}" for c, n in sorted(codes.items())) or "-"
        row = f"{name:14} {version:>9} {files:6} {lines:8} {secs:6.1f} {len(internal):8}"
        totals.update(files=files, lines=lines)
        if args.fix:
            fx = check_fix(name, path, work)
            row += (
                f" {fx.fixes:6} {fx.changed:7} {len(fx.broken):6} {len(fx.second):4}"
                f" {len(fx.dropped):7} {fx.secs:7.1f}"
            )
            totals.update(fixes=fx.fixes, changed=fx.changed)
            problems += [f"{name}: internal error after --fix: {m}" for m in fx.internal]
            problems += [f"{name}: no longer compiles after --fix: {p}" for p in fx.broken]
            problems += [f"{name}: second --fix changed it again: {p}" for p in fx.second]
            for d in fx.dropped:
                print(f"  note: {name}: {d}", file=sys.stderr)
        print(f"{row}  {summary}", flush=True)
        for f in findings:
            f["corpus"] = name
        all_findings += [f for f in findings if not f["code"].startswith("GIL00")]
    total = f"total: {totals['files']} files, {totals['lines']} lines"
    if args.fix:
        total += f", {totals['fixes']} fixes applied in {totals['changed']} files"
    print(total)

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
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
