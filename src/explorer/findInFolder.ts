/**
 * Huge folders: "Find in Folder…" (type part of a name or a glob; the host narrows the folder
 * while you type, the entry picked is revealed in the tree and files are opened), "Go to Entry…"
 * (a name; the tree loads the page holding it) and "Sort Folder By…" (name, time, size: sorted on
 * the host before paging). A quick pick rather than a filter kept in the tree: the goal is to get
 * to an entry, like Go to File, and nothing stays hidden in the tree afterwards.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import { CancelledError } from '../core/cancel';
import { isDirLike } from '../core/remote/common';
import { describeOrder, entryFacts, FOLDER_ORDERS, type FolderOrder } from '../core/remote/folderOrder';
import type { RemoteEntry } from '../core/remote/types';
import type { ExplorerModel } from './model';
import { updateSetting } from '../config/settings';

/** Matches shown per query (the host counts them all; type more to narrow). */
const FIND_LIMIT = 200;
const TYPING_PAUSE_MS = 150;

interface EntryItem extends vscode.QuickPickItem {
  entry?: RemoteEntry;
}

export interface FoundEntry {
  entry: RemoteEntry;
  /** Open it (a file) or only reveal it in the tree. */
  open: boolean;
}

const revealButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('list-tree'), tooltip: 'Reveal in Remote Explorer without opening' };
const num = (n: number) => n.toLocaleString('en-US');

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

/**
 * The Find in Folder quick pick: every keystroke (after a short pause) asks the host for the
 * entries whose names match, in the folder's order, cancelling the previous request.
 */
export async function findInFolder(model: ExplorerModel, host: string, folder: string, initial = ''): Promise<FoundEntry | undefined> {
  const qp = vscode.window.createQuickPick<EntryItem>();
  const where = `${posix.basename(folder) || folder} on ${host}`;
  qp.title = `Find in ${where}`;
  qp.placeholder = 'Part of a name, or a glob (*.out, run_0??.log): matched on the cluster, ignoring case';
  qp.value = initial;
  qp.ignoreFocusOut = true;
  let query: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const run = (text: string) => {
    query?.abort(new CancelledError());
    const abort = new AbortController();
    query = abort;
    qp.busy = true;
    const order = model.orderOf(host, folder);
    model.find(host, folder, text.trim(), FIND_LIMIT, abort.signal).then(
      (r) => {
        if (query !== abort) return;
        qp.busy = false;
        const items: EntryItem[] = r.entries.map((e) => ({
          label: `$(${isDirLike(e) ? 'folder' : 'file'}) ${e.name}`,
          description: entryFacts(e),
          alwaysShow: true,
          entry: e,
          ...(isDirLike(e) ? {} : { buttons: [revealButton] }),
        }));
        if (r.total > r.entries.length) items.push({ label: `$(info) ${num(r.total - r.entries.length)} more: type more of the name to narrow`, alwaysShow: true });
        if (r.total === 0) items.push({ label: text.trim() ? `$(info) No entry matches “${text.trim()}”` : '$(info) The folder is empty', alwaysShow: true });
        qp.items = items;
        const what = text.trim() ? `${num(r.total)} match${r.total === 1 ? '' : 'es'}` : `${num(r.total)} entries`;
        qp.title = `Find in ${where}: ${what}${r.total > r.entries.length ? `, first ${num(r.entries.length)}` : ''}${order === 'name' ? '' : ` (${describeOrder(order)})`}`;
      },
      (err: unknown) => {
        if (query !== abort || abort.signal.aborted) return;
        qp.busy = false;
        qp.items = [{ label: `$(error) ${errorText(err)}`, alwaysShow: true }];
      },
    );
  };
  try {
    return await new Promise<FoundEntry | undefined>((resolve) => {
      qp.onDidChangeValue((v) => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => run(v), TYPING_PAUSE_MS);
      });
      qp.onDidAccept(() => {
        const entry = (qp.selectedItems[0] ?? qp.activeItems[0])?.entry;
        if (entry) resolve({ entry, open: true });
      });
      qp.onDidTriggerItemButton(({ item }) => item.entry && resolve({ entry: item.entry, open: false }));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
      run(initial);
    });
  } finally {
    if (timer) clearTimeout(timer);
    query?.abort(new CancelledError());
    qp.dispose();
  }
}

/**
 * Go to Entry: a name typed in full goes straight to its page; otherwise what it matches is
 * looked up, one match is gone to, several are offered in Find in Folder.
 */
export async function goToEntry(model: ExplorerModel, host: string, folder: string): Promise<FoundEntry | undefined> {
  const name = await vscode.window.showInputBox({
    title: `Go to Entry in ${posix.basename(folder) || folder} on ${host}`,
    prompt: 'The name of a file or folder (or part of it): the tree loads the page that holds it',
    validateInput: (v) => (v.includes('/') ? 'A name in this folder, without /' : undefined),
    ignoreFocusOut: true,
  });
  if (name === undefined || !name.trim()) throw new CancelledError();
  const { snapshot, found } = await model.jump(host, folder, name);
  if (snapshot.error !== undefined) throw snapshot.error;
  const entry = found ? snapshot.entries.find((e) => e.name === name) : undefined;
  if (entry) return { entry, open: false };
  const matches = await model.find(host, folder, name.trim(), 2);
  if (matches.total === 0) throw new Error(`No entry named or matching “${name.trim()}” in ${folder} on ${host}.`);
  if (matches.total === 1) return { entry: matches.entries[0], open: false };
  return findInFolder(model, host, folder, name.trim());
}

interface OrderItem extends vscode.QuickPickItem {
  order?: FolderOrder;
  scope: 'folder' | 'all' | 'reset';
}

const ORDER_LABELS: Record<FolderOrder, string> = { name: 'Name', modified: 'Modified (newest first)', size: 'Size (largest first)' };

/** Sort Folder By…: this folder's own order, or the default for every folder (the setting). */
export async function pickFolderOrder(model: ExplorerModel, host: string, folder: string): Promise<void> {
  const current = model.orderOf(host, folder);
  const own = model.hasOwnOrder(host, folder);
  const mark = (on: boolean) => (on ? '$(check) ' : '');
  const items: OrderItem[] = [
    { label: `This folder: ${posix.basename(folder) || folder}`, kind: vscode.QuickPickItemKind.Separator, scope: 'folder' },
    ...FOLDER_ORDERS.map((o): OrderItem => ({ label: `${mark(current === o)}${ORDER_LABELS[o]}`, order: o, scope: 'folder' })),
    ...(own ? [{ label: '$(discard) Same as all folders', description: ORDER_LABELS[model.defaultOrder], scope: 'reset' as const }] : []),
    { label: 'All folders (remoteHpc.explorer.sortBy)', kind: vscode.QuickPickItemKind.Separator, scope: 'all' },
    ...FOLDER_ORDERS.map((o): OrderItem => ({ label: `${mark(model.defaultOrder === o)}${ORDER_LABELS[o]}`, description: 'all folders', order: o, scope: 'all' })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Sort ${posix.basename(folder) || folder} on ${host} by…`, placeHolder: 'Sorted on the cluster before paging; folders stay first' });
  if (!picked) throw new CancelledError();
  if (picked.scope === 'reset') model.setOrder(host, folder, undefined);
  else if (picked.scope === 'folder' && picked.order) model.setOrder(host, folder, picked.order);
  else if (picked.order) await updateSetting('explorer.sortBy', picked.order);
}
