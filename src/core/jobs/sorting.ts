/**
 * The order of the Jobs view's rows inside a host (and inside its Recent group): by state —
 * running, then pending, then the rest, newest first in each — or by submit time, name or id.
 * An array row counts as its "most alive" task. Pure.
 */
import { compareNatural } from '../remote/common';
import type { Job } from '../scheduler/types';
import { arrayState, stateClass, type StateClass } from './format';
import { compareJobIdsDesc, type JobEntry } from './grouping';

export type JobSortKey = 'state' | 'submitTime' | 'name' | 'id';

const JOB_SORT_KEYS: readonly JobSortKey[] = ['state', 'submitTime', 'name', 'id'];

export const DEFAULT_JOB_SORT: JobSortKey = 'state';

/** The setting's value as a sort key (anything unknown: the default). */
export function toSortKey(v: unknown): JobSortKey {
  return JOB_SORT_KEYS.includes(v as JobSortKey) ? (v as JobSortKey) : DEFAULT_JOB_SORT;
}

const CLASS_RANK: Record<StateClass, number> = { running: 0, pending: 1, finished: 2 };

interface Facts {
  id: string;
  name: string;
  klass: StateClass;
  /** Scheduler-local `YYYY-MM-DDTHH:MM:SS`: compares as text. */
  submitTime: string;
}

function facts(e: JobEntry): Facts {
  if (e.kind === 'job') return { id: e.job.id, name: e.job.name, klass: stateClass(e.job.state), submitTime: e.job.submitTime ?? '' };
  const latest = (tasks: readonly Job[]) => tasks.reduce((t, j) => ((j.submitTime ?? '') > t ? (j.submitTime ?? '') : t), '');
  return { id: e.arrayJobId, name: e.name, klass: stateClass(arrayState(e.tasks)), submitTime: latest(e.tasks) };
}

const COMPARE: Record<JobSortKey, (a: Facts, b: Facts) => number> = {
  state: (a, b) => CLASS_RANK[a.klass] - CLASS_RANK[b.klass],
  // Newest first; jobs without a submit time last.
  submitTime: (a, b) => (a.submitTime === b.submitTime ? 0 : !a.submitTime ? 1 : !b.submitTime ? -1 : a.submitTime < b.submitTime ? 1 : -1),
  name: (a, b) => compareNatural(a.name.toLowerCase(), b.name.toLowerCase()) || compareNatural(a.name, b.name),
  id: () => 0,
};

/** `entries` in the order `by` asks for; ties newest job id first. A new array. */
export function sortEntries(entries: readonly JobEntry[], by: JobSortKey): JobEntry[] {
  const cmp = COMPARE[by];
  return entries
    .map((e) => ({ e, f: facts(e) }))
    .sort((a, b) => cmp(a.f, b.f) || compareJobIdsDesc(a.f.id, b.f.id))
    .map((x) => x.e);
}
