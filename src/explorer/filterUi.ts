import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import type { PathFilter } from '../core/remote/types';
import { addPattern, checkPattern, FILTER_LISTS, isEmptyFilter, removePattern, type FilterListKey } from '../core/remote/filterEdit';
import type { FilterStore } from './filterStore';

interface FilterItem extends vscode.QuickPickItem {
  action: 'add' | 'remove' | 'clear';
  key?: FilterListKey;
  pattern?: string;
}

const EXAMPLES: Record<FilterListKey, string> = {
  fileReject: '\\.(o|pyc|tmp)$',
  fileAllow: 'important\\.tmp$',
  dirReject: '/(\\.git|__pycache__|node_modules)$',
  dirAllow: '/keep$',
};

/**
 * Filter… on the explorer title bar: a menu to add a pattern to one of the four lists or pick an
 * existing one to remove it; patterns are checked as they are typed and nothing changes until a
 * valid one is entered.
 */
export async function editFilter(store: FilterStore, hostOrPick: string | Promise<string>): Promise<void> {
  const host = await hostOrPick;
  const current: PathFilter = store.get(host) ?? {};
  const items: FilterItem[] = FILTER_LISTS.map(({ key, label }) => ({
    action: 'add' as const,
    key,
    label: `$(${key.endsWith('Reject') ? 'eye-closed' : 'eye'}) ${label}…`,
    description: key.startsWith('file') ? 'files' : 'folders',
  }));
  const active = FILTER_LISTS.flatMap(({ key, short }) =>
    (current[key] ?? []).map((pattern): FilterItem => ({ action: 'remove', key, pattern, label: `$(close) ${pattern}`, description: short })),
  );
  if (active.length) {
    items.push({ action: 'add', label: 'Active patterns: pick one to remove it', kind: vscode.QuickPickItemKind.Separator });
    items.push(...active);
    items.push({ action: 'clear', label: '$(clear-all) Clear all patterns' });
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `Filter Remote Explorer: ${host}`,
    placeHolder: 'Regular expressions matched against the full path. Hidden: matches a hide pattern and no keep pattern.',
    ignoreFocusOut: true,
  });
  if (!picked) throw new CancelledError();
  if (picked.action === 'clear') return store.set(host, {});
  if (picked.action === 'remove' && picked.key && picked.pattern !== undefined) return store.set(host, removePattern(current, picked.key, picked.pattern));
  if (!picked.key) return;
  const key = picked.key;
  const list = FILTER_LISTS.find((l) => l.key === key);
  const pattern = await vscode.window.showInputBox({
    title: `${list?.label ?? key} (${host})`,
    prompt: 'Regular expression searched in the full remote path',
    placeHolder: `e.g. ${EXAMPLES[key]}`,
    validateInput: (v) => checkPattern(v),
    ignoreFocusOut: true,
  });
  if (pattern === undefined) throw new CancelledError();
  const problem = checkPattern(pattern);
  if (problem) throw new Error(problem);
  await store.set(host, addPattern(current, key, pattern));
}

/** Clear Filter: removes every pattern of the given hosts. */
export async function clearFilters(store: FilterStore, hosts: readonly string[]): Promise<void> {
  for (const h of hosts) if (!isEmptyFilter(store.get(h))) await store.set(h, {});
}
