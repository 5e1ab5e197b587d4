"""``gil-lint server``: the language server (pygls 2, stdio).

Diagnostics are pushed on open and save at once and on change after a 250 ms
pause (a newer edit cancels the pending run); linting runs in a worker thread
so the server keeps answering. Quick fixes, "disable for this line" and
``source.fixAll.gil-lint`` come from the same engine as the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from gil_lint import __version__
from gil_lint.config import ConfigError, Settings, load_settings
from gil_lint.diagnostics import Diagnostic, Edit
from gil_lint.lsp.convert import from_lsp_position, to_lsp_range, to_lsp_text_edit

DEBOUNCE_SECONDS = 0.25
VERIFY_COMMAND = "gil-lint.verify"
# findings the runtime verifier can measure
VERIFIABLE = frozenset(
    {"GIL101", "GIL206", "GIL303", "GIL201", "GIL202", "GIL203", "GIL204", "GIL205", "GIL207"}
)
FIX_ALL_KIND = "source.fixAll.gil-lint"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z0-9, ]+))?", re.I)
log = logging.getLogger(__name__)

T = TypeVar("T")


class GilLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "gil-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.options: dict[str, Any] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.results: dict[str, tuple[int | None, list[Diagnostic]]] = {}
        self.settings_cache: dict[str, Settings] = {}
        self.linter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gil-lint")
        self.verifier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gil-lint-verify")
        # (uri, row, code) -> the verifier's verdict line, shown as related information
        self.verdicts: dict[tuple[str, int, str], str] = {}

    # -- settings ---------------------------------------------------------------------------
    def settings_for(self, path: str) -> Settings:
        folder = str(Path(path).parent)
        base = self.settings_cache.get(folder)
        if base is None:
            try:
                base = load_settings(start=Path(folder))
            except ConfigError as e:
                self.window_show_message(
                    types.ShowMessageParams(
                        types.MessageType.Error, f"gil-lint: {e} (using defaults)"
                    )
                )
                base = Settings()
            self.settings_cache[folder] = base
        changes: dict[str, Any] = {}
        opts = self.options
        if isinstance(opts.get("select"), list):
            changes["select"] = tuple(str(c).upper() for c in opts["select"])
        if isinstance(opts.get("ignore"), list):
            changes["ignore"] = (*base.ignore, *(str(c).upper() for c in opts["ignore"]))
        if opts.get("targetGil") in ("auto", "enabled", "disabled"):
            changes["target_gil"] = opts["targetGil"]
        return replace(base, **changes)

    def set_options(self, raw: Any) -> None:
        if isinstance(raw, dict):
            for key in ("gil-lint", "gilLint", "gil_lint"):
                if isinstance(raw.get(key), dict):
                    raw = raw[key]
                    break
            self.options = dict(raw)
        self.settings_cache.clear()

    @property
    def unsafe_fixes(self) -> bool:
        # shown in quick fixes unless switched off: the user picks them one by one
        return self.options.get("unsafeFixes", True) is not False

    # -- linting ----------------------------------------------------------------------------
    def lint_document(self, uri: str) -> tuple[int | None, list[Diagnostic]]:
        from gil_lint.engine.lint import lint_source

        doc = self.workspace.get_text_document(uri)
        path = doc.path or uri
        found = lint_source(doc.source, path, self.settings_for(path))
        return doc.version, found

    async def lint_and_publish(self, uri: str, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        loop = asyncio.get_running_loop()
        try:
            version, found = await loop.run_in_executor(self.linter, self.lint_document, uri)
        except Exception:
            self.log_error(f"linting {uri} failed")
            return
        doc = self.workspace.text_documents.get(uri)
        if doc is None or doc.version != version:
            return  # closed, or a newer edit is on its way
        self.results[uri] = (version, found)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=version, diagnostics=[self.to_lsp(d, doc.lines) for d in found]
            )
        )

    def schedule(self, uri: str, delay: float) -> None:
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        self.pending[uri] = asyncio.ensure_future(self.lint_and_publish(uri, delay))

    async def diagnostics_for(self, uri: str) -> list[Diagnostic]:
        """Findings for the document as it is now: cached per version, else linted in the
        worker thread (never on the event loop)."""
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return []
        cached = self.results.get(uri)
        if cached is not None and cached[0] == doc.version:
            return cached[1]
        loop = asyncio.get_running_loop()
        version, found = await loop.run_in_executor(self.linter, self.lint_document, uri)
        self.results[uri] = (version, found)
        return found

    def last_diagnostics(self, uri: str) -> list[Diagnostic]:
        """The latest published findings, even if an edit is pending (for hover)."""
        cached = self.results.get(uri)
        return cached[1] if cached is not None else []

    def to_lsp(self, d: Diagnostic, lines: list[str]) -> types.Diagnostic:
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=from_fs_path(e.path) or e.path,
                    range=types.Range(
                        types.Position(max(e.row - 1, 0), max(e.col - 1, 0)),
                        types.Position(max(e.row - 1, 0), max(e.col - 1, 0)),
                    ),
                ),
                message=e.message,
            )
            for e in d.evidence
        ]
        uri = from_fs_path(d.path) or d.path
        verdict = self.verdicts.get((uri, d.row, d.code))
        if verdict is not None:
            related.append(
                types.DiagnosticRelatedInformation(
                    location=types.Location(
                        uri=uri, range=to_lsp_range(lines, d.row, d.col, d.end_row, d.end_col)
                    ),
                    message=f"gil-lint verify: {verdict}",
                )
            )
        return types.Diagnostic(
            range=to_lsp_range(lines, d.row, d.col, d.end_row, d.end_col),
            message=d.message,
            severity=SEVERITY.get(d.severity, types.DiagnosticSeverity.Warning),
            code=d.code,
            code_description=types.CodeDescription(href=d.url) if d.url else None,
            source="gil-lint",
            related_information=related or None,
            data={"code": d.code, "fix": d.fix.to_dict() if d.fix else None},
        )

    def log_error(self, what: str) -> None:
        self.window_log_message(
            types.LogMessageParams(
                types.MessageType.Error, f"gil-lint: {what}:\n{traceback.format_exc()}"
            )
        )


server = GilLintServer()


def guarded(default: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A handler that fails logs the error and answers ``default()``: the server lives on."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(fn):

            async def async_handler(ls: GilLintServer, params: Any) -> Any:
                try:
                    return await fn(ls, params)
                except Exception:
                    ls.log_error(f"{fn.__name__} failed")
                    return default()

            async_handler.__name__ = fn.__name__
            return async_handler

        def handler(ls: GilLintServer, params: Any) -> Any:
            try:
                return fn(ls, params)
            except Exception:
                ls.log_error(f"{fn.__name__} failed")
                return default()

        handler.__name__ = fn.__name__
        return handler

    return wrap


@server.feature(types.INITIALIZE)
@guarded(lambda: None)
def initialize(ls: GilLintServer, params: types.InitializeParams) -> None:
    ls.set_options(params.initialization_options or {})


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded(lambda: None)
def did_change_configuration(ls: GilLintServer, params: types.DidChangeConfigurationParams) -> None:
    ls.set_options(params.settings or {})
    for uri in list(ls.workspace.text_documents):
        ls.schedule(uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@guarded(lambda: None)
def did_open(ls: GilLintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded(lambda: None)
def did_change(ls: GilLintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@guarded(lambda: None)
def did_save(ls: GilLintServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.settings_cache.clear()  # the saved file may be a pyproject.toml next to it
    ls.schedule(params.text_document.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded(lambda: None)
def did_close(ls: GilLintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.results.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _overlaps(d: Diagnostic, lines: list[str], rng: types.Range) -> bool:
    r = to_lsp_range(lines, d.row, d.col, d.end_row, d.end_col)
    start = (r.start.line, r.start.character)
    end = (r.end.line, r.end.character)
    return not (
        end < (rng.start.line, rng.start.character) or (rng.end.line, rng.end.character) < start
    )


def _workspace_edit(
    uri: str, lines: Sequence[str], edits: list[Edit], version: int | None
) -> types.WorkspaceEdit:
    text_edits = [to_lsp_text_edit(lines, e) for e in edits]
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=version
                ),
                edits=text_edits,
            )
        ]
    )


def _noqa_edit(line_text: str, row: int, code: str) -> Edit:
    end = len(line_text) + 1
    m = _NOQA.search(line_text)
    if m is None:
        return Edit(row, end, row, end, f"  # noqa: {code}")
    codes = m.group("codes")
    if not codes:
        return Edit(row, end, row, end, "")  # a bare noqa silences everything already
    start = m.start("codes") + 1
    stop = m.end("codes") + 1
    merged = ", ".join([*(c.strip() for c in codes.split(",") if c.strip()), code])
    return Edit(row, start, row, stop, merged)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False
    ),
)
@guarded(lambda: [])
async def code_action(
    ls: GilLintServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command]:
    uri = params.text_document.uri
    doc = ls.workspace.text_documents.get(uri)
    if doc is None:
        return []
    only = [
        k.value if isinstance(k, types.CodeActionKind) else str(k)
        for k in params.context.only or []
    ]
    actions: list[types.CodeAction | types.Command] = []
    lines = doc.lines
    if not only or any(k.startswith("quickfix") for k in only):
        for d in await ls.diagnostics_for(uri):
            if d.code.startswith("GIL00") or not _overlaps(d, lines, params.range):
                continue
            lsp_diag = ls.to_lsp(d, lines)
            if (
                d.fix is not None
                and d.fix.edits
                and (d.fix.applicability == "safe" or ls.unsafe_fixes)
            ):
                title = f"gil-lint: {d.fix.message}"
                if d.fix.applicability == "unsafe":
                    title += " (unsafe)"
                actions.append(
                    types.CodeAction(
                        title=title,
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diag],
                        is_preferred=d.fix.applicability == "safe",
                        edit=_workspace_edit(uri, lines, list(d.fix.edits), doc.version),
                    )
                )
            if d.code in VERIFIABLE and doc.path:
                # a bare Command: a CodeAction holding only a command is ambiguous to clients
                actions.append(
                    types.Command(
                        title=f"gil-lint: Verify this finding ({d.code}) by measuring it",
                        command=VERIFY_COMMAND,
                        arguments=[{"uri": uri, "line": d.row, "code": d.code}],
                    )
                )
            line_text = lines[d.row - 1].rstrip("\r\n") if d.row <= len(lines) else ""
            actions.append(
                types.CodeAction(
                    title=f"gil-lint: Disable {d.code} for this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[lsp_diag],
                    edit=_workspace_edit(
                        uri, lines, [_noqa_edit(line_text, d.row, d.code)], doc.version
                    ),
                )
            )
    if not only or any(k in ("source", "source.fixAll", FIX_ALL_KIND) for k in only):
        loop = asyncio.get_running_loop()
        fix_all = await loop.run_in_executor(ls.linter, _fix_all, ls, uri)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


def _fix_all(ls: GilLintServer, uri: str) -> types.CodeAction | None:
    from gil_lint.fixes import fix_source

    doc = ls.workspace.get_text_document(uri)
    path = doc.path or uri
    result = fix_source(doc.source, path, ls.settings_for(path))
    if result.source == doc.source:
        return None
    lines = doc.lines
    end_row = len(lines) + 1
    whole = Edit(1, 1, end_row, 1, result.source)
    return types.CodeAction(
        title="gil-lint: Fix all safe fixes",
        kind=FIX_ALL_KIND,
        edit=_workspace_edit(uri, lines, [whole], doc.version),
    )


@server.command(VERIFY_COMMAND)
async def verify_finding(ls: GilLintServer, *args: Any) -> dict[str, Any] | None:
    """Run the runtime verifier on a finding in the background, with ``$/progress``.

    Arguments: ``{"uri", "line" (1-based), "code", "rounds"?, "workers"?, "timeout"?}``.
    The verdict is shown with ``window/showMessage`` and attached to the diagnostic as
    related information; the full report (the ``gil-lint verify --json`` shape) is returned.
    """
    spec = args[0] if args and isinstance(args[0], dict) else {}
    if args and isinstance(args[0], list) and args[0] and isinstance(args[0][0], dict):
        spec = args[0][0]
    uri, line, code = spec.get("uri"), spec.get("line"), spec.get("code")
    doc = ls.workspace.text_documents.get(uri) if isinstance(uri, str) else None
    if (
        doc is None
        or not isinstance(uri, str)
        or not doc.path
        or not isinstance(line, int)
        or not isinstance(code, str)
    ):
        ls.window_show_message(
            types.ShowMessageParams(
                types.MessageType.Error, "gil-lint verify: needs an open file, a line and a code"
            )
        )
        return None
    from gil_lint.verify import VerifyError, verify_callable

    token = f"gil-lint-verify-{uri}-{line}"
    progress = ls.work_done_progress
    try:
        await progress.create_async(token)
        progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=f"gil-lint: verifying {code} at line {line}", cancellable=False
            ),
        )
        started = True
    except Exception:  # the client does not do progress: run without it
        started = False
    loop = asyncio.get_running_loop()

    def report_mode(mode: str) -> None:
        if started:
            loop.call_soon_threadsafe(
                progress.report, token, types.WorkDoneProgressReport(message=f"running {mode}")
            )

    def run() -> Any:
        return verify_callable(
            doc.path,
            finding=code,
            line=line,
            rounds=int(spec.get("rounds", 3)),
            workers=spec.get("workers"),
            timeout=float(spec.get("timeout", 120)),
            progress=report_mode,
        )

    try:
        report = await loop.run_in_executor(ls.verifier, run)
    except VerifyError as e:
        message = f"could not verify {code} at line {line}: {e}"
        ls.window_show_message(
            types.ShowMessageParams(types.MessageType.Warning, f"gil-lint verify: {message}")
        )
        if started:
            progress.end(token, types.WorkDoneProgressEnd(message=message))
        return {"error": {"kind": getattr(e, "kind", "error"), "message": str(e)}}
    verdict = f"{report.verdict.label} — {report.verdict.detail}"
    ls.verdicts[(uri, line, code)] = verdict
    ls.window_show_message(
        types.ShowMessageParams(
            types.MessageType.Info, f"gil-lint verify {code} (line {line}): {verdict}"
        )
    )
    if started:
        progress.end(token, types.WorkDoneProgressEnd(message=verdict))
    ls.schedule(uri, 0.0)  # re-publish with the verdict attached
    return report.to_dict()


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded(lambda: None)
def hover(ls: GilLintServer, params: types.HoverParams) -> types.Hover | None:
    from gil_lint.rules import rule_by_code

    uri = params.text_document.uri
    doc = ls.workspace.text_documents.get(uri)
    if doc is None or params.position.line >= len(doc.lines):
        return None
    row, col = from_lsp_position(doc.lines, params.position)
    parts = []
    for d in ls.last_diagnostics(uri):
        inside = (d.row, d.col) <= (row, col) <= (d.end_row, d.end_col)
        rule = rule_by_code(d.code)
        if inside and rule is not None:
            parts.append(f"**{rule.CODE} {rule.NAME}**\n\n{d.message}\n\n{rule.docs()}")
    if not parts:
        return None
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)
        )
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(
        prog="gil-lint server", description="Run the gil-lint language server on stdio."
    )
    p.parse_args(argv or [])
    logging.basicConfig(level=logging.WARNING)
    server.start_io()
    return 0
