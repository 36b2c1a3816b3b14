/**
 * A host pool as a {@link Scheduler}: the Jobs view lists, details, tails, fetches and announces
 * pool jobs like SLURM's. Jobs are `<run>.<n>`; `nodes` is the host a job runs on, `partition`
 * the pool. What a pool cannot do (hold, release, requeue, attach) is refused with a
 * SchedulerError that says so. Submitting a script runs it as a one-job run. No `vscode`.
 */
import { SchedulerError, SpecError } from '../command';
import { formatDuration } from '../formats';
import type { ControllerStatus, Job, JobDetails, JobState, JobSubmitSpec, OutputPaths, Scheduler, ScriptDirectives, SubmitResult } from '../types';
import type { PoolJobRecord, PoolManager } from './manager';
import type { PoolRuns } from './runs';

const STATE: Record<PoolJobRecord['state'], JobState> = { queued: 'PENDING', running: 'RUNNING', completed: 'COMPLETED', failed: 'FAILED', cancelled: 'CANCELLED' };

/** `YYYY-MM-DDTHH:MM:SS`, local time, as the Job model has it. */
function localTime(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function poolJob(m: PoolManager, j: PoolJobRecord, user: string, now: number): Job {
  const a = j.attempts.at(-1);
  const state = STATE[j.state];
  const home = a && m.state.hosts.find((h) => h.name === a.host)?.home;
  const start = a?.startedAt;
  const end = j.state === 'running' ? now : a?.endedAt;
  const job: Job = {
    id: j.id,
    name: j.name,
    user,
    state,
    rawState: j.state === 'running' && a ? `running on ${a.host} slot ${a.slot + 1}` : j.state,
    partition: m.state.pool,
    elapsed: start !== undefined && end !== undefined ? formatDuration(Math.max(0, Math.round((end - start) / 1000))) : '',
    timeLimit: '',
    reason: j.state === 'failed' || j.state === 'queued' ? (j.reason ?? '') : '',
    nodes: a && j.state !== 'queued' ? a.host : '',
    submitTime: localTime(j.submittedAt) as string,
    workDir: home && a ? `${home}/${a.dir}/work` : '',
    comment: `pool run ${m.state.runId} (${m.state.name})`,
    tags: [],
  };
  if (start !== undefined) job.startTime = localTime(start) as string;
  if (a?.endedAt !== undefined && j.state !== 'running') job.endTime = localTime(a.endedAt) as string;
  if (a?.exitCode !== undefined) job.exitCode = a.exitCode;
  return job;
}

function refuse(what: string): Promise<never> {
  return Promise.reject(new SchedulerError(`A host pool cannot ${what}`, 'rejected', 'pool', null, ''));
}

export class PoolScheduler implements Scheduler {
  readonly kind = 'pool';
  readonly listsLocally = true;

  constructor(
    private readonly pool: string,
    private readonly runs: PoolRuns,
    private readonly now: () => number = Date.now,
  ) {}

  private jobs(user: string, pick: (j: PoolJobRecord) => boolean): Job[] {
    const now = this.now();
    return this.runs.managersOf(this.pool).flatMap((m) => m.state.jobs.filter(pick).map((j) => poolJob(m, j, user, now)));
  }

  async submit(spec: JobSubmitSpec): Promise<SubmitResult> {
    const argv = spec.script !== undefined ? ['bash', spec.script, ...(spec.scriptArgs ?? [])] : spec.scriptText !== undefined ? ['bash', '-c', spec.scriptText, spec.name ?? 'job'] : undefined;
    if (!argv) throw new SpecError('Nothing to run: give a script');
    const runId = await this.runs.start({ pool: this.pool, name: spec.name ?? argv[1] ?? 'job', jobs: [{ name: spec.name ?? 'job', argv, files: [], repeatIndex: 0 }] });
    return { id: `${runId}.1` };
  }

  async list(user: string): Promise<Job[]> {
    await this.runs.attach(this.pool);
    return this.jobs(user, (j) => j.state === 'queued' || j.state === 'running');
  }

  async history(sinceDays: number, user = ''): Promise<Job[]> {
    const since = this.now() - sinceDays * 86_400_000;
    return this.jobs(user, (j) => j.state !== 'queued' && j.state !== 'running' && j.submittedAt >= since);
  }

  async finalState(ids: string[]): Promise<Job[]> {
    const want = new Set(ids);
    return this.jobs('', (j) => want.has(j.id) && j.state !== 'queued' && j.state !== 'running');
  }

  private record(id: string): { m: PoolManager; j: PoolJobRecord } {
    const m = this.runs.managerOfJob(id);
    const j = m?.job(id);
    if (!m || !j) throw new SchedulerError(`No pool job ${id}`, 'invalid-job', 'pool', null, '');
    return { m, j };
  }

  async details(id: string): Promise<JobDetails> {
    const { m, j } = this.record(id);
    const job = poolJob(m, j, '', this.now());
    const fields: Record<string, string> = {
      Run: `${m.state.runId} (${m.state.name})`,
      Pool: m.state.pool,
      Command: JSON.stringify(j.argv),
      Files: j.files.join(', '),
      State: j.state,
      Reason: j.reason ?? '',
    };
    j.attempts.forEach((a, i) => {
      fields[`Attempt ${i + 1}`] = `${a.host} slot ${a.slot + 1}, pid ${a.pid ?? '?'}, ${a.exitCode !== undefined ? `exit ${a.exitCode}` : a.lost ? `lost: ${a.lost}` : 'running'} (~/${a.dir})`;
    });
    return { state: job.state, rawState: job.rawState, sections: [{ source: 'controller', title: 'Host pool', fields }], notes: [] };
  }

  async outputPaths(id: string): Promise<OutputPaths> {
    const { m } = this.record(id);
    const p = m.outputPaths(id);
    if (!p) throw new SchedulerError(`Pool job ${id} has not started`, 'invalid-job', 'pool', null, '');
    return { stdout: p.stdout, stderr: p.stderr };
  }

  async cancel(ids: string[]): Promise<void> {
    for (const id of ids) await this.record(id).m.cancel([id]);
  }

  hold(): Promise<void> {
    return refuse('hold jobs');
  }
  release(): Promise<void> {
    return refuse('release jobs');
  }
  requeue(): Promise<void> {
    return refuse('requeue jobs');
  }

  async ping(): Promise<ControllerStatus> {
    const views = this.runs.hostViews(this.pool);
    const bad = views.filter((v) => v.state === 'error');
    return { up: views.length === 0 || bad.length < views.length, message: bad.length ? `${bad.map((v) => v.host).join(', ')} failed` : 'pool hosts answer' };
  }

  expandNodeList(nodes: string): string[] {
    return nodes.split(',').filter(Boolean);
  }

  attachCommand(): string[] {
    throw new SpecError('Pool jobs run on their host directly: open a terminal on that host instead');
  }

  readDirectives(): ScriptDirectives {
    return {};
  }
  writeDirectives(): string[] {
    return [];
  }
  checkTimeLimit(): string | undefined {
    return 'A host pool has no time limits';
  }
}
