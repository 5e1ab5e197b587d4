"""Print findings on pinned packages ready for a hand precision review.

    python benchmarks/review.py --packages fastapi==0.165.0 sanic==25.12.1 ... \
        --sample 40 --seed 1 [--work DIR] [--context 3]

Installs each pinned package with ``pip install --no-deps --target`` (as
``benchmarks/corpora.py`` does), lints it with the installed gil-lint (JSON),
then prints

* findings per 100k lines for each package and each code, and
* a seeded random sample of findings, each with the source lines around it
  (``--context`` lines either side, the finding's line marked ``>``), the
  message and the evidence chain, so a reviewer can judge it against the
  standard in ``docs/precision.md`` without opening the file.

The sample depends only on the seed and on the findings themselves (they are
ordered by package, path inside the package, line, column and code before
sampling), not on the folder the packages were installed into, so the same
seed and package set give the same sample on any machine. ``--sample 0``
prints every finding, in that order. Internal errors (GIL003) are counted but
never sampled; the script exits 1 if there were any.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import count, dist_version, in_work_dir, install, lint


@dataclass(frozen=True)
class Finding:
    """One finding, its path relative to the package's install folder."""

    package: str
    path: str
    row: int
    column: int
    code: str
    message: str
    evidence: tuple[tuple[str, str, int], ...]  # (message, relative path, row)

    @property
    def key(self) -> tuple[str, str, int, int, str, str]:
        return (self.package, self.path, self.row, self.column, self.code, self.message)


def relative(filename: str, root: Path) -> str:
    try:
        return Path(filename).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(filename).as_posix()


def findings_from_json(package: str, root: Path, raw: list[dict]) -> list[Finding]:
    """The reviewable findings of one package (internal errors, GIL00x, are left out)."""
    out = []
    for f in raw:
        if f["code"].startswith("GIL00"):
            continue
        evidence = tuple(
            (e["message"], relative(e["filename"], root), e["location"]["row"])
            for e in f.get("evidence") or ()
        )
        out.append(
            Finding(
                package=package,
                path=relative(f["filename"], root),
                row=f["location"]["row"],
                column=f["location"]["column"],
                code=f["code"],
                message=f["message"],
                evidence=evidence,
            )
        )
    return out


def per_100k(n: int, lines: int) -> float:
    return 100_000 * n / lines if lines else 0.0


def rate_table(
    rows: list[tuple[str, str, int, list[Finding]]],
) -> list[str]:
    """One line per package (version, lines, findings, per 100k lines, per code), then a total.

    ``rows`` holds (package, version, lines, findings). The per-code columns give
    ``count (per 100k)`` for every code seen anywhere, in code order.
    """
    codes = sorted({f.code for *_, fs in rows for f in fs})
    w = max([14, *(len(name) for name, *_ in rows)])
    head = f"{'package':{w}} {'version':>10} {'lines':>8} {'findings':>8} {'/100k':>7}"
    out = [head + "".join(f" {c:>14}" for c in codes)]
    total_lines = 0
    total: Counter[str] = Counter()
    for name, version, lines, fs in rows:
        by_code = Counter(f.code for f in fs)
        total_lines += lines
        total.update(by_code)
        line = f"{name:{w}} {version:>10} {lines:8} {len(fs):8} {per_100k(len(fs), lines):7.1f}"
        out.append(line + "".join(f" {_cell(by_code[c], lines):>14}" for c in codes))
    n = sum(total.values())
    line = f"{'total':{w}} {'':>10} {total_lines:8} {n:8} {per_100k(n, total_lines):7.1f}"
    out.append(line + "".join(f" {_cell(total[c], total_lines):>14}" for c in codes))
    return out


def _cell(n: int, lines: int) -> str:
    return f"{n} ({per_100k(n, lines):.1f})" if n else "-"


def sample(findings: list[Finding], n: int, seed: int) -> list[Finding]:
    """``n`` findings chosen by ``seed``, independent of the input order; all if ``n`` is 0.

    The chosen findings come back in a stable order (package, path, line), which
    makes the numbered review list easy to follow.
    """
    ordered = sorted(findings, key=lambda f: f.key)
    if n <= 0 or n >= len(ordered):
        return ordered
    chosen = random.Random(seed).sample(range(len(ordered)), n)
    return [ordered[i] for i in sorted(chosen)]


def context(source: list[str], row: int, radius: int) -> list[str]:
    """Lines ``row - radius`` .. ``row + radius`` (1-based), numbered, ``row`` marked ``>``."""
    lo = max(1, row - radius)
    hi = min(len(source), row + radius)
    width = len(str(hi))
    return [
        f"{'>' if i == row else ' '} {i:{width}} | {source[i - 1].rstrip()}"
        for i in range(lo, hi + 1)
    ]


def render(index: int, f: Finding, source: list[str] | None, radius: int) -> list[str]:
    """One sampled finding, ready to judge: header, source around it, message, evidence."""
    out = [f"#{index} [{f.package}] {f.path}:{f.row}:{f.column} {f.code}"]
    if source is None or not 1 <= f.row <= len(source):
        out.append("    (source not available)")
    else:
        out += ["    " + line for line in context(source, f.row, radius)]
    out.append(f"    -> {f.message}")
    for message, path, row in f.evidence:
        out.append(f"       evidence: {message} [{path}:{row}]")
    return out


def read_source(path: Path) -> list[str] | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", nargs="+", required=True, metavar="NAME==VER")
    ap.add_argument("--sample", type=int, default=40, help="findings to print; 0 prints all")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--context", type=int, default=3, help="source lines either side")
    ap.add_argument("--work", type=Path, help="install into / reuse this folder")
    args = ap.parse_args(argv)
    unpinned = [p for p in args.packages if "==" not in p]
    if unpinned:
        ap.error(f"pin every package (NAME==VERSION): {', '.join(unpinned)}")
    if args.sample < 0 or args.context < 0:
        ap.error("--sample and --context take a number >= 0")

    return in_work_dir(args.work, "gil-lint-review-", lambda work: run(args, work))


def run(args: argparse.Namespace, work: Path) -> int:
    installed = install(work, args.packages)
    if not installed:
        print("review: no package could be installed", file=sys.stderr)
        return 1
    rows: list[tuple[str, str, int, list[Finding]]] = []
    roots: dict[str, Path] = {}
    internal = 0
    for name, path in installed:
        _, lines = count(path)
        if not lines:
            # a metapackage (fastmcp 4): its wheel holds no Python files to review
            print(f"review: {name} has no Python files; skipped", file=sys.stderr)
            continue
        raw, _ = lint(path)
        internal += sum(f["code"] == "GIL003" for f in raw)
        rows.append((name, dist_version(path, name), lines, findings_from_json(name, path, raw)))
        roots[name] = path
    print("findings (per 100k lines):")
    print("\n".join(rate_table(rows)))

    everything = [f for *_, fs in rows for f in fs]
    chosen = sample(everything, args.sample, args.seed)
    what = "all" if len(chosen) == len(everything) else f"a sample (seed {args.seed}) of"
    print(f"\n{what} {len(chosen)} of {len(everything)} findings:")
    for i, f in enumerate(chosen, 1):
        print()
        print("\n".join(render(i, f, read_source(roots[f.package] / f.path), args.context)))
    if internal:
        print(f"review: {internal} internal errors (GIL003)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
