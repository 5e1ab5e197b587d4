"""The package as users get it: a wheel installed into a fresh venv, and editor configs."""

from __future__ import annotations

import subprocess
import sys
import venv

import pytest
import tomllib
from conftest import ROOT


def test_helix_config_parses_and_names_the_server():
    data = tomllib.loads((ROOT / "editors" / "helix" / "languages.toml").read_text())
    server = data["language-server"]["gil-lint"]
    assert server["command"] == "gil-lint" and server["args"] == ["server"]
    python = next(lang for lang in data["language"] if lang["name"] == "python")
    assert "gil-lint" in python["language-servers"]


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        timeout=300,
    )
    wheel = next(dist.glob("gil_lint-*.whl"))
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    py = env / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600)
    version = subprocess.run(
        [str(env / "bin" / "gil-lint"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("gil-lint ")
    bad = tmp_path / "bad.py"
    bad.write_text("import time\nasync def f():\n    time.sleep(1)\n")
    r = subprocess.run(
        [str(py), "-m", "gil_lint", str(bad), "--output-format", "concise"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 1 and "GIL201" in r.stdout
    # the knowledge tables are package data: they must be inside the wheel
    r = subprocess.run([str(py), "-m", "gil_lint", "rules"], capture_output=True, text=True)
    assert "GIL404" in r.stdout
    # and the installed language server answers the initialize handshake over stdio
    assert _initialize(env / "bin" / "gil-lint")["serverInfo"]["name"] == "gil-lint"


def _initialize(gil_lint) -> dict:  # type: ignore[no-untyped-def]
    import json

    def frame(payload: dict) -> bytes:
        body = json.dumps(payload).encode()
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    requests = (
        frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        + frame({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        + frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        + frame({"jsonrpc": "2.0", "method": "exit"})
    )
    r = subprocess.run(
        [str(gil_lint), "server"], input=requests, capture_output=True, timeout=60, check=True
    )
    out = r.stdout
    header, _, rest = out.partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in header.split(b"\r\n"))
    length = int(fields[b"Content-Length"])
    return json.loads(rest[:length])["result"]
