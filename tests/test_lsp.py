"""The language server over stdio with a real LSP client (pytest-lsp)."""

from __future__ import annotations

import asyncio
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

BAD = "import time\n\nasync def f():\n    x = '🐍é'; time.sleep(1)\n"
URI = "file:///tmp/gil_lint_lsp_test/mod.py"


@pytest_lsp.fixture(
    params=["neovim", "visual_studio_code", "emacs"],
    config=ClientServerConfig(server_command=[sys.executable, "-m", "gil_lint", "server"]),
)
async def client(request, lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities(request.param),
            initialization_options={"gilLint": {"unsafeFixes": True}},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def open_doc(client: LanguageClient, text: str, uri: str = URI, version: int = 1) -> list:
    # start waiting before the server can answer: a notification is not replayed
    waiting = asyncio.ensure_future(diagnostics_for(client, uri, version))
    await asyncio.sleep(0)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )
    return await waiting


async def diagnostics_for(client: LanguageClient, uri: str, version: int) -> list:
    for _ in range(100):
        params = await asyncio.wait_for(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20
        )
        if params.uri == uri and params.version == version:
            return list(params.diagnostics)
    raise AssertionError("no diagnostics")


def cleared(client: LanguageClient) -> bool:
    return URI in client.diagnostics and len(client.diagnostics[URI]) == 0


async def eventually(check, timeout: float = 10.0) -> bool:
    """Poll ``check`` (bounded): notifications may arrive before we start waiting."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)

    def offset(pos: types.Position) -> int:
        before = "".join(lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return len(before) + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return len(before) + len(line.rstrip("\r\n")) if pos.character else len(before)

    for e in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
        lines = text.splitlines(keepends=True)
    return text


def edits_of(action: types.CodeAction) -> list[types.TextEdit]:
    assert action.edit is not None
    changes = action.edit.document_changes or []
    return [e for change in changes for e in change.edits]


async def test_diagnostics_codes_ranges_and_links(client: LanguageClient):
    diags = await open_doc(client, BAD)
    assert [d.code for d in diags] == ["GIL201"]
    d = diags[0]
    assert d.source == "gil-lint"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.code_description.href.endswith("/GIL201/")
    # 🐍 is two UTF-16 code units: the range is in UTF-16
    line = "    x = '🐍é'; time.sleep(1)"
    start = len(line[: line.index("time")].encode("utf-16-le")) // 2
    assert (d.range.start.line, d.range.start.character) == (3, start)
    assert d.range.end.character == start + len("time.sleep(1)")


async def test_quick_fix_noqa_and_fix_all(client: LanguageClient):
    diags = await open_doc(client, BAD)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(URI),
            range=diags[0].range,
            context=types.CodeActionContext(diagnostics=diags),
        )
    )
    titles = [a.title for a in actions]
    fix = next(a for a in actions if "asyncio.sleep" in a.title)
    fixed = apply(BAD, edits_of(fix))
    assert "await asyncio.sleep(1)" in fixed and "import asyncio" in fixed
    noqa = next(a for a in actions if "Disable GIL201" in a.title)
    assert apply(BAD, edits_of(noqa)).splitlines()[3].endswith("# noqa: GIL201")
    assert any("Fix all" in t for t in titles)
    # re-check: after the fix the document is clean
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    assert await diagnostics_for(client, URI, 2) == []


async def test_empty_context_recomputes_and_fix_all_only(client: LanguageClient):
    await open_doc(client, BAD)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(URI),
            range=types.Range(types.Position(3, 20), types.Position(3, 20)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert any("asyncio.sleep" in a.title for a in actions)
    fix_all = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(URI),
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[], only=["source.fixAll.gil-lint"]),
        )
    )
    assert [a.kind for a in fix_all] == ["source.fixAll.gil-lint"]
    assert "await asyncio.sleep(1)" in apply(BAD, edits_of(fix_all[0]))


async def test_unsafe_fix_is_marked(client: LanguageClient):
    text = "import requests\nasync def f(u):\n    return requests.get(u)\n"
    diags = await open_doc(client, text)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(URI),
            range=diags[0].range,
            context=types.CodeActionContext(diagnostics=diags),
        )
    )
    unsafe = [a for a in actions if a.title.endswith("(unsafe)")]
    assert unsafe and "to_thread(requests.get, u)" in apply(text, edits_of(unsafe[0]))


async def test_hover_shows_rule_docs(client: LanguageClient):
    await open_doc(client, BAD)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(URI), position=types.Position(3, 22)
        )
    )
    assert hover is not None and "What it does" in hover.contents.value
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(URI), position=types.Position(0, 0)
        )
    )
    assert nothing is None


async def test_configuration_change_relints(client: LanguageClient):
    await open_doc(client, BAD)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"gilLint": {"ignore": ["GIL201"]}})
    )
    assert await eventually(lambda: cleared(client)), client.diagnostics


async def test_syntax_error_and_recovery(client: LanguageClient):
    diags = await open_doc(client, "async def f(:\n    pass\n")
    assert [d.code for d in diags] == ["GIL001"]
    assert diags[0].severity == types.DiagnosticSeverity.Error
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=BAD)],
        )
    )
    assert [d.code for d in await diagnostics_for(client, URI, 2)] == ["GIL201"]


async def test_rapid_changes_publish_the_last_version(client: LanguageClient):
    await open_doc(client, "x = 1\n")
    for v in range(2, 12):
        text = BAD if v % 2 else "x = 1\n"
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=v),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
    diags = await diagnostics_for(client, URI, 11)
    assert [d.code for d in diags] == ["GIL201"]


async def test_close_clears_and_unknown_uri_is_empty(client: LanguageClient):
    await open_doc(client, BAD)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(URI))
    )
    assert await eventually(lambda: cleared(client))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier("file:///nowhere.py"),
            range=types.Range(types.Position(99, 0), types.Position(99, 5)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not actions


async def test_out_of_range_positions(client: LanguageClient):
    await open_doc(client, BAD)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(URI),
            range=types.Range(types.Position(500, 80), types.Position(900, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert all("asyncio.sleep" not in a.title for a in actions or [])
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(URI), position=types.Position(999, 999)
        )
    )
    assert hover is None
    await asyncio.sleep(0)


CHAIN = """import requests


def fetch(url):
    return requests.get(url)


async def handle(url):
    return fetch(url)
"""


async def test_helper_chain_is_related_information(client: LanguageClient):
    diags = await open_doc(client, CHAIN)
    d = next(d for d in diags if d.code == "GIL202")
    assert d.range.start.line == 8
    related = d.related_information
    assert [(r.location.uri, r.location.range.start.line) for r in related] == [(URI, 8), (URI, 4)]
    assert "requests.get" in related[-1].message
