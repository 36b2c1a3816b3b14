/**
 * What jobs use, fetched: live figures for the running jobs of a host in one batched call
 * (shared by concurrent askers, kept a few seconds, so hovering rows costs one `sstat` per host),
 * the Usage / Efficiency section of Show Details, and the efficiency line of end notifications.
 * No `vscode`.
 */
import { durationSeconds } from '../scheduler/formats';
import { isTerminal, type Job, type JobDetails, type JobEfficiency, type JobState, type JobUsage, type Scheduler } from '../scheduler/types';
import { efficiencyFields, efficiencySummary, usageFields } from './usageText';

type UsageScheduler = Pick<Scheduler, 'usage' | 'efficiency'>;
type Section = JobDetails['sections'][number];

/** The scheduler's own id of a job (array tasks run under their raw id). */
const ownId = (j: Pick<Job, 'id' | 'rawId'>) => j.rawId ?? j.id;

export class LiveUsage {
  private readonly cache = new Map<string, { at: number; ids: string; p: Promise<Map<string, JobUsage>> }>();

  constructor(
    private readonly scheduler: (host: string) => UsageScheduler,
    private readonly maxAgeMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Usage of `jobs` (the running ones of `host` on screen) by display id; one call per host while fresh. */
  async forHost(host: string, jobs: readonly Job[]): Promise<Map<string, JobUsage>> {
    const running = jobs.filter((j) => j.state === 'RUNNING');
    const s = this.scheduler(host);
    if (!s.usage || running.length === 0) return new Map();
    const ids = running.map(ownId).sort().join(',');
    const hit = this.cache.get(host);
    if (hit && hit.ids === ids && this.now() - hit.at < this.maxAgeMs) return hit.p;
    const byOwn = new Map(running.map((j) => [ownId(j), j.id]));
    const p = s.usage(running.map(ownId)).then((list) => new Map(list.map((u) => [byOwn.get(u.id) ?? u.id, u])));
    this.cache.set(host, { at: this.now(), ids, p });
    p.catch(() => this.cache.get(host)?.p === p && this.cache.delete(host));
    return p;
  }
}

/** The Show Details section of what the job uses: live while it runs, efficiency once it ended. */
export async function usageSection(s: UsageScheduler, job: Pick<Job, 'id' | 'rawId' | 'elapsed'> & { state?: JobState }, cpus?: number): Promise<Section | undefined> {
  if (job.state === 'RUNNING' && s.usage) {
    const [u] = await s.usage([ownId(job)]);
    return u ? { source: 'usage', title: 'Usage now (sstat)', fields: usageFields(u, durationSeconds(job.elapsed), cpus) } : undefined;
  }
  if (job.state && isTerminal(job.state) && s.efficiency) {
    const [e] = await s.efficiency([job.id]);
    return e ? { source: 'usage', title: 'Efficiency (as seff reports it)', fields: efficiencyFields(e) } : undefined;
  }
  return undefined;
}

/** Efficiency lines of finished jobs by id (one accounting call); jobs it cannot tell are left out. */
async function efficiencyNotes(s: UsageScheduler, ids: string[]): Promise<Map<string, string>> {
  if (!s.efficiency || ids.length === 0) return new Map();
  const list: JobEfficiency[] = await s.efficiency(ids);
  return new Map(list.map((e) => [e.id, efficiencySummary(e)] as const).filter(([, t]) => t !== ''));
}

/**
 * End notifications with what each single job used (`… — used 12 % of requested memory, 80 % CPU
 * efficiency`): one accounting call per host, given up after `timeoutMs` (the notice then goes as it was).
 */
export async function withEfficiency<N extends { host: string; id: string; message: string; jobs: readonly Job[] }>(
  notices: N[],
  scheduler: (host: string) => UsageScheduler,
  timeoutMs = 4000,
): Promise<N[]> {
  const hosts = [...new Set(notices.filter((n) => n.jobs.length === 1).map((n) => n.host))];
  const notes = new Map<string, Map<string, string>>();
  await Promise.all(
    hosts.map(async (host) => {
      const ids = notices.filter((n) => n.host === host && n.jobs.length === 1).map((n) => n.id);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<Map<string, string>>((resolve) => (timer = setTimeout(() => resolve(new Map()), timeoutMs)));
      const got = await Promise.race([efficiencyNotes(scheduler(host), ids).catch(() => new Map<string, string>()), late]);
      clearTimeout(timer);
      notes.set(host, got);
    }),
  );
  return notices.map((n) => {
    const note = n.jobs.length === 1 ? notes.get(n.host)?.get(n.id) : undefined;
    return note ? { ...n, message: `${n.message} — ${note}` } : n;
  });
}
