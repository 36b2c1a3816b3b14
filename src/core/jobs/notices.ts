/**
 * Completion notifications: which finished jobs to announce, and how, without a storm when a
 * 100-task array ends at once (one notice per array per batch). Pure.
 */
import { PREVIEW_JOB_TAG } from '../scheduler/tags';
import type { Job, JobState } from '../scheduler/types';
import { arrayParentOf } from './grouping';
import { arraySummary, cancelledByText, durationText, type UserNames } from './format';
import { durationSeconds } from '../scheduler/formats';

export const DEFAULT_NOTIFY_STATES: readonly JobState[] = ['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED', 'OUT_OF_MEMORY'];

export type Severity = 'info' | 'warning' | 'error';

export interface FinishedNotice {
  host: string;
  severity: Severity;
  message: string;
  /** The jobs the notice is about (tasks of one array, or one job). */
  jobs: Job[];
  /** The id actions act on: the job, or the array parent. */
  id: string;
}

const ERROR_STATES: ReadonlySet<JobState> = new Set<JobState>(['FAILED', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL']);
const WARNING_STATES: ReadonlySet<JobState> = new Set<JobState>(['TIMEOUT', 'CANCELLED', 'PREEMPTED', 'DEADLINE', 'REVOKED', 'SPECIAL_EXIT', 'UNKNOWN']);

export function severityOf(states: Iterable<JobState>): Severity {
  let sev: Severity = 'info';
  for (const s of states) {
    if (ERROR_STATES.has(s)) return 'error';
    if (WARNING_STATES.has(s)) sev = 'warning';
  }
  return sev;
}

/** `completed after 2:43`, `failed (exit 3) after 0:05`, `was cancelled by alice`… */
function outcomeWithTime(job: Job, users?: UserNames): string {
  const by = job.state === 'CANCELLED' ? cancelledByText(job, users) : undefined;
  const ran = durationSeconds(job.elapsed) ? ` after ${durationText(job.elapsed)}` : '';
  return `${outcomeText(job)}${by !== undefined ? ` by ${by}` : ''}${ran}`;
}

/** `completed`, `failed (exit 3)`, `timed out`, `was cancelled`, `ran out of memory`… */
export function outcomeText(job: Pick<Job, 'state' | 'exitCode' | 'signal' | 'rawState'>): string {
  switch (job.state) {
    case 'COMPLETED':
      return 'completed';
    case 'FAILED':
      return job.signal ? `failed (signal ${job.signal})` : job.exitCode ? `failed (exit ${job.exitCode})` : 'failed';
    case 'TIMEOUT':
      return 'timed out';
    case 'CANCELLED':
      return 'was cancelled';
    case 'OUT_OF_MEMORY':
      return 'ran out of memory';
    case 'NODE_FAIL':
      return 'failed (node failure)';
    case 'BOOT_FAIL':
      return 'failed (node boot failure)';
    case 'PREEMPTED':
      return 'was preempted';
    case 'DEADLINE':
      return 'missed its deadline';
    default:
      return `ended (${job.rawState || job.state})`;
  }
}

/** Notices for jobs that just finished on one host, filtered by the `notifyStates` setting. */
export function summariseFinished(host: string, finished: readonly Job[], notifyStates: readonly string[], users?: UserNames): FinishedNotice[] {
  // A preview's batch job (Make Video, thumbnails…) is reported where it was started.
  const wanted = finished.filter((j) => notifyStates.includes(j.state) && !j.tags.includes(PREVIEW_JOB_TAG));
  const arrays = new Map<string, Job[]>();
  const order: (Job | string)[] = [];
  for (const j of wanted) {
    const parent = arrayParentOf(j);
    if (parent === undefined) {
      order.push(j);
      continue;
    }
    const list = arrays.get(parent);
    if (list) list.push(j);
    else {
      arrays.set(parent, [j]);
      order.push(parent);
    }
  }
  return order.map((o): FinishedNotice => {
    if (typeof o !== 'string') {
      const name = o.name ? ` (${o.name})` : '';
      return { host, severity: severityOf([o.state]), message: `Job ${o.id}${name} on ${host} ${outcomeWithTime(o, users)}.`, jobs: [o], id: o.id };
    }
    const tasks = arrays.get(o) as Job[];
    if (tasks.length === 1) {
      const t = tasks[0] as Job;
      const name = t.name ? ` (${t.name})` : '';
      return { host, severity: severityOf([t.state]), message: `Job ${t.id}${name} on ${host} ${outcomeWithTime(t, users)}.`, jobs: tasks, id: t.id };
    }
    const name = tasks[0]?.name ? ` (${tasks[0].name})` : '';
    return {
      host,
      severity: severityOf(tasks.map((t) => t.state)),
      message: `Array job ${o}${name} on ${host}: ${tasks.length} tasks ended — ${arraySummary(tasks)}.`,
      jobs: tasks,
      id: o,
    };
  });
}
