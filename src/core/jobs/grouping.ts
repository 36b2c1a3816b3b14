/**
 * Array jobs (and `repeat: N` jobs, which are arrays) are shown as one row with their tasks
 * under it. Pure: the tree turns these entries into nodes.
 */
import type { Job } from '../scheduler/types';

interface SingleEntry {
  kind: 'job';
  job: Job;
}

interface ArrayEntry {
  kind: 'array';
  /** The parent id, `123` for tasks `123_0`, `123_1`… */
  arrayJobId: string;
  /** The name the tasks share (the first task's when they differ). */
  name: string;
  /** Ordered by task index. */
  tasks: Job[];
}

export type JobEntry = SingleEntry | ArrayEntry;

/** The array a job belongs to: its `arrayJobId`, else parsed from a `123_4` id. */
export function arrayParentOf(job: Pick<Job, 'id' | 'arrayJobId'>): string | undefined {
  return job.arrayJobId ?? /^(\d+)_(?:\d+|\[.*\])$/.exec(job.id)?.[1];
}

function numericPrefix(id: string): number {
  const m = /^(\d+)/.exec(id);
  return m ? Number(m[1]) : Number.NaN;
}

/** Newest first: higher job ids were submitted later. Non-numeric ids sort last, by text. */
export function compareJobIdsDesc(a: string, b: string): number {
  const na = numericPrefix(a);
  const nb = numericPrefix(b);
  if (Number.isNaN(na) || Number.isNaN(nb)) return Number.isNaN(na) === Number.isNaN(nb) ? a.localeCompare(b) : Number.isNaN(na) ? 1 : -1;
  return nb - na || a.localeCompare(b);
}

function taskIndex(job: Job): number {
  const t = job.arrayTaskId ?? /_(\d+)$/.exec(job.id)?.[1];
  // Pending ranges (`[5-9%2]`) go after the numbered tasks.
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : Number.MAX_SAFE_INTEGER;
}

/** Groups array tasks under their parent; everything newest first, tasks by index. */
export function groupJobs(jobs: readonly Job[]): JobEntry[] {
  const arrays = new Map<string, Job[]>();
  const out: { key: string; entry: JobEntry }[] = [];
  for (const job of jobs) {
    const parent = arrayParentOf(job);
    if (parent === undefined) {
      out.push({ key: job.id, entry: { kind: 'job', job } });
      continue;
    }
    let tasks = arrays.get(parent);
    if (!tasks) {
      tasks = [];
      arrays.set(parent, tasks);
      out.push({ key: parent, entry: { kind: 'array', arrayJobId: parent, name: job.name, tasks } });
    }
    tasks.push(job);
  }
  for (const { entry } of out) if (entry.kind === 'array') entry.tasks.sort((a, b) => taskIndex(a) - taskIndex(b) || a.id.localeCompare(b.id));
  return out.sort((a, b) => compareJobIdsDesc(a.key, b.key)).map((o) => o.entry);
}

/** Every job of a list of entries (array tasks included). */
export function entryJobs(entries: readonly JobEntry[]): Job[] {
  return entries.flatMap((e) => (e.kind === 'job' ? [e.job] : e.tasks));
}
