import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import type { PathFilter } from '../core/remote/types';
import { addPattern, checkPattern, describeFilter, FILTER_LISTS, isEmptyFilter, patternCount, replacePattern, type FilterListKey } from '../core/remote/filterEdit';
import type { FilterStore } from './filterStore';

interface FilterItem extends vscode.QuickPickItem {
  action: 'add' | 'edit' | 'clear';
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
 * existing one to edit it (prefilled; emptied, it is removed); patterns are checked as they are
 * typed and nothing changes until a valid one is entered. Clearing everything asks first.
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
    (current[key] ?? []).map((pattern): FilterItem => ({ action: 'edit', key, pattern, label: `$(edit) ${pattern}`, description: short })),
  );
  if (active.length) {
    items.push({ action: 'add', label: 'Active patterns: pick one to edit or remove it', kind: vscode.QuickPickItemKind.Separator });
    items.push(...active);
    items.push({ action: 'clear', label: '$(clear-all) Clear all patterns…' });
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `Filter Remote Explorer: ${host}`,
    placeHolder: 'Globs on the name (*.log) or regular expressions on the full path. Hidden: matches a hide pattern and no keep pattern.',
    ignoreFocusOut: true,
  });
  if (!picked) throw new CancelledError();
  if (picked.action === 'clear') return clearFilters(store, [host]);
  if (!picked.key) return;
  const key = picked.key;
  const list = FILTER_LISTS.find((l) => l.key === key);
  if (picked.action === 'edit' && picked.pattern !== undefined) {
    const old = picked.pattern;
    const edited = await vscode.window.showInputBox({
      title: `${list?.label ?? key} (${host})`,
      prompt: 'Edit the pattern; clear the text to remove it',
      value: old,
      validateInput: (v) => (v === '' ? undefined : checkPattern(v)),
      ignoreFocusOut: true,
    });
    if (edited === undefined) throw new CancelledError();
    const problem = edited === '' ? undefined : checkPattern(edited);
    if (problem) throw new Error(problem);
    return store.set(host, replacePattern(current, key, old, edited));
  }
  const pattern = await vscode.window.showInputBox({
    title: `${list?.label ?? key} (${host})`,
    prompt: 'A glob on the name (*.csv) or a regular expression searched in the full remote path',
    placeHolder: `e.g. ${EXAMPLES[key]}`,
    validateInput: (v) => checkPattern(v),
    ignoreFocusOut: true,
  });
  if (pattern === undefined) throw new CancelledError();
  const problem = checkPattern(pattern);
  if (problem) throw new Error(problem);
  await store.set(host, addPattern(current, key, pattern));
}

/** Clear Filter: after a modal confirmation naming the patterns, removes every pattern of the given hosts. */
export async function clearFilters(store: FilterStore, hosts: readonly string[]): Promise<void> {
  const filtered = hosts.filter((h) => !isEmptyFilter(store.get(h)));
  if (filtered.length === 0) return;
  const count = filtered.reduce((n, h) => n + patternCount(store.get(h)), 0);
  const detail = filtered.map((h) => `${h}: ${describeFilter(store.get(h), 200)}`).join('\n');
  const clear = 'Clear Filter';
  const answer = await vscode.window.showWarningMessage(
    `Remove ${count === 1 ? 'the filter pattern' : `all ${count} filter patterns`} of ${filtered.join(', ')}?`,
    { modal: true, detail },
    clear,
  );
  if (answer !== clear) throw new CancelledError();
  for (const h of filtered) await store.set(h, {});
}
