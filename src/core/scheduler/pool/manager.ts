/**
 * glimpse's Manager for N jobs over M hosts × slots, no scheduler: each queued job goes to a free
 * slot (its files copied, then started detached, commands.ts), one status command per host per
 * poll finds the ones that ended; a host whose commands fail is marked `error` and its jobs go back
 * to the front of the queue for the other hosts (a new attempt, in a new folder). Everything a new
 * controller needs to reattach is in {@link PoolRunState} (plain JSON: saved by the caller) and on
 * the hosts. Events (launch, done, error, retry, cancel) are kept per run. No `vscode`.
 */
import { runCommand, SchedulerError, type CommandRunner, type SchedulerCommand } from '../command';
import { cancelCommand, copyCommand, jobFolder, launchCommand, statusCommand, type AttemptStatus } from './commands';
import { copiedName, type PoolJobSpec, type ResourceState } from '../poolSpec';

type PoolJobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface PoolAttempt {
  host: string;
  slot: number;
  dir: string;
  pid?: number;
  startedAt?: number;
  endedAt?: number;
  exitCode?: number;
  /** Why this attempt was given up (its host failed…). */
  lost?: string;
}

export interface PoolJobRecord extends PoolJobSpec {
  index: number;
  /** `<run>.<index>`. */
  id: string;
  state: PoolJobState;
  submittedAt: number;
  attempts: PoolAttempt[];
  cancelRequested?: boolean;
  reason?: string;
}

export interface PoolEvent {
  at: number;
  kind: 'launch' | 'done' | 'error' | 'retry' | 'cancel' | 'reattach';
  job?: string;
  host?: string;
  message: string;
}

export interface PoolHostRecord {
  name: string;
  error?: string;
  /** $HOME there, once a status command told it. */
  home?: string;
}

/** All a controller needs to pick a run up again. */
export interface PoolRunState {
  runId: string;
  pool: string;
  name: string;
  /** Where the job list's relative file names resolve (its folder), for launches after a reattach. */
  baseDir?: string;
  slotsPerHost: number;
  hosts: PoolHostRecord[];
  jobs: PoolJobRecord[];
  events: PoolEvent[];
  createdAt: number;
}

export interface PoolManagerOptions {
  runner(host: string): CommandRunner;
  /** Bytes of a local file of a job (resolved by the caller against the job list's folder). */
  readFile(path: string): Promise<Buffer>;
  now?(): number;
  /** Per-command timeout (default 30 s). */
  timeoutMs?: number;
  /** Attempts per job before it fails for good (default 3). */
  maxAttempts?: number;
  /** Called after every change (state to save, the view to refresh). */
  onChange?(state: PoolRunState): void;
  onEvent?(e: PoolEvent): void;
}

const MAX_EVENTS = 5_000;

/** A host that did not answer (transport) rather than a command that said no. */
function hostFailure(e: unknown): boolean {
  return !(e instanceof SchedulerError) || e.kind === 'timeout' || e.kind === 'unreachable' || e.code === 255;
}

export class PoolManager {
  private readonly now: () => number;
  private ticking: Promise<void> | undefined;
  /** Slots taken by a launch in progress, `host\0slot`. */
  private readonly launching = new Set<string>();
  /** Hosts seen since this controller started (restored slots stay `unknown` until then). */
  private readonly seen = new Set<string>();

  private constructor(
    readonly state: PoolRunState,
    private readonly o: PoolManagerOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  static create(run: { runId: string; pool: string; name: string; baseDir?: string; hosts: string[]; slotsPerHost: number; jobs: PoolJobSpec[] }, o: PoolManagerOptions): PoolManager {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(run.runId)) throw new Error(`Bad run id: ${run.runId}`);
    if (run.hosts.length === 0) throw new Error(`Pool "${run.pool}" has no hosts`);
    if (!Number.isInteger(run.slotsPerHost) || run.slotsPerHost < 1) throw new Error('slotsPerHost must be a whole number, at least 1');
    for (const j of run.jobs) for (const f of j.files) if (copiedName(f).error) throw new Error(copiedName(f).error);
    const now = (o.now ?? Date.now)();
    const state: PoolRunState = {
      runId: run.runId,
      pool: run.pool,
      name: run.name,
      ...(run.baseDir !== undefined ? { baseDir: run.baseDir } : {}),
      slotsPerHost: run.slotsPerHost,
      hosts: [...new Set(run.hosts)].map((name) => ({ name })),
      jobs: run.jobs.map((j, index) => ({ ...j, index, id: `${run.runId}.${index + 1}`, state: 'queued', submittedAt: now, attempts: [] })),
      events: [],
      createdAt: now,
    };
    return new PoolManager(state, o);
  }

  /** A run saved by an earlier controller: its running jobs are looked up on their hosts by the next {@link tick}. */
  static restore(state: PoolRunState, o: PoolManagerOptions): PoolManager {
    const m = new PoolManager(structuredClone(state), o);
    m.event({ kind: 'reattach', message: `reattached to run ${state.runId} (${m.state.jobs.filter((j) => j.state === 'running').length} running)` });
    return m;
  }

  get finished(): boolean {
    return this.state.jobs.every((j) => j.state !== 'queued' && j.state !== 'running');
  }

  /** The job running (or launching) in each slot of a host, by slot. */
  private occupants(host: string): Map<number, PoolJobRecord> {
    const m = new Map<number, PoolJobRecord>();
    for (const j of this.state.jobs) {
      const a = j.attempts.at(-1);
      if (j.state === 'running' && a && a.host === host) m.set(a.slot, j);
    }
    return m;
  }

  /** Each slot of each host: its state and job. */
  slots(): { host: string; slot: number; state: ResourceState; job?: string }[] {
    const out: { host: string; slot: number; state: ResourceState; job?: string }[] = [];
    for (const h of this.state.hosts) {
      const busy = this.occupants(h.name);
      for (let s = 0; s < this.state.slotsPerHost; s++) {
        const j = busy.get(s);
        const state: ResourceState = h.error ? 'error' : j ? (this.seen.has(h.name) ? 'busy' : 'unknown') : this.finished ? 'done' : 'free';
        out.push({ host: h.name, slot: s, state, ...(j ? { job: j.id } : {}) });
      }
    }
    return out;
  }

  /** A host's state: error, busy (a slot is), unknown (not asked since reattaching), done, free. */
  hostState(host: string): ResourceState {
    const h = this.state.hosts.find((x) => x.name === host);
    if (!h) return 'unknown';
    if (h.error) return 'error';
    const states = this.slots().filter((s) => s.host === host).map((s) => s.state);
    for (const s of ['unknown', 'busy', 'done'] as const) if (states.includes(s)) return s;
    return 'free';
  }

  job(id: string): PoolJobRecord | undefined {
    return this.state.jobs.find((j) => j.id === id);
  }

  /**
   * One round: every host with running jobs polled (one command each), ended jobs recorded,
   * failed hosts marked and their jobs queued again, then free slots filled. Concurrent calls
   * share the round in progress.
   */
  tick(): Promise<void> {
    this.ticking ??= this.round().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async round(): Promise<void> {
    await Promise.all(this.state.hosts.filter((h) => !h.error).map((h) => this.poll(h)));
    this.giveUpWithoutHosts();
    await this.dispatch();
    this.changed();
  }

  private async poll(h: PoolHostRecord): Promise<void> {
    const running = [...this.occupants(h.name).values()];
    if (running.length === 0 && this.seen.has(h.name)) return;
    let status;
    try {
      status = await this.run(h.name, statusCommand(running.map((j) => (j.attempts.at(-1) as PoolAttempt).dir)));
    } catch (e) {
      if (hostFailure(e)) return this.hostFailed(h, e as Error);
      throw e;
    }
    this.seen.add(h.name);
    h.home = status.home;
    for (const j of running) {
      const a = j.attempts.at(-1) as PoolAttempt;
      const st = status.attempts.get(a.dir);
      if (st) this.update(j, a, st);
    }
  }

  private update(j: PoolJobRecord, a: PoolAttempt, st: AttemptStatus): void {
    if (st.pid !== undefined) a.pid = st.pid;
    if (st.startedAt !== undefined) a.startedAt = st.startedAt;
    if (st.exitCode === undefined && st.alive) return;
    if (st.endedAt !== undefined) a.endedAt = st.endedAt;
    if (st.exitCode !== undefined) a.exitCode = st.exitCode;
    else a.endedAt ??= this.now();
    if (st.cancelled || j.cancelRequested) {
      j.state = 'cancelled';
      j.reason = 'cancelled';
    } else if (st.exitCode === 0) j.state = 'completed';
    else {
      j.state = 'failed';
      j.reason = st.exitCode === undefined ? 'the job vanished without an exit code' : `exit code ${st.exitCode}`;
    }
    this.event({ kind: 'done', job: j.id, host: a.host, message: `${j.name} ${j.state}${st.exitCode !== undefined ? ` (exit ${st.exitCode})` : ''} on ${a.host} slot ${a.slot + 1}` });
  }

  private hostFailed(h: PoolHostRecord, e: Error): void {
    if (h.error) return;
    h.error = e.message.split('\n')[0] || 'unreachable';
    this.event({ kind: 'error', host: h.name, message: `${h.name} failed: ${h.error}` });
    for (const j of this.occupants(h.name).values()) this.requeue(j, `host ${h.name} failed`);
  }

  /** Back to the front of the queue, or failed once out of attempts. */
  private requeue(j: PoolJobRecord, why: string): void {
    const a = j.attempts.at(-1);
    if (a) a.lost = why;
    if (j.cancelRequested) {
      j.state = 'cancelled';
      j.reason = 'cancelled';
      return;
    }
    if (j.attempts.length >= (this.o.maxAttempts ?? 3)) {
      j.state = 'failed';
      j.reason = `${why}; gave up after ${j.attempts.length} attempts`;
      this.event({ kind: 'done', job: j.id, message: `${j.name} failed: ${j.reason}` });
      return;
    }
    j.state = 'queued';
    j.reason = why;
    this.event({ kind: 'retry', job: j.id, ...(a ? { host: a.host } : {}), message: `${j.name} queued again (${why})` });
  }

  private giveUpWithoutHosts(): void {
    if (this.state.hosts.some((h) => !h.error)) return;
    for (const j of this.state.jobs)
      if (j.state === 'queued') {
        j.state = 'failed';
        j.reason = 'every host of the pool failed';
      }
  }

  private async dispatch(): Promise<void> {
    const queue = this.state.jobs.filter((j) => j.state === 'queued' && !j.cancelRequested);
    // Retried jobs first (they waited longest), then in order.
    queue.sort((x, y) => y.attempts.length - x.attempts.length || x.index - y.index);
    const launches: Promise<void>[] = [];
    // Round-robin over hosts so a run spreads out from the start.
    const free = this.freeSlots();
    for (const slot of free) {
      const j = queue.shift();
      if (!j) break;
      launches.push(this.launch(j, slot.host, slot.slot));
    }
    await Promise.all(launches);
  }

  private freeSlots(): { host: string; slot: number }[] {
    const perHost = this.state.hosts
      .filter((h) => !h.error && this.seen.has(h.name))
      .map((h) => {
        const busy = this.occupants(h.name);
        const slots: { host: string; slot: number }[] = [];
        for (let s = 0; s < this.state.slotsPerHost; s++) if (!busy.has(s) && !this.launching.has(`${h.name}\0${s}`)) slots.push({ host: h.name, slot: s });
        return slots;
      });
    const out: { host: string; slot: number }[] = [];
    for (let i = 0; i < this.state.slotsPerHost; i++) for (const slots of perHost) if (slots[i]) out.push(slots[i] as { host: string; slot: number });
    return out;
  }

  private async launch(j: PoolJobRecord, host: string, slot: number): Promise<void> {
    const a: PoolAttempt = { host, slot, dir: jobFolder(this.state.runId, j.index + 1, j.attempts.length + 1) };
    j.attempts.push(a);
    j.state = 'running';
    const key = `${host}\0${slot}`;
    this.launching.add(key);
    let data: Buffer[];
    try {
      data = await Promise.all(j.files.map((f) => this.o.readFile(f)));
    } catch (e) {
      // A local file that cannot be read fails the job, not the host.
      this.launching.delete(key);
      a.lost = `cannot read its files: ${(e as Error).message}`;
      j.state = 'failed';
      j.reason = a.lost;
      this.event({ kind: 'done', job: j.id, message: `${j.name} failed: ${j.reason}` });
      return;
    }
    try {
      for (const [i, f] of j.files.entries()) await this.run(host, { ...copyCommand(a.dir, copiedName(f).name as string), stdin: data[i] as Buffer });
      a.pid = await this.run(host, launchCommand({ dir: a.dir, jobId: j.id, repeatIndex: j.repeatIndex, argv: j.argv }));
      this.event({ kind: 'launch', job: j.id, host, message: `${j.name} launched on ${host} slot ${slot + 1} (pid ${a.pid})` });
    } catch (e) {
      const h = this.state.hosts.find((x) => x.name === host) as PoolHostRecord;
      if (hostFailure(e)) this.hostFailed(h, e as Error);
      else this.requeue(j, `launch failed on ${host}: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      this.launching.delete(key);
    }
  }

  /** Cancels jobs: queued ones leave the queue; running ones get a TERM to their process group. */
  async cancel(ids: readonly string[]): Promise<void> {
    const work: Promise<void>[] = [];
    for (const id of ids) {
      const j = this.job(id);
      if (!j || j.state === 'completed' || j.state === 'failed' || j.state === 'cancelled') continue;
      j.cancelRequested = true;
      this.event({ kind: 'cancel', job: j.id, message: `${j.name} cancelled` });
      if (j.state === 'queued') {
        j.state = 'cancelled';
        j.reason = 'cancelled';
        continue;
      }
      const a = j.attempts.at(-1) as PoolAttempt;
      work.push(this.run(a.host, cancelCommand(a.dir)));
    }
    await Promise.all(work);
    this.changed();
  }

  /** Absolute stdout/stderr of a job's latest attempt (once its host told its $HOME). */
  outputPaths(id: string): { host: string; stdout: string; stderr: string } | undefined {
    const a = this.job(id)?.attempts.at(-1);
    const home = a && this.state.hosts.find((h) => h.name === a.host)?.home;
    if (!a || !home) return undefined;
    const base = `${home.replace(/\/+$/, '')}/${a.dir}`;
    return { host: a.host, stdout: `${base}/stdout`, stderr: `${base}/stderr` };
  }

  /** The event log as text, one line per event. */
  eventLog(): string {
    return this.state.events.map((e) => `${new Date(e.at).toISOString()} ${e.kind.padEnd(8)} ${e.message}\n`).join('');
  }

  private run<T>(host: string, cmd: SchedulerCommand<T>): Promise<T> {
    return runCommand(this.o.runner(host), cmd, {
      timeoutMs: this.o.timeoutMs ?? 30_000,
      classify: (command, code, output) => new SchedulerError(`${host}: ${output.split('\n')[0] || `exit code ${code}`}`, code === 255 ? 'unreachable' : 'rejected', command, code, output),
    });
  }

  private event(e: Omit<PoolEvent, 'at'>): void {
    const ev = { at: this.now(), ...e };
    this.state.events.push(ev);
    if (this.state.events.length > MAX_EVENTS) this.state.events.splice(0, this.state.events.length - MAX_EVENTS);
    this.o.onEvent?.(ev);
  }

  private changed(): void {
    this.o.onChange?.(this.state);
  }
}
