import * as vscode from 'vscode';
import { pickConnectedHost } from '../hosts/hostPicker';
import { numberSetting, setting, updateSetting } from '../config/settings';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import { CancelledError } from '../core/cancel';
import type { RemoteOpsProvider } from '../core/remote/types';
import { fileKind, isKnownText, looksBinary, openQuestion, SNIFF_BYTES } from '../core/remote/fileKinds';
import { rootContaining, rootSpecsFor } from '../core/remote/roots';
import { checkNewName, checkRename, checkTypedPath, expandTypedPath } from '../core/remote/paths';
import { explainBrokenLink } from '../core/remote/brokenLink';
import { registerCommand } from '../util/commands';
import { hpcUri, isHpcUri, normalizeRemotePath, parseHpcUri } from '../fs/hpcUri';
import type { ExplorerHosts } from './deps';
import type { ExplorerModel } from './model';
import { isFolder, type EntryNode, type ExplorerNode, type ExplorerTreeProvider, type LoadMoreNode } from './tree';
import { activeHpcUri, isEntryNode, isHostNode, resolveTargets, type Target } from './targets';
import { openRemoteTerminal } from './terminal';
import { searchInFolder } from './search';
import { findInFolder, goToEntry, pickFolderOrder, type FoundEntry } from './findInFolder';
import { isDirLike } from '../core/remote/common';
import { editFilter, clearFilters } from './filterUi';
import type { FilterStore } from './filterStore';
import type { Transfers } from './transfers';
import { uriExists } from '../fs/errors';

export interface CommandContext {
  log: Logger;
  hosts: ExplorerHosts;
  remote: RemoteOpsProvider;
  model: ExplorerModel;
  tree: ExplorerTreeProvider;
  view: vscode.TreeView<ExplorerNode>;
  filters: FilterStore;
  transfers: Transfers;
}

const MB = 1024 * 1024;

export class ExplorerCommands {
  constructor(private readonly c: CommandContext) {}

  register(): vscode.Disposable[] {
    const { log } = this.c;
    const r = (id: string, fn: (...args: never[]) => unknown) => registerCommand(log, id, fn);
    return [
      r('remoteHpc.explorer.refresh', (arg?: unknown) => this.refresh(arg)),
      r('remoteHpc.explorer.loadMore', (n?: LoadMoreNode) => this.loadMore(n)),
      r('remoteHpc.explorer.findInFolder', (arg?: unknown) => this.find(arg)),
      r('remoteHpc.explorer.goToEntry', (arg?: unknown) => this.goTo(arg)),
      r('remoteHpc.explorer.sortFolder', (arg?: unknown) => this.sortFolder(arg)),
      r('remoteHpc.explorer.open', (arg?: unknown, sel?: unknown) => this.open(arg, sel, false)),
      r('remoteHpc.explorer.openToSide', (arg?: unknown, sel?: unknown) => this.open(arg, sel, true)),
      r('remoteHpc.explorer.newFile', (arg?: unknown) => this.create(arg, 'file')),
      r('remoteHpc.explorer.newFolder', (arg?: unknown) => this.create(arg, 'folder')),
      r('remoteHpc.explorer.rename', (arg?: unknown) => this.rename(arg)),
      r('remoteHpc.explorer.delete', (arg?: unknown, sel?: unknown) => this.delete(arg, sel)),
      r('remoteHpc.explorer.copyPath', (arg?: unknown, sel?: unknown) => this.copyPath(arg, sel)),
      r('remoteHpc.explorer.download', (arg?: unknown, sel?: unknown) => this.download(arg, sel)),
      r('remoteHpc.explorer.upload', (arg?: unknown) => this.upload(arg)),
      r('remoteHpc.explorer.search', (arg?: unknown) => this.search(arg)),
      r('remoteHpc.explorer.openTerminal', (arg?: unknown) => this.terminal(arg)),
      r('remoteHpc.explorer.reveal', (arg?: unknown) => this.revealCommand(arg)),
      r('remoteHpc.explorer.openPath', () => this.openPath()),
      r('remoteHpc.explorer.filter', (arg?: unknown) => editFilter(this.c.filters, this.hostFor(arg) ?? this.pickHost())),
      r('remoteHpc.explorer.editFilter', (arg?: unknown) => editFilter(this.c.filters, this.hostFor(arg) ?? this.pickHost())),
      r('remoteHpc.explorer.clearFilter', (arg?: unknown) => this.clearFilter(arg)),
    ];
  }

  // ---- helpers

  private targets(arg: unknown, sel?: unknown): Target[] {
    return resolveTargets(arg, sel, this.c.view.selection);
  }

  private one(arg: unknown, what: string): Target {
    const [t] = this.targets(arg);
    if (!t) throw new Error(`Select a file or folder in the Remote Explorer to ${what}.`);
    return t;
  }

  /** The host a host-level command is about: from the item, else undefined. */
  private hostFor(arg: unknown): string | undefined {
    if (isHostNode(arg) || isEntryNode(arg)) return arg.host;
    if (arg instanceof vscode.Uri && isHpcUri(arg)) return arg.authority;
    return undefined;
  }

  /** The one connected host, or the one the user picks. */
  private pickHost(): Promise<string> {
    return pickConnectedHost(this.c.model.hostAliases(), 'Remote HPC: Host');
  }

  /** A folder to work in: the item's folder (a file's parent), the host's first root, or a picked host's. */
  private async folderFor(arg: unknown): Promise<{ host: string; path: string; node?: EntryNode }> {
    if (isHostNode(arg)) return { host: arg.host, path: await this.firstRoot(arg.host) };
    const t = this.targets(arg)[0];
    if (!t) {
      const host = await this.pickHost();
      return { host, path: await this.firstRoot(host) };
    }
    let isDir = t.isDir;
    if (isDir === undefined) {
      const st = await vscode.workspace.fs.stat(hpcUri(t.host, t.path));
      isDir = (st.type & vscode.FileType.Directory) !== 0;
    }
    if (isDir) return { host: t.host, path: t.path, ...(t.node ? { node: t.node } : {}) };
    const parent = t.node?.parent;
    return { host: t.host, path: posix.dirname(t.path), ...(parent && parent.kind === 'entry' ? { node: parent } : {}) };
  }

  private async firstRoot(host: string): Promise<string> {
    const { roots, error } = await this.c.model.rootsOf(host);
    if (error !== undefined) throw error;
    if (!roots.length) throw new Error(`${host} has no roots (setting remoteHpc.roots).`);
    return roots[0].path;
  }

  // ---- commands

  private refresh(arg: unknown): void {
    if (isHostNode(arg)) return this.c.model.refresh(arg.host);
    if (isEntryNode(arg)) {
      const folder = isFolder(arg) ? arg.path : posix.dirname(arg.path);
      return this.c.model.refresh(arg.host, folder);
    }
    this.c.model.refresh();
  }

  private async loadMore(n: LoadMoreNode | undefined): Promise<void> {
    if (!n || n.kind !== 'loadMore') return;
    if (n.direction === 'previous') await this.c.model.loadPrevious(n.host, n.path);
    else await this.c.model.loadMore(n.host, n.path);
  }

  private async find(arg: unknown): Promise<void> {
    const folder = await this.folderFor(arg);
    const found = await findInFolder(this.c.model, folder.host, folder.path);
    if (found) await this.showFound(folder, found);
  }

  private async goTo(arg: unknown): Promise<void> {
    const folder = await this.folderFor(arg);
    const found = await goToEntry(this.c.model, folder.host, folder.path);
    if (found) await this.showFound(folder, found);
  }

  private async sortFolder(arg: unknown): Promise<void> {
    const folder = await this.folderFor(arg);
    await pickFolderOrder(this.c.model, folder.host, folder.path);
  }

  /** An entry picked in Find in Folder / Go to Entry: revealed and selected (its page loaded), a file opened too. */
  private async showFound(folder: { host: string; path: string; node?: EntryNode }, found: FoundEntry): Promise<void> {
    const file = !isDirLike(found.entry);
    const open = found.open && file;
    const node = folder.node ? await this.revealIn(folder.node, found.entry.name, !open, !file) : await this.revealPath(folder.host, found.entry.path, !open);
    if (open && node) await this.open(node, undefined, false);
  }

  /** Reveals the entry `name` of a folder node. */
  private async revealIn(folder: EntryNode, name: string, focus: boolean, expand: boolean): Promise<EntryNode> {
    const node = await this.childNamed(folder, name);
    await this.c.view.reveal(node, { select: true, focus, expand });
    return node;
  }

  /** The node of a folder's entry `name`, the page that holds it loaded (one request, wherever it is). */
  private async childNamed(folder: EntryNode, name: string): Promise<EntryNode> {
    const { snapshot, found } = await this.c.model.jump(folder.host, folder.path, name);
    if (snapshot.error !== undefined) throw snapshot.error;
    const entry = found ? snapshot.entries.find((e) => e.name === name) : undefined;
    if (!entry) throw new Error(`${posix.join(folder.path, name)} is not in the explorer (deleted, or hidden by the filter).`);
    return this.c.tree.childNode(folder, entry);
  }

  private async open(arg: unknown, sel: unknown, toSide: boolean): Promise<void> {
    const targets = this.targets(arg, sel);
    if (!targets.length) throw new Error('Select a remote file to open.');
    for (const t of targets) {
      if (t.isDir) {
        if (t.node) await this.c.view.reveal(t.node, { select: true, focus: true, expand: true });
        continue;
      }
      const e = t.node?.entry;
      if (e?.type === 'symlink' && (e.targetType === undefined || e.targetType === 'other')) {
        throw new Error(await explainBrokenLink(await this.c.remote.ops(t.host), t.path, this.c.model.linkTarget(t.host, t.path)));
      }
      const uri = hpcUri(t.host, t.path);
      const proceed = await this.confirmOpen(t);
      if (proceed === 'folder') {
        await this.revealPath(t.host, t.path, true);
        continue;
      }
      if (!proceed) continue;
      await vscode.commands.executeCommand('vscode.open', uri, toSide ? { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false } : {});
    }
  }

  /**
   * Large or binary files are confirmed (one question for both) before anything is read in full:
   * size from the listing (or one stat), binary from the first 8000 bytes (skipped for images,
   * videos and known text).
   */
  async confirmOpen(t: Target): Promise<boolean | 'folder'> {
    let size = t.size;
    if (size === undefined) {
      const st = await vscode.workspace.fs.stat(hpcUri(t.host, t.path));
      if (st.type & vscode.FileType.Directory) return 'folder';
      size = st.size;
    }
    const name = posix.basename(t.path);
    const thresholdBytes = numberSetting('largeFileThresholdMB', 0) * MB;
    let binary = false;
    if (size > 0 && fileKind(name) === 'file' && !isKnownText(name)) {
      const ops = await this.c.remote.ops(t.host);
      binary = looksBinary(await ops.readFile(t.path, { offset: 0, length: Math.min(size, SNIFF_BYTES) }));
    }
    const q = openQuestion({ name, host: t.host, size, binary, thresholdBytes });
    if (q) {
      const download = 'Download…';
      const choice = await vscode.window.showWarningMessage(q.message, { modal: true, detail: q.detail }, q.open, download);
      if (choice === download) await this.c.transfers.download([t]);
      if (choice !== q.open) return false;
    }
    return true;
  }

  private async create(arg: unknown, kind: 'file' | 'folder'): Promise<void> {
    const folder = await this.folderFor(arg);
    const name = await vscode.window.showInputBox({
      title: kind === 'file' ? 'New File' : 'New Folder',
      prompt: `In ${folder.host}:${folder.path} (a/b/c creates the folders in between)`,
      placeHolder: kind === 'file' ? 'name.txt' : 'name',
      validateInput: (v) => checkNewName(v, true),
      ignoreFocusOut: true,
    });
    if (name === undefined) throw new CancelledError();
    const path = normalizeRemotePath(posix.join(folder.path, name.trim()));
    const uri = hpcUri(folder.host, path);
    if (await uriExists(uri)) throw new Error(`${path} already exists on ${folder.host}.`);
    const parent = posix.dirname(path);
    if (parent !== folder.path) await vscode.workspace.fs.createDirectory(hpcUri(folder.host, parent));
    if (kind === 'folder') await vscode.workspace.fs.createDirectory(uri);
    else await vscode.workspace.fs.writeFile(uri, new Uint8Array());
    await this.c.model.reload(folder.host, folder.path);
    if (kind === 'file') await vscode.commands.executeCommand('vscode.open', uri);
    await this.revealPath(folder.host, path, false).catch((e: unknown) => this.c.log.debug(`[explorer] reveal after create: ${String(e)}`));
  }

  private async rename(arg: unknown): Promise<void> {
    const t = this.one(arg, 'rename');
    if (t.isRoot) throw new Error('A root cannot be renamed here (roots come from the setting remoteHpc.roots).');
    const name = posix.basename(t.path);
    const dot = name.lastIndexOf('.');
    const dir = posix.dirname(t.path);
    const siblings = (this.c.model.listings.peek(t.host, dir)?.entries ?? []).map((e) => e.name);
    const newName = await vscode.window.showInputBox({
      title: `Rename ${name}`,
      value: name,
      valueSelection: [0, dot > 0 && !t.isDir ? dot : name.length],
      validateInput: (v) => {
        const c = checkRename(v, name, siblings);
        return c && { message: c.message, severity: c.warning ? vscode.InputBoxValidationSeverity.Warning : vscode.InputBoxValidationSeverity.Error };
      },
      ignoreFocusOut: true,
    });
    if (newName === undefined) throw new CancelledError();
    if (newName.trim() === name) return;
    const problem = checkRename(newName, name, []);
    if (problem) throw new Error(problem.message);
    const to = posix.join(dir, newName.trim());
    let overwrite = false;
    if (await uriExists(hpcUri(t.host, to))) {
      const choice = await vscode.window.showWarningMessage(
        `${newName.trim()} already exists in ${dir}. Overwrite it with ${name}?`,
        { modal: true, detail: `The existing ${newName.trim()} on ${t.host} is replaced; this cannot be undone.` },
        'Overwrite',
      );
      if (choice !== 'Overwrite') throw new CancelledError();
      overwrite = true;
    }
    // Through the workspace file service, so open editors follow the rename.
    await vscode.workspace.fs.rename(hpcUri(t.host, t.path), hpcUri(t.host, to), { overwrite });
    await this.c.model.reload(t.host, posix.dirname(t.path));
    // Like the built-in explorer: the renamed item stays selected (loading pages if it moved past them).
    await this.revealPath(t.host, to, false).catch((e: unknown) => this.c.log.debug(`[explorer] reveal after rename: ${String(e)}`));
  }

  private async delete(arg: unknown, sel: unknown): Promise<void> {
    const targets = this.targets(arg, sel);
    if (!targets.length) throw new Error('Select what to delete in the Remote Explorer.');
    if (targets.some((t) => t.isRoot || t.path === '/')) throw new Error('Roots cannot be deleted from the explorer.');
    const names = targets.map((t) => `${t.host}:${t.path}${t.isDir ? '/' : ''}`);
    const anyFolder = targets.some((t) => t.isDir !== false);
    const message = targets.length === 1 ? `Delete ${posix.basename(targets[0].path)}${targets[0].isDir ? ' and everything in it' : ''}?` : `Delete ${targets.length} items?`;
    const detail = `${targets.length > 1 ? `${names.slice(0, 10).join('\n')}${names.length > 10 ? `\n… and ${names.length - 10} more` : ''}\n\n` : `${names[0]}\n\n`}${anyFolder ? 'Folders are deleted with their contents. ' : ''}There is no trash on the remote host: this cannot be undone.`;
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, 'Delete');
    if (choice !== 'Delete') throw new CancelledError();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Deleting…' }, async (progress) => {
      for (const t of targets) {
        progress.report({ message: posix.basename(t.path) });
        await vscode.workspace.fs.delete(hpcUri(t.host, t.path), { recursive: true, useTrash: false });
        await this.c.model.reload(t.host, posix.dirname(t.path));
      }
    });
  }

  private async copyPath(arg: unknown, sel: unknown): Promise<void> {
    const targets = this.targets(arg, sel);
    if (!targets.length) throw new Error('Select a remote file or folder.');
    await vscode.env.clipboard.writeText(targets.map((t) => t.path).join('\n'));
    vscode.window.setStatusBarMessage(`$(copy) Copied ${targets.length === 1 ? targets[0].path : `${targets.length} paths`}`, 3000);
  }

  private async download(arg: unknown, sel: unknown): Promise<void> {
    const targets = this.targets(arg, sel);
    if (!targets.length) throw new Error('Select a remote file or folder to download.');
    await this.c.transfers.download(targets);
  }

  private async upload(arg: unknown): Promise<void> {
    const folder = await this.folderFor(arg);
    await this.c.transfers.upload(folder.host, folder.path);
  }

  private async search(arg: unknown): Promise<void> {
    const folder = await this.folderFor(arg);
    await searchInFolder(this.c.remote, folder.host, folder.path, this.c.model.filter(folder.host));
  }

  private async terminal(arg: unknown): Promise<void> {
    const folder = await this.folderFor(arg);
    openRemoteTerminal(this.c.hosts, folder.host, folder.path, this.c.log);
  }

  private async clearFilter(arg: unknown): Promise<void> {
    const host = this.hostFor(arg);
    await clearFilters(this.c.filters, host ? [host] : this.c.model.hostAliases());
  }

  private async revealCommand(arg: unknown): Promise<void> {
    const uri = arg instanceof vscode.Uri ? arg : isEntryNode(arg) ? hpcUri(arg.host, arg.path) : activeHpcUri();
    if (!isHpcUri(uri)) throw new Error('The active editor is not a remote HPC file.');
    const { host, path } = parseHpcUri(uri);
    await this.revealPath(host, path, true);
  }

  /** Open Remote Path…: a path typed by the user; folders are revealed, files opened. */
  private async openPath(): Promise<void> {
    const host = await this.pickHost();
    const start = await this.firstRoot(host);
    const value = await vscode.window.showInputBox({
      title: `Open Remote Path on ${host}`,
      value: `${start}/`,
      valueSelection: [start.length + 1, start.length + 1],
      prompt: 'Absolute path of a file or folder, or ~/path in your home folder',
      validateInput: checkTypedPath,
      ignoreFocusOut: true,
    });
    if (value === undefined) throw new CancelledError();
    const problem = checkTypedPath(value);
    if (problem) throw new Error(problem);
    const home = value.trim().startsWith('~') ? await (await this.c.remote.ops(host)).home() : '/';
    const path = expandTypedPath(value, home);
    const st = await vscode.workspace.fs.stat(hpcUri(host, path));
    if (st.type & vscode.FileType.Directory) await this.revealPath(host, path, true);
    else await this.open(hpcUri(host, path), undefined, false);
  }

  /**
   * Walks from the containing root down to `path`, fetching listings (and, for an entry past the
   * loaded pages, the one page holding it) through the model, then reveals the node. Offers to add
   * a root when the path is outside all.
   */
  async revealPath(host: string, path: string, focus: boolean): Promise<EntryNode | undefined> {
    if (!this.c.model.hostAliases().includes(host)) {
      throw new Error(`${host} is not connected: connect it in the Hosts view to reveal ${path}.`);
    }
    const { roots, error } = await this.c.model.rootsOf(host);
    if (error !== undefined) throw error;
    const root = rootContaining(roots, path);
    if (!root) {
      const add = 'Add Folder as Root';
      const choice = await vscode.window.showInformationMessage(`${path} is outside the explorer's roots on ${host}.`, add);
      if (choice === add) await this.addRoot(host, posix.dirname(path) === '/' && path !== '/' ? path : posix.dirname(path));
      return undefined;
    }
    let node = this.c.tree.rootNode(host, roots.indexOf(root), root);
    const parts = path.slice(root.path.length).split('/').filter(Boolean);
    for (const name of parts) node = await this.childNamed(node, name);
    await this.c.view.reveal(node, { select: true, focus, expand: false });
    return node;
  }

  private async addRoot(host: string, dir: string): Promise<void> {
    const roots = setting('roots');
    const current = roots && typeof roots === 'object' ? (roots as Record<string, unknown>) : {};
    const specs = [...rootSpecsFor(current, host)];
    if (!specs.includes(dir)) specs.push(dir);
    await updateSetting('roots', { ...current, [host]: specs });
  }
}
