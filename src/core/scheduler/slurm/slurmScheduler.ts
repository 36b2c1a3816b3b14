import { isTerminal, type BatchScriptFormat, type CancelOptions, type ControllerStatus, type Job, type JobDetails, type JobEfficiency, type JobSubmitSpec, type JobUsage, type Partition, type OutputPaths, type Scheduler, type ScriptDirectives, type ScriptOptions, type SubmitResult, type SubmittedScript } from '../types';
import { runCommand, SchedulerError, type CommandRunner, type SchedulerCommand } from '../command';
import { silentLogger, tagged, type Logger } from '../../log';
import { squeueCommand } from './squeue';
import { sacctDetailsCommand, sacctJobsCommand, sacctHistoryCommand } from './sacct';
import {
  pickJobRecord,
  scontrolHoldCommand,
  scontrolPingCommand,
  scontrolReleaseCommand,
  scontrolRequeueCommand,
  scontrolShowJobCommand,
} from './scontrol';
import { sbatchCommand, scancelCommand } from './sbatch';
import { isTimeLimit } from '../formats';
import { parseSbatchDirectives, sbatchDirectiveLines } from './directives';
import { normaliseState } from './states';
import { defaultOutputPattern, expandOutputPattern } from './outputPattern';
import { duration, optional, splitJobId } from './fields';
import { classifySlurmFailure } from './errors';
import { expandHostlist } from './hostlist';
import { srunAttachArgv, srunInteractiveArgv, type InteractiveOptions } from './srun';
import { sacctEfficiencyCommand, sstatCommand } from './usage';
import { sinfoPartitionsCommand } from './sinfo';
import { optionsFromAccounting, optionsFromController, sacctBatchScriptCommand, scontrolBatchScriptCommand, scriptGone } from './batchScript';

export interface SlurmSchedulerOptions {
  /** Per-command timeout (default 30 s; squeue on a busy controller can be slow). */
  timeoutMs?: number;
  log?: Logger;
  /** How far back accounting is searched for jobs that left the queue (default 7 days). */
  finalStateDays?: number;
  /** List jobs across a federation's clusters (default false: `squeue --local`, one RPC less). */
  federation?: boolean;
}

/** How SLURM batch scripts carry options: `#SBATCH` lines. */
export const slurmScriptFormat: BatchScriptFormat = {
  readDirectives: parseSbatchDirectives,
  writeDirectives: sbatchDirectiveLines,
  checkTimeLimit: (text) => (isTimeLimit(text) ? undefined : 'Use minutes, HH:MM:SS, D-HH:MM:SS or D-HH'),
};

/** {@link Scheduler} over SLURM's command-line tools, one command per call. */
export class SlurmScheduler implements Scheduler {
  readonly kind = 'slurm';
  private readonly log: Logger;
  private readonly timeoutMs: number;
  /** Output paths read while jobs were in the controller, for after they leave it. */
  private readonly pathCache = new Map<string, OutputPaths>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly opts: SlurmSchedulerOptions = {},
  ) {
    this.log = tagged(opts.log ?? silentLogger, 'slurm');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async exec<T>(cmd: SchedulerCommand<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await runCommand(this.runner, cmd, { timeoutMs: this.timeoutMs, classify: classifySlurmFailure });
    } finally {
      this.log.trace(`${cmd.argv[0]} ${cmd.argv.length - 1} args: ${Date.now() - t0} ms`);
    }
  }

  // Every method is async so that bad input (SpecError, bad ids) rejects like any other failure.
  async submit(spec: JobSubmitSpec): Promise<SubmitResult> {
    return this.exec(sbatchCommand(spec));
  }

  async list(user: string): Promise<Job[]> {
    return this.exec(squeueCommand(user, { federation: this.opts.federation ?? false }));
  }

  async history(sinceDays: number, user?: string): Promise<Job[]> {
    return this.exec(sacctHistoryCommand(sinceDays, user));
  }

  async finalState(ids: string[], sinceDays = this.opts.finalStateDays ?? 7): Promise<Job[]> {
    if (ids.length === 0) return [];
    return latestPerId(await this.exec(sacctJobsCommand(ids, sinceDays)));
  }

  async details(id: string): Promise<JobDetails> {
    let controller: Record<string, string> | undefined;
    try {
      controller = pickJobRecord(await this.exec(scontrolShowJobCommand(id)), id);
    } catch (e) {
      if (!(e instanceof SchedulerError && e.kind === 'invalid-job')) throw e;
    }
    if (!controller) {
      const acct = await this.exec(sacctDetailsCommand(id));
      if (!acct) throw new SchedulerError(`Job ${id} is known neither to the controller nor to accounting`, 'invalid-job', 'sacct', 0, '');
      return { ...stateOf(acct.State), sections: [section('accounting', acct)], notes: [] };
    }
    this.rememberPaths(id, controller);
    const details: JobDetails = { ...stateOf(controller.JobState), sections: [section('controller', controller)], notes: [] };
    if (details.state && isTerminal(details.state)) {
      try {
        const acct = await this.exec(sacctDetailsCommand(id));
        if (acct) details.sections.push(section('accounting', acct));
        else details.notes.push('Accounting has no record of this job yet.');
      } catch (e) {
        details.notes.push(`Accounting unavailable: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    return details;
  }

  async outputPaths(id: string): Promise<OutputPaths> {
    try {
      const rec = pickJobRecord(await this.exec(scontrolShowJobCommand(id)), id);
      if (rec) return this.rememberPaths(id, rec);
    } catch (e) {
      if (!(e instanceof SchedulerError && e.kind === 'invalid-job')) throw e;
    }
    const cached = this.pathCache.get(id);
    if (cached) return cached;
    // Gone from the controller and never seen: SLURM's default name in the job's WorkDir.
    const acct = await this.exec(sacctDetailsCommand(id));
    if (!acct) throw new SchedulerError(`Job ${id} is known neither to the controller nor to accounting`, 'invalid-job', 'sacct', 0, '');
    const { arrayJobId, arrayTaskId } = splitJobId(acct.JobID ?? id);
    const stdout = expandOutputPattern(defaultOutputPattern(arrayTaskId !== undefined), {
      jobId: acct.JobIDRaw ?? id,
      ...(arrayJobId !== undefined ? { arrayJobId, arrayTaskId } : {}),
      ...(acct.WorkDir ? { workDir: acct.WorkDir } : {}),
    });
    return { stdout, guessed: true };
  }

  private rememberPaths(id: string, rec: Record<string, string>): OutputPaths {
    const ctx = {
      jobId: rec.JobId ?? id,
      ...(rec.ArrayJobId ? { arrayJobId: rec.ArrayJobId, arrayTaskId: rec.ArrayTaskId ?? '' } : {}),
      ...(rec.UserId ? { user: rec.UserId.replace(/\(\d+\)$/, '') } : {}),
      ...(rec.JobName !== undefined ? { name: rec.JobName } : {}),
      ...(rec.BatchHost ? { node: rec.BatchHost } : {}),
      ...(rec.WorkDir ? { workDir: rec.WorkDir } : {}),
    };
    // 22.05 prints StdOut expanded; older versions and pending array tasks may not.
    const stdout = expandOutputPattern(rec.StdOut || defaultOutputPattern(rec.ArrayJobId !== undefined), ctx);
    const stderr = rec.StdErr ? expandOutputPattern(rec.StdErr, ctx) : undefined;
    const paths: OutputPaths = stderr && stderr !== stdout ? { stdout, stderr } : { stdout };
    // A pending array task not yet split off has its parent's JobId: a %j in the pattern will
    // become the task's own id when it starts. A whole array prints task NO_VAL (4294967294).
    const unsplit = rec.ArrayJobId !== undefined && rec.JobId === rec.ArrayJobId && rec.JobState === 'PENDING';
    if (unsplit || stdout.includes('4294967294')) paths.guessed = true;
    this.pathCache.set(id, paths);
    if (this.pathCache.size > 1000) this.pathCache.delete(this.pathCache.keys().next().value as string);
    return paths;
  }

  async cancel(ids: string[], opts?: CancelOptions): Promise<void> {
    await this.exec(scancelCommand(ids, opts));
  }

  async hold(ids: string[]): Promise<void> {
    await this.exec(scontrolHoldCommand(ids));
  }

  async release(ids: string[]): Promise<void> {
    await this.exec(scontrolReleaseCommand(ids));
  }

  async requeue(ids: string[]): Promise<void> {
    await this.exec(scontrolRequeueCommand(ids));
  }

  async ping(): Promise<ControllerStatus> {
    return this.exec(scontrolPingCommand());
  }

  expandNodeList(nodes: string): string[] {
    return expandHostlist(nodes);
  }

  attachCommand(jobId: string, command: readonly string[], opts: { node?: string } = {}): string[] {
    return srunAttachArgv(jobId, command, opts);
  }

  async usage(ids: string[]): Promise<JobUsage[]> {
    return ids.length ? this.exec(sstatCommand(ids)) : [];
  }

  interactiveCommand(options: InteractiveOptions, command: readonly string[]): string[] {
    return srunInteractiveArgv(options, command);
  }

  async partitions(): Promise<Partition[]> {
    return this.exec(sinfoPartitionsCommand());
  }

  async efficiency(ids: string[]): Promise<JobEfficiency[]> {
    return ids.length ? this.exec(sacctEfficiencyCommand(ids, this.opts.finalStateDays ?? 7)) : [];
  }

  async batchScript(id: string): Promise<SubmittedScript> {
    let rec: Record<string, string> | undefined;
    try {
      rec = pickJobRecord(await this.exec(scontrolShowJobCommand(id)), id);
    } catch (e) {
      if (!(e instanceof SchedulerError && e.kind === 'invalid-job')) throw e;
    }
    if (rec?.BatchFlag === '0') throw scriptGone(id, 'it is an interactive allocation (srun or salloc), which has none');
    if (rec) {
      try {
        const text = await this.exec(scontrolBatchScriptCommand(id));
        if (text.trim()) return { text, options: optionsFromController(rec), ...(rec.WorkDir ? { cwd: rec.WorkDir } : {}), ...(rec.Command?.startsWith('/') ? { path: rec.Command } : {}), source: 'controller' };
      } catch (e) {
        // A finished job the controller still lists may have lost its script already: accounting's copy then.
        if (!(e instanceof SchedulerError && (e.kind === 'invalid-job' || e.kind === 'rejected'))) throw e;
        this.log.debug(`batch script of ${id} from the controller: ${e.message}`);
      }
    }
    const [text, acct] = await Promise.all([this.exec(sacctBatchScriptCommand(id)), this.exec(sacctDetailsCommand(id))]);
    if (!acct && !rec) throw scriptGone(id, 'neither the controller nor accounting knows the job (purged?)');
    if (text === undefined) throw scriptGone(id, 'the controller has let it go and accounting keeps no copy (AccountingStoreFlags=job_script is not set there)');
    return { text, options: acct ? optionsFromAccounting(acct) : {}, ...(acct?.WorkDir ? { cwd: acct.WorkDir } : {}), source: 'accounting' };
  }

  readDirectives(script: string): ScriptDirectives {
    return slurmScriptFormat.readDirectives(script);
  }

  writeDirectives(options: ScriptOptions): string[] {
    return slurmScriptFormat.writeDirectives(options);
  }

  checkTimeLimit(text: string): string | undefined {
    return slurmScriptFormat.checkTimeLimit(text);
  }
}

const CONTROLLER = 'Controller (scontrol show job)';
const ACCOUNTING = 'Accounting (sacct)';
/** The keys of each source that hold durations or time limits. */
const DURATION_KEYS = {
  controller: ['RunTime', 'TimeLimit', 'TimeMin', 'DelayBoot'],
  accounting: ['Elapsed', 'Timelimit', 'Suspended', 'CPUTime'],
} as const;

/** One source's record for the details tab, its durations in the neutral format (`N/A` and the like kept). */
function section(source: 'controller' | 'accounting', rec: Record<string, string>): JobDetails['sections'][number] {
  const fields = { ...rec };
  const durations = DURATION_KEYS[source].filter((k) => fields[k] !== undefined);
  for (const k of durations) if (optional(fields[k]) !== undefined) fields[k] = duration(fields[k]);
  return { source, title: source === 'controller' ? CONTROLLER : ACCOUNTING, fields, durations: [...durations] };
}

/** The normalised state of a printed one (`CANCELLED by 1000`), when there is one. */
function stateOf(raw: string | undefined): Pick<JobDetails, 'state' | 'rawState'> {
  const word = raw?.trim();
  return word ? { state: normaliseState(word), rawState: word } : {};
}

/**
 * When job ids were reset (a rebuilt controller state, FirstJobId…), accounting holds several
 * jobs under one id; the newest submission is the one the caller means.
 */
function latestPerId(jobs: Job[]): Job[] {
  const byId = new Map<string, Job>();
  for (const j of jobs) {
    const seen = byId.get(j.id);
    if (!seen || (j.submitTime ?? '') >= (seen.submitTime ?? '')) byId.set(j.id, j);
  }
  return [...byId.values()];
}
