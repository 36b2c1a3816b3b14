import * as vscode from 'vscode';
import { CancelledError, withTimeLimit } from '../core/cancel';
import type { PathFilter, RemoteOpsProvider, SearchMatch, SearchResult, SearchSkip } from '../core/remote/types';
import { checkPattern } from '../core/remote/filterEdit';
import { RemoteFsError, classifyRemoteError } from '../core/remote/errors';
import { SEARCH_MAX_FILE_SIZE, describeSkip, describeSkips, matchColumn } from '../core/remote/search';
import { formatSize } from '../core/remote/format';
import { hpcUri } from '../fs/hpcUri';

type Mode = 'name' | 'content';

interface Query {
  mode: Mode;
  text: string;
  caseSensitive: boolean;
  regex: boolean;
}

interface ModeItem extends vscode.QuickPickItem {
  mode: Mode;
}

type ResultItem = vscode.QuickPickItem & ({ match: SearchMatch } | { skip: SearchSkip } | { searchBig: true } | { info: true });

const MAX_RESULTS = 2000;
/** A search (the user's pattern over a folder of any size) is stopped on the host after this long. */
const SEARCH_TIME_LIMIT_MS = 5 * 60_000;

/** The Aa and .* toggles, kept for the next search of the session (as VS Code's search does). */
const toggles = { caseSensitive: false, regex: false };

function toggleButton(name: 'caseSensitive' | 'regex'): vscode.QuickInputButton {
  const on = toggles[name];
  const what = name === 'caseSensitive' ? 'Match Case' : 'Use Regular Expression';
  return { iconPath: new vscode.ThemeIcon(name === 'caseSensitive' ? 'case-sensitive' : 'regex'), tooltip: `${what} (${on ? 'on' : 'off'})` };
}

/** "match case, regular expression" / "ignore case, literal text": how the content search will read the text. */
function describeToggles(q: { caseSensitive: boolean; regex: boolean }): string {
  return `${q.caseSensitive ? 'match case' : 'ignore case'}, ${q.regex ? 'regular expression' : 'literal text'}`;
}

/**
 * Asks what to look for: the text typed, searched in file names or file contents (literal text,
 * ignoring case, unless the Match Case / Use Regular Expression buttons are on).
 */
async function askQuery(folderLabel: string): Promise<Query | undefined> {
  const qp = vscode.window.createQuickPick<ModeItem>();
  qp.placeholder = 'Type a file name (glob or part of it) or text to find in files';
  qp.ignoreFocusOut = true;
  const buttons: Record<'caseSensitive' | 'regex', vscode.QuickInputButton> = { caseSensitive: toggleButton('caseSensitive'), regex: toggleButton('regex') };
  const update = () => {
    buttons.caseSensitive = toggleButton('caseSensitive');
    buttons.regex = toggleButton('regex');
    qp.buttons = [buttons.caseSensitive, buttons.regex];
    qp.title = `Search in ${folderLabel} (contents: ${describeToggles(toggles)})`;
    const v = qp.value;
    const shown = v.length > 60 ? `${v.slice(0, 59)}…` : v;
    const problem = v && toggles.regex ? checkPattern(v) : undefined;
    qp.items = v
      ? [
          { mode: 'name', label: `$(file) Find files named “${shown}”`, alwaysShow: true },
          {
            mode: 'content',
            label: `$(search) Find “${shown}” in file contents`,
            alwaysShow: true,
            ...(problem ? { description: '(invalid regular expression)', detail: problem } : { description: `(${describeToggles(toggles)})` }),
          },
        ]
      : [];
  };
  qp.onDidChangeValue(update);
  qp.onDidTriggerButton((b) => {
    const name = b === buttons.caseSensitive ? 'caseSensitive' : b === buttons.regex ? 'regex' : undefined;
    if (!name) return;
    toggles[name] = !toggles[name];
    update();
  });
  update();
  try {
    return await new Promise((resolve) => {
      qp.onDidAccept(() => {
        const picked = qp.selectedItems[0] ?? qp.activeItems[0];
        if (!picked || !qp.value) return;
        if (picked.mode === 'content' && toggles.regex && checkPattern(qp.value)) return;
        resolve({ mode: picked.mode, text: qp.value, ...toggles });
        qp.hide();
      });
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
  } finally {
    qp.dispose();
  }
}

/** One search with a cancellable progress notification; cancel and the time limit stop it on the host. */
async function runSearch(remote: RemoteOpsProvider, host: string, folder: string, query: Query, filter: PathFilter | undefined, maxFileSize: number | null): Promise<SearchResult> {
  const title = maxFileSize === null ? `Searching ${folder} on ${host}, large files included…` : `Searching ${folder} on ${host}…`;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (_progress, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort(new CancelledError()));
    try {
      const ops = await remote.ops(host);
      const limit = `The search took longer than ${SEARCH_TIME_LIMIT_MS / 60_000} minutes and was stopped: search a smaller folder or a more specific pattern.`;
      return await withTimeLimit(SEARCH_TIME_LIMIT_MS, limit, abort.signal, (signal) =>
        ops.search(folder, {
          ...(query.mode === 'name' ? { namePattern: query.text } : { contentPattern: query.text, caseSensitive: query.caseSensitive, regex: query.regex, maxFileSize }),
          maxResults: MAX_RESULTS,
          ...(filter ? { filter } : {}),
          signal,
        }),
      );
    } catch (e) {
      if (token.isCancellationRequested) throw new CancelledError();
      // Not "No matches": the folder itself could not be read.
      if (classifyRemoteError(e) === 'no-permission') throw new RemoteFsError('no-permission', folder, `Cannot search ${folder} on ${host}: permission denied.`, { cause: e });
      throw e;
    } finally {
      sub.dispose();
    }
  });
}

/** The result list: what was not searched (with "Search these too" for the large files) above the matches. */
function resultItems(folder: string, result: SearchResult, maxFileSize: number | null): ResultItem[] {
  const rel = (p: string) => (p.startsWith(`${folder}/`) ? p.slice(folder.length + 1) : p);
  const items: ResultItem[] = [];
  const counts = result.skippedCounts;
  const skippedTotal = Object.values(counts).reduce((a, b) => a + b, 0);
  if (skippedTotal > 0) {
    items.push({ label: `Not searched: ${describeSkips(result, maxFileSize)}`, kind: vscode.QuickPickItemKind.Separator, info: true });
    const big = counts['too-big'] ?? 0;
    if (big > 0 && maxFileSize !== null) {
      items.push({
        label: '$(search) Search these too',
        description: `also the ${big === 1 ? 'file' : `${big} files`} over ${formatSize(maxFileSize)}`,
        alwaysShow: true,
        searchBig: true,
      });
    }
    for (const s of result.skipped) {
      items.push({ label: `$(${s.folder ? 'folder' : 'warning'}) ${rel(s.path)}`, description: describeSkip(s), skip: s });
    }
    if (skippedTotal > result.skipped.length) items.push({ label: `$(info) … and ${skippedTotal - result.skipped.length} more not listed`, info: true });
    if (result.matches.length) items.push({ label: 'Results', kind: vscode.QuickPickItemKind.Separator, info: true });
  }
  for (const m of result.matches) {
    items.push({
      label: `$(${m.line !== undefined ? 'search' : 'file'}) ${rel(m.path)}${m.line !== undefined ? `:${m.line}` : ''}`,
      ...(m.text !== undefined ? { description: m.text.trim().slice(0, 200) } : {}),
      match: m,
    });
  }
  return items;
}

/**
 * Search in Folder…: names or contents through RemoteOps.search (the host's filter applies),
 * with a cancellable progress notification, then a quick pick of `path:line text` results that
 * opens the `hpc:` file at the match. What a content search could not look into (files over the
 * size limit, binary files, files and folders without read permission) is listed above the
 * results, with "Search these too" to search again with the size limit lifted.
 */
export async function searchInFolder(remote: RemoteOpsProvider, host: string, folder: string, filter: PathFilter | undefined): Promise<void> {
  const query = await askQuery(`${host}:${folder}`);
  if (!query) throw new CancelledError();
  let maxFileSize: number | null = SEARCH_MAX_FILE_SIZE;
  for (;;) {
    const result = await runSearch(remote, host, folder, query, filter, maxFileSize);
    const { matches, truncated } = result;
    const what = query.mode === 'name' ? 'files named' : 'matches for';
    if (matches.length === 0 && result.skipped.length === 0) {
      void vscode.window.showInformationMessage(`No ${what} “${query.text}” in ${folder}.`);
      return;
    }
    const title =
      matches.length === 0
        ? `No ${what} “${query.text}” in ${folder}, but not everything was searched`
        : `${matches.length}${truncated ? '+' : ''} result${matches.length === 1 ? '' : 's'} for “${query.text}” in ${folder}${truncated ? ' (first ' + matches.length + ')' : ''}`;
    const picked = await vscode.window.showQuickPick(resultItems(folder, result, maxFileSize), {
      title,
      placeHolder: matches.length ? 'Pick a result to open it' : 'Pick an entry to reveal it',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!picked || 'info' in picked) return;
    if ('searchBig' in picked) {
      maxFileSize = null;
      continue;
    }
    if ('skip' in picked) {
      await vscode.commands.executeCommand('remoteHpc.explorer.reveal', hpcUri(host, picked.skip.path));
      return;
    }
    await openMatch(host, picked.match, query);
    return;
  }
}

async function openMatch(host: string, m: SearchMatch, query: Query): Promise<void> {
  const uri = hpcUri(host, m.path);
  if (m.line !== undefined) {
    const line = Math.max(0, m.line - 1);
    const col = m.text !== undefined ? matchColumn(m.text, query.text, query) : 0;
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
