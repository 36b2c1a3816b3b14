import { formatSize } from './format';
import { RemoteFsError } from './errors';
import type { RemoteOps } from './types';

/** The most an editor tab reads of one file; VS Code holds the text several times over. */
const EDITOR_READ_LIMIT = 256 * 1024 * 1024;
/** Growth tolerated between stat and read (a log being appended to); more is refused, not cut. */
const GROWTH_SLACK = 1024 * 1024;

/** A file too big for an editor tab (or one that grew past what was announced). */
export class FileTooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${path} is ${formatSize(size)}; files open in the editor up to ${formatSize(limit)}. Use Download… to copy it instead.`);
    this.name = 'FileTooLargeError';
  }
}

/**
 * The whole content of a regular file, for an editor: the size is checked before anything is
 * read, and the read itself is bounded, so a remote that announces less than it sends (or a file
 * that grows meanwhile) cannot fill memory. Never returns a silently truncated file: saving it
 * back would cut the original.
 */
export async function readWholeFile(ops: RemoteOps, path: string, limit = EDITOR_READ_LIMIT): Promise<Buffer> {
  const [st] = await ops.stat([path]);
  if (!st) throw new RemoteFsError('not-found', path);
  const type = st.type === 'symlink' ? st.targetType : st.type;
  if (type === 'directory') throw new RemoteFsError('is-a-directory', path);
  if (type !== 'file') throw new Error(`${path} is not a regular file (a FIFO, socket, device or broken link); it cannot be opened.`);
  if (st.size > limit) throw new FileTooLargeError(path, st.size, limit);
  const window = Math.min(limit + 1, st.size + GROWTH_SLACK);
  const data = await ops.readFile(path, { offset: 0, length: window });
  if (data.length > limit) throw new FileTooLargeError(path, data.length, limit);
  if (data.length >= window) throw new Error(`${path} grew by more than ${formatSize(GROWTH_SLACK)} while it was being read; open it again when it has settled.`);
  return data;
}
