/**
 * The scheduler of a host that offers none: no
 * jobs to list, and every action refused with a `not-found` SchedulerError that says so, the way
 * a missing `sbatch` is reported, so callers fall back (previews run on the login node) or show
 * the reason. Files, previews and the host pool do not need a scheduler. No `vscode`.
 */
import { SchedulerError, SpecError } from '../scheduler/command';
import type { BatchScriptFormat, ControllerStatus, Job, JobDetails, OutputPaths, Scheduler, ScriptDirectives, SubmitResult } from '../scheduler/types';

export class NoScheduler implements Scheduler {
  constructor(
    readonly kind: string,
    /** Why there is none, e.g. `no sbatch, qsub or qstat on the PATH`. */
    private readonly why: string,
    /** How scripts are previewed meanwhile (the default scheduler's directives). */
    private readonly format: BatchScriptFormat,
  ) {}

  private refuse(): Promise<never> {
    return Promise.reject(new SchedulerError(`No batch scheduler here: ${this.why}`, 'not-found', 'sbatch or qsub', null, ''));
  }

  submit(): Promise<SubmitResult> {
    return this.refuse();
  }
  async list(): Promise<Job[]> {
    return [];
  }
  async history(): Promise<Job[]> {
    return [];
  }
  async finalState(): Promise<Job[]> {
    return [];
  }
  details(): Promise<JobDetails> {
    return this.refuse();
  }
  outputPaths(): Promise<OutputPaths> {
    return this.refuse();
  }
  cancel(): Promise<void> {
    return this.refuse();
  }
  hold(): Promise<void> {
    return this.refuse();
  }
  release(): Promise<void> {
    return this.refuse();
  }
  requeue(): Promise<void> {
    return this.refuse();
  }
  ping(): Promise<ControllerStatus> {
    return this.refuse();
  }
  expandNodeList(nodes: string): string[] {
    return nodes.split(',').filter(Boolean);
  }
  attachCommand(): string[] {
    throw new SpecError(`No batch scheduler here: ${this.why}`);
  }
  readDirectives(script: string): ScriptDirectives {
    return this.format.readDirectives(script);
  }
  writeDirectives(options: Parameters<BatchScriptFormat['writeDirectives']>[0]): string[] {
    return this.format.writeDirectives(options);
  }
  checkTimeLimit(text: string): string | undefined {
    return this.format.checkTimeLimit(text);
  }
}
