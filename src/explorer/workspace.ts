/**
 * Remote folders in the workspace: "Add Folder to Workspace" puts an `hpc://host/path` folder in
 * VS Code's own Explorer (it reads it through the hpc: file system), and "Go to File…" finds
 * files by name in those folders through the agent — VS Code's Quick Open and search need
 * proposed APIs (FileSearchProvider, TextSearchProvider) that a published extension cannot use.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import { CancelledError } from '../core/cancel';
import type { RemoteOpsProvider, SearchMatch } from '../core/remote/types';
import { registerCommand } from '../util/commands';
import { HPC_SCHEME, hpcUri, parseHpcUri } from '../fs/hpcUri';
import { isHostNode, resolveTargets } from './targets';
import type { ExplorerModel } from './model';
import type { ExplorerNode } from './tree';

/** Results asked for per folder while typing (the list shows the first ones; type more to narrow). */
const GO_TO_FILE_MAX = 200;
const TYPING_PAUSE_MS = 250;

/** The workspace folders that are remote ones. */
function remoteWorkspaceFolders(): readonly vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === HPC_SCHEME);
}

/** Adds a remote folder (a Remote Explorer folder, root or host) to the workspace; one already there is revealed. */
async function addToWorkspace(model: ExplorerModel, arg: unknown, sel: unknown, view: vscode.TreeView<ExplorerNode>): Promise<void> {
  let folders = resolveTargets(arg, sel, view.selection).filter((t) => t.isDir === true);
  if (!folders.length && isHostNode(arg)) {
    const { roots } = await model.rootsOf(arg.host);
    folders = roots.slice(0, 1).map((r) => ({ host: arg.host, path: r.path, isDir: true }));
  }
  if (!folders.length) throw new Error('Select a folder in the Remote Explorer to add it to the workspace.');
  const existing = vscode.workspace.workspaceFolders ?? [];
  const fresh = folders.filter((f) => !existing.some((w) => w.uri.toString() === hpcUri(f.host, f.path).toString()));
  if (!fresh.length) {
    await vscode.commands.executeCommand('revealInExplorer', hpcUri(folders[0].host, folders[0].path));
    return;
  }
  const added = vscode.workspace.updateWorkspaceFolders(
    existing.length,
    0,
    ...fresh.map((f) => ({ uri: hpcUri(f.host, f.path), name: `${posix.basename(f.path) || f.path} — ${f.host}` })),
  );
  if (!added) throw new Error('VS Code did not add the folder to the workspace (another workspace change is under way): try again.');
  await vscode.commands.executeCommand('workbench.view.explorer');
}

interface FileItem extends vscode.QuickPickItem {
  /** Absent on the item that reports a failed search. */
  uri?: vscode.Uri;
}

/** Finds files by name in the remote workspace folders while the user types, and opens the one picked. */
async function goToFile(remote: RemoteOpsProvider, log: Logger): Promise<void> {
  const roots = remoteWorkspaceFolders();
  if (!roots.length) {
    throw new Error('No remote folder in this workspace: add one with "Add Folder to Workspace" in the Remote Explorer, or use "Search in Folder…".');
  }
  const qp = vscode.window.createQuickPick<FileItem>();
  qp.title = 'Go to File on the cluster';
  qp.placeholder = 'Type part of a file name (* and ? work as wildcards)';
  qp.matchOnDescription = true;
  let search: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const run = (text: string) => {
    search?.abort(new CancelledError());
    const abort = new AbortController();
    search = abort;
    if (!text.trim()) {
      qp.items = [];
      qp.busy = false;
      return;
    }
    qp.busy = true;
    void Promise.all(
      roots.map(async (root) => {
        const { host, path } = parseHpcUri(root.uri);
        const ops = await remote.ops(host);
        const res = await ops.search(path, { namePattern: text.trim(), maxResults: GO_TO_FILE_MAX, signal: abort.signal });
        return res.matches.map((m: SearchMatch): FileItem => {
          const rel = m.path.startsWith(`${path}/`) ? m.path.slice(path.length + 1) : m.path;
          return { label: `$(file) ${posix.basename(m.path)}`, description: roots.length > 1 ? `${root.name} › ${posix.dirname(rel)}` : posix.dirname(rel), uri: hpcUri(host, m.path) };
        });
      }),
    ).then(
      (lists) => {
        if (search !== abort) return;
        qp.items = lists.flat();
        qp.busy = false;
      },
      (err: unknown) => {
        if (search !== abort || abort.signal.aborted) return;
        qp.busy = false;
        log.warn(`[explorer] go to file "${text}": ${String(err)}`);
        qp.items = [{ label: `$(error) ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, alwaysShow: true }];
      },
    );
  };
  const picked = await new Promise<FileItem | undefined>((resolve) => {
    qp.onDidChangeValue((v) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => run(v), TYPING_PAUSE_MS);
    });
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  if (timer) clearTimeout(timer);
  search?.abort(new CancelledError());
  qp.dispose();
  if (!picked?.uri) return;
  await vscode.window.showTextDocument(picked.uri, { preview: true });
}

export function registerWorkspaceCommands(log: Logger, remote: RemoteOpsProvider, model: ExplorerModel, view: vscode.TreeView<ExplorerNode>): vscode.Disposable[] {
  const update = () => void vscode.commands.executeCommand('setContext', 'remoteHpc.remoteWorkspaceFolder', remoteWorkspaceFolders().length > 0);
  update();
  return [
    registerCommand(log, 'remoteHpc.explorer.addToWorkspace', (arg?: unknown, sel?: unknown) => addToWorkspace(model, arg, sel, view)),
    registerCommand(log, 'remoteHpc.goToFile', () => goToFile(remote, log)),
    vscode.workspace.onDidChangeWorkspaceFolders(update),
  ];
}
