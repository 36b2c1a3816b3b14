/**
 * The orders a Remote Explorer folder can be listed in (setting remoteHpc.explorer.sortBy, or
 * "Sort Folder By…" for one folder), as the list options that sort on the remote before paging.
 */
import { formatSize, formatTime } from './format';
import { isDirLike } from './common';
import type { RemoteEntry, SortKey } from './types';

export type FolderOrder = 'name' | 'modified' | 'size';

export const FOLDER_ORDERS: readonly FolderOrder[] = ['name', 'modified', 'size'];

export function isFolderOrder(v: unknown): v is FolderOrder {
  return typeof v === 'string' && (FOLDER_ORDERS as readonly string[]).includes(v);
}

/** Name A to Z; modified time newest first; size largest first (folders first, always). */
export function listOrder(order: FolderOrder): { sort: SortKey; descending: boolean } {
  return order === 'modified' ? { sort: 'mtime', descending: true } : order === 'size' ? { sort: 'size', descending: true } : { sort: 'name', descending: false };
}

/** "by name", "newest first", "largest first". */
export function describeOrder(order: FolderOrder): string {
  return order === 'modified' ? 'newest first' : order === 'size' ? 'largest first' : 'by name';
}

/** What an entry shows beside its name in a folder sorted by time or size (none by name). */
export function orderDetail(order: FolderOrder, e: RemoteEntry): string | undefined {
  if (order === 'modified') return formatTime(e.mtimeMs);
  if (order === 'size' && !isDirLike(e)) return formatSize(e.size);
  return undefined;
}

/** "1.2 MB · 2024-05-01 12:00" (a folder: its time only). */
export function entryFacts(e: RemoteEntry): string {
  return isDirLike(e) ? formatTime(e.mtimeMs) : `${formatSize(e.size)} · ${formatTime(e.mtimeMs)}`;
}
