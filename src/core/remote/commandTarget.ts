/**
 * What a command acts on, from the arguments VS Code hands it: an `hpc:` URI (editor, file
 * explorer, tab input), a tree item carrying one (`resourceUri`), a Remote Explorer entry
 * (`host` + absolute `path`), or nothing (palette, keybinding) — then the caller's fallbacks
 * (tree selection, active editor) in order. Structural, no `vscode`: a URI is anything with
 * scheme, authority and path, so the rules are unit-tested as they run.
 */
import { normalizeRemotePath } from './paths';

export interface RemoteLocation {
  host: string;
  path: string;
}

const HPC_URI_SCHEME = 'hpc';

interface UriLike {
  scheme: string;
  authority: string;
  path: string;
}

function isUriLike(x: unknown): x is UriLike {
  if (!x || typeof x !== 'object') return false;
  const u = x as Partial<Record<keyof UriLike, unknown>>;
  return typeof u.scheme === 'string' && typeof u.authority === 'string' && typeof u.path === 'string';
}

/** The remote location one argument names, if any. */
export function locationOfArg(arg: unknown): RemoteLocation | undefined {
  if (isUriLike(arg)) return arg.scheme === HPC_URI_SCHEME && arg.authority ? { host: arg.authority, path: normalizeRemotePath(arg.path) } : undefined;
  if (!arg || typeof arg !== 'object') return undefined;
  const o = arg as { resourceUri?: unknown; uri?: unknown; host?: unknown; path?: unknown };
  if (isUriLike(o.resourceUri)) return locationOfArg(o.resourceUri);
  if (isUriLike(o.uri)) return locationOfArg(o.uri);
  if (typeof o.host === 'string' && o.host && typeof o.path === 'string' && o.path.startsWith('/')) return { host: o.host, path: o.path };
  return undefined;
}

/**
 * A context menu passes (clicked, selection): the whole selection when the clicked item is part
 * of a multi-selection, else the clicked item. With no argument (palette, keybinding) the first
 * fallback that names something wins. An argument that names nothing gives nothing. `of` reads
 * one argument (a feature may keep more than the location, e.g. the tree node).
 */
export function resolveArgs<T>(of: (x: unknown) => T | undefined, arg: unknown, selected: unknown, ...fallbacks: (() => unknown)[]): T[] {
  const all = (xs: readonly unknown[]) => xs.map(of).filter((t): t is T => t !== undefined);
  if (Array.isArray(selected) && selected.length > 1 && selected.includes(arg)) return all(selected);
  if (arg !== undefined) return all([arg]);
  for (const fallback of fallbacks) {
    const v = fallback();
    const found = all(Array.isArray(v) ? v : [v]);
    if (found.length) return found;
  }
  return [];
}

/** resolveArgs for plain locations. */
export function resolveLocations(arg: unknown, selected: unknown, ...fallbacks: (() => unknown)[]): RemoteLocation[] {
  return resolveArgs(locationOfArg, arg, selected, ...fallbacks);
}
