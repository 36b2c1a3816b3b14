/**
 * Fetch Outputs' work without the UI: listing and real paths on the cluster for expandOutputs
 * (folder links followed only inside the job's folder, loops cut), and fetchJobs: each remote file
 * written under the chosen local folder through local/localPath.ts, by temp file and rename, with
 * the decisions of fetchPlan.ts (per-job folders, conflicts, counts).
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import { CancelledError } from '../cancel';
import { assertRealInside, containedPath, portableSegments, renamedNote } from '../local/localPath';
import { emptyCounts, jobFolderSegments, keepBothName, resolveConflicts, type Conflict, type ConflictChoice, type ConflictResolver, type FetchCounts } from './fetchPlan';
import { expandOutputs, type ExpandOptions, type ExpandResult, type ListedEntry, type ResolvedOutput } from './outputGlob';
import type { RemoteOps } from '../remote/types';
import { onUserPath } from '../userPath';

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

/** One job's files for fetchJobs: where they are read from, and the name its folder is made of. */
export interface FetchJob {
  ops: RemoteOps;
  id: string;
  name?: string;
  files: readonly ResolvedOutput[];
}

export interface FetchJobsOptions {
  /** Each job in its own `<name>-<id>` folder (the setting remoteHpc.jobs.fetchOutputs.perJobFolder). */
  perJobFolder: boolean;
  /** Asked about each file that is already there; nothing is replaced without its yes. */
  resolve: ConflictResolver;
  signal?: AbortSignal;
  /** Before each file is read: its path under the chosen folder. */
  onFile?(local: string): void;
  onBytes?(n: number): void;
  /** Names that differ only in case are one file (default: on Windows and macOS). */
  foldCase?: boolean;
}

export interface FetchOutcome {
  counts: FetchCounts;
  /** `remote: why` for each file not fetched by an error. */
  failed: string[];
  /** Names made portable, copies kept beside an existing file. */
  notes: string[];
  /** Stopped by the signal: what is counted was written, nothing else was (no partial files). */
  cancelled: boolean;
}

interface Item {
  ops: RemoteOps;
  remote: string;
  local: string;
  action: 'new' | ConflictChoice;
}

/**
 * Fetch Outputs: every job's files into `root` (each job in its own folder unless perJobFolder is
 * off), names made portable and kept inside root. Files already there — or taken by an earlier
 * file of the same fetch — are put to `resolve` before anything is read; Skip leaves them, Keep
 * Both writes `name (1).ext` beside them, Overwrite replaces them. Each file is written to a
 * temporary file in its folder and renamed into place (never replacing a file without a yes, even
 * one that appeared meanwhile), so a cancelled or failed fetch leaves no half-written file.
 * Rejects with CancelledError when `resolve` cancels (then nothing was written).
 */
export async function fetchJobs(root: string, jobs: readonly FetchJob[], o: FetchJobsOptions): Promise<FetchOutcome> {
  const foldCase = o.foldCase ?? (process.platform === 'win32' || process.platform === 'darwin');
  const key = (p: string) => (foldCase ? p.toLowerCase() : p);
  const out: FetchOutcome = { counts: emptyCounts(), failed: [], notes: [], cancelled: false };
  const fail = (remote: string, e: unknown) => {
    out.counts.failed++;
    out.failed.push(`${remote}: ${(e as Error).message}`);
  };
  const items: Item[] = [];
  const planned = new Set<string>();
  const conflicts: { conflict: Conflict; item: Item }[] = [];
  for (const job of jobs) {
    const folder = jobFolderSegments(job, { perJobFolder: o.perJobFolder, several: jobs.length > 1 });
    for (const f of job.files) {
      let local: string;
      try {
        local = containedPath(root, [...folder, ...portableSegments(f.relative)]);
        await assertRealInside(root, local);
      } catch (e) {
        fail(f.remote, e);
        continue;
      }
      const note = renamedNote(f.relative);
      if (note) out.notes.push(`saved ${note} (name made portable)`);
      const item: Item = { ops: job.ops, remote: f.remote, local, action: 'new' };
      if (planned.has(key(local)) || (await lexists(local))) conflicts.push({ conflict: { local, remote: f.remote }, item });
      planned.add(key(local));
      items.push(item);
    }
  }
  const choices = await resolveConflicts(
    conflicts.map((c) => c.conflict),
    o.resolve,
  );
  if (!choices) throw new CancelledError();
  choices.forEach((c, i) => ((conflicts[i] as { item: Item }).item.action = c));
  const free = async (local: string) => {
    const dir = nodePath.dirname(local);
    const there = new Set((await fsp.readdir(dir).catch(() => [] as string[])).map(key));
    const name = keepBothName(nodePath.basename(local), (n) => there.has(key(n)) || planned.has(key(nodePath.join(dir, n))));
    planned.add(key(nodePath.join(dir, name)));
    return nodePath.join(dir, name);
  };
  // Keep Both names once every other target is known, so a copy never takes a fetched file's name.
  for (const it of items) if (it.action === 'keepBoth') it.local = await free(it.local);
  for (const it of items) {
    if (it.action === 'skip') {
      out.counts.skipped++;
      continue;
    }
    if (o.signal?.aborted) return { ...out, cancelled: true };
    o.onFile?.(nodePath.relative(root, it.local));
    try {
      const r = await downloadTo(it.ops, it.remote, it.local, { replace: it.action === 'overwrite', free, ...(o.signal ? { signal: o.signal } : {}), ...(o.onBytes ? { onBytes: o.onBytes } : {}) });
      out.counts.written++;
      out.counts.bytes += r.bytes;
      if (it.action === 'overwrite') out.counts.overwritten++;
      if (it.action === 'keepBoth' || r.local !== it.local) {
        out.counts.keptBoth++;
        out.notes.push(`${it.remote} saved as ${r.local}, beside the file already there`);
      }
    } catch (e) {
      if (e instanceof CancelledError) return { ...out, cancelled: true };
      fail(it.remote, e);
    }
  }
  return out;
}

async function lexists(p: string): Promise<boolean> {
  return fsp.lstat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Reads a remote file into a temporary file beside `local`, then moves it into place: replacing
 * what is there only with `replace`, else through a hard link (which fails when the name is
 * taken) and on a name taken meanwhile the next free Keep Both name.
 */
async function downloadTo(
  ops: RemoteOps,
  remote: string,
  local: string,
  o: { replace: boolean; free(local: string): Promise<string>; signal?: AbortSignal; onBytes?(n: number): void },
): Promise<{ local: string; bytes: number }> {
  await fsp.mkdir(nodePath.dirname(local), { recursive: true });
  const tmp = nodePath.join(nodePath.dirname(local), `.${nodePath.basename(local)}.remote-hpc-${randomBytes(4).toString('hex')}.part`);
  return onUserPath(tmp, local, () => downloadVia(tmp, ops, remote, local, o));
}

/** downloadTo's work: the bytes into `tmp` beside `local`, then moved onto a name. */
async function downloadVia(tmp: string, ops: RemoteOps, remote: string, local: string, o: Parameters<typeof downloadTo>[3]): Promise<{ local: string; bytes: number }> {
  const fh = await fsp.open(tmp, 'wx');
  let bytes = 0;
  try {
    for (;;) {
      if (o.signal?.aborted) throw new CancelledError();
      const chunk = await ops.readFile(remote, { offset: bytes, length: CHUNK });
      if (o.signal?.aborted) throw new CancelledError();
      if (chunk.length) await fh.write(chunk, 0, chunk.length, bytes);
      bytes += chunk.length;
      o.onBytes?.(chunk.length);
      if (chunk.length < CHUNK) break;
    }
    await fh.close();
    if (o.replace) {
      await fsp.rename(tmp, local);
      return { local, bytes };
    }
    return { local: await placeNew(tmp, local, o.free), bytes };
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/** Moves `tmp` to `local` without replacing anything; a taken name gives way to the next free one. */
async function placeNew(tmp: string, local: string, free: (local: string) => Promise<string>): Promise<string> {
  for (let target = local, tries = 0; ; target = await free(target), tries++) {
    try {
      await fsp.link(tmp, target);
      await fsp.rm(tmp, { force: true });
      return target;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST' && tries < 20) continue;
      if (!NO_HARD_LINKS.has(code)) throw e;
      // No hard links on this file system: a rename after a last look.
      if (await lexists(target)) continue;
      await fsp.rename(tmp, target);
      return target;
    }
  }
}
