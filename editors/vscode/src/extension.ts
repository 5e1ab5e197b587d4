// gil-lint for VS Code: a thin client for `gil-lint server` (the shape of Microsoft's
// lsp-sample). Everything — diagnostics, quick fixes, fix-all, hover, verify — is the
// server's; this file starts it, forwards settings and adds two commands.
import * as os from 'os';
import * as path from 'path';
import {
  commands,
  Diagnostic,
  ExtensionContext,
  languages,
  OutputChannel,
  Range,
  Uri,
  window,
  workspace,
} from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';

const SECTION = 'gilLint';
// the server's executeCommand (gil_lint/lsp/server.py VERIFY_COMMAND)
const VERIFY_COMMAND = 'gil-lint.verify';
const DIAGNOSTIC_SOURCE = 'gil-lint';

let client: LanguageClient | undefined;
let output: OutputChannel;
// the settings the running server was started with (its initializationOptions)
let initialSettings: Record<string, unknown> = {};
// serialises start/stop/restart: a configuration change during a start waits for it
let lifecycle: Promise<void> = Promise.resolve();

/** The settings the server reads (gil_lint/lsp/server.py EDITOR_KEYS and unsafeFixes).
 *
 * A setting left at its "use the project's value" default is not sent at all: `select`,
 * `extendSelect` and `targetGil` replace `[tool.gil-lint]`'s values when present, so an
 * empty list or "project" must not reach the server. `ignore` is added to the project's
 * list, so an empty one is harmless and is always sent. */
export function serverSettings(): Record<string, unknown> {
  const config = workspace.getConfiguration(SECTION);
  const settings: Record<string, unknown> = {
    unsafeFixes: config.get<boolean>('unsafeFixes', true),
    ignore: codes(config.get('ignore')),
  };
  for (const key of ['select', 'extendSelect']) {
    const value = codes(config.get(key));
    if (value.length > 0) {
      settings[key] = value;
    }
  }
  const targetGil = config.get<string>('targetGil', 'project');
  if (targetGil && targetGil !== 'project') {
    settings.targetGil = targetGil;
  }
  return settings;
}

function codes(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `gilLint.serverCommand` with `${workspaceFolder}`, `${userHome}` and `~` expanded. */
function serverCommand(): string[] {
  const raw = workspace.getConfiguration(SECTION).get<unknown>('serverCommand');
  const command = codes(raw);
  if (command.length === 0 || !command[0]) {
    return ['gil-lint', 'server'];
  }
  const folder = workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  return command.map((part) =>
    part
      .replace(/\$\{workspaceFolder\}/g, folder)
      .replace(/\$\{userHome\}/g, os.homedir())
      .replace(/^~(?=$|\/|\\)/, os.homedir()),
  );
}

function createClient(): LanguageClient {
  const [command, ...args] = serverCommand();
  const folder = workspace.workspaceFolders?.[0]?.uri.fsPath;
  const serverOptions: ServerOptions = {
    command,
    args,
    options: folder ? { cwd: folder } : undefined,
  };
  initialSettings = serverSettings();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    diagnosticCollectionName: 'gil-lint',
    outputChannel: output,
    traceOutputChannel: output,
    // the server reads its settings flat or under "gilLint"
    initializationOptions: { [SECTION]: initialSettings },
  };
  output.appendLine(
    `[${new Date().toISOString()}] starting: ${[command, ...args].join(' ')} ` +
      `with ${JSON.stringify(initialSettings)}`,
  );
  return new LanguageClient('gilLint', 'gil-lint', serverOptions, clientOptions);
}

async function startServer(): Promise<void> {
  const next = createClient();
  client = next;
  try {
    await next.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    output.appendLine(`could not start the server: ${message}`);
    if (client === next) {
      client = undefined;
    }
    await next.dispose().catch(() => undefined);
    // not awaited: the next start/restart must not wait for the user to dismiss this
    void window
      .showErrorMessage(
        `gil-lint: could not start the server (${serverCommand().join(' ')}). ` +
          'Install gil-lint (pip install gil-lint) or set gilLint.serverCommand.',
        'Open Settings',
        'Show Output',
      )
      .then((choice) => {
        if (choice === 'Open Settings') {
          void commands.executeCommand('workbench.action.openSettings', 'gilLint.serverCommand');
        } else if (choice === 'Show Output') {
          output.show(true);
        }
      });
  }
}

async function stopServer(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.dispose(2000);
    } catch (err) {
      output.appendLine(`stopping the server: ${err instanceof Error ? err.message : err}`);
    }
  }
}

function queue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step);
  return lifecycle;
}

function restartServer(): Promise<void> {
  return queue(async () => {
    await stopServer();
    await startServer();
  });
}

/** Send changed settings; restart when one was removed (the server merges each
 * didChangeConfiguration over its initializationOptions, so a key given at start
 * cannot be taken back without a new start). */
function settingsChanged(): Promise<void> {
  return queue(async () => {
    const settings = serverSettings();
    const removed = Object.keys(initialSettings).filter((key) => !(key in settings));
    if (!client || removed.length > 0) {
      output.appendLine(`settings no longer set (${removed.join(', ')}): restarting`);
      await stopServer();
      await startServer();
      return;
    }
    if (client.isRunning()) {
      output.appendLine(`settings changed: ${JSON.stringify(settings)}`);
      await client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: settings },
      });
    }
  });
}

function diagnosticCode(d: Diagnostic): string | undefined {
  const code = typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
  return code === undefined ? undefined : String(code);
}

/** "gil-lint: Verify finding": run the server's verifier on the finding under the cursor. */
async function verifyFinding(): Promise<void> {
  const editor = window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void window.showInformationMessage('gil-lint: open a Python file and put the cursor on a finding.');
    return;
  }
  if (!client || !client.isRunning()) {
    void window.showErrorMessage('gil-lint: the server is not running (see "gil-lint: Show Output").');
    return;
  }
  const doc = editor.document;
  const cursor = editor.selection.active;
  const ours = languages
    .getDiagnostics(doc.uri)
    .filter((d) => d.source === DIAGNOSTIC_SOURCE && diagnosticCode(d));
  let candidates = ours.filter((d) => d.range.contains(cursor));
  if (candidates.length === 0) {
    candidates = ours.filter((d) => d.range.start.line <= cursor.line && cursor.line <= d.range.end.line);
  }
  if (candidates.length === 0) {
    void window.showInformationMessage('gil-lint: no finding under the cursor.');
    return;
  }
  let chosen = candidates[0];
  if (candidates.length > 1) {
    const picked = await window.showQuickPick(
      candidates.map((d) => ({ label: diagnosticCode(d) ?? '', detail: d.message, diagnostic: d })),
      { placeHolder: 'Which finding should gil-lint verify?' },
    );
    if (!picked) {
      return;
    }
    chosen = picked.diagnostic;
  }
  if (doc.isUntitled) {
    void window.showInformationMessage('gil-lint: save the file first; the verifier runs it from disk.');
    return;
  }
  if (doc.isDirty) {
    const choice = await window.showInformationMessage(
      'gil-lint verify runs the file as saved on disk.',
      'Save and Verify',
    );
    if (choice !== 'Save and Verify' || !(await doc.save())) {
      return;
    }
  }
  const code = diagnosticCode(chosen) as string;
  const line = chosen.range.start.line + 1; // the server wants 1-based lines
  await runVerify(doc.uri, line, code, chosen.range);
}

async function runVerify(uri: Uri, line: number, code: string, range: Range): Promise<void> {
  const running = client;
  if (!running) {
    return;
  }
  const args = { uri: running.code2ProtocolConverter.asUri(uri), line, code };
  output.appendLine(`verify ${code} at ${path.basename(uri.fsPath)}:${line} (${range.start.character + 1})`);
  // The server reports progress and shows the verdict itself; the full report is logged.
  try {
    const report = await running.sendRequest(ExecuteCommandRequest.type, {
      command: VERIFY_COMMAND,
      arguments: [args],
    });
    output.appendLine(JSON.stringify(report, null, 2));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    output.appendLine(`verify failed: ${message}`);
    void window.showErrorMessage(`gil-lint verify failed: ${message}`);
  }
}

export async function activate(context: ExtensionContext): Promise<void> {
  output = window.createOutputChannel('gil-lint');
  context.subscriptions.push(
    output,
    commands.registerCommand('gilLint.restartServer', () => restartServer()),
    commands.registerCommand('gilLint.verifyFinding', () => verifyFinding()),
    commands.registerCommand('gilLint.showOutput', () => output.show(true)),
    workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.serverCommand`)) {
        output.appendLine('gilLint.serverCommand changed: restarting');
        void restartServer();
      } else if (
        ['select', 'extendSelect', 'ignore', 'unsafeFixes', 'targetGil'].some((key) =>
          e.affectsConfiguration(`${SECTION}.${key}`),
        )
      ) {
        void settingsChanged();
      }
    }),
  );
  await queue(startServer);
}

export function deactivate(): Promise<void> {
  return queue(stopServer);
}
