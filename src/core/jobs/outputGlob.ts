/**
 * Declared outputs (`"outputs": ["results/*.csv", "model.pt", "logs/**"]`) resolved to files on
 * the cluster, for Fetch Outputs. Pure: the directory listing is injected.
 */
import { posix } from 'node:path';

export function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** A glob over `/`-separated relative paths: `**` any depth, `*` and `?` within a segment, `[…]` classes. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:[^/]*(?:/|$))*' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** `a/b/*.csv` → `{ base: 'a/b', rest: '*.csv' }`: the literal folders before the first wildcard. */
export function splitGlob(glob: string): { base: string; rest: string } {
  const segs = glob.split('/');
  const i = segs.findIndex(hasGlob);
  if (i < 0) return { base: glob, rest: '' };
  return { base: segs.slice(0, i).join('/'), rest: segs.slice(i).join('/') };
}

export interface ListedEntry {
  name: string;
  isDir: boolean;
  size?: number;
}

export interface ResolvedOutput {
  /** Absolute path on the cluster. */
  remote: string;
  /** Where it goes under the local folder (relative). */
  relative: string;
  size?: number;
}

export interface ExpandResult {
  files: ResolvedOutput[];
  /** Patterns or paths that matched nothing. */
  missing: string[];
  /** The listing stopped at the limit. */
  truncated: boolean;
}

export interface ExpandOptions {
  /** List a directory (absolute path); throw or return null when it does not exist. */
  list(dir: string): Promise<ListedEntry[] | null>;
  /** Stat one path: null when missing. */
  stat(path: string): Promise<{ isDir: boolean; size?: number } | null>;
  maxFiles?: number;
  maxDepth?: number;
}

/**
 * Resolves output patterns relative to `workdir` (absolute patterns stay absolute) to files. A
 * folder (literal or matched) is taken whole, recursively.
 */
export async function expandOutputs(workdir: string, patterns: readonly string[], o: ExpandOptions): Promise<ExpandResult> {
  const max = o.maxFiles ?? 5000;
  const maxDepth = o.maxDepth ?? 20;
  const files: ResolvedOutput[] = [];
  const seen = new Set<string>();
  const missing: string[] = [];
  let truncated = false;

  const add = (remote: string, relative: string, size?: number) => {
    if (seen.has(remote)) return;
    if (files.length >= max) {
      truncated = true;
      return;
    }
    seen.add(remote);
    files.push({ remote, relative, ...(size !== undefined ? { size } : {}) });
  };

  const listSafe = async (dir: string): Promise<ListedEntry[]> => {
    try {
      return (await o.list(dir)) ?? [];
    } catch {
      return [];
    }
  };

  /** Every file under dir (relative names prefixed with rel). */
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > maxDepth || truncated) return;
    for (const e of await listSafe(dir)) {
      const p = posix.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDir) await walk(p, r, depth + 1);
      else add(p, r, e.size);
      if (truncated) return;
    }
  };

  for (const raw of patterns) {
    const pattern = raw.replace(/^\.\//, '').replace(/\/+$/, '');
    const absolute = posix.isAbsolute(pattern);
    const before = files.length;
    if (!hasGlob(pattern)) {
      const path = absolute ? pattern : posix.join(workdir, pattern);
      const st = await o.stat(path).catch(() => null);
      const rel = absolute ? posix.basename(pattern) : pattern;
      if (!st) missing.push(raw);
      else if (st.isDir) await walk(path, rel, 0);
      else add(path, rel, st.size);
      continue;
    }
    const { base, rest } = splitGlob(pattern);
    const baseDir = absolute ? base || '/' : posix.join(workdir, base);
    const re = globToRegExp(rest);
    const deep = rest.includes('**');
    const segments = rest.split('/').length;
    const visit = async (dir: string, relToBase: string, depth: number): Promise<void> => {
      if (truncated || depth > maxDepth) return;
      for (const e of await listSafe(dir)) {
        const r = relToBase ? `${relToBase}/${e.name}` : e.name;
        const p = posix.join(dir, e.name);
        const local = absolute ? r : base ? `${base}/${r}` : r;
        if (re.test(r)) {
          if (e.isDir) await walk(p, local, depth + 1);
          else add(p, local, e.size);
        } else if (e.isDir && (deep || depth + 1 < segments)) await visit(p, r, depth + 1);
        if (truncated) return;
      }
    };
    await visit(baseDir, '', 0);
    if (files.length === before && !truncated) missing.push(raw);
  }
  return { files, missing, truncated };
}
