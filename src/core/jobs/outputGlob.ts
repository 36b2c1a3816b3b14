/**
 * Declared outputs (`"outputs": ["results/*.csv", "model.pt", "logs/**"]`) resolved to files on
 * the cluster, for Fetch Outputs. Pure: the directory listing is injected.
 */
import { posix } from 'node:path';

function hasGlob(s: string): boolean {
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
  /** A symbolic link (isDir: to a folder). */
  link?: boolean;
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
  /** What was left out and why: links to folders outside the job's folder, loops, odd names, depth. */
  skipped: string[];
}

export interface ExpandOptions {
  /** List a directory (absolute path); throw or return null when it does not exist. */
  list(dir: string): Promise<ListedEntry[] | null>;
  /** Stat one path: null when missing. */
  stat(path: string): Promise<{ isDir: boolean; size?: number } | null>;
  /**
   * Real paths (links resolved) on the cluster, null where unknown. Folder links are followed
   * only when their real path stays inside the root (the work folder, or an absolute pattern's
   * folder) and was not visited yet; without this, no folder link is followed.
   */
  realpath?(paths: string[]): Promise<(string | null)[]>;
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
  const skipped: string[] = [];
  let truncated = false;
  /** Real folders walked for the current pattern (loop detection). */
  let visited = new Set<string>();
  const real = async (p: string): Promise<string | null> => (o.realpath ? ((await o.realpath([p]).catch(() => [null]))[0] ?? null) : null);
  const workdirReal = await real(workdir);

  const add = (remote: string, relative: string, size?: number) => {
    if (seen.has(remote)) return;
    if (files.length >= max) {
      truncated = true;
      return;
    }
    seen.add(remote);
    files.push({ remote, relative, ...(size !== undefined ? { size } : {}) });
  };

  /** Links last, so that a link to a sibling folder finds it walked already. */
  const listSafe = async (dir: string): Promise<ListedEntry[]> => {
    try {
      return ((await o.list(dir)) ?? []).sort((a, b) => Number(a.link === true) - Number(b.link === true));
    } catch {
      return [];
    }
  };

  const inside = (r: string, root: string) => r === root || r.startsWith(root === '/' ? '/' : `${root}/`);
  /**
   * Whether a folder may be entered: its real path (undefined: skipped, the reason noted). A plain
   * subfolder is inside its parent; a link (or the pattern's start folder) must really be inside
   * root, and a link to a folder walked already (an ancestor: a loop) is not followed.
   */
  const enter = async (p: string, parentReal: string | null, e: ListedEntry | undefined, root: string | null): Promise<string | null | undefined> => {
    const r = e && !e.link && parentReal ? posix.join(parentReal, e.name) : await real(p);
    if (e?.link && !(r && root && inside(r, root))) {
      skipped.push(`${p}: a link to a folder outside the fetched folder${r ? ` (${r})` : ''}, not followed`);
      return undefined;
    }
    if (!e && r && root && !inside(r, root)) {
      skipped.push(`${p}: outside the job folder (${r})`);
      return undefined;
    }
    if (e?.link && r && visited.has(r)) {
      skipped.push(`${p}: ${r} was already fetched (a loop or a second link to it)`);
      return undefined;
    }
    if (r) visited.add(r);
    return r;
  };
  const badName = (dir: string, n: string) => {
    if (n && n !== '.' && n !== '..' && !n.includes('/')) return false;
    skipped.push(`${JSON.stringify(n)} in ${dir}: not a valid file name`);
    return true;
  };
  const tooDeep = (dir: string, depth: number) => {
    if (depth <= maxDepth) return false;
    skipped.push(`${dir}: deeper than ${maxDepth} levels`);
    return true;
  };

  /** Every file under dir (relative names prefixed with rel); dirReal is dir's real path when known. */
  const walk = async (dir: string, rel: string, depth: number, dirReal: string | null, root: string | null): Promise<void> => {
    if (truncated || tooDeep(dir, depth)) return;
    for (const e of await listSafe(dir)) {
      if (badName(dir, e.name)) continue;
      const p = posix.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDir) {
        const sub = await enter(p, dirReal, e, root);
        if (sub !== undefined) await walk(p, r, depth + 1, sub, root);
      } else add(p, r, e.size);
      if (truncated) return;
    }
  };

  for (const raw of patterns) {
    visited = new Set(workdirReal ? [workdirReal] : []);
    const pattern = raw.replace(/^\.\//, '').replace(/\/+$/, '');
    const absolute = posix.isAbsolute(pattern);
    const before = files.length;
    if (!hasGlob(pattern)) {
      const path = absolute ? pattern : posix.join(workdir, pattern);
      const st = await o.stat(path).catch(() => null);
      const rel = absolute ? posix.basename(pattern) : pattern;
      if (!st) missing.push(raw);
      else if (st.isDir) {
        // An absolute folder is its own root; a relative one must really be in the work folder.
        const start = await enter(path, null, undefined, absolute ? await real(path) : workdirReal);
        if (start !== undefined) await walk(path, rel, 0, start, absolute ? start : workdirReal);
      } else add(path, rel, st.size);
      continue;
    }
    const { base, rest } = splitGlob(pattern);
    const baseDir = absolute ? base || '/' : posix.join(workdir, base);
    const re = globToRegExp(rest);
    const deep = rest.includes('**');
    const segments = rest.split('/').length;
    const root = absolute ? await real(baseDir) : workdirReal;
    const visit = async (dir: string, relToBase: string, depth: number, dirReal: string | null): Promise<void> => {
      if (truncated || tooDeep(dir, depth)) return;
      for (const e of await listSafe(dir)) {
        if (badName(dir, e.name)) continue;
        const r = relToBase ? `${relToBase}/${e.name}` : e.name;
        const p = posix.join(dir, e.name);
        const local = absolute ? r : base ? `${base}/${r}` : r;
        const match = re.test(r);
        if (!e.isDir) {
          if (match) add(p, local, e.size);
        } else if (match || deep || depth + 1 < segments) {
          const sub = await enter(p, dirReal, e, root);
          if (sub === undefined) continue;
          if (match) await walk(p, local, depth + 1, sub, root);
          else await visit(p, r, depth + 1, sub);
        }
        if (truncated) return;
      }
    };
    const start = base ? await enter(baseDir, null, undefined, root) : workdirReal;
    if (start !== undefined) await visit(baseDir, '', 0, start);
    if (files.length === before && !truncated) missing.push(raw);
  }
  return { files, missing, truncated, skipped };
}
