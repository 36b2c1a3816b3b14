/**
 * Explorer roots of a host: the `remoteHpc.roots` specs (`~`, `~/sub`, `$SCRATCH`, `${WORK}/x`,
 * `/abs/path`) resolved against the remote home and login environment. Pure, so it is tested.
 */
import { posix } from 'node:path';

export const DEFAULT_ROOT_SPECS: readonly string[] = ['~', '$SCRATCH', '$WORK'];

export interface ResolvedRoot {
  /** The spec as written (`~`, `$SCRATCH`, …). */
  spec: string;
  /** Shown in the tree: `~`, `$SCRATCH`, or the path (home shortened to `~`). */
  label: string;
  /** Absolute, normalized remote path. */
  path: string;
}

const VAR_RE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** The environment variables the specs mention (to fetch them in one getenv). */
export function rootVariables(specs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const s of specs) for (const m of s.matchAll(VAR_RE)) names.add(m[1] ?? m[2]);
  return [...names];
}

/** Specs for a host from the setting value: host entry, else `*`, else the defaults. */
export function rootSpecsFor(setting: unknown, host: string): readonly string[] {
  if (setting && typeof setting === 'object' && !Array.isArray(setting)) {
    const map = setting as Record<string, unknown>;
    for (const key of [host, '*']) {
      const v = map[key];
      if (Array.isArray(v)) {
        const specs = v.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
        if (specs.length) return specs;
      }
    }
  }
  return DEFAULT_ROOT_SPECS;
}

export interface RootResolution {
  roots: ResolvedRoot[];
  /** Specs left out, with why (unset variable, relative path). */
  skipped: { spec: string; reason: string }[];
}

/** Expands and normalizes specs; drops unset variables, relative results and duplicates. */
export function resolveRoots(specs: readonly string[], home: string, env: Record<string, string | undefined>): RootResolution {
  const roots: ResolvedRoot[] = [];
  const skipped: RootResolution['skipped'] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    let missing: string | undefined;
    let expanded = spec.replace(VAR_RE, (_m, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b) as string;
      const v = env[name];
      if (v === undefined || v === '') missing ??= name;
      return v ?? '';
    });
    if (missing !== undefined) {
      skipped.push({ spec, reason: `$${missing} is not set` });
      continue;
    }
    if (expanded === '~' || expanded.startsWith('~/')) expanded = home + expanded.slice(1);
    if (!expanded.startsWith('/')) {
      skipped.push({ spec, reason: 'not an absolute path' });
      continue;
    }
    const path = normalize(expanded);
    if (seen.has(path)) continue;
    seen.add(path);
    roots.push({ spec, label: labelFor(spec, path, home), path });
  }
  return { roots, skipped };
}

function normalize(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function labelFor(spec: string, path: string, home: string): string {
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(spec)) return spec.replace(/[{}]/g, '');
  if (path === home) return '~';
  if (home !== '/' && path.startsWith(`${home}/`)) return `~${path.slice(home.length)}`;
  return path;
}

/** The root whose path is the longest prefix of `path` (for reveal), or undefined. */
export function rootContaining<R extends { path: string }>(roots: readonly R[], path: string): R | undefined {
  let best: R | undefined;
  for (const r of roots) {
    const inside = path === r.path || path.startsWith(r.path === '/' ? '/' : `${r.path}/`);
    if (inside && (!best || r.path.length > best.path.length)) best = r;
  }
  return best;
}
