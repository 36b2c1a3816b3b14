import type * as vscode from 'vscode';
import { isFolderOrder, type FolderOrder } from '../core/remote/folderOrder';

const STATE_KEY = 'remoteHpc.explorer.folderOrders';
/** Folders remembered with an order of their own; the least recently set go first. */
const MAX_FOLDERS = 500;

/**
 * "Sort Folder By…" choices: an order per (host, folder), kept in the workspace state so a
 * folder sorted by size stays so after a reload. Folders without one use remoteHpc.explorer.sortBy.
 */
export class FolderOrders {
  private readonly orders = new Map<string, FolderOrder>();

  constructor(private readonly state?: vscode.Memento) {
    const saved = state?.get<unknown>(STATE_KEY);
    if (Array.isArray(saved)) {
      for (const row of saved) {
        if (Array.isArray(row) && typeof row[0] === 'string' && typeof row[1] === 'string' && isFolderOrder(row[2])) this.orders.set(key(row[0], row[1]), row[2]);
      }
    }
  }

  get(host: string, path: string): FolderOrder | undefined {
    return this.orders.get(key(host, path));
  }

  /** Sets (or, undefined, drops) a folder's own order. */
  set(host: string, path: string, order: FolderOrder | undefined): void {
    const k = key(host, path);
    this.orders.delete(k);
    if (order) this.orders.set(k, order);
    for (const old of this.orders.keys()) if (this.orders.size > MAX_FOLDERS) this.orders.delete(old);
    void this.state?.update(
      STATE_KEY,
      [...this.orders].map(([k2, o]) => [...k2.split('\0'), o]),
    );
  }
}

const key = (host: string, path: string) => `${host}\0${path}`;
