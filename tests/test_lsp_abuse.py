"""The language server under abuse (issue #9), driven by a raw stdio client.

tests/test_lsp.py drives the server with a well-behaved client (pytest-lsp). Here the
client writes the Content-Length frames itself, so it can send what no library would:
bodies that are not JSON, JSON that is not JSON-RPC, broken headers, requests with invalid
params, a thousand edits faster than the debounce, a 20,000-line document, and a document
flipping between valid and invalid syntax. After each, the server must still answer and
still publish the right diagnostics; over the thousand edits its memory must stay bounded.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

SERVER = [sys.executable, "-m", "gil_lint", "server"]
URI = "file:///tmp/gil_lint_abuse_test/mod.py"
NOWHERE = "file:///tmp/gil_lint_abuse_test/never_opened.py"
BLOCKING = "import time\nasync def f():\n    time.sleep(1)\n"
WAIT = 15.0  # seconds: the longest any single answer may take (2 busy cores)

Message = dict[str, Any]


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawClient:
    """An LSP client over the server's stdin/stdout, framing every message itself.

    A thread reads the server's messages into a list; every wait on it is bounded."""

    def __init__(self, stderr: Path) -> None:
        self.stderr_path = stderr
        self.stderr = stderr.open("wb")  # a file, not a pipe: a full pipe would block it
        self.proc = subprocess.Popen(
            SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr
        )
        self.messages: list[Message] = []
        self.cond = threading.Condition()
        self.eof = False
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    # -- transport ---------------------------------------------------------------------------
    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                    elif line == b"\r\n" and length is not None:
                        break
                message = json.loads(out.read(length))
                with self.cond:
                    self.messages.append(message)
                    self.cond.notify_all()
        finally:
            with self.cond:
                self.eof = True
                self.cond.notify_all()

    def raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        self.raw(frame(json.dumps(message).encode()))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any = None) -> int:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    # -- waiting -----------------------------------------------------------------------------
    def wait_for(
        self, check: Callable[[Message], bool], timeout: float = WAIT, start: int = 0
    ) -> Message:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for m in self.messages[start:]:
                    if check(m):
                        return m
                start = len(self.messages)
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    why = "the server closed its output" if self.eof else f"{timeout} s"
                    raise AssertionError(f"no matching message ({why}); stderr:\n{self.tail()}")
                self.cond.wait(left)

    def response(self, msg_id: int, timeout: float = WAIT) -> Message:
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    def call(self, method: str, params: Any = None, timeout: float = WAIT) -> Message:
        return self.response(self.request(method, params), timeout)

    def alive(self) -> None:
        """A real request (hover on a document never opened) is answered with a result."""
        answer = self.call("textDocument/hover", hover_params(NOWHERE, 0, 0))
        assert "error" not in answer and answer["result"] is None, answer

    def publishes(self, uri: str = URI) -> list[Message]:
        with self.cond:
            return [
                m["params"]
                for m in self.messages
                if m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
            ]

    def diagnostics_for(self, version: int, uri: str = URI, timeout: float = WAIT) -> list:
        m = self.wait_for(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and m["params"].get("version") == version
            ),
            timeout,
        )
        return list(m["params"]["diagnostics"])

    # -- documents ---------------------------------------------------------------------------
    def initialize(self) -> Message:
        init = {"processId": None, "rootUri": None, "capabilities": {}}
        answer = self.call("initialize", init)
        self.notify("initialized", {})
        return answer

    def open(self, text: str, uri: str = URI) -> None:
        item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})

    def change(self, text: str, version: int, uri: str = URI) -> None:
        # whole-document changes: the server announces Full sync
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
        )

    # -- the process -------------------------------------------------------------------------
    def rss(self) -> int:
        """Resident memory of the server and any lint process it started."""
        proc = psutil.Process(self.proc.pid)
        total = 0
        for p in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def shutdown(self) -> int:
        answer = self.call("shutdown")
        assert "error" not in answer and answer["result"] is None, answer
        self.notify("exit")
        return self.proc.wait(WAIT)

    def tail(self) -> str:
        self.stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-3000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.stderr.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawClient]:
    client = RawClient(tmp_path / "server.stderr")
    try:
        answer = client.initialize()
        assert answer["result"]["capabilities"]["textDocumentSync"]["change"] == 1  # Full
        yield client
    finally:
        client.close()


def hover_params(uri: str, line: int, character: int) -> Message:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def action_params(uri: str, start: tuple[int, int], end: tuple[int, int], **context: Any) -> Any:
    def pos(p: tuple[int, int]) -> Message:
        return {"line": p[0], "character": p[1]}

    return {
        "textDocument": {"uri": uri},
        "range": {"start": pos(start), "end": pos(end)},
        "context": {"diagnostics": [], **context},
    }


def codes_and_lines(diags: list) -> list[tuple[str, int]]:
    return sorted((d["code"], d["range"]["start"]["line"]) for d in diags)


# -- 1. malformed traffic -------------------------------------------------------------------
def test_malformed_traffic_is_answered_or_ignored_and_the_server_lives_on(server: RawClient):
    sent = Counter()

    def abuse(kind: str, data: bytes) -> None:
        sent[kind] += 1
        server.raw(data)
        server.alive()  # each one: the next real request is still answered

    # bodies that are not JSON, or not whole JSON
    abuse("not JSON", frame(b"this is { not json"))
    abuse("not JSON", frame(b'{"jsonrpc": "2.0", "id": 99, "method": "shutdo'))
    abuse("not JSON", frame(b"\xff\xfe\x00 binary"))
    abuse("not JSON", frame(b""))
    # JSON that is not JSON-RPC
    for body in ([1, 2, 3], 42, "hello", None, {}, {"id": 98, "method": "shutdown"}):
        abuse("JSON, not JSON-RPC", frame(json.dumps(body).encode()))
    for body in (
        {"jsonrpc": "2.0"},  # neither method nor id
        {"jsonrpc": "2.0", "id": 97},  # neither method nor result
        {"jsonrpc": "2.0", "id": 96, "result": None},  # a response to nothing we asked
        {"jsonrpc": "1.0", "id": 95, "method": "shutdown"},  # not JSON-RPC 2.0: ignored
        {"jsonrpc": "2.0", "method": 7, "params": {}},
    ):
        abuse("JSON, not JSON-RPC", frame(json.dumps(body).encode()))
    # notifications of known methods with invalid params: dropped, nothing to answer
    for params in ({"textDocument": {"uri": 5}}, None, [1]):
        body = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": params}
        abuse("invalid params", frame(json.dumps(body).encode()))
    body = {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"contentChanges": 1}}
    abuse("invalid params", frame(json.dumps(body).encode()))
    # broken framing: the stream must resynchronise at the next header
    abuse("bad framing", json.dumps({"jsonrpc": "2.0", "id": 94, "method": "x"}).encode())
    abuse("bad framing", b"Content-Length: abc\r\n\r\n{}")
    abuse("bad framing", b"Content-Length: -5\r\n\r\n{}")
    abuse("bad framing", b"Content-Length: 2\n\n{}")  # LF only
    abuse("bad framing", b"Content-Length: 3\r\n\r\n" + json.dumps({"jsonrpc": "2.0"}).encode())
    abuse("bad framing", b"Content-Length: 1000000000000\r\n\r\n{}")  # a MemoryError
    abuse("bad framing", b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}")
    # a Content-Length a few bytes too long: the message it framed is still answered, when
    # the client then waits for the answer (the server must not wait for the missing bytes)
    # and when the next message follows at once (the head of its header is not lost)
    sent["bad framing"] += 2
    server.next_id += 1
    body = json.dumps(
        {"jsonrpc": "2.0", "id": server.next_id, "method": "textDocument/hover"}
        | {"params": hover_params(NOWHERE, 0, 0)}
    ).encode()
    server.raw(b"Content-Length: %d\r\n\r\n" % (len(body) + 7) + body)
    server.response(server.next_id)  # within WAIT, or it fails
    server.raw(b"Content-Length: 10\r\n\r\n{}")
    server.call("textDocument/hover", hover_params(NOWHERE, 0, 0))
    server.alive()
    # requests: each is answered, with an error where it cannot be served
    errors = {}
    for method, params in (
        ("textDocument/codeAction", {"textDocument": {}}),  # fields missing
        ("textDocument/codeAction", action_params(URI, (-1, 0), (0, 0))),  # negative line
        ("textDocument/hover", 5),
        ("textDocument/hover", None),
    ):
        sent["invalid params"] += 1
        errors[method, json.dumps(params)] = server.call(method, params).get("error")
    for method in ("gil-lint/noSuchMethod", "$/noSuchRequest"):
        sent["unknown method"] += 1
        errors[method, None] = server.call(method, {}).get("error")
    codes = {key: (e or {}).get("code") for key, e in errors.items()}
    assert [c for (m, _), c in codes.items() if m == "textDocument/codeAction"] == [-32602] * 2
    assert [c for (m, _), c in codes.items() if m == "textDocument/hover"] == [-32602] * 2
    assert codes["gil-lint/noSuchMethod", None] == -32601
    assert codes["$/noSuchRequest", None] == -32601
    # unknown notifications, `$/` ones included, and cancelling nothing: ignored
    for method, params in (
        ("gil-lint/noSuchNotification", {}),
        ("$/noSuchNotification", {"x": 1}),
        ("$/cancelRequest", {"id": 12345}),
    ):
        sent["unknown notification"] += 1
        server.notify(method, params)
    server.alive()
    # requests and notifications about documents never opened
    for method in ("textDocument/didChange", "textDocument/didSave", "textDocument/didClose"):
        sent["unopened URI"] += 1
        doc = {"uri": NOWHERE, "version": 3}
        server.notify(method, {"textDocument": doc, "contentChanges": [{"text": "x = 1\n"}]})
    for method, params in (
        ("textDocument/hover", hover_params(NOWHERE, 0, 0)),
        ("textDocument/codeAction", action_params(NOWHERE, (0, 0), (9, 9))),
    ):
        sent["unopened URI"] += 1
        answer = server.call(method, params)
        assert "error" not in answer and not answer["result"], answer
    # out-of-range positions in an open document
    server.open(BLOCKING)
    assert codes_and_lines(server.diagnostics_for(1)) == [("GIL201", 2)]
    big = 2**31 - 1  # the largest LSP uinteger
    for start, end in (((500, 80), (900, 0)), ((big, big), (big, big)), ((2, 99), (0, 0))):
        sent["out of range"] += 1
        answer = server.call("textDocument/codeAction", action_params(URI, start, end))
        assert "error" not in answer, answer
        assert not [a for a in answer["result"] if "asyncio.sleep" in a["title"]]
    sent["out of range"] += 1
    answer = server.call("textDocument/hover", hover_params(URI, big, big))
    assert "error" not in answer and answer["result"] is None, answer

    # and the server still lints: the finding, its quick fix, then a clean version
    answer = server.call("textDocument/codeAction", action_params(URI, (2, 4), (2, 4)))
    assert any("asyncio.sleep" in a["title"] for a in answer["result"]), answer
    server.change("import time\nasync def f():\n    pass\n", 2)
    assert server.diagnostics_for(2) == []
    server.change(BLOCKING.replace("sleep(1)", "sleep(2)"), 3)
    assert codes_and_lines(server.diagnostics_for(3)) == [("GIL201", 2)]
    # what could not be read went to the log, not into an error pop-up for the user
    popups = [
        m["params"]["message"] for m in server.messages if m.get("method") == "window/showMessage"
    ]
    assert not popups, popups
    assert server.shutdown() == 0
    total = sum(sent.values())
    print(f"\nabuse messages sent: {total} ({dict(sent)})")


# -- 2. a thousand edits ---------------------------------------------------------------------
def editing_session(versions: int) -> Iterator[tuple[int, str, list[int]]]:
    """(version, text, the 0-based lines of the GIL201 findings): a comment is typed one
    character per edit, and every 7th edit turns one of 20 functions async or back."""
    asyncs = [i % 3 == 0 for i in range(20)]
    typed = ""
    for v in range(2, versions + 2):
        typed += "abcdefghij"[v % 10]
        if v % 7 == 0:
            asyncs[v % 20] = not asyncs[v % 20]
        parts, lines, row = ["import time\n\n"], [], 2
        for i, is_async in enumerate(asyncs):
            kw = "async " if is_async else ""
            parts.append(f"{kw}def f{i}(x):\n    time.sleep(0.1)\n    return x + {i}\n\n")
            if is_async:
                lines.append(row + 1)
            row += 4
        parts.append(f"# {typed}\n")
        yield v, "".join(parts), lines


def test_a_thousand_edits_keep_memory_bounded_and_diagnostics_right(server: RawClient):
    rng = random.Random(9)
    server.open("import time\n")
    server.diagnostics_for(1)
    mib = 1024 * 1024
    before = after = 0
    final = (0, [])
    for v, text, lines in editing_session(1_000):
        server.change(text, v)
        if v % 50 == 0 or v == 101:  # a pause: this version is linted and published
            assert codes_and_lines(server.diagnostics_for(v)) == [("GIL201", n) for n in lines]
        elif v % 50 == 25:  # a pause about as long as the debounce: a race
            time.sleep(rng.uniform(0.15, 0.3))
        if v == 101:  # warmed up: 100 edits
            before = server.rss()
        final = (v, lines)
    v, lines = final
    assert codes_and_lines(server.diagnostics_for(v)) == [("GIL201", n) for n in lines]
    after = server.rss()
    print(f"\nRSS after 100 edits {before / mib:.1f} MiB, after 1,000 {after / mib:.1f} MiB")
    assert after - before < 50 * mib, (before, after)
    time.sleep(0.6)  # longer than the debounce: nothing stale follows
    assert server.publishes()[-1]["version"] == v
    assert server.shutdown() == 0


# -- 3. a 20,000-line document ---------------------------------------------------------------
BLOCK = '''class Service{i}:
    def __init__(self, n):
        self.n = n

    def total(self, items):
        return sum(items) + self.n


async def handler{i}(request):
    """Handle request {i}."""
    data = await request.json()
    {call}
    return {{"id": {i}, "n": len(data)}}


def helper{i}(x):
    y = x * 2
    return y + 1


'''
HEAD = "import asyncio\nimport time\n\nimport requests\n\n\n"


def big_document(blocks: int = 1_000) -> str:
    calls = {0: "time.sleep(0.01)", 5: "requests.get(data['url'])"}
    return HEAD + "".join(
        BLOCK.format(i=i, call=calls.get(i % 10, "await asyncio.sleep(0)")) for i in range(blocks)
    )


def test_a_20000_line_document(server: RawClient):
    text = big_document()
    assert text.count("\n") >= 20_000
    started = time.perf_counter()
    server.open(text)
    diags = server.diagnostics_for(1, timeout=45)
    took = time.perf_counter() - started
    print(f"\n{text.count(chr(10)):,} lines, {len(text):,} characters: diagnostics in {took:.2f} s")
    assert Counter(d["code"] for d in diags) == {"GIL201": 100, "GIL202": 100}
    first = min(codes_and_lines(diags))
    assert first == ("GIL201", 6 + 11)  # block 0's call
    assert took < 30, took
    # the server still answers promptly
    row = first[1]
    asked = time.perf_counter()
    hover = server.call("textDocument/hover", hover_params(URI, row, 6))
    hovered = time.perf_counter() - asked
    assert "GIL201" in hover["result"]["contents"]["value"]
    asked = time.perf_counter()
    only = {"only": ["quickfix"]}
    answer = server.call("textDocument/codeAction", action_params(URI, (row, 6), (row, 6), **only))
    acted = time.perf_counter() - asked
    assert any("asyncio.sleep" in a["title"] for a in answer["result"]), answer
    print(f"hover {hovered * 1000:.0f} ms, quick fixes {acted * 1000:.0f} ms")
    assert hovered < 1.0 and acted < 2.0, (hovered, acted)
    # an edit that removes one finding is published correctly too
    server.change(text.replace("time.sleep(0.01)", "await asyncio.sleep(0.01)", 1), 2)
    diags = server.diagnostics_for(2, timeout=45)
    assert Counter(d["code"] for d in diags) == {"GIL201": 99, "GIL202": 100}
    assert server.shutdown() == 0


# -- 4. flipping between valid and invalid syntax --------------------------------------------
def flip(v: int) -> tuple[str, list[tuple[str, int]]]:
    """Version ``v``: broken when even; the finding's line moves with the version."""
    pad = "\n" * (v % 13)
    if v % 2 == 0:
        return f"import time\n{pad}async def f(:\n    time.sleep(1)\n", [("GIL001", 1 + v % 13)]
    return f"import time\n{pad}async def f():\n    time.sleep(1)\n", [("GIL201", 2 + v % 13)]


def test_flipping_syntax_publishes_the_last_version_last(server: RawClient):
    rng = random.Random(4)
    server.open(BLOCKING)
    server.diagnostics_for(1)
    last = 51
    for v in range(2, last + 1):  # 50 versions
        text, _ = flip(v)
        server.change(text, v)
        if rng.random() < 0.3:
            time.sleep(rng.choice([0.05, 0.2, 0.3, 0.4]))  # around the debounce
    assert codes_and_lines(server.diagnostics_for(last)) == flip(last)[1]
    time.sleep(0.6)  # longer than the debounce: nothing stale may follow
    published = server.publishes()
    versions = [p["version"] for p in published]
    assert versions == sorted(set(versions)) and versions[-1] == last, versions
    for p in published[1:]:  # each publish matches the version it names
        assert codes_and_lines(p["diagnostics"]) == flip(p["version"])[1], p
    print(f"\n{len(published) - 1} of 50 versions published")
    assert server.shutdown() == 0
