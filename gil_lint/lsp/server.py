"""``gil-lint server``: the language server (pygls 2, stdio).

Diagnostics are pushed on open and save at once and on change after a 250 ms
pause (a newer edit cancels the pending run); a snapshot of the document is linted
off the event loop (in a lint thread, or for a large document a separate process: see
``run_off_loop``), so the server keeps answering. Quick fixes, "disable for this line" and
``source.fixAll.gil-lint`` come from the same engine as the CLI.

Settings (``initializationOptions`` and ``workspace/didChangeConfiguration``, flat or
under ``"gil-lint"``/``"gilLint"``): ``select``, ``ignore``, ``extendSelect``,
``targetGil``, ``unsafeFixes``. They apply over the file's ``[tool.gil-lint]``:
``select`` replaces, ``ignore`` adds to the project's list.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import logging
import multiprocessing
import os
import re
import sys
import threading
import traceback
import uuid
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from gil_lint import __version__
from gil_lint.config import ConfigError, Settings, load_settings, settings_from_table
from gil_lint.diagnostics import Diagnostic, Edit
from gil_lint.engine.runner import CACHE_DIR_NAME
from gil_lint.lsp import worker
from gil_lint.lsp.convert import (
    UTF16,
    from_lsp_position,
    lines_with_ends,
    to_lsp_range,
    to_lsp_text_edit,
)
from gil_lint.observe import LAST_OBSERVATION, describe, last_observation
from gil_lint.text import NOQA, noqa_codes

DEBOUNCE_SECONDS = 0.25
# Documents this large are linted in a separate process: a lint thread would hold the GIL
# in C calls (ast.parse) long enough to stall the event loop. Smaller ones stay in-thread,
# which spares every server a second interpreter.
PROCESS_THRESHOLD = 100_000  # characters, ~2,500 lines
VERIFY_COMMAND = "gil-lint.verify"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.gil-lint"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
# editor setting -> [tool.gil-lint] key (validated by the same code as pyproject.toml)
EDITOR_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "extendSelect": "extend-select",
    "targetGil": "target-gil",
    "targetVersion": "target-version",
}
_HEADING = re.compile(r"^#{2,6} +(.+)$", re.MULTILINE)
_HEADER = b"Content-Length:"
_CONTENT_LENGTH = re.compile(rb"Content-Length: *(\d+)\r\n\Z")
# a larger Content-Length is a framing error: reading it would allocate that much at once
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """One version of an open document, taken on the event loop, linted in the worker."""

    uri: str
    path: str
    on_disk: bool  # a file: URI (the verifier needs a real file)
    source: str
    lines: list[str]
    version: int | None


class _Protocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls drops a request whose params do not validate without answering it, so the
        client waits for ever: answer it with the error (InvalidParams), then drop it."""
        try:
            return super().structure_message(data)
        except JsonRpcException as e:
            msg_id, method = data.get("id"), data.get("method")
            if isinstance(msg_id, (int, str)) and isinstance(method, str):
                self._send_response(msg_id, None, e.to_response_error())
            raise

    def _handle_notification(self, method_name: Any, params: Any) -> None:
        """Ignore, with a log line rather than an error pop-up, a notification pygls would
        trip over: a method that is not a string, or a change/save/close of a document
        that was never opened (a client bug)."""
        if not isinstance(method_name, str):
            log.warning("gil-lint: notification with method %r ignored", method_name)
            return
        if method_name in _DOCUMENT_NOTIFICATIONS:
            uri = getattr(getattr(params, "text_document", None), "uri", None)
            if uri not in self.workspace.text_documents:
                log.warning(
                    "gil-lint: %s for a document never opened ignored: %s", method_name, uri
                )
                return
        super()._handle_notification(method_name, params)


_DOCUMENT_NOTIFICATIONS = frozenset(
    {
        types.TEXT_DOCUMENT_DID_CHANGE,
        types.TEXT_DOCUMENT_DID_SAVE,
        types.TEXT_DOCUMENT_DID_CLOSE,
    }
)


class _Framing:
    """stdin for pygls' reader, which matches a header only at the start of a line: after
    a body without a header, or with a bad Content-Length, every later header ended up
    behind the stray bytes on its line and the server went deaf. Such a line is cut at
    its last header (the stream resynchronises at the next message), and an absurd
    Content-Length is dropped instead of crashing the server with a MemoryError.

    A Content-Length a few bytes too long is read as what it framed: the body ends where
    its JSON does, either when the client stops sending (reading on would wait for bytes
    that may never come, and the client waits for the answer) or where the bytes read
    past it begin the next header (they are kept for it, so that message is not lost)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.kept = b""  # bytes of the next message read past a body

    def readline(self) -> bytes:
        if b"\n" in self.kept:
            cut = self.kept.index(b"\n") + 1
            line, self.kept = self.kept[:cut], self.kept[cut:]
        else:
            line, self.kept = self.kept + self.raw.readline(), b""
        at = line.rfind(_HEADER)
        if at > 0 and _CONTENT_LENGTH.match(line, at):
            log.warning("gil-lint: %d stray bytes before a header skipped", at)
            line = line[at:]
        m = _CONTENT_LENGTH.match(line)
        if m is not None and int(m.group(1)) > MAX_MESSAGE_BYTES:
            log.warning("gil-lint: header dropped: %r", line)
            return b"X-Dropped-Content-Length: too large\r\n"
        return line

    def read(self, n: int) -> bytes:
        data, self.kept = self.kept[:n], self.kept[n:]
        while len(data) < n:
            chunk: bytes = self.raw.read1(n - len(data))
            if not chunk:
                return data
            data += chunk
            if len(data) < n and data.rstrip().endswith(b"}") and _is_json(data):
                log.warning("gil-lint: Content-Length %d for a body of %d bytes", n, len(data))
                return data
        if not data.rstrip().endswith(b"}"):
            end = data.rfind(b"}") + 1
            tail = data[end:].lstrip()
            if end and tail and _HEADER.startswith(tail[: len(_HEADER)]) and _is_json(data[:end]):
                log.warning("gil-lint: Content-Length %d for a body of %d bytes", n, end)
                self.kept = tail + self.kept
                return data[:end]
        return data


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


class GilLintServer(LanguageServer):
    def report_server_error(self, error: Exception, source: Any) -> None:
        """A message the server could not read (not JSON, not JSON-RPC, invalid params) is
        the client's bug: it goes to the log (the editor's output panel), not into an error
        pop-up in front of the user; errors in gil-lint's own handlers still pop up."""
        if source is JsonRpcException:
            log.warning("gil-lint: unreadable message ignored: %s", error)
            return
        super().report_server_error(error, source)

    def __init__(self, name: str, version: str) -> None:
        # Full sync: pygls applies incremental changes with str.splitlines, which also
        # breaks lines at \f and \u2028 and would corrupt such documents.
        super().__init__(
            name,
            version,
            text_document_sync_kind=types.TextDocumentSyncKind.Full,
            protocol_cls=_Protocol,
        )
        self.init_options: dict[str, Any] = {}
        self.options: dict[str, Any] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.results: dict[str, tuple[int | None, list[Diagnostic]]] = {}
        # other modules each document's findings were drawn from (helpers' summaries)
        self.deps: dict[str, frozenset[str]] = {}
        # open documents' text by absolute path: helpers are read from the buffer, not disk
        self.overlays: dict[str, str] = {}
        self.settings_cache: dict[str, Settings] = {}
        self.reported: dict[str, str] = {}  # settings problems already shown, by source
        self.loop: asyncio.AbstractEventLoop | None = None
        # lints, fixes and code actions run in these threads; a large document's lint and
        # fix in the lint process (run_off_loop)
        self.linter = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gil-lint")
        self.lint_process: Executor | None = None
        self.lint_process_lock = threading.Lock()
        self.verifier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gil-lint-verify")
        # (uri, row, code) -> the verifier's verdict line, shown as related information
        self.verdicts: dict[tuple[str, int, str], str] = {}
        # the last `gil-lint observe` report by project root, and when its file was written
        self.observations: dict[Path, tuple[float, dict[tuple[str, str, int, int], str]]] = {}
        # (uri, code, row, col) -> what `gil-lint observe` saw there (message and hover)
        self.observed: dict[tuple[str, str, int, int], str] = {}

    # -- settings (any thread) --------------------------------------------------------------
    def set_options(self, raw: Any, *, initial: bool = False) -> None:
        section = _settings_section(raw)
        if initial:
            self.init_options = section
        merged = {**self.init_options, **section}
        self.options = {k: v for k, v in merged.items() if v is not None}  # null: unset
        self.settings_cache.clear()
        self.results.clear()  # findings depend on the settings

    @property
    def unsafe_fixes(self) -> bool:
        # offered unless switched off: the user picks quick fixes one by one
        return self.options.get("unsafeFixes", True) is not False

    def settings_for(self, path: str) -> Settings:
        folder = str(Path(path).parent)
        cached = self.settings_cache.get(folder)
        if cached is not None:
            return cached
        try:
            base = load_settings(start=Path(folder))
            self.reported.pop(folder, None)
        except ConfigError as e:
            self.report_once(folder, f"gil-lint: {e} (linting with the defaults)")
            base = Settings()
        table = {key: self.options[k] for k, key in EDITOR_KEYS.items() if k in self.options}
        # like the CLI flags: the editor's ignore / extend-select add to the project's
        if isinstance(table.get("ignore"), list):
            table["ignore"] = [*base.ignore, *table["ignore"]]
        if isinstance(table.get("extend-select"), list):
            table["extend-select"] = [*base.extend_select, *table["extend-select"]]
        try:
            settings = settings_from_table(table, "editor settings", base)
            self.reported.pop("editor", None)
        except ConfigError as e:
            problem = str(e).replace("[tool.gil-lint] ", "")
            self.report_once("editor", f"gil-lint: {problem} (editor settings ignored)")
            settings = base
        self.settings_cache[folder] = settings
        return settings

    def report_once(self, source: str, message: str) -> None:
        if self.reported.get(source) == message:
            return
        self.reported[source] = message
        self.on_loop(
            self.window_show_message,
            types.ShowMessageParams(type=types.MessageType.Error, message=message),
        )

    def on_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` on the event loop: only the loop writes to the client."""
        if self.loop is None:
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    # -- documents and linting --------------------------------------------------------------
    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or UTF16)

    def snapshot(self, uri: str) -> Snapshot | None:
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return None
        source = doc.source
        return Snapshot(
            uri, doc.path or uri, bool(doc.path), source, lines_with_ends(source), doc.version
        )

    async def in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` in the lint thread (never on the event loop)."""
        self.loop = asyncio.get_running_loop()
        return await self.loop.run_in_executor(self.linter, fn, *args)

    def findings(self, snap: Snapshot) -> list[Diagnostic]:
        """Findings for this version (cached), linted in the calling (worker) thread."""
        cached = self.results.get(snap.uri)
        if cached is not None and cached[0] == snap.version and snap.version is not None:
            return cached[1]
        settings = self.settings_for(snap.path)
        # a lint in this process shares the live buffers; the lint process gets a copy
        overlays = self.overlays if len(snap.source) < PROCESS_THRESHOLD else dict(self.overlays)
        found, deps = self.run_off_loop(worker.lint, snap.source, snap.path, settings, overlays)
        self.note_observations(snap, found, settings)
        self.results[snap.uri] = (snap.version, found)
        self.deps[snap.uri] = deps
        return found

    def note_observations(
        self, snap: Snapshot, found: list[Diagnostic], settings: Settings
    ) -> None:
        """What the last ``gil-lint observe`` run saw at these findings (read in the lint
        thread: the file is re-read only when it changed; its modules are imported with
        the server, not first in a lint thread)."""
        root = settings.project_root or Path(snap.path).parent
        try:
            mtime = (root / CACHE_DIR_NAME / LAST_OBSERVATION).stat().st_mtime
        except OSError:
            mtime = -1.0
        known = self.observations.get(root)
        if known is None or known[0] != mtime:
            table: dict[tuple[str, str, int, int], str] = {}
            report = last_observation(root) if mtime >= 0 else None
            cwd = str((report or {}).get("cwd") or root)
            for f in (report or {}).get("findings", []):
                try:
                    key = (
                        os.path.normcase(os.path.abspath(os.path.join(cwd, f["filename"]))),
                        f["code"],
                        f["location"]["row"],
                        f["location"]["column"],
                    )
                    table[key] = describe(f["observed"])
                except (KeyError, TypeError, AttributeError):
                    continue
            known = self.observations[root] = (mtime, table)
        if not snap.on_disk:
            return
        path = os.path.normcase(os.path.abspath(snap.path))
        for d in found:
            text = known[1].get((path, d.code, d.row, d.col))
            key = (snap.uri, d.code, d.row, d.col)
            if text is None:
                self.observed.pop(key, None)
            else:
                self.observed[key] = text

    def buffer_changed(self, uri: str, delay: float) -> None:
        """A document changed (or was opened, saved, closed): lint it, and lint again the
        open documents whose findings were drawn from it (a helper's summary)."""
        snap = self.snapshot(uri)
        path = os.path.abspath(snap.path) if snap is not None and snap.on_disk else None
        if path is not None:
            self.overlays[path] = snap.source  # type: ignore[union-attr]
        if snap is not None:
            self.schedule(uri, delay)
        if path is not None:
            self.relint_dependents(uri, path, delay)

    def relint_dependents(self, uri: str, path: str, delay: float) -> None:
        for other, deps in list(self.deps.items()):
            if other != uri and path in deps and other in self.workspace.text_documents:
                self.results.pop(other, None)
                self.schedule(other, delay)

    def run_off_loop(self, fn: Callable[..., T], source: str, *args: Any) -> T:
        """``fn(source, *args)`` in this (worker) thread for small documents, else in the
        lint process (started on first use, restarted if it died; this thread if processes
        cannot be started here)."""
        if len(source) < PROCESS_THRESHOLD:
            return fn(source, *args)
        args = (source, *args)
        for _attempt in range(2):
            with self.lint_process_lock:
                pool = self.lint_process
                if pool is None:
                    try:
                        pool = self.lint_process = ProcessPoolExecutor(
                            max_workers=1,
                            mp_context=multiprocessing.get_context("spawn"),
                            initializer=worker.start,
                        )
                    except (OSError, ImportError, NotImplementedError):
                        return fn(*args)
            try:
                return pool.submit(fn, *args).result()
            except BrokenProcessPool:
                with self.lint_process_lock:  # killed or crashed: start a fresh one
                    if self.lint_process is pool:
                        self.lint_process = None
        return fn(*args)

    def stop_workers(self) -> None:
        self.linter.shutdown(wait=False, cancel_futures=True)
        if self.lint_process is not None:
            self.lint_process.shutdown(wait=False, cancel_futures=True)

    async def lint_and_publish(self, uri: str, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        snap = self.snapshot(uri)
        if snap is None:
            return
        try:
            found = await self.in_worker(self.findings, snap)
        except Exception:
            self.log_error(f"linting {uri} failed")
            return
        doc = self.workspace.text_documents.get(uri)
        if doc is None or doc.version != snap.version:
            return  # closed, or a newer edit is on its way
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=snap.version, diagnostics=[self.to_lsp(d, snap) for d in found]
            )
        )

    def schedule(self, uri: str, delay: float) -> None:
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        self.pending[uri] = asyncio.ensure_future(self.lint_and_publish(uri, delay))

    def forget(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.results.pop(uri, None)
        self.deps.pop(uri, None)

    def last_diagnostics(self, uri: str) -> list[Diagnostic]:
        """The latest findings, even if an edit is pending (for hover)."""
        cached = self.results.get(uri)
        return cached[1] if cached is not None else []

    def to_lsp(self, d: Diagnostic, snap: Snapshot) -> types.Diagnostic:
        enc = self.encoding
        rng = to_lsp_range(snap.lines, d.row, d.col, d.end_row, d.end_col, enc)
        related = []
        for e in d.evidence:
            # positions in this document are converted; other files are not open here
            here = e.path == d.path
            pos = to_lsp_range(snap.lines, e.row, e.col, e.row, e.col, enc) if here else None
            start = types.Position(max(e.row - 1, 0), max(e.col - 1, 0))
            related.append(
                types.DiagnosticRelatedInformation(
                    location=types.Location(
                        uri=snap.uri if here else (from_fs_path(e.path) or e.path),
                        range=pos or types.Range(start, start),
                    ),
                    message=e.message,
                )
            )
        verdict = self.verdicts.get((snap.uri, d.row, d.code))
        if verdict is not None:
            related.append(
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=snap.uri, range=rng),
                    message=f"gil-lint verify: {verdict}",
                )
            )
        observed = self.observed.get((snap.uri, d.code, d.row, d.col))
        return types.Diagnostic(
            range=rng,
            message=f"{d.message} (observed: {observed})" if observed else d.message,
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


def _settings_section(raw: Any) -> dict[str, Any]:
    """Our settings from a flat object or one nested under "gil-lint"/"gilLint"."""
    if not isinstance(raw, dict):
        return {}
    for key in ("gil-lint", "gilLint", "gil_lint"):
        if isinstance(raw.get(key), dict):
            return dict(raw[key])
    return dict(raw)


server = GilLintServer("gil-lint", __version__)


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
    ls.set_options(params.initialization_options, initial=True)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded(lambda: None)
def did_change_configuration(ls: GilLintServer, params: types.DidChangeConfigurationParams) -> None:
    ls.set_options(params.settings)
    for uri in list(ls.workspace.text_documents):
        ls.schedule(uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@guarded(lambda: None)
def did_open(ls: GilLintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.buffer_changed(params.text_document.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded(lambda: None)
def did_change(ls: GilLintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.buffer_changed(params.text_document.uri, DEBOUNCE_SECONDS)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@guarded(lambda: None)
def did_save(ls: GilLintServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.settings_cache.clear()  # the saved file may be a pyproject.toml next to it
    ls.results.pop(params.text_document.uri, None)
    ls.buffer_changed(params.text_document.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded(lambda: None)
def did_close(ls: GilLintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.forget(uri)
    path = to_fs_path(uri)
    if path is not None and ls.overlays.pop(os.path.abspath(path), None) is not None:
        ls.relint_dependents(uri, os.path.abspath(path), 0.0)  # the file on disk counts again
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
    )


@server.feature(types.SHUTDOWN)
@guarded(lambda: None)
def shutdown(ls: GilLintServer, params: Any) -> None:
    for uri in list(ls.pending):
        ls.forget(uri)
    ls.stop_workers()


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
    snap = ls.snapshot(params.text_document.uri)
    if snap is None:
        return []
    return await ls.in_worker(code_actions, ls, snap, params.range, params.context.only or [])


def code_actions(
    ls: GilLintServer, snap: Snapshot, rng: types.Range, only: Sequence[str]
) -> list[types.CodeAction | types.Command]:
    """The actions for ``rng`` (runs in the worker). The findings are recomputed for this
    version (or taken from its cache), so a client that sends no ``context.diagnostics``
    (Neovim may not) or stale ones still gets the right actions."""
    kinds = [str(getattr(k, "value", k)) for k in only]
    actions: list[types.CodeAction | types.Command] = []
    if not kinds or any(k.startswith(types.CodeActionKind.QuickFix.value) for k in kinds):
        for d in ls.findings(snap):
            if not d.code.startswith("GIL00") and _overlaps(ls, d, snap, rng):
                actions.extend(_quick_fixes(ls, d, snap))
    wanted = ("source", types.CodeActionKind.SourceFixAll.value, FIX_ALL_KIND)
    if not kinds or any(k in wanted for k in kinds):
        fix_all = _fix_all(ls, snap)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


def _overlaps(ls: GilLintServer, d: Diagnostic, snap: Snapshot, rng: types.Range) -> bool:
    r = to_lsp_range(snap.lines, d.row, d.col, d.end_row, d.end_col, ls.encoding)
    start, end = (r.start.line, r.start.character), (r.end.line, r.end.character)
    return not (
        end < (rng.start.line, rng.start.character) or (rng.end.line, rng.end.character) < start
    )


def _quick_fixes(
    ls: GilLintServer, d: Diagnostic, snap: Snapshot
) -> list[types.CodeAction | types.Command]:
    lsp_diag = ls.to_lsp(d, snap)
    out: list[types.CodeAction | types.Command] = []
    fix = d.fix
    if fix is not None and fix.edits and (fix.applicability == "safe" or ls.unsafe_fixes):
        unsafe = fix.applicability == "unsafe"
        out.append(
            types.CodeAction(
                title=f"gil-lint: {fix.message}" + (" (unsafe)" if unsafe else ""),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp_diag],
                is_preferred=not unsafe,
                edit=_workspace_edit(ls, snap, list(fix.edits)),
            )
        )
    if snap.on_disk and verifiable(d.code):
        # a bare Command: a CodeAction holding only a command is ambiguous to clients
        out.append(
            types.Command(
                title=f"gil-lint: Verify this finding ({d.code}) by measuring it",
                command=VERIFY_COMMAND,
                arguments=[{"uri": snap.uri, "line": d.row, "code": d.code}],
            )
        )
    noqa = _noqa_edit(snap, d)
    if noqa is not None:
        out.append(
            types.CodeAction(
                title=f"gil-lint: Disable {d.code} for this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp_diag],
                edit=_workspace_edit(ls, snap, [noqa]),
            )
        )
    return out


def _workspace_edit(ls: GilLintServer, snap: Snapshot, edits: list[Edit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=snap.uri, version=snap.version
                ),
                edits=[to_lsp_text_edit(snap.lines, e, ls.encoding) for e in edits],
            )
        ]
    )


def _noqa_edit(snap: Snapshot, d: Diagnostic) -> Edit | None:
    """``  # noqa: CODE`` at the end of the finding's first line (its last line if the first
    continues with a backslash or ends inside a string), or CODE added to a noqa there."""
    for row in dict.fromkeys((d.row, d.end_row)):
        if not 1 <= row <= len(snap.lines):
            continue
        text = snap.lines[row - 1].rstrip("\r\n")
        if text.rstrip().endswith("\\"):
            continue
        m = NOQA.search(text)
        if m is None:
            end = len(text) + 1
            edit = Edit(row, end, row, end, f"  # noqa: {d.code}")
        elif m.group("codes"):
            codes = noqa_codes(m.group("codes"))
            merged = ", ".join([*codes, d.code])
            edit = Edit(row, m.start("codes") + 1, row, m.end("codes") + 1, merged)
        else:
            return None  # a bare noqa silences the line already
        if ("'''" in text or '"""' in text or row != d.row) and not _parses_with(snap, edit):
            continue
        return edit
    return None


def _parses_with(snap: Snapshot, edit: Edit) -> bool:
    line = snap.lines[edit.row - 1]
    body = line.rstrip("\r\n")
    new_line = body[: edit.col - 1] + edit.content + body[edit.end_col - 1 :] + line[len(body) :]
    lines = [*snap.lines[: edit.row - 1], new_line, *snap.lines[edit.row :]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return False
    return True


def _fix_all(ls: GilLintServer, snap: Snapshot) -> types.CodeAction | None:
    fixed = ls.run_off_loop(worker.fix, snap.source, snap.path, ls.settings_for(snap.path))
    if fixed == snap.source:
        return None
    # one edit over the changed lines only: the editor keeps folds and the cursor elsewhere
    old, new = snap.lines, lines_with_ends(fixed)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    edit = Edit(head + 1, 1, len(old) - tail + 1, 1, "".join(new[head : len(new) - tail]))
    return types.CodeAction(
        title="gil-lint: Fix all safe fixes",
        kind=FIX_ALL_KIND,
        edit=_workspace_edit(ls, snap, [edit]),
    )


def verifiable(code: str) -> bool:
    """Whether the runtime verifier can measure a finding of ``code`` (``Rule.VERIFY``)."""
    from gil_lint.rules import rule_by_code  # loaded already: the finding came from a lint

    rule = rule_by_code(code)
    return rule is not None and rule.VERIFY is not None


@server.command(VERIFY_COMMAND)
async def verify_finding(ls: GilLintServer, *args: Any) -> dict[str, Any] | None:
    """Run the runtime verifier on a finding in the background, with ``$/progress``.

    Arguments: ``{"uri", "line" (1-based), "code", "rounds"?, "workers"?, "timeout"?}``.
    The verdict is shown with ``window/showMessage`` and attached to the diagnostic as
    related information; the full report (the ``gil-lint verify --json`` shape) is returned.
    """
    request = _verify_request(ls, args)
    if request is None:
        ls.window_show_message(
            types.ShowMessageParams(
                types.MessageType.Error, "gil-lint verify: needs an open file, a line and a code"
            )
        )
        return None
    from gil_lint.verify import VerifyError

    progress = _VerifyProgress(ls)
    await progress.begin(f"gil-lint: verifying {request.code} at line {request.line}")
    try:
        # in the verifier thread: the measurement runs for seconds (its workloads run in
        # child processes of their own)
        report = await progress.loop.run_in_executor(ls.verifier, request.run, progress.report)
    except VerifyError as e:
        message = f"could not verify {request.code} at line {request.line}: {e}"
        ls.window_show_message(
            types.ShowMessageParams(types.MessageType.Warning, f"gil-lint verify: {message}")
        )
        progress.end(message)
        return {"error": {"kind": getattr(e, "kind", "error"), "message": str(e)}}
    verdict = f"{report.verdict.label} — {report.verdict.detail}"
    _publish_verdict(ls, request, verdict)
    progress.end(verdict)
    return report.to_dict()


@dataclass(frozen=True)
class _VerifyRequest:
    """A checked ``gil-lint.verify`` command: which finding of which open file."""

    uri: str
    path: str
    line: int
    code: str
    spec: dict[str, Any]

    def run(self, progress: Callable[[str], None]) -> Any:
        from gil_lint.verify import verify_callable

        return verify_callable(
            self.path,
            finding=self.code,
            line=self.line,
            rounds=int(self.spec.get("rounds", 3)),
            workers=self.spec.get("workers"),
            timeout=float(self.spec.get("timeout", 120)),
            progress=progress,
        )


def _verify_request(ls: GilLintServer, args: Sequence[Any]) -> _VerifyRequest | None:
    """The command's argument (an object, or a list holding one), if it names a line and
    a code in an open file on disk."""
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
        return None
    return _VerifyRequest(uri, doc.path, line, code, spec)


class _VerifyProgress:
    """``$/progress`` for one verify run, for clients that asked for it; silent otherwise."""

    def __init__(self, ls: GilLintServer) -> None:
        self.progress = ls.work_done_progress
        window = ls.client_capabilities.window if ls.client_capabilities else None
        self.wanted = window is not None and bool(window.work_done_progress)
        # a fresh token per run: pygls never forgets one, so a second verify of the same
        # finding with a fixed token got no progress at all
        self.token = f"gil-lint-verify-{uuid.uuid4().hex}"
        self.started = False
        self.loop = asyncio.get_running_loop()

    async def begin(self, title: str) -> None:
        if not self.wanted:
            return
        try:
            await self.progress.create_async(self.token)
            self.progress.begin(
                self.token, types.WorkDoneProgressBegin(title=title, cancellable=False)
            )
            self.started = True
        except Exception:  # the client refused: run without progress
            self.started = False

    def report(self, mode: str) -> None:
        """From the verifier thread: which mode is being measured."""
        if self.started:
            self.loop.call_soon_threadsafe(
                self.progress.report,
                self.token,
                types.WorkDoneProgressReport(message=f"running {mode}"),
            )

    def end(self, message: str) -> None:
        if self.started:
            self.progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.progress.tokens.pop(self.token, None)


def _publish_verdict(ls: GilLintServer, request: _VerifyRequest, verdict: str) -> None:
    """Show the verdict and attach it to the finding (re-published with the diagnostics)."""
    ls.verdicts[(request.uri, request.line, request.code)] = verdict
    ls.window_show_message(
        types.ShowMessageParams(
            types.MessageType.Info,
            f"gil-lint verify {request.code} (line {request.line}): {verdict}",
        )
    )
    ls.schedule(request.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded(lambda: None)
def hover(ls: GilLintServer, params: types.HoverParams) -> types.Hover | None:
    snap = ls.snapshot(params.text_document.uri)
    if snap is None or params.position.line >= len(snap.lines):
        return None
    return _hover(ls, snap, from_lsp_position(snap.lines, params.position, ls.encoding))


def _hover(ls: GilLintServer, snap: Snapshot, at: tuple[int, int]) -> types.Hover | None:
    from gil_lint.rules import rule_by_code

    parts, ranges = [], []
    for d in ls.last_diagnostics(snap.uri):
        rule = rule_by_code(d.code)
        if rule is not None and (d.row, d.col) <= at <= (d.end_row, d.end_col):
            # the docs' "## What it does" headings would render as large headings: bold lines
            docs = _HEADING.sub(r"**\1**", rule.docs())
            observed = ls.observed.get((snap.uri, d.code, d.row, d.col))
            seen = f"\n\n**observed:** {observed}" if observed else ""
            parts.append(f"**{rule.CODE} {rule.NAME}**\n\n{d.message}{seen}\n\n{docs}")
            ranges.append(to_lsp_range(snap.lines, d.row, d.col, d.end_row, d.end_col, ls.encoding))
    if not parts:
        return None
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)
        ),
        range=ranges[0],
    )


def settle() -> None:
    """Load the engine, the rules and the default knowledge now rather than on the first
    lint, then freeze the heap: all of it (with pygls and lsprotocol, ~100,000 objects)
    lives as long as the server, and the cycle collector's full collections during every
    lint no longer walk it (~8% of a lint of a 2,000-line file)."""
    import gc

    worker.load_engine()
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="gil-lint server", description="Run the gil-lint language server on stdio."
    )
    # editors' clients often pass --stdio; stdio is the only transport
    p.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    p.parse_args(argv or [])
    logging.basicConfig(level=logging.WARNING)
    settle()
    try:
        server.start_io(stdin=_Framing(sys.stdin.buffer))  # type: ignore[arg-type]
    finally:
        server.stop_workers()
    return 0
