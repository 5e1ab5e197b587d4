"""The whole CPython standard library: zero internal errors, and neither the cache nor the
pre-scan changes a single finding."""

from __future__ import annotations

import json
import shutil
import sysconfig
from pathlib import Path

import pytest
from conftest import run_cli

from gil_lint.config import Settings
from gil_lint.engine.lint import lint_source

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.slow
def test_stdlib_lints_without_internal_errors():
    r = run_cli(
        str(STDLIB),
        "--output-format",
        "json",
        "--no-cache",
        "--jobs",
        "2",
        "--exit-zero",
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(r.stdout)
    internal = [d for d in data if d["code"] == "GIL003"]
    assert internal == [], internal[:5]
    assert "Traceback" not in r.stderr
    # the stdlib's asyncio and multiprocessing tests exercise the correctness rules; the
    # performance rules (GIL2xx, ...) are left out in test modules (test-code-ignore)
    assert {d["code"] for d in data} >= {"GIL402", "GIL403"}
    in_tests = [d for d in data if Path(d["filename"]).name.startswith("test_")]
    assert in_tests
    assert not [d for d in in_tests if d["code"].startswith("GIL2")], in_tests[:5]


@pytest.mark.slow
def test_cache_and_prescan_do_not_change_findings(tmp_path):
    corpus = tmp_path / "corpus"
    for pkg in ("asyncio", "concurrent", "multiprocessing"):
        shutil.copytree(STDLIB / pkg, corpus / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("threading.py", "queue.py", "subprocess.py", "socketserver.py"):
        shutil.copy(STDLIB / name, corpus / name)
    shutil.copytree(
        STDLIB / "test" / "test_asyncio",
        corpus / "test_asyncio",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (corpus / "pyproject.toml").write_text("[project]\nname = 'corpus'\n")

    def findings(*extra: str) -> list:
        r = run_cli(".", "--output-format", "json", "--exit-zero", *extra, cwd=corpus, timeout=600)
        assert r.returncode == 0, r.stderr
        return sorted(json.dumps(d, sort_keys=True) for d in json.loads(r.stdout))

    cold = findings("--no-cache")
    assert cold, "the corpus has findings"
    first = findings()
    warm = findings()
    assert cold == first == warm

    settings = Settings(project_root=corpus)
    with_prescan, without = [], []
    for path in sorted(corpus.rglob("*.py")):
        data = path.read_bytes()
        with_prescan += [d.to_dict() for d in lint_source(data, str(path), settings)]
        without += [d.to_dict() for d in lint_source(data, str(path), settings, prescan=False)]
    assert with_prescan == without
