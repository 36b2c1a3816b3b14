/**
 * Every local write of a remote name goes through here: names from a server or an agent are
 * mapped to names that are safe on every OS, and the final path is checked to stay inside the
 * folder the user chose (lexically, and through the real path of what already exists, so a
 * symlinked folder cannot lead outside). The path implementation is a parameter, so Windows
 * rules are tested on any OS with path.win32.
 *
 * Mapping (deterministic, the same on every OS, and reversible): characters that are not
 * portable (`\ / : * ? " < > |`, control characters) become `%XX`; so does a `%` that is followed by
 * two hex digits, a trailing dot or space, the first letter of a Windows device name (CON, PRN,
 * AUX, NUL, COM1-9, LPT1-9, with any extension) and a dot of `.`/`..`.
 */
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';

export type PathApi = Pick<typeof nodePath, 'sep' | 'join' | 'resolve' | 'relative' | 'isAbsolute' | 'dirname' | 'basename' | 'parse'>;

export class UnsafeLocalPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeLocalPathError';
  }
}

const esc = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\\/:*?"<>|\u0000-\u001f\u007f]|%(?=[0-9A-Fa-f]{2})/g;
const DEVICE = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\s*\.|\s*$)/i;

/** One remote file name as a portable local name (see the file comment); empty names are refused. */
export function portableName(name: string): string {
  if (name === '') throw new UnsafeLocalPathError('A remote entry has an empty name');
  let out = name.replace(BAD_CHARS, esc);
  if (DEVICE.test(out)) out = esc(out[0]) + out.slice(1);
  const trail = /[. ]+$/.exec(out);
  if (trail) out = out.slice(0, trail.index) + [...trail[0]].map(esc).join('');
  return out;
}

/** A `/`-separated relative remote path as portable local segments ('' and '.' segments dropped). */
export function portableSegments(relative: string): string[] {
  return relative
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map(portableName);
}

/** Whether `target` is `root` itself or below it (lexically, for path implementation p). */
export function isInside(root: string, target: string, p: PathApi = nodePath): boolean {
  const rel = p.relative(p.resolve(root), p.resolve(target));
  return rel === '' || (!p.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${p.sep}`));
}

/**
 * The local path for already-portable `segments` under `root`; throws when it would not be
 * strictly inside root (a segment that still holds a separator or `..` is refused).
 */
export function containedPath(root: string, segments: readonly string[], p: PathApi = nodePath): string {
  if (segments.length === 0) throw new UnsafeLocalPathError(`No name to write under ${root}`);
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes(p.sep) || p.isAbsolute(s) || p.parse(s).root !== '') {
      throw new UnsafeLocalPathError(`Refusing the local name ${JSON.stringify(s)}`);
    }
  }
  const target = p.resolve(root, ...segments);
  if (!isInside(root, target, p) || p.resolve(root) === target) throw new UnsafeLocalPathError(`${target} is outside ${root}`);
  return target;
}

/** containedPath() of a remote name or `/`-separated relative remote path, mapped first. */
export function localTarget(root: string, remoteRelative: string, p: PathApi = nodePath): string {
  return containedPath(root, portableSegments(remoteRelative), p);
}

export interface RealFs {
  realpath(p: string): Promise<string>;
}

/**
 * Checks through the file system that `target` (a path inside root) really stays in root: the
 * real path of its nearest existing ancestor must be inside the real path of root, so a folder
 * symlinked to elsewhere is not written through. Call before creating folders and files.
 */
export async function assertRealInside(root: string, target: string, p: PathApi = nodePath, rfs: RealFs = fsp): Promise<void> {
  if (!isInside(root, target, p)) throw new UnsafeLocalPathError(`${target} is outside ${root}`);
  const realRoot = await realpathAllowingMissing(root, p, rfs);
  for (let dir = p.dirname(p.resolve(target)); ; dir = p.dirname(dir)) {
    if (dir !== p.resolve(root) && !isInside(root, dir, p)) return; // root itself is missing: nothing to follow yet
    const real = await rfs.realpath(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw e;
    });
    if (real !== undefined) {
      if (!isInside(realRoot, real, p)) throw new UnsafeLocalPathError(`${target} would be written through a link to ${real}, outside ${root}`);
      return;
    }
    if (!isInside(root, dir, p) || p.dirname(dir) === dir) return; // root itself is missing: nothing to follow yet
  }
}

/** The real path of `path`, where a missing tail (a folder about to be created) is kept as it is. */
async function realpathAllowingMissing(path: string, p: PathApi, rfs: RealFs): Promise<string> {
  const missing: string[] = [];
  for (let dir = p.resolve(path); ; dir = p.dirname(dir)) {
    const real = await rfs.realpath(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw e;
    });
    if (real !== undefined) return p.join(real, ...missing.reverse());
    if (p.dirname(dir) === dir) return p.resolve(path);
    missing.push(p.basename(dir));
  }
}

/** localTarget() plus assertRealInside(): the path to write a remote relative path to. */
export async function safeLocalTarget(root: string, remoteRelative: string, p: PathApi = nodePath, rfs: RealFs = fsp): Promise<string> {
  const target = localTarget(root, remoteRelative, p);
  await assertRealInside(root, target, p, rfs);
  return target;
}

/**
 * Download…: where a remote file or folder goes in the folder the user picked: its base name
 * made portable (the host's name for `/`).
 */
export function downloadTarget(dir: string, remotePath: string, host: string, p: PathApi = nodePath): string {
  const base = remotePath.split('/').filter((s) => s !== '' && s !== '.' && s !== '..').pop() ?? host;
  return containedPath(dir, [portableName(base)], p);
}

/** For messages: the remote names that were saved under another name, `a:b → a%3Ab`. */
export function renamedNote(remoteRelative: string): string | undefined {
  const segs = remoteRelative.split('/').filter((s) => s !== '' && s !== '.');
  const mapped = segs.map(portableName);
  return mapped.some((m, i) => m !== segs[i]) ? `${segs.join('/')} → ${mapped.join('/')}` : undefined;
}
