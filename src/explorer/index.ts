import * as vscode from 'vscode';
import { tagged } from '../core/log';
import { describeFilter, isEmptyFilter } from '../core/remote/filterEdit';
import { HpcFileSystemProvider } from '../fs/hpcFileSystem';
import { HPC_SCHEME } from '../fs/hpcUri';
import { ExplorerCommands } from './commands';
import type { ExplorerDeps } from './deps';
import { ExplorerDragAndDrop } from './dnd';
import { FilterStore } from './filterStore';
import { ExplorerModel } from './model';
import { Transfers } from './transfers';
import { ExplorerTreeProvider, isFolder, type ExplorerNode } from './tree';
import { registerWorkspaceCommands } from './workspace';

export type { ExplorerDeps,  } from './deps';

/**
 * The remote explorer: the `hpc:` file system, the Remote Explorer tree (model, filters, paging,
 * drag and drop) and its commands. Returns everything to dispose.
 */
export function registerExplorer(context: vscode.ExtensionContext, deps: ExplorerDeps): vscode.Disposable[] {
  const log = tagged(deps.log, 'explorer');
  const isConnected = (host: string) => deps.hosts.list().some((h) => h.alias === host && h.status === 'connected');

  const fs = new HpcFileSystemProvider(deps.remote, log, isConnected);
  const filters = new FilterStore(log);
  const model = new ExplorerModel(deps.hosts, deps.remote, filters, fs, log, context.workspaceState);
  const tree = new ExplorerTreeProvider(model);
  const transfers = new Transfers(deps, model, log);
  const dnd = new ExplorerDragAndDrop(model, transfers, log);
  const view = vscode.window.createTreeView<ExplorerNode>('remoteHpc.explorer', {
    treeDataProvider: tree,
    dragAndDropController: dnd,
    canSelectMany: true,
    showCollapseAll: true,
  });

  /** The filter in the view's description and the context key that swaps Filter / Clear Filter. */
  const updateFilterUi = () => {
    const shown = model.hostAliases();
    const filtered = shown.filter((h) => !isEmptyFilter(filters.get(h)));
    if (filtered.length === 0) view.description = undefined;
    else if (filtered.length === 1 && shown.length === 1) view.description = `Filter: ${describeFilter(filters.get(filtered[0]), 70)}`;
    else view.description = filtered.map((h) => `${h}: ${describeFilter(filters.get(h), 40)}`).join(' | ');
    void vscode.commands.executeCommand('setContext', 'remoteHpc.filterActive', filtered.length > 0);
  };

  let known = new Set(model.hostAliases());
  const onHosts = () => {
    const now = new Set(model.hostAliases());
    for (const h of known) if (!now.has(h)) tree.forget(h);
    for (const h of now) fs.attachHost(h);
    known = now;
    updateFilterUi();
  };

  updateFilterUi();
  model.setWatching(view.visible);
  const commands = new ExplorerCommands({ log: deps.log, hosts: deps.hosts, remote: deps.remote, model, tree, view, filters, transfers });

  return [
    vscode.workspace.registerFileSystemProvider(HPC_SCHEME, fs, { isCaseSensitive: true }),
    fs,
    filters,
    model,
    tree,
    view,
    transfers,
    deps.hosts.onDidChange(onHosts),
    filters.onDidChange(updateFilterUi),
    view.onDidChangeVisibility(({ visible }) => model.setWatching(visible)),
    view.onDidCollapseElement(({ element }) => {
      if (element.kind === 'entry' && isFolder(element)) {
        tree.forget(element.host, element);
        model.collapsed(element.host, element.path);
      }
    }),
    ...commands.register(),
    ...registerWorkspaceCommands(deps.log, deps.remote, model, view),
  ];
}
