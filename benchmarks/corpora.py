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

The ecosystem check (like ruff's): ``benchmarks/ecosystem.toml`` keeps every
finding on the pinned packages (package, file, line, code, source line,
message) with a verdict (TP / debatable / wrong) and a one-line reason. Each
run prints the diff against it by package and code: NEW findings (not in the
snapshot) and VANISHED ones (in it, not found). A new finding, or one whose
verdict is still ``unreviewed``, exits 1. ``--update-snapshot`` rewrites the
file from this run (keeping the verdicts of findings it still sees, adding
new ones as ``unreviewed`` and dropping vanished ones), and still exits 1
until a human has judged every new entry. The stdlib is not in the snapshot:
it changes with the interpreter's version, so its row only counts.
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
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # a dependency of gil-lint there
    import tomli as tomllib

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
    "paramiko==5.1.0",
    "luigi==3.8.1",
    "apscheduler==3.11.3",
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


# --- the ecosystem check: a committed snapshot of the findings, with verdicts ------------

SNAPSHOT = Path(__file__).with_name("ecosystem.toml")
VERDICTS = ("TP", "debatable", "wrong")
UNREVIEWED = "unreviewed"
_FIELDS = ("package", "file", "line", "code", "source", "message", "verdict", "reason")
_SNAPSHOT_HEADER = """\
# gil-lint's findings on the pinned packages of benchmarks/corpora.py, one entry each,
# with a maintainer's verdict. CI fails on a finding that is not here or is still
# "unreviewed"; docs/reliability.md says how to update this file.
#   TP        a maintainer would plausibly change the code
#   debatable true, but not worth their time (one-off at startup or shutdown, test-only
#             helper, microsecond syscall, second report of a root cause already counted)
#   wrong     the claim is false
# A finding is matched by (package, file, code, source): `line` is there for reading.
"""


class SnapshotError(Exception):
    """The snapshot file is unreadable or an entry is malformed (one line)."""


@dataclass(frozen=True)
class Finding:
    """One finding as the snapshot keeps it."""

    package: str
    file: str  # relative to the package's install folder
    line: int
    code: str
    source: str  # the stripped source line: with file and code, the line-independent key
    message: str
    verdict: str = UNREVIEWED
    reason: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.package, self.file, self.code, self.source)

    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class SnapshotDiff:
    matched: list[tuple[Finding, Finding]] = field(default_factory=list)  # (snapshot, now)
    new: list[Finding] = field(default_factory=list)
    vanished: list[Finding] = field(default_factory=list)


def as_finding(package: str, root: Path, raw: dict, lines: dict[Path, list[str]]) -> Finding:
    """A finding of gil-lint's JSON output on the package installed in ``root``."""
    path = Path(raw["filename"]).resolve()
    row = raw["location"]["row"]
    if path not in lines:
        try:
            lines[path] = path.read_text(errors="replace").splitlines()
        except OSError:
            lines[path] = []
    text = lines[path]
    source = text[row - 1].strip() if 0 < row <= len(text) else ""
    try:
        rel = path.relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return Finding(package, rel, row, raw["code"], source, raw["message"])


def load_snapshot(text: str, name: str = "snapshot") -> tuple[dict[str, str], list[Finding]]:
    """Parse the snapshot: (pinned version per package, findings); SnapshotError if bad."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SnapshotError(f"{name}: not valid TOML: {e}") from None
    versions = data.get("versions", {})
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise SnapshotError(f"{name}: [versions] must map package names to version strings")
    entries = data.get("finding", [])
    if not isinstance(entries, list):
        raise SnapshotError(f"{name}: `finding` must be an array of tables ([[finding]])")
    findings = []
    for n, entry in enumerate(entries, 1):
        where = f"{name}: finding {n}"
        if not isinstance(entry, dict):
            raise SnapshotError(f"{where}: not a table")
        unknown = sorted(set(entry) - set(_FIELDS))
        if unknown:
            raise SnapshotError(f"{where}: unknown key {unknown[0]!r}")
        missing = [k for k in _FIELDS[:-1] if k not in entry]
        if missing:
            raise SnapshotError(f"{where}: missing {missing[0]!r}")
        for k in _FIELDS:
            want = int if k == "line" else str
            if k in entry and (type(entry[k]) is not want):
                raise SnapshotError(f"{where}: {k!r} must be a {want.__name__}")
        f = Finding(**entry)
        if f.verdict not in (*VERDICTS, UNREVIEWED):
            raise SnapshotError(
                f"{where} ({f.where()}): verdict {f.verdict!r} is not one of "
                + ", ".join((*VERDICTS, UNREVIEWED))
            )
        if f.verdict in VERDICTS and not f.reason.strip():
            raise SnapshotError(f"{where} ({f.where()}): a {f.verdict} verdict needs a reason")
        findings.append(f)
    return versions, findings


def _toml_str(s: str) -> str:
    # a JSON string is a valid TOML basic string (same escapes, \uXXXX included)
    return json.dumps(s, ensure_ascii=False)


def dump_snapshot(versions: dict[str, str], findings: list[Finding]) -> str:
    """The snapshot file: sorted, one [[finding]] table per finding, reviewable in a diff."""
    out = [_SNAPSHOT_HEADER, "[versions]"]
    out += [f"{name} = {_toml_str(v)}" for name, v in sorted(versions.items())]
    for f in sorted(findings, key=lambda f: (f.package, f.file, f.line, f.code, f.source)):
        out.append("\n[[finding]]")
        for k in _FIELDS:
            value = getattr(f, k)
            if k == "reason" and not value:
                continue
            out.append(f"{k} = {value if k == 'line' else _toml_str(value)}")
    return "\n".join(out) + "\n"


def diff_snapshot(snapshot: list[Finding], now: list[Finding]) -> SnapshotDiff:
    """Match this run's findings to the snapshot's by key (package, file, code, source).

    Lines do not decide a match, so a finding that only moved still matches. When one
    key has several findings (the same call twice in a file), equal lines pair first,
    then the rest pair in line order; the leftovers are new or vanished.
    """
    old_by: dict[tuple[str, str, str, str], list[Finding]] = defaultdict(list)
    new_by: dict[tuple[str, str, str, str], list[Finding]] = defaultdict(list)
    for f in snapshot:
        old_by[f.key].append(f)
    for f in now:
        new_by[f.key].append(f)
    out = SnapshotDiff()
    for key in sorted(old_by.keys() | new_by.keys()):
        old = sorted(old_by.get(key, []), key=lambda f: f.line)
        new = sorted(new_by.get(key, []), key=lambda f: f.line)
        for f in list(new):
            same = next((o for o in old if o.line == f.line), None)
            if same is not None:
                out.matched.append((same, f))
                old.remove(same)
                new.remove(f)
        out.matched += list(zip(old, new, strict=False))  # the rest is new or vanished
        out.new += new[len(old) :]
        out.vanished += old[len(new) :]
    for found in (out.new, out.vanished):
        found.sort(key=lambda f: (f.package, f.file, f.line, f.code))
    out.matched.sort(key=lambda pair: (pair[1].package, pair[1].file, pair[1].line))
    return out


def update_snapshot(
    snapshot: list[Finding], diff: SnapshotDiff, checked: set[str]
) -> list[Finding]:
    """The snapshot after this run: packages not ``checked`` stay as they were; matched
    findings keep their verdict and take this run's line and message; new ones come in
    as unreviewed; vanished ones go."""
    kept = [f for f in snapshot if f.package not in checked]
    kept += [replace(now, verdict=old.verdict, reason=old.reason) for old, now in diff.matched]
    kept += [replace(f, verdict=UNREVIEWED, reason="") for f in diff.new]
    return kept


def snapshot_report(diff: SnapshotDiff, snapshot_name: str) -> tuple[list[str], bool]:
    """The lines to print about ``diff`` and whether the check fails.

    Fails on a new finding and on a matched one still unreviewed; vanished findings are
    printed prominently (a rule stopped reporting them: intended or a lost TP?) but do
    not fail, since a precision fix removes findings on purpose.
    """
    out: list[str] = []
    unreviewed = [now for old, now in diff.matched if old.verdict == UNREVIEWED]
    verdicts = Counter(old.verdict for old, _ in diff.matched)
    total = len(diff.matched) + len(diff.new)
    reviewed = sum(verdicts[v] for v in VERDICTS)
    actionable = f"{100 * verdicts['TP'] / reviewed:.0f}%" if reviewed else "-"
    out.append(
        f"ecosystem check ({snapshot_name}): {total} findings; "
        + ", ".join(f"{v} {verdicts[v]}" for v in VERDICTS)
        + f", unreviewed {len(unreviewed)}, new {len(diff.new)}, vanished {len(diff.vanished)}"
        + f"; actionable (TP of reviewed): {actionable}"
    )
    changes: Counter[tuple[str, str]] = Counter()
    gone: Counter[tuple[str, str]] = Counter()
    for f in diff.new:
        changes[f.package, f.code] += 1
    for f in diff.vanished:
        gone[f.package, f.code] += 1
    for pkg, code in sorted(changes.keys() | gone.keys()):
        out.append(f"  {pkg:14} {code}  +{changes[pkg, code]} -{gone[pkg, code]}")
    for f in diff.new:
        out.append(f"NEW [{f.package}] {f.code} {f.where()}: {f.message}")
    for f in unreviewed:
        out.append(f"UNREVIEWED [{f.package}] {f.code} {f.where()}: {f.message}")
    for f in diff.vanished:
        out.append(f"VANISHED [{f.package}] {f.code} {f.where()} (was {f.verdict}): {f.message}")
    for old, now in diff.matched:
        if old.message != now.message:
            out.append(f"changed message [{now.package}] {now.code} {now.where()}: {now.message}")
    failed = bool(diff.new or unreviewed)
    if failed:
        out.append(
            "FAIL the ecosystem check: accept the findings with "
            "`python benchmarks/corpora.py --fix --update-snapshot --work DIR`, then give each "
            f'"{UNREVIEWED}" entry in {snapshot_name} a verdict (TP, debatable, wrong) and a reason'
        )
    return out, failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", nargs="*", default=DEFAULT_PACKAGES)
    ap.add_argument("--no-stdlib", action="store_true")
    ap.add_argument("--sample", type=int, default=0, help="print N random findings to review")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fix", action="store_true", help="also check --fix --unsafe-fixes on a copy")
    ap.add_argument("--work", type=Path, help="install into / reuse this folder")
    ap.add_argument("--install-only", action="store_true", help="install the packages, exit")
    ap.add_argument(
        "--snapshot", type=Path, default=SNAPSHOT, help="the findings with verdicts to diff against"
    )
    ap.add_argument(
        "--update-snapshot",
        action="store_true",
        help="rewrite the snapshot from this run (new findings come in unreviewed)",
    )
    args = ap.parse_args(argv)

    return in_work_dir(args.work, "gil-lint-corpora-", lambda work: run(args, work))


def in_work_dir(work: Path | None, prefix: str, job: Callable[[Path], int]) -> int:
    """``job(work)``: in ``work`` (made if missing, kept: its installs are reused), or
    without one in a fresh temporary folder that is removed afterwards."""
    if work is None:
        temp = Path(tempfile.mkdtemp(prefix=prefix))
        try:
            return job(temp)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    return job(work)


def run(args: argparse.Namespace, work: Path) -> int:
    installed = install(work, args.packages)
    if args.install_only:
        return 0 if len(installed) == len(args.packages) else 1
    try:
        text = args.snapshot.read_text() if args.snapshot.exists() else ""
        pinned, snapshot = load_snapshot(text, str(args.snapshot))
    except (OSError, UnicodeDecodeError, SnapshotError) as e:
        print(f"corpora.py: error: {e}", file=sys.stderr)
        return 2
    # the packages the snapshot covers: the pinned defaults and any it already has
    covered = {spec.split("==")[0] for spec in DEFAULT_PACKAGES} | set(pinned)
    if args.update_snapshot:
        covered |= {name for name, _ in installed}
    checked: dict[str, str] = {}  # package -> installed version
    current: list[Finding] = []
    source_lines: dict[Path, list[str]] = {}
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
        if name in covered:  # never the stdlib: it varies with the interpreter
            checked[name] = version
            current += [
                as_finding(name, path, f, source_lines)
                for f in findings
                if not f["code"].startswith("GIL00")
            ]
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
    print()
    for name, version in sorted(checked.items()):
        if pinned.get(name, version) != version:
            print(f"note: {name} {version} is installed; the snapshot is for {pinned[name]}")
    in_scope = [f for f in snapshot if f.package in checked]
    diff = diff_snapshot(in_scope, current)
    shown = args.snapshot.resolve()
    if shown.is_relative_to(Path.cwd()):
        shown = shown.relative_to(Path.cwd())
    report, failed = snapshot_report(diff, str(shown))
    print("\n".join(report), flush=True)
    if args.update_snapshot:
        versions = {k: v for k, v in pinned.items() if k not in checked} | checked
        args.snapshot.write_text(
            dump_snapshot(versions, update_snapshot(snapshot, diff, set(checked)))
        )
        print(f"wrote {args.snapshot}: judge its {UNREVIEWED!r} entries before committing")
    if failed:
        problems.append("ecosystem check: findings without a verdict (see above)")
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
