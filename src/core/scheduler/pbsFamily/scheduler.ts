/**
 * {@link Scheduler} over the PBS family's command-line tools (PBS Pro / OpenPBS and Torque share
 * qsub/qdel/qhold/qrls/qrerun and their job attributes; how qstat prints differs, so each one
 * gives its queries in a {@link PbsFamilyConfig}). One command per call.
 *
 * There is no accounting database a user can query: finished jobs come from the server itself
 * (OpenPBS job history, `qstat -x`, kept `job_history_duration`; Torque keeps completed jobs
 * `keep_completed` seconds), so `finalState`, `history` and details of a job the server has
 * forgotten come back empty / `invalid-job`, and their output paths from what was seen before.
 */
import { isTerminal, type BatchScriptFormat, type CancelOptions, type ControllerStatus, type Job, type JobDetails, type JobSubmitSpec, type OutputPaths, type Scheduler, type ScriptDirectives, type ScriptOptions, type SubmitResult } from '../types';
import { runCommand, SchedulerError, SpecError, type CommandRunner, type SchedulerCommand } from '../command';
import { silentLogger, tagged, type Logger } from '../../log';
import { normaliseDuration } from '../formats';
import { checkNeutralIds, nativeId, neutralId, parseNativeId } from './ids';
import { isArrayParent, localIso, recordOutputPaths, recordToJob, type JobRecord } from './records';
import { jobActionCommand, qsubCommand } from './commands';
import { classifyPbsFailure } from './errors';
import type { PbsDialect } from './options';
import { pbsFamilyScriptFormat } from './directives';
import { serverStatusCommand } from './query';
import { splitNodes, sshAttachArgv } from './attach';

export interface PbsFamilyConfig {
  kind: string;
  dialect: PbsDialect;
  /** The one listing query: the user's jobs on the server (maybe everyone's), subjobs one by one. */
  listCommand(user: string): SchedulerCommand<JobRecord[]>;
  /** Finished jobs the server still keeps. */
  historyCommand(user?: string): SchedulerCommand<JobRecord[]>;
  /** The records of these native ids, finished ones included; ids the server does not know are left out. */
  jobsCommand(nativeIds: string[]): SchedulerCommand<JobRecord[]>;
  /** Section titles of the details tab: a job the server runs or queues, one it keeps as finished. */
  titles: { active: string; finished: string };
}

export interface PbsFamilySchedulerOptions {
  timeoutMs?: number;
  log?: Logger;
}

const DURATION_KEYS = ['Resource_List.walltime', 'resources_used.walltime', 'resources_used.cput', 'Walltime.Remaining'];

export class PbsFamilyScheduler implements Scheduler {
  readonly kind: string;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly format: BatchScriptFormat;
  /** Sequence numbers known to be arrays (their commands need `123[]`). */
  private readonly arrays = new Set<string>();
  /** Output paths seen while the server knew the job, for after it forgets it. */
  private readonly pathCache = new Map<string, OutputPaths>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly config: PbsFamilyConfig,
    opts: PbsFamilySchedulerOptions = {},
  ) {
    this.kind = config.kind;
    this.log = tagged(opts.log ?? silentLogger, config.kind);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.format = pbsFamilyScriptFormat(config.dialect);
  }

  private async exec<T>(cmd: SchedulerCommand<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await runCommand(this.runner, cmd, { timeoutMs: this.timeoutMs, classify: classifyPbsFailure });
    } finally {
      this.log.trace(`${cmd.argv[0]} ${cmd.argv.length - 1} args: ${Date.now() - t0} ms`);
    }
  }

  /** Records → jobs (array parents left out), learning which ids are arrays and where outputs go. */
  private jobs(records: JobRecord[]): Job[] {
    const out: Job[] = [];
    for (const rec of records) {
      const native = parseNativeId(rec.id);
      if (native?.index !== undefined) this.arrays.add(native.seq);
      if (isArrayParent(rec)) continue;
      const job = recordToJob(rec);
      this.rememberPaths(job.id, rec);
      out.push(job);
    }
    return out;
  }

  private rememberPaths(id: string, rec: JobRecord): OutputPaths | undefined {
    const paths = recordOutputPaths(rec);
    if (!paths) return undefined;
    this.pathCache.set(id, paths);
    if (this.pathCache.size > 1000) this.pathCache.delete(this.pathCache.keys().next().value as string);
    return paths;
  }

  private natives(ids: readonly string[]): string[] {
    return checkNeutralIds(ids).map((id) => nativeId(id, this.arrays));
  }

  async submit(spec: JobSubmitSpec): Promise<SubmitResult> {
    const id = await this.exec(qsubCommand(spec, this.config.dialect));
    if (id.index !== undefined) this.arrays.add(id.seq);
    return { id: neutralId(id) };
  }

  async list(user: string): Promise<Job[]> {
    return this.jobs(await this.exec(this.config.listCommand(user))).filter((j) => j.user === user && !isTerminal(j.state));
  }

  async history(sinceDays: number, user?: string): Promise<Job[]> {
    const since = localIso(Date.now() - sinceDays * 86_400_000);
    const jobs = this.jobs(await this.exec(this.config.historyCommand(user)));
    return jobs.filter((j) => isTerminal(j.state) && (user === undefined || j.user === user) && (j.endTime ?? j.startTime ?? j.submitTime ?? since) >= since);
  }

  async finalState(ids: string[], _sinceDays?: number): Promise<Job[]> {
    if (ids.length === 0) return [];
    const wanted = new Set(checkNeutralIds(ids));
    const jobs = this.jobs(await this.exec(this.config.jobsCommand(this.natives(ids))));
    return jobs.filter((j) => isTerminal(j.state) && (wanted.has(j.id) || (j.arrayJobId !== undefined && wanted.has(j.arrayJobId))));
  }

  /** The server's record of one job, or undefined when it does not know it. */
  private async record(id: string): Promise<JobRecord | undefined> {
    const [native] = this.natives([id]);
    const records = await this.exec(this.config.jobsCommand([native as string]));
    this.jobs(records);
    return records.find((r) => {
      const n = parseNativeId(r.id);
      return n !== undefined && neutralId(n) === id;
    });
  }

  async details(id: string): Promise<JobDetails> {
    const rec = await this.record(id);
    if (!rec) throw new SchedulerError(`Job ${id} is not known to the ${this.config.dialect.label} server (any more)`, 'invalid-job', 'qstat', 0, '');
    const fields: Record<string, string> = { Job_Id: rec.id, ...rec.attrs };
    const durations = DURATION_KEYS.filter((k) => fields[k] !== undefined);
    for (const k of durations) fields[k] = normaliseDuration(fields[k] as string);
    const job = isArrayParent(rec) ? undefined : recordToJob(rec);
    const finished = job !== undefined && isTerminal(job.state);
    return {
      ...(job ? { state: job.state, rawState: job.rawState } : {}),
      sections: [{ source: finished ? 'accounting' : 'controller', title: finished ? this.config.titles.finished : this.config.titles.active, fields, durations }],
      notes: [],
    };
  }

  async outputPaths(id: string): Promise<OutputPaths> {
    const rec = await this.record(id);
    const paths = (rec && this.rememberPaths(id, rec)) ?? this.pathCache.get(id);
    if (!paths) throw new SchedulerError(`Job ${id} is not known to the ${this.config.dialect.label} server (any more)`, 'invalid-job', 'qstat', 0, '');
    return paths;
  }

  async cancel(ids: string[], opts?: CancelOptions): Promise<void> {
    let targets = checkNeutralIds(ids);
    if (opts?.arrayTask !== undefined) {
      const t = String(opts.arrayTask);
      if (!/^\d+$/.test(t)) throw new Error(`Not an array task index: ${JSON.stringify(t)}`);
      targets = targets.map((id) => (id.includes('_') ? id : `${id}_${t}`));
    }
    await this.exec(jobActionCommand('qdel', this.natives(targets)));
  }

  async hold(ids: string[]): Promise<void> {
    await this.exec(jobActionCommand('qhold', this.natives(ids)));
  }

  async release(ids: string[]): Promise<void> {
    await this.exec(jobActionCommand('qrls', this.natives(ids)));
  }

  /** `qrerun`: the server allows it to operators and managers (and to users where the site says so). */
  async requeue(ids: string[]): Promise<void> {
    await this.exec(jobActionCommand('qrerun', this.natives(ids)));
  }

  async ping(): Promise<ControllerStatus> {
    try {
      return await this.exec(serverStatusCommand());
    } catch (e) {
      if (e instanceof SchedulerError && e.kind === 'unreachable') return { up: false, message: e.message };
      throw e;
    }
  }

  expandNodeList(nodes: string): string[] {
    return splitNodes(nodes);
  }

  attachCommand(jobId: string, command: readonly string[], opts: { node?: string } = {}): string[] {
    if (!parseNativeId(jobId)) throw new SpecError(`Not a job id: ${JSON.stringify(jobId)}`);
    return sshAttachArgv(this.config.dialect.attachPrefix(jobId), command, opts.node, this.config.dialect.label);
  }

  get chdirDirective(): boolean | undefined {
    return this.format.chdirDirective;
  }

  readDirectives(script: string): ScriptDirectives {
    return this.format.readDirectives(script);
  }

  writeDirectives(options: ScriptOptions): string[] {
    return this.format.writeDirectives(options);
  }

  checkTimeLimit(text: string): string | undefined {
    return this.format.checkTimeLimit(text);
  }
}
