/** The Jobs view filter: by state and by tag (from `--comment tags=a,b`). Pure. */
import type { Job, JobState } from '../scheduler/types';

export interface JobFilter {
  /** Shown states; empty = all. */
  readonly states: readonly JobState[];
  /** A job is shown when it has any of these tags; empty = all. */
  readonly tags: readonly string[];
}

export const EMPTY_FILTER: JobFilter = { states: [], tags: [] };

export function isEmptyFilter(f: JobFilter): boolean {
  return f.states.length === 0 && f.tags.length === 0;
}

function matchesFilter(job: Pick<Job, 'state' | 'tags'>, f: JobFilter): boolean {
  if (f.states.length && !f.states.includes(job.state)) return false;
  if (f.tags.length && !job.tags.some((t) => f.tags.includes(t))) return false;
  return true;
}

export function filterJobs<J extends Pick<Job, 'state' | 'tags'>>(jobs: readonly J[], f: JobFilter): J[] {
  return isEmptyFilter(f) ? [...jobs] : jobs.filter((j) => matchesFilter(j, f));
}

/** `state: RUNNING, PENDING · tag: exp1` */
export function describeFilter(f: JobFilter): string {
  const parts: string[] = [];
  if (f.states.length) parts.push(`state: ${f.states.join(', ')}`);
  if (f.tags.length) parts.push(`tag: ${f.tags.join(', ')}`);
  return parts.join(' · ');
}

/** Every tag of the given jobs, sorted, once each. */
export function collectTags(jobs: Iterable<Pick<Job, 'tags'>>): string[] {
  const set = new Set<string>();
  for (const j of jobs) for (const t of j.tags) set.add(t);
  return [...set].sort((a, b) => a.localeCompare(b));
}

/** Drops a stored filter's unknown parts (settings or state written by another version). */
export function sanitizeFilter(x: unknown, known: readonly JobState[]): JobFilter {
  if (typeof x !== 'object' || x === null) return EMPTY_FILTER;
  const o = x as { states?: unknown; tags?: unknown };
  const states = Array.isArray(o.states) ? o.states.filter((s): s is JobState => typeof s === 'string' && (known as string[]).includes(s)) : [];
  const tags = Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string' && t.length > 0) : [];
  return { states, tags };
}
