import * as vscode from 'vscode';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import { hpcUri, isHpcUri, parseHpcUri } from '../fs/hpcUri';
import type { ExplorerModel } from './model';
import { isFolder, type EntryNode, type ExplorerNode } from './tree';
import type { Transfers } from './transfers';

/** VS Code's own mime type for items dragged inside this tree (view id, lower-cased). */
const TREE_MIME = 'application/vnd.code.tree.remotehpc.explorer';

/** Local `file:` URIs from a `text/uri-list` payload (comments and other schemes dropped). */
function parseUriList(text: string): vscode.Uri[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .flatMap((l) => {
      try {
        return [vscode.Uri.parse(l, true)];
      } catch {
        return [];
      }
    });
}

/** The entries a drag inside this tree carries (see handleDrag); nothing for anything else. */
function draggedNodes(item: vscode.DataTransferItem | undefined): EntryNode[] {
  const value: unknown = item?.value;
  if (!Array.isArray(value)) return [];
  return value.filter((n): n is EntryNode => typeof n === 'object' && n !== null && (n as ExplorerNode).kind === 'entry');
}

/**
 * Drag and drop on the Remote Explorer: local files and folders dropped on a folder are uploaded
 * into it (from the VS Code explorer as `text/uri-list`, from the OS as files); items dragged
 * inside the tree are moved on the same host; dragging items out gives their `hpc:` URIs.
 */
export class ExplorerDragAndDrop implements vscode.TreeDragAndDropController<ExplorerNode> {
  readonly dropMimeTypes = [TREE_MIME, 'text/uri-list', 'files'];
  readonly dragMimeTypes = ['text/uri-list'];

  constructor(
    private readonly model: ExplorerModel,
    private readonly transfers: Transfers,
    private readonly log: Logger,
  ) {}

  handleDrag(source: readonly ExplorerNode[], data: vscode.DataTransfer): void {
    const entries = source.filter((n): n is EntryNode => n.kind === 'entry');
    if (!entries.length) return;
    // The workbench's own item for this mime type holds tree handles (a string); ours, set here,
    // holds the nodes and is what a drop in the same tree gets back.
    data.set(TREE_MIME, new vscode.DataTransferItem(entries));
    data.set('text/uri-list', new vscode.DataTransferItem(entries.map((n) => hpcUri(n.host, n.path).toString()).join('\r\n')));
  }

  async handleDrop(target: ExplorerNode | undefined, data: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    const dest = await this.destination(target);
    if (!dest || token.isCancellationRequested) return;
    try {
      const nodes = draggedNodes(data.get(TREE_MIME));
      if (nodes.length) return await this.move(nodes, dest, 'move');
      const local: vscode.Uri[] = [];
      const remote: vscode.Uri[] = [];
      const list = data.get('text/uri-list');
      if (list) {
        for (const u of parseUriList(await list.asString())) (u.scheme === 'file' ? local : isHpcUri(u) ? remote : []).push(u);
      }
      const bytes: { name: string; data: () => Thenable<Uint8Array> }[] = [];
      data.forEach((item) => {
        const file = item.asFile();
        if (!file) return;
        if (file.uri?.scheme === 'file') {
          if (!local.some((u) => u.fsPath === file.uri?.fsPath)) local.push(file.uri);
        } else if (!file.uri) {
          bytes.push({ name: file.name, data: () => file.data() });
        }
      });
      if (local.length) await this.transfers.uploadLocal(dest.host, dest.path, local);
      for (const b of bytes) {
        // Files dropped from the OS into a browser workbench: contents only, no local path.
        const uri = hpcUri(dest.host, posix.join(dest.path, posix.basename(b.name)));
        await vscode.workspace.fs.writeFile(uri, await b.data());
      }
      if (bytes.length) await this.model.reload(dest.host, dest.path);
      // hpc: URIs from elsewhere (an editor tab, another view) are copied, not moved.
      if (remote.length) await this.move(remote.map(parseHpcUri), dest, 'copy');
    } catch (err) {
      this.log.error(`[explorer] drop into ${dest.host}:${dest.path} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      void vscode.window.showErrorMessage(`Drop into ${dest.path} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }

  private async destination(target: ExplorerNode | undefined): Promise<{ host: string; path: string } | undefined> {
    if (!target) return undefined;
    if (target.kind === 'host') {
      const { roots } = await this.model.rootsOf(target.host);
      return roots[0] ? { host: target.host, path: roots[0].path } : undefined;
    }
    if (target.kind !== 'entry') return target.parent.kind === 'entry' ? { host: target.parent.host, path: target.parent.path } : undefined;
    return { host: target.host, path: isFolder(target) ? target.path : posix.dirname(target.path) };
  }

  /** Moves (or copies) remote items into a folder of the same host, after a confirmation. */
  private async move(items: readonly { host: string; path: string }[], dest: { host: string; path: string }, mode: 'move' | 'copy'): Promise<void> {
    const verb = mode === 'move' ? 'Move' : 'Copy';
    const movable = items.filter((i) => i.host === dest.host && posix.dirname(i.path) !== dest.path && i.path !== dest.path);
    if (items.some((i) => i.host !== dest.host)) {
      void vscode.window.showWarningMessage(`${verb === 'Move' ? 'Moving' : 'Copying'} between hosts is not supported: download and upload instead.`);
    }
    const inside = movable.find((i) => dest.path.startsWith(`${i.path}/`));
    if (inside) throw new Error(`Cannot ${mode} ${inside.path} into itself.`);
    if (!movable.length) return;
    const what = movable.length === 1 ? posix.basename(movable[0].path) : `${movable.length} items`;
    const choice = await vscode.window.showWarningMessage(`${verb} ${what} into ${dest.path}?`, { modal: true, detail: `On ${dest.host}.` }, verb);
    if (choice !== verb) return;
    for (const i of movable) {
      const from = hpcUri(i.host, i.path);
      const to = hpcUri(dest.host, posix.join(dest.path, posix.basename(i.path)));
      if (mode === 'move') await vscode.workspace.fs.rename(from, to, { overwrite: false });
      else await vscode.workspace.fs.copy(from, to, { overwrite: false });
      await this.model.reload(i.host, posix.dirname(i.path));
    }
    await this.model.reload(dest.host, dest.path);
  }
}
