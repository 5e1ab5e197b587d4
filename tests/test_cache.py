"""The CLI's result cache: the content decides whether findings are reused, and reused
findings are reported under the path given in this run."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import run_cli

# the same size: a cache that trusts size + mtime cannot tell them apart
QUIET = "import time\n\nasync def f():\n    time.ctime(1)\n"
BLOCKING = "import time\n\nasync def f():\n    time.sleep(1)\n"


def _rewrite_keeping_stat(path: Path, text: str) -> None:
    """New content, same size, the old mtime put back (as ``os.utime`` or a tool may)."""
    st = path.stat()
    assert len(text.encode()) == st.st_size
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns


def _json(*args: str, cwd: Path) -> list[dict]:
    r = run_cli(*args, "--output-format", "json", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    return tmp_path


def test_same_size_and_restored_mtime_is_linted_again(tmp_path):
    project = _project(tmp_path)
    target = project / "a.py"
    target.write_text(QUIET)
    assert _json("a.py", cwd=project) == []
    _rewrite_keeping_stat(target, BLOCKING)
    assert [d["code"] for d in _json("a.py", cwd=project)] == ["GIL201"]
    # and back: the cached entry is for the content, so the clean file is clean again
    _rewrite_keeping_stat(target, QUIET)
    assert _json("a.py", cwd=project) == []


def test_helper_rewritten_with_same_size_and_mtime_relints_callers(tmp_path):
    project = _project(tmp_path)
    pkg = project / "svc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    helper = pkg / "helpers.py"
    helper.write_text("import requests\n\ndef fetch(url):\n    return requests.gex(url)\n")
    (pkg / "app.py").write_text(
        "from .helpers import fetch\n\nasync def handle(url):\n    return fetch(url)\n"
    )
    assert _json("svc", cwd=project) == []
    _rewrite_keeping_stat(
        helper, "import requests\n\ndef fetch(url):\n    return requests.get(url)\n"
    )
    found = [(Path(d["filename"]).name, d["code"]) for d in _json("svc", cwd=project)]
    assert found == [("app.py", "GIL202")]


def test_cached_findings_carry_the_path_given_in_this_run(tmp_path):
    project = _project(tmp_path)
    (project / "a.py").write_text(BLOCKING)
    assert [d["filename"] for d in _json("a.py", cwd=project)] == ["a.py"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    absolute = str(project / "a.py")
    again = _json(absolute, cwd=elsewhere)
    assert [(d["filename"], d["location"]["row"]) for d in again] == [(absolute, 4)]


def test_fresh_and_cached_files_print_alike_in_one_run(tmp_path):
    project = _project(tmp_path)
    (project / "a.py").write_text(BLOCKING)
    (project / "b.py").write_text(BLOCKING.replace("f()", "g()"))
    _json("a.py", cwd=project)  # a.py is cached as "a.py", b.py is not cached yet
    names = sorted(d["filename"] for d in _json(".", cwd=project))
    assert names == ["./a.py", "./b.py"]
    # and a second run, all cached, the same again
    assert sorted(d["filename"] for d in _json(".", cwd=project)) == names


def test_a_damaged_cache_entry_means_linting_again(tmp_path):
    project = _project(tmp_path)
    (project / "a.py").write_text(BLOCKING)
    first = _json("a.py", cwd=project)
    [cache_file] = (project / ".gil_lint_cache").glob("results-*.json")
    content = json.loads(cache_file.read_text())
    for damage in (
        # the shape an older gil-lint wrote: (path, size, mtime) per helper
        lambda entry: [*entry[:5], [["helpers.py", 10, 20]], entry[6]],
        lambda entry: [*entry[:6], [{"code": "GIL201"}]],
        lambda entry: {"sha256": entry[0], "deps": [], "diagnostics": []},
        lambda entry: entry[:3],
    ):
        files = {path: damage(entry) for path, entry in content["files"].items()}
        cache_file.write_text(json.dumps({**content, "files": files}))
        r = run_cli("a.py", "--output-format", "json", cwd=project)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert json.loads(r.stdout) == first
    # entries under another fingerprint (version, code, settings) are not this run's: a
    # clean record of a.py found with other settings is not reused
    clean = {path: [*entry[:6], []] for path, entry in content["files"].items()}
    cache_file.write_text(json.dumps({"fingerprint": "0.0.1|other settings", "files": clean}))
    assert _json("a.py", cwd=project) == first
    cache_file.write_text(json.dumps({**content, "files": clean}))
    assert _json("a.py", cwd=project) == []  # (the same record under this run's is reused)


def test_a_touched_file_with_the_same_content_is_served_from_the_cache(tmp_path):
    # the stamp (size, mtime, ctime, inode) spares the read; when it moves, the content
    # hash decides: a touch or a copy of the tree does not re-lint
    from gil_lint.config import Settings
    from gil_lint.engine.runner import lint_paths

    project = _project(tmp_path)
    target = project / "a.py"
    target.write_text(BLOCKING)
    settings = Settings(project_root=project)
    first = lint_paths([str(target)], settings)
    assert (first.from_cache, [d.code for d in first.diagnostics]) == (0, ["GIL201"])
    assert lint_paths([str(target)], settings).from_cache == 1
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    again = lint_paths([str(target)], settings)
    assert (again.from_cache, [d.code for d in again.diagnostics]) == (1, ["GIL201"])
