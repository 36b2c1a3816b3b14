/**
 * Replacing a local file's contents atomically: a temp file beside it (same folder, so the rename
 * stays on one file system), the old mode, fsync, then rename. A symlink (dotfile managers link
 * ~/.ssh/config) is kept: its target is what gets replaced.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import { onUserPath } from '../userPath';

export async function replaceFileAtomic(path: string, text: string): Promise<void> {
  const target = await fsp.realpath(path);
  const { mode } = await fsp.stat(target);
  const tmp = nodePath.join(nodePath.dirname(target), `.${nodePath.basename(target)}.remote-hpc-${randomBytes(4).toString('hex')}.tmp`);
  await onUserPath(tmp, target, async () => {
    const fh = await fsp.open(tmp, 'wx', mode & 0o7777);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.chmod(mode & 0o7777); // the umask may have narrowed it
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, target);
  }).catch(async (err: unknown) => {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  });
}
