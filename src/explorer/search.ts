import * as vscode from 'vscode';
import { CancelledError, withTimeLimit } from '../core/cancel';
import type { PathFilter, RemoteOpsProvider, SearchMatch } from '../core/remote/types';
import { checkPattern } from '../core/remote/filterEdit';
import { hpcUri } from '../fs/hpcUri';

type Mode = 'name' | 'content';

interface ModeItem extends vscode.QuickPickItem {
  mode: Mode;
}

interface MatchItem extends vscode.QuickPickItem {
  match: SearchMatch;
}

const MAX_RESULTS = 2000;
/** A search (the user's pattern over a folder of any size) is stopped on the host after this long. */
const SEARCH_TIME_LIMIT_MS = 5 * 60_000;
/** Matched lines are short already (the agent and grep cap them); the local column search stays bounded too. */
const MAX_COLUMN_SEARCH_CHARS = 1000;

/** Asks what to look for: the text typed, searched in file names or file contents. */
async function askQuery(folderLabel: string): Promise<{ mode: Mode; text: string } | undefined> {
  const qp = vscode.window.createQuickPick<ModeItem>();
  qp.title = `Search in ${folderLabel}`;
  qp.placeholder = 'Type a file name (glob or part of it) or text to find in files (regular expression)';
  qp.ignoreFocusOut = true;
  const update = () => {
    const v = qp.value;
    const shown = v.length > 60 ? `${v.slice(0, 59)}…` : v;
    const problem = v ? checkPattern(v) : undefined;
    qp.items = v
      ? [
          { mode: 'name', label: `$(file) Find files named “${shown}”`, alwaysShow: true },
          {
            mode: 'content',
            label: `$(search) Find “${shown}” in file contents`,
            alwaysShow: true,
            ...(problem ? { description: '(invalid regular expression)', detail: problem } : {}),
          },
        ]
      : [];
  };
  qp.onDidChangeValue(update);
  update();
  try {
    return await new Promise((resolve) => {
      qp.onDidAccept(() => {
        const picked = qp.selectedItems[0] ?? qp.activeItems[0];
        if (!picked || !qp.value) return;
        if (picked.mode === 'content' && checkPattern(qp.value)) return;
        resolve({ mode: picked.mode, text: qp.value });
        qp.hide();
      });
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
  } finally {
    qp.dispose();
  }
}

/**
 * Search in Folder…: names or contents through RemoteOps.search (the host's filter applies),
 * with a cancellable progress notification, then a quick pick of `path:line text` results that
 * opens the `hpc:` file at the match.
 */
export async function searchInFolder(remote: RemoteOpsProvider, host: string, folder: string, filter: PathFilter | undefined): Promise<void> {
  const query = await askQuery(`${host}:${folder}`);
  if (!query) throw new CancelledError();
  const { matches, truncated } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Searching ${folder} on ${host}…`, cancellable: true },
    async (_progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort(new CancelledError()));
      try {
        const ops = await remote.ops(host);
        const limit = `The search took longer than ${SEARCH_TIME_LIMIT_MS / 60_000} minutes and was stopped: search a smaller folder or a more specific pattern.`;
        return await withTimeLimit(SEARCH_TIME_LIMIT_MS, limit, abort.signal, (signal) =>
          ops.search(folder, {
            ...(query.mode === 'name' ? { namePattern: query.text } : { contentPattern: query.text }),
            maxResults: MAX_RESULTS,
            ...(filter ? { filter } : {}),
            signal,
          }),
        );
      } catch (e) {
        if (token.isCancellationRequested) throw new CancelledError();
        throw e;
      } finally {
        sub.dispose();
      }
    },
  );
  if (matches.length === 0) {
    void vscode.window.showInformationMessage(`No ${query.mode === 'name' ? 'files named' : 'matches for'} “${query.text}” in ${folder}.`);
    return;
  }
  const rel = (p: string) => (p.startsWith(`${folder}/`) ? p.slice(folder.length + 1) : p);
  const items: MatchItem[] = matches.map((m) => ({
    label: `$(${m.line !== undefined ? 'search' : 'file'}) ${rel(m.path)}${m.line !== undefined ? `:${m.line}` : ''}`,
    ...(m.text !== undefined ? { description: m.text.trim().slice(0, 200) } : {}),
    match: m,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `${matches.length}${truncated ? '+' : ''} result${matches.length === 1 ? '' : 's'} for “${query.text}” in ${folder}${truncated ? ' (first ' + matches.length + ')' : ''}`,
    placeHolder: 'Pick a result to open it',
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  if (!picked) return;
  const m = picked.match;
  const uri = hpcUri(host, m.path);
  if (m.line !== undefined) {
    const line = Math.max(0, m.line - 1);
    const col = m.text !== undefined ? Math.max(0, findColumn(m.text, query.text)) : 0;
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(line, col, line, col), preview: true });
    return;
  }
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.type & vscode.FileType.Directory) {
    await vscode.commands.executeCommand('remoteHpc.explorer.reveal', uri);
  } else {
    await vscode.commands.executeCommand('remoteHpc.explorer.open', uri);
  }
}

function findColumn(whole: string, pattern: string): number {
  const line = whole.slice(0, MAX_COLUMN_SEARCH_CHARS);
  try {
    return line.search(new RegExp(pattern, 'i'));
  } catch {
    return line.toLowerCase().indexOf(pattern.toLowerCase());
  }
}
