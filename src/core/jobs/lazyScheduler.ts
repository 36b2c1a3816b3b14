/**
 * A host's {@link Scheduler} before anyone knows which one the host runs: every command first
 * waits for the answer (the factory's one probe per host, cached), then goes to that scheduler;
 * the pure methods use the one known now (the probe's, else the configured default). Features
 * keep one object per host whatever the detection says. No `vscode`.
 */
import { SchedulerError, SpecError } from '../scheduler/command';
import type { JobEfficiency, JobUsage, Partition, BatchScriptFormat, CancelOptions, ControllerStatus, Job, JobDetails, JobSubmitSpec, OutputPaths, Scheduler, ScriptDirectives, SubmitResult, SubmittedScript } from '../scheduler/types';

export class LazyScheduler implements Scheduler {
  constructor(
    /** The host's scheduler once detected (one probe, shared by all callers). */
    private readonly resolve: () => Promise<Scheduler>,
    /** The best known now, for the pure methods. */
    private readonly current: () => Scheduler,
    /** Told of every job it submitted (what Resubmit sends again). */
    private readonly submitted?: (spec: JobSubmitSpec, result: SubmitResult) => void,
  ) {}

  get kind(): string {
    return this.current().kind;
  }

  async submit(spec: JobSubmitSpec): Promise<SubmitResult> {
    const result = await (await this.resolve()).submit(spec);
    this.submitted?.(spec, result);
    return result;
  }
  async list(user: string): Promise<Job[]> {
    return (await this.resolve()).list(user);
  }
  async history(sinceDays: number, user?: string): Promise<Job[]> {
    return (await this.resolve()).history(sinceDays, user);
  }
  async finalState(ids: string[], sinceDays?: number): Promise<Job[]> {
    return (await this.resolve()).finalState(ids, sinceDays);
  }
  async details(id: string): Promise<JobDetails> {
    return (await this.resolve()).details(id);
  }
  async outputPaths(id: string): Promise<OutputPaths> {
    return (await this.resolve()).outputPaths(id);
  }
  async cancel(ids: string[], opts?: CancelOptions): Promise<void> {
    return (await this.resolve()).cancel(ids, opts);
  }
  async hold(ids: string[]): Promise<void> {
    return (await this.resolve()).hold(ids);
  }
  async release(ids: string[]): Promise<void> {
    return (await this.resolve()).release(ids);
  }
  async requeue(ids: string[]): Promise<void> {
    return (await this.resolve()).requeue(ids);
  }
  async ping(): Promise<ControllerStatus> {
    return (await this.resolve()).ping();
  }
  // The optional methods: what the host's scheduler offers, else nothing (an empty answer).
  async usage(ids: string[]): Promise<JobUsage[]> {
    const s = await this.resolve();
    return s.usage ? s.usage(ids) : [];
  }
  async efficiency(ids: string[]): Promise<JobEfficiency[]> {
    const s = await this.resolve();
    return s.efficiency ? s.efficiency(ids) : [];
  }
  async partitions(): Promise<Partition[]> {
    const s = await this.resolve();
    return s.partitions ? s.partitions() : [];
  }
  async batchScript(id: string): Promise<SubmittedScript> {
    const s = await this.resolve();
    if (!s.batchScript) throw new SchedulerError(`${s.kind}: the scheduler does not give batch scripts back`, 'invalid-job', s.kind, null, '');
    return s.batchScript(id);
  }
  interactiveCommand(options: Parameters<NonNullable<Scheduler['interactiveCommand']>>[0], command: readonly string[]): string[] {
    const s = this.current();
    if (!s.interactiveCommand) throw new SpecError(`${s.kind}: no interactive sessions here`);
    return s.interactiveCommand(options, command);
  }
  expandNodeList(nodes: string): string[] {
    return this.current().expandNodeList(nodes);
  }
  attachCommand(jobId: string, command: readonly string[], opts?: { node?: string }): string[] {
    return this.current().attachCommand(jobId, command, opts);
  }
  get chdirDirective(): boolean | undefined {
    return this.current().chdirDirective;
  }
  readDirectives(script: string): ScriptDirectives {
    return this.current().readDirectives(script);
  }
  writeDirectives(options: Parameters<BatchScriptFormat['writeDirectives']>[0]): string[] {
    return this.current().writeDirectives(options);
  }
  checkTimeLimit(text: string): string | undefined {
    return this.current().checkTimeLimit(text);
  }
}
