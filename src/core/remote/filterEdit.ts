/**
 * Editing Slycat-style path filters (four regex lists matched against the full path): the
 * persisted shape, adding/removing patterns without mutating, validation and a short summary.
 * Semantics (applied remotely): an entry is hidden when its path matches a reject pattern and
 * no allow pattern of the same kind (files or folders).
 */
import type { PathFilter } from './types';
import { validatePattern } from './filters';

export type FilterListKey = keyof Required<PathFilter>;

export const FILTER_LISTS: readonly { key: FilterListKey; label: string; short: string }[] = [
  { key: 'fileReject', label: 'Hide files matching', short: 'hide files' },
  { key: 'fileAllow', label: 'Keep files matching (overrides hide)', short: 'keep files' },
  { key: 'dirReject', label: 'Hide folders matching', short: 'hide folders' },
  { key: 'dirAllow', label: 'Keep folders matching (overrides hide)', short: 'keep folders' },
];

const KEYS: readonly FilterListKey[] = FILTER_LISTS.map((l) => l.key);

/** A filter from untrusted JSON (settings): string lists only, blanks and duplicates dropped. */
export function normalizeFilter(raw: unknown): PathFilter {
  const out: PathFilter = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  const obj = raw as Record<string, unknown>;
  for (const k of KEYS) {
    const v = obj[k];
    if (!Array.isArray(v)) continue;
    const list = [...new Set(v.filter((p): p is string => typeof p === 'string' && p !== ''))];
    if (list.length) out[k] = list;
  }
  return out;
}

/** Filters per host from the `remoteHpc.filters` setting value. */
export function filtersFromSetting(raw: unknown): Record<string, PathFilter> {
  const out: Record<string, PathFilter> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [host, f] of Object.entries(raw as Record<string, unknown>)) {
    const n = normalizeFilter(f);
    if (!isEmptyFilter(n)) out[host] = n;
  }
  return out;
}

/** No pattern at all. */
export function isEmptyFilter(f: PathFilter | undefined): boolean {
  return !f || KEYS.every((k) => !f[k]?.length);
}

/** Hides something: allow lists alone change nothing (they only override rejects). */
export function isFilterActive(f: PathFilter | undefined): boolean {
  return !!f && (!!f.fileReject?.length || !!f.dirReject?.length);
}

export function addPattern(f: PathFilter, key: FilterListKey, pattern: string): PathFilter {
  const list = f[key] ?? [];
  if (list.includes(pattern)) return f;
  return { ...f, [key]: [...list, pattern] };
}

export function removePattern(f: PathFilter, key: FilterListKey, pattern: string): PathFilter {
  const list = (f[key] ?? []).filter((p) => p !== pattern);
  const out: PathFilter = { ...f };
  if (list.length) out[key] = list;
  else delete out[key];
  return out;
}

/** Replaces one pattern in place (an empty replacement removes it). */
export function replacePattern(f: PathFilter, key: FilterListKey, pattern: string, replacement: string): PathFilter {
  if (replacement === '' || (replacement !== pattern && (f[key] ?? []).includes(replacement))) return removePattern(f, key, pattern);
  return { ...f, [key]: (f[key] ?? []).map((p) => (p === pattern ? replacement : p)) };
}

/** How many patterns the filter has. */
export function patternCount(f: PathFilter | undefined): number {
  return KEYS.reduce((n, k) => n + (f?.[k]?.length ?? 0), 0);
}

export function filterEquals(a: PathFilter | undefined, b: PathFilter | undefined): boolean {
  return KEYS.every((k) => JSON.stringify(a?.[k] ?? []) === JSON.stringify(b?.[k] ?? []));
}

/**
 * Why a pattern cannot be used, or undefined when it can. Patterns are globs on the name
 * (`*.csv`) or regular expressions in the subset JavaScript and Python share (filters.ts
 * translates them for the agent); flags and named groups are not available.
 */
export function checkPattern(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'Enter a glob on the name (*.log) or a regular expression on the path (\\.log$)';
  const problem = validatePattern(pattern);
  return problem === undefined ? undefined : `Invalid regular expression: ${problem} (patterns are regular expressions on the full path, or globs on the name like *.csv)`;
}

/** The first invalid pattern of a filter, as a message naming its list. */
export function checkFilter(f: PathFilter): string | undefined {
  for (const { key, short } of FILTER_LISTS) {
    for (const p of f[key] ?? []) {
      const why = checkPattern(p);
      if (why) return `${short} "${p}": ${why}`;
    }
  }
  return undefined;
}

/** `hide files \.log$, \.o$ · hide folders /\.git$` — for the view description and tooltips. */
export function describeFilter(f: PathFilter | undefined, maxLength = 80): string {
  if (!f) return '';
  const parts: string[] = [];
  for (const { key, short } of FILTER_LISTS) {
    const list = f[key];
    if (list?.length) parts.push(`${short} ${list.join(', ')}`);
  }
  const s = parts.join(' · ');
  return s.length > maxLength ? `${s.slice(0, Math.max(1, maxLength - 1))}…` : s;
}
