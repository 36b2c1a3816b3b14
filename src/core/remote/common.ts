/** Pieces both RemoteOps implementations share, so they list, sort and report alike. */
import { randomBytes } from 'node:crypto';
import type { ChangeEvent, EntryType, RemoteEntry, SortKey } from './types';

/**
 * Temp files of atomic writes: `.remote-hpc-<16 lowercase hex>.tmp` in the target's folder (fixed
 * length, so a 255-byte name can still be saved). agent.py uses exactly the same pattern.
 */
export const TEMP_RE = /^\.remote-hpc-[0-9a-f]{16}\.tmp$/;
/** Temp names of older versions (`.<name>.remote-hpc-<8 hex>.tmp`): hidden, but never deleted. */
export const LEGACY_TEMP_RE = /^\..+\.remote-hpc-[0-9a-f]{8}\.tmp$/s;
/** Temp files older than this are left-overs of an interrupted save and get removed. */
export const TEMP_STALE_MS = 3600_000;

/** True for names of temp files (current or legacy) that listings, watches and walks hide. */
export function isTempName(name: string): boolean {
  return TEMP_RE.test(name) || LEGACY_TEMP_RE.test(name);
}

/** A fresh temp path next to `path` (its folder, our fixed-length name). */
export function tempNameFor(path: string): string {
  const slash = path.lastIndexOf('/');
  return `${path.slice(0, slash + 1)}.remote-hpc-${randomBytes(8).toString('hex')}.tmp`;
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? (path.startsWith('/') ? '/' : '.') : path.slice(0, slash);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Code point order, as Python compares str (plain `<` compares UTF-16 units). */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs === ys) return x - y;
      return xs ? 1 : -1; // a surrogate (astral code point) sorts after every BMP unit it meets
    }
  }
  return a.length - b.length;
}

const CHUNK_RE = /[0-9]+|[^0-9]+/gu;
const isDigitRun = (s: string) => s.charCodeAt(0) >= 0x30 && s.charCodeAt(0) <= 0x39;

/**
 * Natural order (step2 before step10), the same as natural_key in agent.py: runs of ASCII digits
 * compare by value and before text at the same place, text runs by code point, ties (a01 / a1)
 * by the whole name.
 */
export function compareNatural(a: string, b: string): number {
  if (a === b) return 0;
  const ca = a.match(CHUNK_RE) ?? [];
  const cb = b.match(CHUNK_RE) ?? [];
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i];
    const y = cb[i];
    const dx = isDigitRun(x);
    if (dx !== isDigitRun(y)) return dx ? -1 : 1;
    if (dx) {
      const vx = x.replace(/^0+/u, '');
      const vy = y.replace(/^0+/u, '');
      if (vx.length !== vy.length) return vx.length - vy.length;
      if (vx !== vy) return vx < vy ? -1 : 1;
    } else if (x !== y) return compareNames(x, y);
  }
  return ca.length - cb.length || compareNames(a, b);
}

export const TYPE_FROM_CHAR: Record<string, EntryType> = { f: 'file', d: 'directory', l: 'symlink', o: 'other' };

export function isDirLike(e: { type: EntryType; targetType?: EntryType }): boolean {
  return e.type === 'directory' || (e.type === 'symlink' && e.targetType === 'directory');
}

/**
 * Directories first, then by key (names in code point or natural order); descending flips the
 * key order, ties stay by name A to Z; folders stay in name order when sorting by size (their
 * size says nothing). The same order as sort_rows in agent.py.
 */
export function sortEntries(entries: RemoteEntry[], key: SortKey = 'name', descending = false, natural = false): RemoteEntry[] {
  const sign = descending ? -1 : 1;
  const byName = natural ? compareNatural : compareNames;
  return entries.sort((a, b) => {
    const da = isDirLike(a);
    const db = isDirLike(b);
    if (da !== db) return da ? -1 : 1;
    if (key === 'name') return sign * byName(a.name, b.name);
    if (key === 'mtime' || !da) {
      const d = key === 'mtime' ? a.mtimeMs - b.mtimeMs : a.size - b.size;
      if (d !== 0) return sign * d;
    }
    return byName(a.name, b.name);
  });
}

/** Where a page of `limit` entries holding index `position` starts. */
export function pageStart(position: number, limit: number | undefined): number {
  return limit && limit > 0 ? position - (position % limit) : 0;
}

const escapeRe = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/]/gu, '\\$&');
const escapeClass = (c: string) => c.replace(/[\\^\][-]/gu, '\\$&');

/**
 * A glob (fnmatch syntax: * ? [abc] [!a-z], no escapes) as the regex sources of the parts between
 * its stars, each matching a fixed number of characters: matching is a few searches left to
 * right, never exponential backtracking. The same as _glob_segments in agent.py.
 */
function globSegments(pat: string): string[] {
  const chars = Array.from(pat);
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < chars.length; ) {
    const c = chars[i++];
    if (c === '*') {
      parts.push(cur);
      cur = '';
    } else if (c === '?') cur += '.';
    else if (c === '[') {
      let j = i;
      if (chars[j] === '!') j++;
      if (chars[j] === ']') j++;
      while (j < chars.length && chars[j] !== ']') j++;
      if (j >= chars.length) {
        cur += escapeRe(c);
        continue;
      }
      let body = chars.slice(i, j);
      i = j + 1;
      const neg = body[0] === '!';
      if (neg) body = body.slice(1);
      let ranges = '';
      for (let k = 0; k < body.length; ) {
        if (k + 2 < body.length && body[k + 1] === '-') {
          const [lo, hi] = [body[k], body[k + 2]];
          k += 3;
          if (lo.codePointAt(0)! <= hi.codePointAt(0)!) ranges += `${escapeClass(lo)}-${escapeClass(hi)}`; // an inverted range matches nothing
        } else ranges += escapeClass(body[k++]);
      }
      cur += ranges ? `[${neg ? '^' : ''}${ranges}]` : neg ? '.' : '(?!)';
    } else cur += escapeRe(c);
  }
  parts.push(cur);
  return parts;
}

/**
 * A name query, ignoring case: a glob (whole name) when it has * ? or [, else a substring; empty
 * matches every name. Never a regular expression. The same as name_matcher in agent.py.
 */
export function nameMatcher(pattern: string | undefined): (name: string) => boolean {
  if (!pattern) return () => true;
  const pat = pattern.toLowerCase();
  if (!/[*?[]/u.test(pat)) return (name) => name.toLowerCase().includes(pat);
  const segs = globSegments(pat);
  if (segs.length === 1) {
    const whole = new RegExp(`^(?:${segs[0]})$`, 'su');
    return (name) => whole.test(name.toLowerCase());
  }
  const first = new RegExp(segs[0], 'suy');
  const middle = segs.slice(1, -1).filter(Boolean).map((x) => new RegExp(x, 'sug'));
  const last = new RegExp(`(?:${segs[segs.length - 1]})$`, 'su');
  return (name) => {
    const s = name.toLowerCase();
    first.lastIndex = 0;
    const m = first.exec(s);
    if (!m) return false;
    let pos = m[0].length;
    for (const rx of middle) {
      rx.lastIndex = pos;
      const hit = rx.exec(s);
      if (!hit) return false;
      pos = hit.index + hit[0].length;
    }
    return last.test(s.slice(pos));
  };
}

/** A file's or directory child's identity for change detection. */
export type Signature = string;

export function diffSnapshots(before: Map<string, Signature>, after: Map<string, Signature>): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  for (const [path, sig] of after) {
    const old = before.get(path);
    if (old === undefined) events.push({ path, kind: 'created' });
    else if (old !== sig) events.push({ path, kind: 'changed' });
  }
  for (const path of before.keys()) if (!after.has(path)) events.push({ path, kind: 'deleted' });
  return events;
}
