"""LSP latency: time from a ``didChange`` to its ``publishDiagnostics``, over stdio.

    python benchmarks/lsp_latency.py [--runs 20]

Starts ``gil-lint server`` as an editor would, opens a 2,000-line file of async
code with findings, sends edits one at a time and reports the median and p95
of change → diagnostics (this includes the 250 ms debounce). Then the same for a
20,000-line file, while measuring how long a ``hover`` sent while that version is
being linted takes to be answered: the server must not block on linting (large
documents are linted in a separate process, since a lint thread holding the GIL in
``ast.parse`` would stall the event loop for hundreds of milliseconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

BLOCK = """
async def handler_{i}(url, items, session):
    await asyncio.sleep(0)
    data = await session.get(url, timeout=5)
    total = 0
    for item in items:
        total += item
    return data, total

"""
# one block in ten has two blocking calls: realistic code has few findings
BAD_BLOCK = """
async def handler_{i}(url, items):
    time.sleep(0.1)
    data = requests.get(url, timeout=5)
    total = 0
    for item in items:
        total += item
    return data, total

"""


def make_source(lines: int) -> str:
    header = "import asyncio\nimport time\n\nimport requests\n"
    per = BLOCK.count("\n")
    return header + "".join(
        (BAD_BLOCK if i % 10 == 0 else BLOCK).format(i=i) for i in range(lines // per)
    )


class Client:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gil_lint", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0
        self.waiters: dict[Any, tuple[threading.Event, list[Any]]] = {}
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line.startswith(b"Content-Length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            msg = json.loads(out.read(length))
            key = msg.get("id") if "id" in msg and "method" not in msg else None
            if msg.get("method") == "textDocument/publishDiagnostics":
                key = ("diag", msg["params"].get("version"))
            with self.lock:
                waiter = self.waiters.pop(key, None)
            if waiter is not None:
                waiter[1].append((time.perf_counter(), msg))
                waiter[0].set()

    def expect(self, key: Any) -> tuple[threading.Event, list[Any]]:
        waiter = (threading.Event(), [])
        with self.lock:
            self.waiters[key] = waiter
        return waiter

    def request(self, method: str, params: dict[str, Any]) -> tuple[threading.Event, list[Any]]:
        self.next_id += 1
        waiter = self.expect(self.next_id)
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return waiter

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        done = self.request("shutdown", {})
        done[0].wait(10)
        self.notify("exit", {})
        self.proc.wait(10)


def measure(client: Client, uri: str, text: str, runs: int, hover: bool) -> tuple[list, list]:
    latencies, hovers = [], []
    opened = client.expect(("diag", 1))
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    opened[0].wait(60)
    for run in range(runs):
        version = run + 2
        edited = text + f"\n# edit {run}\n"
        waiter = client.expect(("diag", version))
        start = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": edited}],
            },
        )
        if hover:
            time.sleep(0.27)  # right when linting starts
            asked = time.perf_counter()
            answer = client.request(
                "textDocument/hover",
                {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 6}},
            )
            answer[0].wait(30)
            hovers.append((answer[1][0][0] - asked) * 1000)
        if not waiter[0].wait(60):
            raise SystemExit(f"no diagnostics for version {version}")
        latencies.append((waiter[1][0][0] - start) * 1000)
    return latencies, hovers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args(argv)
    client = Client()
    init = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    init[0].wait(30)
    client.notify("initialized", {})
    for lines, hover in ((2_000, False), (20_000, True)):
        text = make_source(lines)
        lat, hov = measure(client, f"file:///tmp/latency_{lines}.py", text, args.runs, hover)
        p95 = sorted(lat)[int(len(lat) * 0.95) - 1]
        line = (
            f"{text.count(chr(10)):6d} lines: change → diagnostics median "
            f"{statistics.median(lat):6.0f} ms, p95 {p95:6.0f} ms (incl. 250 ms debounce)"
        )
        if hov:
            med, worst = statistics.median(hov), max(hov)
            hp95 = sorted(hov)[int(len(hov) * 0.95) - 1]
            line += (
                f"; hover during lint: median {med:.0f} ms, p95 {hp95:.0f} ms, max {worst:.0f} ms"
            )
        print(line)
    client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
