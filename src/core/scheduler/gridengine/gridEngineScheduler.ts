/**
 * {@link Scheduler} over Grid Engine's command-line tools (Son of Grid Engine / Debian's
 * gridengine 8.1; the same commands in Open Grid Scheduler and Univa/Altair Grid Engine), tested
 * against the sandbox's real sge_qmaster and sge_execd.
 *
 * Polling costs one `qstat -xml -g d -r -u USER` per cycle. That list has no folder, comment or
 * output paths: those come once per job from `qstat -j … -xml` (one call for all jobs new to a
 * cycle) and are kept, as they do not change. A job shown held (`hqw`) that also waits for
 * another job asks one `qstat -s hu` more, to tell a user hold from the wait.
 *
 * Accounting is `qacct` (the cell's accounting file). A job deleted before it started has no
 * accounting record at all: when this scheduler deleted it (cancel), finalState reports it
 * CANCELLED from what the queue last showed. Not applicable here: attaching a terminal to a
 * running job (`qrsh -inherit` is for a job's own processes, with its environment, and sites
 * usually keep users out of execution hosts), requeueing a job not submitted rerunnable
 * (`qmod -rj` refuses it, as the server says), GPUs and node counts (options.ts).
 */
import { NO_TIME_LIMIT, PARTITION_TIME_LIMIT, type CancelOptions, type ControllerStatus, type Job, type JobDetails, type JobSubmitSpec, type OutputPaths, type Scheduler, type ScriptDirectives, type ScriptOptions, type SubmitResult } from '../types';
import { runCommand, SchedulerError, SpecError, type CommandRunner, type SchedulerCommand } from '../command';
import { silentLogger, tagged, type Logger } from '../../log';
import { formatDuration } from '../formats';
import { tagsFromComment } from '../tags';
import { classifyGeFailure } from './errors';
import { nativeId, neutralId, parseNeutralIds } from './ids';
import { queueState } from './states';
import { COMMENT_VAR, decodeComment } from './options';
import { gridEngineScriptFormat } from './directives';
import { acctToJob, type AcctRecord } from './qacct';
import type { JobInfo, QueueEntry } from './qstat';
import { acctCommand, jobActionCommand, jobsCommand, jobTextCommand, listCommand, pingCommand, qsubCommand, requeueCommand, userHoldsCommand } from './commands';

export interface GridEngineSchedulerOptions {
  timeoutMs?: number;
  log?: Logger;
}

const CACHE_MAX = 2000;

/** `2026-12-02T20:29:24` (the cluster's local time, as qstat prints it) → seconds ago. */
function secondsSince(iso: string | undefined, now: number): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.floor((now - t) / 1000));
}

function timeLimit(hrt: string | undefined): string {
  if (hrt === undefined) return PARTITION_TIME_LIMIT;
  if (/^INFINITY$/i.test(hrt)) return NO_TIME_LIMIT;
  if (/^\d+$/.test(hrt)) return formatDuration(Number(hrt));
  const parts = hrt.split(':').map(Number);
  if (parts.length === 3 && parts.every((n) => Number.isFinite(n))) return formatDuration((parts[0] as number) * 3600 + (parts[1] as number) * 60 + (parts[2] as number));
  return hrt;
}

/** Grid Engine's pseudo variables in an output path, for one job or task. */
function expandPath(path: string, v: Record<string, string>): string {
  return path.replace(/\$(HOME|USER|JOB_ID|JOB_NAME|TASK_ID|SGE_TASK_ID)\b/g, (m, name: string) => v[name] ?? m);
}

export class GridEngineScheduler implements Scheduler {
  readonly kind = 'gridengine';
  readonly chdirDirective = true;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  /** What `qstat -j` said of each job number (folder, comment, paths), kept after it leaves the queue. */
  private readonly info = new Map<string, JobInfo>();
  /** The last queue view of each job or task (neutral id). */
  private readonly seen = new Map<string, Job>();
  /** Neutral ids this scheduler deleted (a job deleted while pending leaves no accounting record). */
  private readonly deleted = new Set<string>();

  constructor(
    private readonly runner: CommandRunner,
    opts: GridEngineSchedulerOptions = {},
  ) {
    this.log = tagged(opts.log ?? silentLogger, 'gridengine');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async exec<T>(cmd: SchedulerCommand<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await runCommand(this.runner, cmd, { timeoutMs: this.timeoutMs, classify: classifyGeFailure });
    } finally {
      this.log.trace(`${cmd.argv[0]} ${cmd.argv.length - 1} args: ${Date.now() - t0} ms`);
    }
  }

  private remember<K, V>(map: Map<K, V>, key: K, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > CACHE_MAX) map.delete(map.keys().next().value as K);
  }

  /** The job objects of numbers not known yet, in one call. */
  private async learn(jobs: Iterable<string>): Promise<void> {
    const missing = [...new Set(jobs)].filter((j) => !this.info.has(j));
    if (missing.length === 0) return;
    for (const i of await this.exec(jobsCommand(missing))) this.remember(this.info, i.job, i);
  }

  private toJob(e: QueueEntry, userHeld: ReadonlySet<string> | undefined, now: number): Job {
    const info = this.info.get(e.job);
    const id = neutralId(e.job, e.task);
    const state = queueState(e.state);
    const held = e.state.includes('h') && (e.predecessors.length === 0 || (userHeld?.has(id) ?? false));
    const comment = decodeComment(info?.env[COMMENT_VAR] ?? '');
    const [queue, host] = e.queue.split('@');
    const elapsed = state === 'RUNNING' || state === 'SUSPENDED' ? secondsSince(e.startTime, now) : undefined;
    const reason = held ? 'JobHeldUser' : e.state.includes('E') ? 'Error state (qmod -cj clears it)' : e.predecessors.length ? 'Dependency' : '';
    const job: Job = {
      id,
      rawId: e.task === undefined ? e.job : `${e.job}.${e.task}`,
      ...(e.task !== undefined ? { arrayJobId: e.job, arrayTaskId: e.task } : {}),
      name: e.name,
      user: e.owner,
      state,
      rawState: e.state,
      partition: queue || e.hardQueue || '',
      elapsed: elapsed === undefined ? '' : formatDuration(elapsed),
      timeLimit: timeLimit(e.requests.h_rt ?? info?.requests.h_rt),
      reason,
      nodes: host ?? '',
      ...(host ? { nodeCount: 1 } : {}),
      ...(e.submitTime ? { submitTime: e.submitTime } : {}),
      ...(e.startTime ? { startTime: e.startTime } : {}),
      workDir: info?.cwd ?? '',
      comment,
      tags: tagsFromComment(comment),
      ...(e.predecessors.length ? { dependencies: e.predecessors.map((p) => ({ kind: 'afterany', jobId: p })) } : {}),
    };
    this.remember(this.seen, id, job);
    return job;
  }

  async submit(spec: JobSubmitSpec): Promise<SubmitResult> {
    const { job } = await this.exec(qsubCommand(spec));
    return { id: job };
  }

  async list(user: string): Promise<Job[]> {
    const entries = await this.exec(listCommand(user));
    await this.learn(entries.map((e) => e.job));
    const ambiguous = entries.some((e) => e.state.includes('h') && e.predecessors.length > 0);
    const userHeld = ambiguous ? new Set((await this.exec(userHoldsCommand(user))).map((e) => neutralId(e.job, e.task))) : undefined;
    const now = Date.now();
    return entries.filter((e) => e.owner === user).map((e) => this.toJob(e, userHeld, now));
  }

  private acctJob(r: AcctRecord): Job {
    const info = this.info.get(r.job);
    const comment = decodeComment(info?.env[COMMENT_VAR] ?? '');
    return acctToJob(r, { ...(info ? { workDir: info.cwd } : {}), comment });
  }

  async history(sinceDays: number, user?: string): Promise<Job[]> {
    const records = await this.exec(acctCommand({ days: sinceDays, ...(user !== undefined ? { user } : {}) }));
    return records.map((r) => this.acctJob(r));
  }

  async finalState(ids: string[], sinceDays = 7): Promise<Job[]> {
    if (ids.length === 0) return [];
    const wanted = parseNeutralIds(ids);
    const numbers = [...new Set(wanted.map((w) => w.job))];
    const records = await this.exec(numbers.length === 1 ? acctCommand({ job: numbers[0] as string }) : acctCommand({ days: sinceDays }));
    const want = new Set(ids);
    const jobs = records.map((r) => this.acctJob(r)).filter((j) => want.has(j.id) || (j.arrayJobId !== undefined && want.has(j.arrayJobId)));
    // deleted before they started: no record will ever come
    const have = new Set(jobs.map((j) => j.id));
    for (const [id, last] of this.seen) {
      const asked = want.has(id) || (last.arrayJobId !== undefined && want.has(last.arrayJobId));
      if (asked && !have.has(id) && this.deleted.has(id) && last.state === 'PENDING') {
        jobs.push({ ...last, state: 'CANCELLED', rawState: `deleted while ${last.rawState}`, reason: 'deleted before it started (Grid Engine keeps no accounting record of it)' });
      }
    }
    return jobs;
  }

  async details(id: string): Promise<JobDetails> {
    const [geId] = parseNeutralIds([id]);
    const { job, task } = geId as { job: string; task?: string };
    const fields = await this.exec(jobTextCommand(job));
    if (fields) {
      const entry = (await this.exec(listCommand(fields.owner ?? '*'))).find((e) => e.job === job && e.task === task);
      const state = entry ? queueState(entry.state) : undefined;
      return {
        ...(state && entry ? { state, rawState: entry.state } : {}),
        sections: [{ source: 'controller', title: 'Queue master (qstat -j)', fields }],
        notes: [],
      };
    }
    const record = (await this.exec(acctCommand({ job }))).find((r) => r.task === task);
    if (record) {
      const j = this.acctJob(record);
      return { state: j.state, rawState: j.rawState, sections: [{ source: 'accounting', title: 'Accounting (qacct -j)', fields: record.fields }], notes: [] };
    }
    const last = this.seen.get(id);
    if (last && this.deleted.has(id)) {
      return { state: 'CANCELLED', rawState: `deleted while ${last.rawState}`, sections: [], notes: ['Deleted before it started: Grid Engine keeps no accounting record of such a job.'] };
    }
    throw new SchedulerError(`Job ${id} is not known to Grid Engine (any more)`, 'invalid-job', 'qstat', 0, '');
  }

  async outputPaths(id: string): Promise<OutputPaths> {
    const [geId] = parseNeutralIds([id]);
    const { job, task } = geId as { job: string; task?: string };
    if (!this.info.has(job)) await this.learn([job]);
    const info = this.info.get(job);
    if (!info) throw new SchedulerError(`Job ${id} is not known to Grid Engine (any more)`, 'invalid-job', 'qstat', 0, '');
    const home = info.env.__SGE_PREFIX__O_HOME ?? '';
    const vars: Record<string, string> = { HOME: home, USER: info.owner, JOB_ID: job, JOB_NAME: info.name, ...(task !== undefined ? { TASK_ID: task, SGE_TASK_ID: task } : { TASK_ID: 'undefined', SGE_TASK_ID: 'undefined' }) };
    const resolve = (given: string | undefined, letter: 'o' | 'e'): { path: string; guessed: boolean } => {
      const file = `${info.name}.${letter}${job}${task !== undefined ? `.${task}` : ''}`;
      if (given === undefined) return { path: `${info.cwd}/${file}`, guessed: true };
      const p = expandPath(given, vars);
      const abs = p.startsWith('/') ? p : `${info.cwd}/${p}`;
      return { path: abs.endsWith('/') ? `${abs}${file}` : abs, guessed: false };
    };
    const out = resolve(info.stdoutPath, 'o');
    if (info.merge) return { stdout: out.path, ...(out.guessed ? { guessed: true } : {}) };
    const err = resolve(info.stderrPath, 'e');
    return { stdout: out.path, stderr: err.path, ...(out.guessed ? { guessed: true } : {}) };
  }

  async cancel(ids: string[], opts?: CancelOptions): Promise<void> {
    let targets = parseNeutralIds(ids);
    if (opts?.arrayTask !== undefined) {
      const t = String(opts.arrayTask);
      if (!/^\d+$/.test(t)) throw new SpecError(`Not an array task index: ${JSON.stringify(t)}`);
      targets = targets.map((id) => (id.task === undefined ? { job: id.job, task: t } : id));
    }
    await this.exec(jobActionCommand('qdel', targets.map(nativeId)));
    for (const t of targets) {
      if (t.task !== undefined) this.deleted.add(neutralId(t.job, t.task));
      else for (const [id, j] of this.seen) if (id === t.job || j.arrayJobId === t.job) this.deleted.add(id);
      if (t.task === undefined) this.deleted.add(t.job);
    }
  }

  async hold(ids: string[]): Promise<void> {
    await this.exec(jobActionCommand('qhold', parseNeutralIds(ids).map(nativeId)));
  }

  async release(ids: string[]): Promise<void> {
    await this.exec(jobActionCommand('qrls', parseNeutralIds(ids).map(nativeId)));
  }

  /** `qmod -rj`: only for jobs submitted rerunnable (`-r y`) or in a queue with `rerun TRUE`. */
  async requeue(ids: string[]): Promise<void> {
    await this.exec(requeueCommand(parseNeutralIds(ids).map(nativeId)));
  }

  async ping(): Promise<ControllerStatus> {
    try {
      return await this.exec(pingCommand());
    } catch (e) {
      if (e instanceof SchedulerError && e.kind === 'unreachable') return { up: false, message: e.message };
      throw e;
    }
  }

  expandNodeList(nodes: string): string[] {
    return nodes.split(',').map((n) => n.trim()).filter(Boolean);
  }

  attachCommand(_jobId: string, _command: readonly string[], _opts?: { node?: string }): string[] {
    throw new SpecError('Grid Engine has no way for a user to open a terminal inside a running job: qrsh -inherit is for the job\'s own processes, and sites usually keep users out of execution hosts');
  }

  readDirectives(script: string): ScriptDirectives {
    return gridEngineScriptFormat.readDirectives(script);
  }

  writeDirectives(options: ScriptOptions): string[] {
    return gridEngineScriptFormat.writeDirectives(options);
  }

  checkTimeLimit(text: string): string | undefined {
    return gridEngineScriptFormat.checkTimeLimit(text);
  }
}

export { gridEngineScriptFormat };
