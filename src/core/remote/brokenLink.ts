/** Why a symbolic link cannot be opened, in plain words (issue 15: a generic error before). */
import { posix } from 'node:path';
import type { RemoteOps } from './types';

/**
 * `stat -L` on the link (argv, no shell): its error names the cause. `target` is what readlink
 * said, when known.
 */
export async function explainBrokenLink(ops: Pick<RemoteOps, 'run'>, path: string, target: string | undefined): Promise<string> {
  const name = posix.basename(path);
  const res = await ops.run(['stat', '-L', '--', path], { timeoutMs: 15_000 });
  const why = res.stderr.toString('utf8');
  if (res.code === 0) return `${name} is a link to ${target ?? 'something'} that is neither a file nor a folder, so it cannot be opened.`;
  if (/too many levels of symbolic links/i.test(why)) return `${name} cannot be opened: symlink loop (${target ? `it points to ${target}, which leads back to itself` : 'its links lead back to themselves'}).`;
  if (/no such file/i.test(why)) return `${name} cannot be opened: broken link: target ${target ?? '(unknown)'} does not exist.`;
  if (/permission denied/i.test(why)) return `${name} cannot be opened: its target${target ? ` ${target}` : ''} is in a folder you may not read.`;
  return `${name} cannot be opened: its target ${target ?? '(unknown)'} cannot be reached (${why.trim().split('\n')[0] || `stat exited with ${res.code}`}).`;
}
