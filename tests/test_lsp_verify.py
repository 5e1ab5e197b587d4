"""The server's "Verify this finding" code action runs the real verifier with $/progress."""

from __future__ import annotations

import asyncio
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

CPU = """import threading


def work():
    total = 0
    for i in range(3_000_000):
        total += i * i
    return total


def main():
    threading.Thread(target=work).start()
"""


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "gil_lint", "server"]),
)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual_studio_code"))
    )
    yield
    await lsp_client.shutdown_session()


async def test_verify_code_action_runs_the_verifier(client: LanguageClient, tmp_path):
    path = tmp_path / "cpu.py"
    path.write_text(CPU)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=CPU)
        )
    )
    for _ in range(400):
        if client.diagnostics.get(uri):
            break
        await asyncio.sleep(0.05)
    diag = next(d for d in client.diagnostics[uri] if d.code == "GIL101")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    verify = next(a for a in actions if "Verify" in a.title)
    command = verify.command if isinstance(verify, types.CodeAction) else verify
    assert command.command == "gil-lint.verify"
    args = dict(command.arguments[0], rounds=1, workers=2)
    result = await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="gil-lint.verify", arguments=[args])
        ),
        120,
    )
    # one round of a 0.3 s workload on a loaded machine may be inconclusive, never wrong
    # (it once came out not_confirmed, "threads 1.2x on one core": the verifier now calls
    # that inconclusive); tests/test_verify.py checks the verdicts with retries
    assert result["verdict"]["status"] in ("confirmed", "inconclusive"), result
    assert result["claim"] == "cpu-bound" and result["target"]["function"] == "work", result
    assert [m["name"] for m in result["modes"]] == ["sequential", "threads", "processes"]
    assert any("gil-lint verify GIL101" in m.message for m in client.messages)
    # the progress was reported, and the diagnostic now carries the verdict (polled: the
    # re-publish can arrive before a wait for it would start)
    assert client.progress_reports

    def has_note() -> bool:
        return any(
            (r.message or "").startswith("gil-lint verify:")
            for d in client.diagnostics.get(uri, ())
            for r in d.related_information or []
        )

    for _ in range(200):
        if has_note():
            break
        await asyncio.sleep(0.05)
    assert has_note()

    # verifying the same finding again reports its progress again (a fresh token each run)
    first = len(client.progress_reports)
    await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="gil-lint.verify", arguments=[args])
        ),
        120,
    )
    assert len(client.progress_reports) == first + 1
