"""Benchmark gil-lint against ruff, flake8-async and Fixit on one corpus, in one run.

    python benchmarks/run.py                 # the running interpreter's stdlib
    python benchmarks/run.py PATH [--subset PKG ...] [--skip-peers]

Peers are installed into a throwaway venv (``.bench-venv/`` beside this file,
reused on the next run). Absolute times vary between machines, so the table
reports ratios to ruff measured in the same run. flake8-async and Fixit take
minutes per 10k lines, so they run on a subset (by default the asyncio,
concurrent and multiprocessing packages) and are compared per line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
PEERS = ("ruff", "flake8", "flake8-async", "fixit")


@dataclass
class Timing:
    name: str
    wall: float
    lines: int
    peak_rss_mb: float
    note: str = ""

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.wall if self.wall else 0.0


def count_lines(root: Path) -> tuple[int, int]:
    files = lines = 0
    for p in root.rglob("*.py"):
        try:
            lines += p.read_bytes().count(b"\n")
            files += 1
        except OSError:
            pass
    return files, lines


def run_median(
    name: str, cmd: list[str], lines: int, cwd: Path | None = None, runs: int = 3
) -> Timing:
    """``run_timed`` ``runs`` times: the median wall time and the largest peak RSS. A warm
    run takes tens of milliseconds, where one run's noise is a large part of the ratio."""
    timings = [run_timed(name, cmd, lines, cwd) for _ in range(runs)]
    wall = statistics.median(t.wall for t in timings)
    peak = max(t.peak_rss_mb for t in timings)
    return Timing(name, wall, lines, peak, f"median of {runs}")


def run_timed(
    name: str,
    cmd: list[str],
    lines: int,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    note: str = "",
) -> Timing:
    """Wall time and the peak RSS of the whole process tree (sampled every 20 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, max(p.memory_info().rss for p in procs) / 2**20)
            except psutil.Error:
                pass
            stop.wait(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    t.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{name} failed ({proc.returncode}): {err.decode()[-500:]}")
    return Timing(name, wall, lines, peak, note)


def peer_venv(skip: bool) -> Path | None:
    if skip:
        return None
    env_dir = HERE / ".bench-venv"
    bin_dir = env_dir / "bin"
    if not all((bin_dir / tool).exists() for tool in ("ruff", "flake8", "fixit")):
        print(
            "installing peers (ruff, flake8 + flake8-async, fixit) into", env_dir, file=sys.stderr
        )
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", *PEERS], check=True)
    return bin_dir


def main(argv: list[str] | None = None) -> int:
    # Measure gil-lint as installed for users, with bytecode caching: with
    # PYTHONDONTWRITEBYTECODE set (some sandboxes set it) every run compiles gil-lint's
    # own modules from source, about 0.35 s that no user pays (ruff, compiled, never does)
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        print("PYTHONDONTWRITEBYTECODE unset for the benchmark runs", file=sys.stderr)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument(
        "--subset",
        nargs="*",
        default=["asyncio", "concurrent", "multiprocessing"],
        help="folders of the corpus for the slow peers",
    )
    ap.add_argument("--skip-peers", action="store_true", help="time gil-lint only")
    ap.add_argument("--skip-lsp", action="store_true", help="do not measure LSP latency")
    args = ap.parse_args(argv)

    source = Path(args.corpus).resolve()
    work = Path(tempfile.mkdtemp(prefix="gil-lint-bench-"))
    corpus = work / "corpus"
    print(f"copying {source} → {corpus}", file=sys.stderr)
    shutil.copytree(
        source,
        corpus,
        ignore=shutil.ignore_patterns("__pycache__", "site-packages", "*.pyc"),
        symlinks=True,
    )
    (corpus / "pyproject.toml").write_text("[project]\nname = 'bench-corpus'\n")
    subset = work / "subset"
    subset.mkdir()
    for name in args.subset:
        if (corpus / name).is_dir():
            shutil.copytree(corpus / name, subset / name)
    n_files, n_lines = count_lines(corpus)
    _, sub_lines = count_lines(subset)
    print(f"corpus: {n_files} files, {n_lines} lines; subset: {sub_lines} lines", file=sys.stderr)

    gil = [
        sys.executable,
        # -P: `python -m` puts the working directory first on sys.path, and here that is
        # the corpus: a copy of the stdlib, whose json/ast/... would shadow the real ones and
        # be compiled from source on every run (0.4 s of a 0.6 s warm run)
        "-P",
        "-m",
        "gil_lint",
        ".",
        "--exit-zero",
        "--quiet",
        "--output-format",
        "concise",
    ]
    results: list[Timing] = []
    results.append(
        run_median("gil-lint cold --jobs 1", [*gil, "--no-cache", "--jobs", "1"], n_lines, corpus)
    )
    results.append(
        run_median("gil-lint cold --jobs 2", [*gil, "--no-cache", "--jobs", "2"], n_lines, corpus)
    )
    shutil.rmtree(corpus / ".gil_lint_cache", ignore_errors=True)
    run_timed("(fill cache)", [*gil, "--jobs", "2"], n_lines, corpus)
    results.append(
        run_median("gil-lint warm (cache)", [*gil, "--jobs", "2"], n_lines, corpus, runs=5)
    )
    touched = corpus / "asyncio" / "tasks.py"
    if touched.exists():
        touched.write_text(touched.read_text() + "\n# touched\n")
    results.append(
        run_timed(
            "gil-lint one file touched",
            [*gil, "--jobs", "2"],
            n_lines,
            corpus,
            note="asyncio/tasks.py",
        )
    )

    bin_dir = peer_venv(args.skip_peers)
    ruff_cold = ruff_warm = None
    if bin_dir is not None:
        ruff = [
            str(bin_dir / "ruff"),
            "check",
            ".",
            "--select",
            "ASYNC",
            "--exit-zero",
            "--quiet",
            "--isolated",
        ]
        ruff_cold = run_median(
            "ruff --select ASYNC --no-cache", [*ruff, "--no-cache"], n_lines, corpus
        )
        run_timed("(ruff fill cache)", ruff, n_lines, corpus)
        ruff_warm = run_median("ruff --select ASYNC (cache)", ruff, n_lines, corpus, runs=5)
        results += [ruff_cold, ruff_warm]
        results.append(
            run_timed(
                "flake8-async -j2 (subset)",
                [str(bin_dir / "flake8"), "--select", "ASYNC", "-j", "2", "--exit-zero", "."],
                sub_lines,
                subset,
                note="subset",
            )
        )
        fixit_cfg = subset / "pyproject.toml"
        fixit_cfg.write_text(
            '[tool.fixit]\nenable = ["fixit.rules:UseAsyncSleepInAsyncDef"]\n'
            'disable = ["fixit.rules"]\n'
        )
        results.append(
            run_timed(
                "fixit (one async rule, subset)",
                [str(bin_dir / "fixit"), "lint", "."],
                sub_lines,
                subset,
                note="subset",
            )
        )
        results.append(
            run_timed(
                "gil-lint cold --jobs 2 (subset)",
                [*gil, "--no-cache", "--jobs", "2"],
                sub_lines,
                subset,
                note="subset",
            )
        )

    print()
    header = f"{'tool':38} {'wall s':>8} {'lines/s':>10} {'peak RSS MB':>12} {'x ruff':>8}"
    print(header)
    print("-" * len(header))
    for t in results:
        ref = ruff_warm if "warm" in t.name or "touched" in t.name else ruff_cold
        ratio = ""
        if ref is not None and not t.name.startswith("ruff"):
            # per line, so subset runs compare fairly
            ratio = f"{ref.lines_per_s / t.lines_per_s:8.1f}" if t.lines_per_s else ""
        print(f"{t.name:38} {t.wall:8.2f} {t.lines_per_s:10.0f} {t.peak_rss_mb:12.0f} {ratio:>8}")
    print(
        "\nx ruff: time per line relative to ruff (cold rows vs ruff cold, warm rows vs ruff warm)"
        "\nwall s: the median of 3 runs for the cold rows, of 5 for the warm ones (a warm run"
        " takes tens of milliseconds); one run for the others"
    )

    lsp = HERE / "lsp_latency.py"
    if not args.skip_lsp and lsp.exists():
        print("\nLSP latency:")
        subprocess.run([sys.executable, str(lsp)], check=False)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    raise SystemExit(main())
