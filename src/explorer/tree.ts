import * as vscode from 'vscode';
import { posix } from 'node:path';
import type { RemoteEntry } from '../core/remote/types';
import type { ResolvedRoot } from '../core/remote/roots';
import { classifyRemoteError, describeCode } from '../core/remote/errors';
import { entryContextValue } from '../core/remote/fileKinds';
import { formatMode, formatSize, formatTime } from '../core/remote/format';
import { describeFilter, isEmptyFilter } from '../core/remote/filterEdit';
import { describeOrder, orderDetail } from '../core/remote/folderOrder';
import { hpcUri } from '../fs/hpcUri';
import type { ExplorerModel } from './model';
import type { FolderSnapshot } from '../core/remote/listing';

export interface HostNode {
  readonly kind: 'host';
  readonly id: string;
  readonly host: string;
}

/** A root, folder or file. Roots have `root` set and no `entry` (they are not listed by a parent). */
export interface EntryNode {
  readonly kind: 'entry';
  readonly id: string;
  readonly host: string;
  readonly path: string;
  readonly parent: HostNode | EntryNode;
  readonly rootIndex: number;
  root?: ResolvedRoot;
  entry?: RemoteEntry;
}

/** "Load more…" after a folder's last loaded entry, or "Load previous…" before its first (after a jump). */
export interface LoadMoreNode {
  readonly kind: 'loadMore';
  readonly id: string;
  readonly host: string;
  /** The folder whose next (or previous) page it loads. */
  readonly path: string;
  readonly parent: EntryNode;
  readonly direction: 'next' | 'previous';
  /** Index of the folder's first loaded entry, and how many are loaded. */
  start: number;
  shown: number;
  total: number;
  loading: boolean;
}

export interface InfoNode {
  readonly kind: 'info';
  readonly id: string;
  readonly parent: HostNode | EntryNode;
  message: string;
  icon: string;
  tooltip?: string;
}

export type ExplorerNode = HostNode | EntryNode | LoadMoreNode | InfoNode;

/** Folders (and symlinks to folders) are expandable; everything else is a leaf. */
export function isFolder(n: EntryNode): boolean {
  if (!n.entry) return true; // roots
  return n.entry.type === 'directory' || (n.entry.type === 'symlink' && n.entry.targetType === 'directory');
}

function contextValueOf(n: EntryNode): string {
  return entryContextValue(n.path, isFolder(n));
}

/** How a shown host in trouble is drawn (see ExplorerModel.trouble). */
const TROUBLE_ICONS = { reconnecting: 'sync~spin', connecting: 'loading~spin', failed: 'debug-disconnect' } as const;
const TROUBLE_TEXT = {
  reconnecting: 'connection lost — reconnecting…',
  connecting: 'connecting…',
  failed: 'connection lost — use Connect in the Hosts view',
} as const;

/**
 * The Remote Explorer tree: connected hosts → roots → folders, read from the ExplorerModel.
 * Node objects are kept by id, so the same element comes back for the same path (reveal needs that).
 */
export class ExplorerTreeProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly nodes = new Map<string, ExplorerNode>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly model: ExplorerModel) {
    this.subscription = model.onDidChange((change) => {
      if (!change) {
        this.changed.fire(undefined);
        return;
      }
      if (change.path === undefined) {
        const h = this.nodes.get(hostId(change.host));
        this.changed.fire(h);
        return;
      }
      for (const n of this.nodesFor(change.host, change.path)) this.changed.fire(n);
    });
  }

  /** Tree elements currently known for a remote folder (a path can appear under several roots). */
  nodesFor(host: string, path: string): EntryNode[] {
    const out: EntryNode[] = [];
    for (const n of this.nodes.values()) if (n.kind === 'entry' && n.host === host && n.path === path) out.push(n);
    return out;
  }

  hostNode(host: string): HostNode {
    return this.intern<HostNode>(hostId(host), () => ({ kind: 'host', id: hostId(host), host }));
  }

  rootNode(host: string, index: number, root: ResolvedRoot): EntryNode {
    const parent = this.hostNode(host);
    const n = this.intern<EntryNode>(entryId(host, index, root.path), () => ({ kind: 'entry', id: entryId(host, index, root.path), host, path: root.path, parent, rootIndex: index }));
    n.root = root;
    return n;
  }

  childNode(parent: EntryNode, entry: RemoteEntry): EntryNode {
    const path = entry.path || posix.join(parent.path, entry.name);
    const id = entryId(parent.host, parent.rootIndex, path);
    const n = this.intern<EntryNode>(id, () => ({ kind: 'entry', id, host: parent.host, path, parent, rootIndex: parent.rootIndex }));
    n.entry = entry;
    return n;
  }

  getParent(n: ExplorerNode): ExplorerNode | undefined {
    return n.kind === 'host' ? undefined : n.parent;
  }

  async getChildren(n?: ExplorerNode): Promise<ExplorerNode[]> {
    if (!n) return this.model.hostAliases().map((h) => this.hostNode(h));
    if (n.kind === 'host') {
      const { roots, error } = await this.model.rootsOf(n.host);
      if (error !== undefined) return [this.info(n, 'error', errorText(error))];
      return roots.map((r, i) => this.rootNode(n.host, i, r));
    }
    if (n.kind !== 'entry' || !isFolder(n)) return [];
    const snap = await this.model.folder(n.host, n.path);
    const children: ExplorerNode[] = [];
    if (snap.error !== undefined) children.push(this.info(n, 'error', errorText(snap.error)));
    else if (snap.entries.length === 0) {
      const filtered = !isEmptyFilter(this.model.filter(n.host));
      children.push(this.info(n, filtered ? 'filter' : 'info', filtered ? 'No entries (or all hidden by the filter)' : 'Empty folder'));
    }
    if (snap.start > 0 && snap.error === undefined) children.push(this.pager(n, 'previous', snap, snap.loadingPrevious));
    for (const e of snap.entries) children.push(this.childNode(n, e));
    if (!snap.complete && snap.error === undefined) children.push(this.pager(n, 'next', snap, snap.loadingMore));
    return children;
  }

  private pager(n: EntryNode, direction: 'next' | 'previous', snap: FolderSnapshot, loading: boolean): LoadMoreNode {
    const id = `${direction === 'next' ? 'more' : 'previous'}:${n.id}`;
    const node = this.intern<LoadMoreNode>(id, () => ({ kind: 'loadMore', id, host: n.host, path: n.path, parent: n, direction, start: 0, shown: 0, total: 0, loading: false }));
    node.start = snap.start;
    node.shown = snap.entries.length;
    node.total = snap.total;
    node.loading = loading;
    return node;
  }

  getTreeItem(n: ExplorerNode): vscode.TreeItem {
    switch (n.kind) {
      case 'host':
        return this.hostItem(n);
      case 'entry':
        return this.entryItem(n);
      case 'loadMore': {
        const next = n.direction === 'next';
        const item = new vscode.TreeItem(n.loading ? 'Loading…' : next ? 'Load more…' : 'Load previous…', vscode.TreeItemCollapsibleState.None);
        item.id = n.id;
        const num = (x: number) => x.toLocaleString('en-US');
        if (!next) item.description = `${num(n.start)} before`;
        else item.description = n.start === 0 ? `${num(n.shown)} of ${num(n.total)}` : `${num(n.start + 1)}–${num(n.start + n.shown)} of ${num(n.total)}`;
        item.iconPath = new vscode.ThemeIcon(n.loading ? 'loading~spin' : next ? 'ellipsis' : 'fold-up');
        item.contextValue = 'loadMore';
        item.tooltip = `Fetch the ${next ? 'next' : 'previous'} page of this folder (setting remoteHpc.explorer.pageSize)`;
        if (!n.loading) item.command = { command: 'remoteHpc.explorer.loadMore', title: 'Load More', arguments: [n] };
        return item;
      }
      case 'info': {
        const item = new vscode.TreeItem(n.message, vscode.TreeItemCollapsibleState.None);
        item.id = n.id;
        item.iconPath = new vscode.ThemeIcon(n.icon);
        item.contextValue = 'info';
        if (n.tooltip) item.tooltip = n.tooltip;
        return item;
      }
    }
  }

  private hostItem(n: HostNode): vscode.TreeItem {
    const item = new vscode.TreeItem(n.host, vscode.TreeItemCollapsibleState.Expanded);
    item.id = n.id;
    item.iconPath = new vscode.ThemeIcon('remote');
    item.contextValue = 'host';
    const filter = this.model.filter(n.host);
    const tip = new vscode.MarkdownString(`**${n.host}**`, true);
    if (!isEmptyFilter(filter)) {
      item.description = 'filtered';
      tip.appendMarkdown('\n\n$(filter) ');
      tip.appendText(describeFilter(filter, 1000));
    }
    const trouble = this.model.trouble(n.host);
    if (trouble) {
      item.iconPath = new vscode.ThemeIcon(TROUBLE_ICONS[trouble.status], new vscode.ThemeColor('list.warningForeground'));
      item.description = TROUBLE_TEXT[trouble.status];
      if (trouble.error) {
        tip.appendMarkdown('\n\n$(warning) ');
        tip.appendText(trouble.error);
      }
    }
    item.tooltip = tip;
    return item;
  }

  private entryItem(n: EntryNode): vscode.TreeItem {
    const folder = isFolder(n);
    const label = n.root ? n.root.label : (n.entry?.name ?? posix.basename(n.path));
    const item = new vscode.TreeItem(label, folder ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = n.id;
    item.resourceUri = hpcUri(n.host, n.path);
    item.contextValue = contextValueOf(n);
    const e = n.entry;
    const link = e?.type === 'symlink';
    const dangling = link && (e.targetType === undefined || e.targetType === 'other');
    item.iconPath = dangling ? new vscode.ThemeIcon('file-symlink-file', new vscode.ThemeColor('list.warningForeground')) : folder ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
    const said: string[] = [];
    if (n.root) {
      if (n.root.label !== n.root.path) said.push(n.root.path);
    } else if (link) {
      const target = this.model.linkTarget(n.host, n.path);
      said.push(target === undefined ? `→ ${dangling ? 'broken link' : '…'}` : `→ ${target}${dangling ? ' (broken)' : ''}`);
    }
    // In a folder sorted by time or size, what it is sorted by; a folder in another order than the default says so.
    const parentOrder = n.parent.kind === 'entry' && e ? orderDetail(this.model.orderOf(n.host, n.parent.path), e) : undefined;
    if (parentOrder) said.push(parentOrder);
    if (folder && this.model.hasOwnOrder(n.host, n.path)) said.push(describeOrder(this.model.orderOf(n.host, n.path)));
    if (said.length) item.description = said.join(' · ');
    // A broken link opens too: the open command then says why it cannot (missing target, loop).
    if (!folder) item.command = { command: 'remoteHpc.explorer.open', title: 'Open', arguments: [n] };
    return item;
  }

  /** Tooltips are built on hover only (pages can hold thousands of items). */
  resolveTreeItem(item: vscode.TreeItem, n: ExplorerNode): vscode.TreeItem {
    if (n.kind !== 'entry' || item.tooltip !== undefined) return item;
    const folder = isFolder(n);
    const e = n.entry;
    const link = e?.type === 'symlink';
    const dangling = link && (e.targetType === undefined || e.targetType === 'other');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`${folder ? '$(folder)' : '$(file)'} `);
    tip.appendText(n.path);
    if (link) {
      tip.appendMarkdown('\n\n$(file-symlink-file) → ');
      tip.appendText(this.model.linkTarget(n.host, n.path) ?? (dangling ? 'broken link' : 'symbolic link'));
    }
    if (e) {
      const type = e.type === 'symlink' ? (e.targetType ?? 'other') : e.type;
      const facts = [folder ? undefined : formatSize(e.size), `modified ${formatTime(e.mtimeMs)}`, `\`${formatMode(e.mode, type)}\``].filter(Boolean);
      tip.appendMarkdown(`\n\n${facts.join(' · ')}`);
    }
    item.tooltip = tip;
    return item;
  }

  private info(parent: HostNode | EntryNode, icon: string, message: string): InfoNode {
    const id = `info:${parent.id}`;
    const n = this.intern<InfoNode>(id, () => ({ kind: 'info', id, parent, message, icon }));
    n.message = message;
    n.icon = icon;
    return n;
  }

  private intern<T extends ExplorerNode>(id: string, make: () => T): T {
    let n = this.nodes.get(id) as T | undefined;
    if (!n) {
      n = make();
      this.nodes.set(id, n);
    }
    return n;
  }

  /** Forgets the node objects of a host (gone), or those below a collapsed folder. */
  forget(host: string, below?: EntryNode): void {
    const prefix = below ? (below.path === '/' ? '/' : `${below.path}/`) : undefined;
    const drop = (n: ExplorerNode): boolean => {
      if (n.kind === 'host') return !below && n.host === host;
      if (n.kind === 'entry') {
        if (n.host !== host) return false;
        return !below || (n.rootIndex === below.rootIndex && n.path.startsWith(prefix as string));
      }
      return n.parent.kind === 'entry' ? drop(n.parent) || (!!below && n.parent === below) : drop(n.parent);
    };
    for (const [id, n] of [...this.nodes]) if (drop(n)) this.nodes.delete(id);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

// Printable ids (they travel to the renderer): the host is encoded, the path comes last.
const hostId = (host: string) => `host:${encodeURIComponent(host)}`;
const entryId = (host: string, rootIndex: number, path: string) => `entry:${encodeURIComponent(host)}:${rootIndex}:${path}`;

function errorText(err: unknown): string {
  const code = classifyRemoteError(err);
  if (code !== 'unknown') return describeCode(code);
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 200);
}
