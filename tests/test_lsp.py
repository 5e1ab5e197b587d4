"""The language server over stdio with a real LSP client (pytest-lsp).

Most tests run once per client capability set pytest-lsp ships (Neovim 0.11, VS Code,
Emacs 29): they negotiate different position encodings (UTF-8, UTF-16, UTF-32), so
every range and edit is checked in the encoding the server announced.
"""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = [sys.executable, "-m", "gil_lint", "server"]
BAD = "import time\n\nasync def f():\n    x = '🐍é'; time.sleep(1)\n"
URI = "file:///tmp/gil_lint_lsp_test/mod.py"
ENCODING: dict[int, str] = {}  # id(client) -> negotiated position encoding


# per client: (uri, version) -> the diagnostics published for it, recorded as they arrive
PUBLISHED: dict[int, dict[tuple[str, int | None], list]] = {}


def _record_publications(client: LanguageClient) -> None:
    """Wrap the client's publishDiagnostics handler so that every publication is kept by
    document version (pytest-lsp keeps only the latest list per document)."""
    features = client.protocol.fm.features
    method = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
    handler = features[method]
    seen = PUBLISHED.setdefault(id(client), {})

    def record(params: types.PublishDiagnosticsParams) -> None:
        seen[(params.uri, params.version)] = list(params.diagnostics)
        handler(params)

    features[method] = record


async def start(request: pytest.FixtureRequest, client: LanguageClient, options: dict) -> None:
    _record_publications(client)
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities(request.param),
            initialization_options=options,
        )
    )
    ENCODING[id(client)] = str(result.capabilities.position_encoding or "utf-16")


@pytest_lsp.fixture(
    params=["neovim", "visual_studio_code", "emacs"], config=ClientServerConfig(SERVER)
)
async def client(request, lsp_client: LanguageClient):
    await start(request, lsp_client, {"gilLint": {"unsafeFixes": True}})
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(params=["visual_studio_code"], config=ClientServerConfig(SERVER))
async def vscode(request, lsp_client: LanguageClient):
    """One client is enough where capabilities do not matter."""
    await start(request, lsp_client, {})
    yield
    await lsp_client.shutdown_session()


# -- helpers -------------------------------------------------------------------------------
def units(client: LanguageClient, text: str) -> int:
    enc = ENCODING[id(client)]
    if enc == "utf-32":
        return len(text)
    if enc == "utf-8":
        return len(text.encode("utf-8"))
    return len(text.encode("utf-16-le")) // 2


def apply(client: LanguageClient, text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits as an editor would, in the negotiated encoding."""

    def offset(pos: types.Position) -> int:
        lines = text.splitlines(keepends=True)
        before = sum(len(line) for line in lines[: pos.line])
        line = lines[pos.line].rstrip("\r\n") if pos.line < len(lines) else ""
        for i in range(len(line) + 1):
            if units(client, line[:i]) >= pos.character:
                return before + i
        return before + len(line)

    for e in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


def edits_of(action: types.CodeAction | types.Command) -> list[types.TextEdit]:
    assert isinstance(action, types.CodeAction) and action.edit is not None
    return [e for change in action.edit.document_changes or [] for e in change.edits]


async def open_doc(client: LanguageClient, text: str, uri: str = URI) -> list[types.Diagnostic]:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    return await diagnostics_for(client, uri, 1)


async def change(client: LanguageClient, text: str, version: int, uri: str = URI) -> list:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await diagnostics_for(client, uri, version)


async def diagnostics_for(client: LanguageClient, uri: str, version: int) -> list:
    """The diagnostics published for this version of the document. Every publication is
    recorded as it arrives (``start``): two that arrive in one read (a helper and the caller
    it made the server relint) would otherwise leave the second to no waiter."""
    seen = PUBLISHED.setdefault(id(client), {})
    for _ in range(100):
        if (uri, version) in seen:
            return seen[(uri, version)]
        await asyncio.wait_for(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20
        )
    raise AssertionError(f"no diagnostics for version {version}")


async def actions_at(
    client: LanguageClient, rng: types.Range, diags: list | None = None, only: list | None = None
) -> list[types.CodeAction | types.Command]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(URI),
            range=rng,
            context=types.CodeActionContext(diagnostics=diags or [], only=only),
        )
    )
    return list(result or [])


def titled(actions: list, part: str) -> types.CodeAction:
    return next(a for a in actions if part in a.title)


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``check`` (bounded): notifications may arrive before we start waiting."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def published(client: LanguageClient, uri: str = URI) -> list[str] | None:
    diags = client.diagnostics.get(uri)
    return None if diags is None else [d.code for d in diags]


# -- diagnostics ---------------------------------------------------------------------------
async def test_diagnostics_codes_ranges_and_links(client: LanguageClient):
    diags = await open_doc(client, BAD)
    assert [d.code for d in diags] == ["GIL201"]
    d = diags[0]
    assert d.source == "gil-lint"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.code_description.href.endswith("/docs/rules/GIL201.md")
    assert d.data["code"] == "GIL201" and d.data["fix"]["applicability"] == "safe"
    # 🐍 and é before the finding: 2/1 UTF-16 units, 4/2 UTF-8 bytes, 1/1 code points
    line = "    x = '🐍é'; time.sleep(1)"
    start = units(client, line[: line.index("time")])
    assert (d.range.start.line, d.range.start.character) == (3, start)
    assert (d.range.end.line, d.range.end.character) == (3, start + len("time.sleep(1)"))


async def test_form_feed_does_not_shift_lines(client: LanguageClient):
    # str.splitlines() breaks at \f; LSP does not
    text = "import time\n\f\nasync def f():\n    time.sleep(1)\n"
    diags = await open_doc(client, text)
    assert [(d.code, d.range.start.line) for d in diags] == [("GIL201", 3)]


async def test_syntax_error_and_recovery(vscode: LanguageClient):
    diags = await open_doc(vscode, "async def f(:\n    pass\n")
    assert [d.code for d in diags] == ["GIL001"]
    assert diags[0].severity == types.DiagnosticSeverity.Error
    assert [d.code for d in await change(vscode, BAD, 2)] == ["GIL201"]


async def test_save_relints_and_close_clears(vscode: LanguageClient):
    await open_doc(vscode, BAD)
    vscode.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(URI))
    )
    assert [d.code for d in await diagnostics_for(vscode, URI, 1)] == ["GIL201"]
    vscode.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(URI))
    )
    assert await eventually(lambda: published(vscode) == [])


async def test_rapid_changes_publish_the_last_version_last(vscode: LanguageClient):
    await open_doc(vscode, "x = 1\n")
    for v in range(2, 12):  # odd versions have the finding, even ones are clean
        vscode.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=v),
                content_changes=[
                    types.TextDocumentContentChangeWholeDocument(text=BAD if v % 2 else "x = 1\n")
                ],
            )
        )
    assert [d.code for d in await diagnostics_for(vscode, URI, 11)] == ["GIL201"]
    await asyncio.sleep(0.6)  # longer than the debounce: nothing stale may follow
    assert published(vscode) == ["GIL201"]


async def test_helper_chain_is_related_information(vscode: LanguageClient):
    text = (
        "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n\n\n"
        "async def handle(url):\n    return fetch(url)\n"
    )
    diags = await open_doc(vscode, text)
    d = next(d for d in diags if d.code == "GIL202")
    assert d.range.start.line == 8
    related = d.related_information
    assert [(r.location.uri, r.location.range.start.line) for r in related] == [
        (URI, 8),
        (URI, 4),
    ]
    assert "requests.get" in related[-1].message


async def test_editing_a_helper_relints_its_callers(vscode: LanguageClient, tmp_path: Path):
    """Findings drawn from a helper in another module follow that module's open buffer,
    saved or not: a caller is linted again when its helper changes."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    blocking = "import time\n\n\ndef slow():\n    time.sleep(1)\n"
    (pkg / "helpers.py").write_text(blocking)
    service = "from .helpers import slow\n\n\nasync def handle():\n    slow()\n"
    (pkg / "service.py").write_text(service)
    service_uri = (pkg / "service.py").as_uri()
    helpers_uri = (pkg / "helpers.py").as_uri()

    diags = await open_doc(vscode, service, service_uri)
    d = next(d for d in diags if d.code == "GIL201")
    assert [(r.location.uri, r.location.range.start.line) for r in d.related_information] == [
        (service_uri, 4),
        (helpers_uri, 4),
    ]
    await open_doc(vscode, blocking, helpers_uri)
    # the helper stops blocking in the (unsaved) buffer: the caller's finding goes
    await change(vscode, "def slow():\n    return 1\n", 2, helpers_uri)
    assert await eventually(lambda: published(vscode, service_uri) == [])
    # and comes back when the buffer blocks again
    await change(vscode, blocking.replace("time.sleep(1)", "time.sleep(2)"), 3, helpers_uri)
    assert await eventually(lambda: published(vscode, service_uri) == ["GIL201"])
    await change(vscode, "def slow():\n    return 1\n", 4, helpers_uri)
    assert await eventually(lambda: published(vscode, service_uri) == [])
    # closed without saving: the file on disk (which blocks) counts again
    vscode.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(helpers_uri))
    )
    assert await eventually(lambda: published(vscode, service_uri) == ["GIL201"])


# -- code actions: each one applied to the text, then the text re-linted -------------------
async def test_quick_fix_applied_and_relinted(client: LanguageClient):
    diags = await open_doc(client, BAD)
    fix = titled(await actions_at(client, diags[0].range, diags), "asyncio.sleep")
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    fixed = apply(client, BAD, edits_of(fix))
    assert "await asyncio.sleep(1)" in fixed and "import asyncio" in fixed
    assert await change(client, fixed, 2) == []


async def test_noqa_action_applied_and_relinted(client: LanguageClient):
    diags = await open_doc(client, BAD)
    noqa = titled(await actions_at(client, diags[0].range, diags), "Disable GIL201")
    silenced = apply(client, BAD, edits_of(noqa))
    assert silenced.splitlines()[3] == "    x = '🐍é'; time.sleep(1)  # noqa: GIL201"
    assert await change(client, silenced, 2) == []


async def test_noqa_action_extends_an_existing_noqa(client: LanguageClient):
    text = (
        "import time, requests\n\n"
        "async def f(u):\n    requests.get(u); time.sleep(1)  # noqa: GIL202\n"
    )
    diags = await open_doc(client, text)
    assert [d.code for d in diags] == ["GIL201"]
    noqa = titled(await actions_at(client, diags[0].range, diags), "Disable GIL201")
    silenced = apply(client, text, edits_of(noqa))
    assert silenced.splitlines()[3].endswith("# noqa: GIL202, GIL201")
    assert await change(client, silenced, 2) == []


async def test_fix_all_applied_and_relinted(client: LanguageClient):
    text = BAD + "\n\nasync def g():\n    time.sleep(2)\n    return asyncio.run(g())\n"
    diags = await open_doc(client, text)
    assert {d.code for d in diags} >= {"GIL201"}
    only = ["source.fixAll.gil-lint"]
    actions = await actions_at(
        client, types.Range(types.Position(0, 0), types.Position(0, 0)), only=only
    )
    assert [a.kind for a in actions] == ["source.fixAll.gil-lint"]
    fixed = apply(client, text, edits_of(actions[0]))
    assert "await asyncio.sleep(1)" in fixed and "await asyncio.sleep(2)" in fixed
    assert [d.code for d in await change(client, fixed, 2) if d.code == "GIL201"] == []


async def test_empty_context_recomputes_the_findings(client: LanguageClient):
    # Neovim may send no diagnostics in the context: the server finds them itself
    await open_doc(client, BAD)
    at = units(client, "    x = '🐍é'; time.s")
    rng = types.Range(types.Position(3, at), types.Position(3, at))
    titles = [a.title for a in await actions_at(client, rng)]
    assert any("asyncio.sleep" in t for t in titles)
    assert any("Disable GIL201" in t for t in titles)
    assert any("Fix all" in t for t in titles)


async def test_unsafe_fix_is_marked_and_can_be_switched_off(client: LanguageClient):
    text = "import requests\nasync def f(u):\n    return requests.get(u)\n"
    diags = await open_doc(client, text)
    unsafe = [a for a in await actions_at(client, diags[0].range, diags) if "(unsafe)" in a.title]
    assert unsafe and "to_thread(requests.get, u)" in apply(client, text, edits_of(unsafe[0]))
    assert not unsafe[0].is_preferred
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"unsafeFixes": False})  # flat object
    )
    await diagnostics_for(client, URI, 1)  # the change re-lints open documents
    titles = [a.title for a in await actions_at(client, diags[0].range, diags)]
    assert not any("(unsafe)" in t for t in titles) and any("Disable GIL202" in t for t in titles)


async def test_unknown_uri_and_out_of_range_positions(vscode: LanguageClient):
    await open_doc(vscode, BAD)
    far = types.Range(types.Position(500, 80), types.Position(900, 0))
    result = await vscode.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier("file:///nowhere.py"),
            range=far,
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not result
    assert all("asyncio.sleep" not in a.title for a in await actions_at(vscode, far))
    for uri, pos in ((URI, types.Position(999, 999)), ("file:///nowhere.py", types.Position(0, 0))):
        hover = await vscode.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri), position=pos)
        )
        assert hover is None


# -- hover ---------------------------------------------------------------------------------
async def test_hover_shows_rule_docs_on_findings_only(client: LanguageClient):
    diags = await open_doc(client, BAD)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(URI), position=diags[0].range.start
        )
    )
    assert hover is not None and hover.contents.kind == types.MarkupKind.Markdown
    assert "GIL201" in hover.contents.value and "**What it does**" in hover.contents.value
    assert "\n## " not in hover.contents.value  # headings would render huge in a hover
    assert hover.range == diags[0].range
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(URI), position=types.Position(0, 0)
        )
    )
    assert nothing is None


# -- settings ------------------------------------------------------------------------------
async def test_configuration_change_relints_open_documents(vscode: LanguageClient):
    await open_doc(vscode, BAD)
    vscode.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"gilLint": {"ignore": ["GIL201"]}})
    )
    assert await eventually(lambda: published(vscode) == []), vscode.diagnostics
    vscode.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"gil-lint": {"select": ["GIL2"]}})
    )
    assert await eventually(lambda: published(vscode) == ["GIL201"]), vscode.diagnostics
    # null unsets a setting (back to the project's configuration: everything selected)
    vscode.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"gilLint": {"select": ["GIL4"]}})
    )
    assert await eventually(lambda: published(vscode) == []), vscode.diagnostics
    vscode.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"gilLint": {"select": None}})
    )
    assert await eventually(lambda: published(vscode) == ["GIL201"]), vscode.diagnostics


async def test_editor_extend_select_adds_to_the_projects(vscode: LanguageClient, tmp_path):
    """Like `ignore`, the editor's extendSelect adds to [tool.gil-lint] extend-select."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.gil-lint]\nselect = ["GIL4"]\nextend-select = ["GIL201"]\n'
    )
    path = tmp_path / "mod.py"
    text = "import asyncio, time\n\nasync def f():\n    time.sleep(1)\n    input()\n"
    path.write_text(text)
    vscode.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"gilLint": {"extendSelect": ["GIL207"]}})
    )
    diags = await open_doc(vscode, text, path.as_uri())
    assert sorted(d.code for d in diags) == ["GIL201", "GIL207"]


async def test_bad_pyproject_and_bad_settings_are_shown_once(vscode: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.gil-lint]\nselect = 3\n")
    path = tmp_path / "mod.py"
    path.write_text(BAD)
    uri = path.as_uri()
    assert [d.code for d in await open_doc(vscode, BAD, uri)] == ["GIL201"]  # the defaults
    assert [d.code for d in await change(vscode, BAD + "\n", 2, uri)] == ["GIL201"]
    errors = [m.message for m in vscode.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "select" in errors[0], errors
    vscode.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"gilLint": {"ignore": ["nope"]}})
    )
    await diagnostics_for(vscode, uri, 2)
    assert await eventually(lambda: any("NOPE" in m.message for m in vscode.messages))


# -- lifecycle -----------------------------------------------------------------------------
def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_messages(stream, into: queue.Queue) -> None:  # type: ignore[no-untyped-def]
    """Every framed message the server writes, then None at end of stream."""
    while True:
        length = None
        while (header := stream.readline()) not in (b"\r\n", b""):
            name, _, value = header.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if header == b"" or length is None:
            into.put(None)
            return
        into.put(json.loads(stream.read(length)))


def _next_message(messages: queue.Queue, wanted: Callable[[dict], bool]) -> dict:
    deadline = time.monotonic() + 15
    while (left := deadline - time.monotonic()) > 0:
        message = messages.get(timeout=left)
        assert message is not None, "the server closed its output early"
        if wanted(message):
            return message
    raise AssertionError("no such message from the server")


@pytest.mark.parametrize("how", ["shutdown-exit", "stdin-closed"])
def test_server_exits_cleanly(how: str, tmp_path: Path):
    proc = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    messages: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read_messages, args=(proc.stdout, messages), daemon=True)
    reader.start()
    init = {"processId": None, "rootUri": None, "capabilities": {}}
    item = {"uri": URI, "languageId": "python", "version": 1, "text": BAD}

    def send(*batch: dict) -> None:
        assert proc.stdin is not None
        proc.stdin.write(b"".join(_frame(m) for m in batch))
        proc.stdin.flush()

    try:
        send(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}},
        )
        # it answers, and lints the document, before it is asked to go
        answer = _next_message(messages, lambda m: m.get("id") == 1)
        assert answer["result"]["serverInfo"]["name"] == "gil-lint"
        published = _next_message(
            messages, lambda m: m.get("method") == "textDocument/publishDiagnostics"
        )
        assert published["params"]["uri"] == URI
        assert [d["code"] for d in published["params"]["diagnostics"]] == ["GIL201"]
        if how == "shutdown-exit":
            send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
            shutdown = _next_message(messages, lambda m: m.get("id") == 2)
            assert shutdown.get("result") is None and "error" not in shutdown
            send({"jsonrpc": "2.0", "method": "exit"})
        proc.stdin.close()  # for "stdin-closed": the editor died
        assert proc.wait(15) == 0
        reader.join(5)
        rest = [messages.get_nowait() for _ in range(messages.qsize())]
        assert rest[-1:] == [None]  # the output ended with the process
        assert not [m for m in rest[:-1] if "error" in m], rest
        err = proc.stderr.read().decode("utf-8", "replace")
        assert "Traceback" not in err, err
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()


async def test_large_document_is_linted_without_stalling_the_server(vscode: LanguageClient):
    # above the server's PROCESS_THRESHOLD: linted in the lint process, not a thread
    block = "async def h{i}(u):\n    time.sleep(0.1)\n    return [x * 2 for x in u]\n\n\n"
    text = "import time\n\n\n" + "".join(block.format(i=i) for i in range(2_500))
    assert len(text) > 100_000
    diags = await open_doc(vscode, text)
    assert len(diags) == 2_500 and diags[-1].range.start.line == 3 + 5 * 2_499 + 1
    vscode.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text + "\n")],
        )
    )
    published_v2 = asyncio.ensure_future(diagnostics_for(vscode, URI, 2))
    await asyncio.sleep(0.3)  # the debounce is over: linting version 2
    asked = time.perf_counter()
    hover = await vscode.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(URI), position=diags[0].range.start
        )
    )
    waited = time.perf_counter() - asked
    assert hover is not None and "GIL201" in hover.contents.value
    assert not published_v2.done() and waited < 1.0, waited
    assert len(await published_v2) == 2_500


async def test_thread_loop_quick_fix_edits_the_worker_function(vscode: LanguageClient):
    # GIL405 is reported at the hand-off; its fix edits the call inside the thread's function
    text = (
        "import asyncio, threading\n\ndef tick(loop):\n    loop.call_soon(print, 'tick')\n\n"
        "def main(loop):\n    threading.Thread(target=tick, args=(loop,)).start()\n"
    )
    diags = await open_doc(vscode, text)
    assert [(d.code, d.range.start.line) for d in diags] == [("GIL405", 6)]
    fix = titled(await actions_at(vscode, diags[0].range, diags), "call_soon_threadsafe")
    assert fix.is_preferred  # a safe fix
    fixed = apply(vscode, text, edits_of(fix))
    assert "    loop.call_soon_threadsafe(print, 'tick')\n" in fixed
    assert await change(vscode, fixed, 2) == []


@pytest.mark.parametrize(
    "setup",
    [
        "from gil_lint.lsp.server import settle; settle()",
        "from gil_lint.lsp import worker; worker.start()",
    ],
)
def test_the_server_and_its_lint_process_load_the_engine_then_freeze_the_heap(setup):
    # what is loaded before the first lint lives as long as the process: frozen, the cycle
    # collector's full collections during every lint no longer walk it
    code = (
        "import gc, sys\n"
        f"{setup}\n"
        "print(gc.get_freeze_count() > 10_000, 'gil_lint.engine.lint' in sys.modules,"
        " 'gil_lint.rules.gil201_blocking_sleep' in sys.modules, file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "True True True"
