/**
 * Fetch Outputs' decisions, without I/O: the per-job folder a job's files go to, the answers to
 * "already exists" (Overwrite / Skip / Keep Both, once or for all), the free `name (1).ext` of a
 * kept copy, and the counts the final message reports. fetchFiles.ts does the writing.
 */
import { portableName } from '../local/localPath';
import { formatSize } from '../remote/format';

/** Characters of a job name kept in its folder name (before mapping), so paths stay short on Windows. */
const MAX_NAME_CHARS = 60;

/**
 * The per-job folder `<name>-<id>` as one portable local name. Job names are anyone's text: runs
 * of white space become one space, leading dots and spaces go (no hidden or `..` folders), the
 * name is cut to 60 characters (never inside a surrogate pair) and the rest is mapped by
 * localPath.portableName (separators, `:`, device names, trailing dots). Without a name: `job-<id>`.
 */
export function jobFolderName(name: string | undefined, id: string): string {
  const clean = [...(name ?? '').replace(/\s+/g, ' ').replace(/^[. ]+/, '')].slice(0, MAX_NAME_CHARS).join('').trimEnd();
  return portableName(`${clean || 'job'}-${id}`);
}

/**
 * The folders (portable segments) a job's files go under in the chosen folder: its own
 * `<name>-<id>` folder, or with perJobFolder off the old layout (one job: straight into the
 * folder; several: a folder named by the id).
 */
export function jobFolderSegments(job: { id: string; name?: string }, o: { perJobFolder: boolean; several: boolean }): string[] {
  if (o.perJobFolder) return [jobFolderName(job.name, job.id)];
  return o.several ? [portableName(job.id)] : [];
}

export type ConflictChoice = 'overwrite' | 'skip' | 'keepBoth';

export interface Conflict {
  /** The local file that is already there (or that an earlier file of this fetch takes). */
  local: string;
  remote: string;
}

export interface ConflictAnswer {
  choice: ConflictChoice;
  /** Use the same choice for every conflict still to come. */
  toAll?: boolean;
}

/**
 * Asked once per open conflict (`index` counts from 0 of `total`, so a UI offers "apply to all"
 * only when several are left); undefined cancels the whole fetch.
 */
export type ConflictResolver = (conflict: Conflict, index: number, total: number) => Promise<ConflictAnswer | undefined>;

/** One choice per conflict, in order, asking `ask` until an answer says "to all"; undefined when cancelled. */
export async function resolveConflicts(conflicts: readonly Conflict[], ask: ConflictResolver): Promise<ConflictChoice[] | undefined> {
  const out: ConflictChoice[] = [];
  let all: ConflictChoice | undefined;
  for (const [i, c] of conflicts.entries()) {
    if (all) {
      out.push(all);
      continue;
    }
    const a = await ask(c, i, conflicts.length);
    if (!a) return undefined;
    out.push(a.choice);
    if (a.toAll) all = a.choice;
  }
  return out;
}

/**
 * Keep Both: `run1.csv` → `run1 (1).csv`, then `(2)`… — the first that `taken` refuses not.
 * `.tar.*` stays whole (`data (1).tar.gz`); a dot file keeps its name in front (`.env (1)`).
 */
export function keepBothName(name: string, taken: (candidate: string) => boolean): string {
  const m = /^(.+?)(\.tar\.[^.]+|\.[^.]*)?$/.exec(name);
  const stem = m?.[1] ?? name;
  const ext = m?.[2] ?? '';
  for (let n = 1; n < 100_000; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!taken(candidate)) return candidate;
  }
  throw new Error(`No free name for a second copy of ${name}`);
}

/** What one fetch did, file by file; `written` includes the overwritten and kept-both ones. */
export interface FetchCounts {
  written: number;
  overwritten: number;
  keptBoth: number;
  skipped: number;
  failed: number;
  /** Bytes of the files written (what is on disk now, not what was read and thrown away). */
  bytes: number;
}

export function emptyCounts(): FetchCounts {
  return { written: 0, overwritten: 0, keptBoth: 0, skipped: 0, failed: 0, bytes: 0 };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The final message: `Fetched 3 files (2.5 KB) to /x.` with what else happened after it
 * (replaced, kept both, skipped, failed), and `Cancelled.` in front when the fetch was stopped.
 */
export function fetchSummary(c: FetchCounts, dest: string, cancelled = false): string {
  const parts = [
    c.overwritten ? `${c.overwritten} replaced` : '',
    c.keptBoth ? `${c.keptBoth} kept beside the existing file` : '',
    c.skipped ? `${plural(c.skipped, 'file')} skipped (already there)` : '',
    c.failed ? `${c.failed} failed` : '',
  ].filter(Boolean);
  return `${cancelled ? 'Cancelled. ' : ''}Fetched ${plural(c.written, 'file')} (${formatSize(c.bytes)}) to ${dest}${parts.length ? `: ${parts.join(', ')}` : ''}.`;
}
