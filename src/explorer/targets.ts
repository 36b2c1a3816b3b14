import * as vscode from 'vscode';
import { resolveArgs, locationOfArg } from '../core/remote/commandTarget';
import { isHpcUri } from '../fs/hpcUri';
import { isFolder, type EntryNode, type ExplorerNode, type HostNode } from './tree';

/** What a command acts on: a remote path, with what the tree knew about it. */
export interface Target {
  host: string;
  path: string;
  node?: EntryNode;
  /** Known from the listing; undefined when the command came with a bare URI. */
  isDir?: boolean;
  size?: number;
  isRoot?: boolean;
}

function isExplorerNode(x: unknown): x is ExplorerNode {
  return !!x && typeof x === 'object' && 'kind' in x && 'id' in x && typeof (x as { id: unknown }).id === 'string';
}

export function isEntryNode(x: unknown): x is EntryNode {
  return isExplorerNode(x) && x.kind === 'entry';
}

export function isHostNode(x: unknown): x is HostNode {
  return isExplorerNode(x) && x.kind === 'host';
}

function targetOf(x: unknown): Target | undefined {
  if (isEntryNode(x)) {
    return { host: x.host, path: x.path, node: x, isDir: isFolder(x), isRoot: !!x.root, ...(x.entry && !isFolder(x) ? { size: x.entry.size } : {}) };
  }
  return x instanceof vscode.Uri ? locationOfArg(x) : undefined;
}

/** The URI of the active editor or tab, if it is an `hpc:` one. */
export function activeHpcUri(): vscode.Uri | undefined {
  const editorUri = vscode.window.activeTextEditor?.document.uri;
  if (isHpcUri(editorUri)) return editorUri;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input && typeof input === 'object' && 'uri' in input ? (input as { uri: unknown }).uri : undefined;
  return uri instanceof vscode.Uri && isHpcUri(uri) ? uri : undefined;
}

/**
 * The targets of a command: the multi-selection a context menu passes, else the clicked item or
 * URI, else the tree's selection (palette, keybinding), else the active `hpc:` editor.
 */
export function resolveTargets(arg: unknown, selected: unknown, selection: readonly ExplorerNode[]): Target[] {
  return resolveArgs(targetOf, arg, selected, () => selection, activeHpcUri);
}

