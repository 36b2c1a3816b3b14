/**
 * Fetch Outputs' work without the UI: listing and real paths on the cluster for expandOutputs
 * (folder links followed only inside the job's folder, loops cut), and each remote file written
 * under the chosen local folder through local/localPath.ts, by temp file and rename.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import { CancelledError } from '../cancel';
import { safeLocalTarget } from '../local/localPath';
import { expandOutputs, type ExpandOptions, type ExpandResult, type ListedEntry } from './outputGlob';
import type { RemoteOps } from '../remote/types';

const CHUNK = 4 * 1024 * 1024;
const REALPATH_BATCH = 200;

/** Real paths on the cluster (`realpath -e`), null where a path does not resolve. */
export async function remoteRealpaths(ops: RemoteOps, paths: string[]): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < paths.length; i += REALPATH_BATCH) {
    const batch = paths.slice(i, i + REALPATH_BATCH);
    // One NUL-terminated answer per path, an empty one where it fails: answers stay aligned.
    const r = await ops.run(['sh', '-c', 'for p do realpath -z -e -- "$p" 2>/dev/null || printf "\\0"; done', 'sh', ...batch], { timeoutMs: 30_000 });
    const answers = r.stdout.toString('utf8').split('\0');
    if (r.code !== 0 || answers.length !== batch.length + 1) throw new Error(`realpath failed on the cluster: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
    out.push(...batch.map((_, k) => answers[k] || null));
  }
  return out;
}

/** expandOutputs' view of the cluster through RemoteOps. */
export function remoteLister(ops: RemoteOps): Pick<ExpandOptions, 'list' | 'stat' | 'realpath'> {
  return {
    list: async (dir) => {
      const out: ListedEntry[] = [];
      for (let offset = 0; ; ) {
        const page = await ops.list(dir, { offset, limit: 1000, hidden: true });
        for (const e of page.entries) {
          const link = e.type === 'symlink';
          const isDir = e.type === 'directory' || (link && e.targetType === 'directory');
          out.push({ name: e.name, isDir, ...(link ? { link } : {}), ...(isDir ? {} : { size: e.size }) });
        }
        offset += page.entries.length;
        if (page.entries.length === 0 || offset >= page.total) break;
      }
      return out;
    },
    stat: async (p) => {
      const [st] = await ops.stat([p]);
      if (!st) return null;
      const isDir = st.type === 'directory' || (st.type === 'symlink' && st.targetType === 'directory');
      return { isDir, ...(isDir ? {} : { size: st.size }) };
    },
    realpath: (paths) => remoteRealpaths(ops, paths),
  };
}

/** Declared outputs of a job (patterns relative to its work folder). */
export function planOutputs(ops: RemoteOps, workdir: string, patterns: readonly string[]): Promise<ExpandResult> {
  return expandOutputs(workdir, patterns, remoteLister(ops));
}

/**
 * Downloads one remote file to `relative` (a `/`-separated path, names made portable) under
 * localRoot, never outside it; returns the local path.
 */
export async function fetchFile(ops: RemoteOps, remote: string, localRoot: string, relative: string, o: { signal?: AbortSignal; onBytes?(n: number): void } = {}): Promise<string> {
  const local = await safeLocalTarget(localRoot, relative);
  await fsp.mkdir(nodePath.dirname(local), { recursive: true });
  const tmp = nodePath.join(nodePath.dirname(local), `.${nodePath.basename(local)}.remote-hpc-${randomBytes(4).toString('hex')}.part`);
  const fh = await fsp.open(tmp, 'wx');
  try {
    for (let offset = 0; ; ) {
      if (o.signal?.aborted) throw new CancelledError();
      const chunk = await ops.readFile(remote, { offset, length: CHUNK });
      if (chunk.length) await fh.write(chunk, 0, chunk.length, offset);
      offset += chunk.length;
      o.onBytes?.(chunk.length);
      if (chunk.length < CHUNK) break;
    }
    await fh.close();
    await fsp.rename(tmp, local);
    return local;
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
