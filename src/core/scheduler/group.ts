/** Array tasks listed one by one (`squeue -r`), grouped under their parent for a tree view. */
import { isTerminal, type Job, type JobState } from './types';

export interface JobGroup {
  /** The job id, or the array's parent id. */
  id: string;
  /** Set for a plain job. */
  job?: Job;
  /** Set for an array: its tasks sorted by index. */
  tasks?: Job[];
  /** For an array: how many tasks are in each state. */
  counts?: Partial<Record<JobState, number>>;
  name: string;
  /** The state to show: a plain job's own; for an array the "most alive" of its tasks. */
  state: JobState;
}

const LIVENESS: JobState[] = ['RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED', 'STOPPED', 'PENDING', 'REQUEUED'];

/** Groups jobs, keeping the order in which plain jobs and arrays first appear. */
export function groupByArray(jobs: readonly Job[]): JobGroup[] {
  const out: JobGroup[] = [];
  const arrays = new Map<string, JobGroup>();
  for (const j of jobs) {
    if (!j.arrayJobId) {
      out.push({ id: j.id, job: j, name: j.name, state: j.state });
      continue;
    }
    let g = arrays.get(j.arrayJobId);
    if (!g) {
      g = { id: j.arrayJobId, tasks: [], counts: {}, name: j.name, state: j.state };
      arrays.set(j.arrayJobId, g);
      out.push(g);
    }
    g.tasks?.push(j);
    if (g.counts) g.counts[j.state] = (g.counts[j.state] ?? 0) + 1;
  }
  for (const g of arrays.values()) {
    g.tasks?.sort((a, b) => Number(a.arrayTaskId) - Number(b.arrayTaskId) || (a.arrayTaskId ?? '').localeCompare(b.arrayTaskId ?? ''));
    const states = new Set((g.tasks ?? []).map((t) => t.state));
    g.state = LIVENESS.find((s) => states.has(s)) ?? (g.tasks?.find((t) => isTerminal(t.state) && t.state !== 'COMPLETED')?.state ?? g.tasks?.[0]?.state ?? 'UNKNOWN');
  }
  return out;
}
