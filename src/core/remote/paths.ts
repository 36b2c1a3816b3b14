/** Remote (POSIX) path helpers shared by the file system, the explorer and its commands. */
import { posix } from 'node:path';

/** Absolute, no trailing slash (except `/`), no `.`/`..` segments. */
export function normalizeRemotePath(path: string): string {
  const n = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** `path` is `dir` or below it. */
/** Why a path typed in Open Remote Path… cannot be used, or undefined: absolute, `~` or `~/…`. */
export function checkTypedPath(value: string): string | undefined {
  const v = value.trim();
  if (v.startsWith('/') || v === '~' || v.startsWith('~/')) return undefined;
  if (v.startsWith('~')) return 'Only your own home folder is supported: ~ or ~/path';
  return 'Enter an absolute path (/…) or one in your home folder (~/…)';
}

/** A path typed by the user, `~` and `~/x` expanded with the remote home folder, normalized. */
export function expandTypedPath(value: string, home: string): string {
  const v = value.trim();
  if (v === '~') return normalizeRemotePath(home);
  return normalizeRemotePath(v.startsWith('~/') ? `${home}/${v.slice(2)}` : v);
}

export function isWithin(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/**
 * Why a new file or folder name cannot be used (undefined when it can). With `nested`, a
 * relative path like `a/b/c.txt` is allowed (the folders in between are created).
 */
export function checkNewName(value: string, nested: boolean): string | undefined {
  const v = value.trim();
  if (!v) return 'Enter a name';
  if (v.includes('\0')) return 'A name cannot contain a NUL character';
  if (v.startsWith('/')) return 'Enter a name relative to the folder';
  const parts = v.split('/').filter((p) => p !== '');
  if (!nested && parts.length > 1) return 'A name cannot contain "/"';
  if (parts.some((p) => p === '.' || p === '..')) return '"." and ".." are not allowed';
  if (parts.some((p) => Buffer.byteLength(p) > 255)) return 'A name can be at most 255 bytes long';
  return undefined;
}

/**
 * Rename input, checked while typing like VS Code's explorer: an unusable name is an error; a
 * name taken in the folder (`siblings`, from the listing) is a warning, since Enter then offers
 * to overwrite it.
 */
export function checkRename(value: string, current: string, siblings: Iterable<string>): { message: string; warning: boolean } | undefined {
  const v = value.trim();
  if (v === '') return { message: 'A file or folder name must be provided.', warning: false };
  if (v.includes('/')) return { message: 'A name cannot contain "/" (move it with drag and drop instead).', warning: false };
  const problem = checkNewName(v, false);
  if (problem) return { message: problem, warning: false };
  if (v !== current && new Set(siblings).has(v)) return { message: `A file or folder named ${v} already exists here. Press Enter to choose whether to overwrite it.`, warning: true };
  return undefined;
}
