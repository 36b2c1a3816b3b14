/**
 * Every pool run this profile knows: the live PoolManagers, their rounds (every `pollMs` while a
 * run started here is unfinished; a run restored from the store starts its rounds only once asked
 * — the Jobs view lists the pool — so nothing connects on activation), their saved state and
 * event logs. One PoolScheduler per pool reads from here. No `vscode`.
 */
import { Emitter } from '../../event';
import { silentLogger, tagged, type Logger } from '../../log';
import type { CommandRunner } from '../command';
import type { PoolConfig, PoolHostView, PoolJobSpec, PoolService } from '../poolSpec';
import { PoolManager, type PoolRunState } from './manager';

/** Where runs are kept between sessions (workspace or global state, a file…). */
interface PoolStore {
  load(): PoolRunState[];
  save(runs: PoolRunState[]): void;
  /** Writes a run's event log where the user can open it; returns its location. */
  saveLog?(runId: string, text: string): void;
}

export interface PoolRunsOptions {
  runner(host: string): CommandRunner;
  /** Bytes of a job's local file, `file` as the job list names it, relative to `baseDir` (the list's folder, a URI or path). */
  readFile(file: string, baseDir: string | undefined): Promise<Buffer>;
  config(pool: string): PoolConfig | undefined;
  store: PoolStore;
  log?: Logger;
  /** Between rounds of a running run (default 3 s). */
  pollMs?: number;
  /** Finished runs kept (default 20). */
  keepRuns?: number;
  now?(): number;
}

export class PoolRuns implements PoolService {
  private readonly managers = new Map<string, PoolManager>();
  /** Runs whose rounds go on by themselves. */
  private readonly live = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly changes = new Emitter<void>();
  private readonly log: Logger;
  private disposed = false;

  constructor(private readonly o: PoolRunsOptions) {
    this.log = tagged(o.log ?? silentLogger, 'pool');
    for (const s of o.store.load()) {
      try {
        this.managers.set(s.runId, PoolManager.restore(s, this.managerOptions(s.baseDir)));
      } catch (e) {
        this.log.warn(`pool run ${s.runId} not restored: ${(e as Error).message}`);
      }
    }
  }

  readonly onDidChange = (listener: () => void) => this.changes.event(listener);

  private managerOptions(baseDir?: string) {
    return {
      runner: (h: string) => this.o.runner(h),
      readFile: (p: string) => this.o.readFile(p, baseDir),
      onChange: () => this.changed(),
      onEvent: (e: { kind: string; message: string }) => (e.kind === 'error' || e.kind === 'retry' ? this.log.warn(e.message) : this.log.info(e.message)),
      ...(this.o.now ? { now: this.o.now } : {}),
    };
  }

  async start(run: { pool: string; name: string; jobs: PoolJobSpec[]; baseDir?: string }): Promise<string> {
    const config = this.o.config(run.pool);
    if (!config) throw new Error(`No pool "${run.pool}" in remoteHpc.pools`);
    const now = (this.o.now ?? Date.now)();
    let runId = `p${now.toString(36)}`;
    while (this.managers.has(runId)) runId += 'x';
    const m = PoolManager.create({ runId, pool: run.pool, name: run.name, ...(run.baseDir !== undefined ? { baseDir: run.baseDir } : {}), hosts: config.hosts, slotsPerHost: config.slotsPerHost, jobs: run.jobs }, this.managerOptions(run.baseDir));
    this.managers.set(runId, m);
    this.live.add(runId);
    this.prune();
    this.log.info(`run ${runId} on pool ${run.pool}: ${run.jobs.length} jobs over ${config.hosts.length} hosts × ${config.slotsPerHost} slots`);
    await m.tick();
    this.schedule();
    return runId;
  }

  /**
   * The Jobs view lists `pool`: restored runs that are not going yet get their first round now and
   * carry on by themselves; runs already going are left to their own rounds (listing is free).
   */
  async attach(pool: string): Promise<void> {
    const waiting = [...this.managers.values()].filter((m) => m.state.pool === pool && !m.finished && !this.live.has(m.state.runId));
    if (waiting.length) await this.poll(pool);
  }

  /** One round of every unfinished run of `pool` now; restored runs carry on by themselves from here. */
  async poll(pool: string): Promise<void> {
    const runs = [...this.managers.values()].filter((m) => m.state.pool === pool && !m.finished);
    for (const m of runs) this.live.add(m.state.runId);
    await Promise.all(runs.map((m) => m.tick().catch((e: Error) => this.log.warn(`run ${m.state.runId}: ${e.message}`))));
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    const due = [...this.live].filter((id) => !this.managers.get(id)?.finished);
    if (due.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void Promise.all(due.map((id) => this.managers.get(id)?.tick().catch((e: Error) => this.log.warn(`run ${id}: ${e.message}`)))).finally(() => this.schedule());
    }, this.o.pollMs ?? 3000);
  }

  managersOf(pool: string): PoolManager[] {
    return [...this.managers.values()].filter((m) => m.state.pool === pool).sort((a, b) => b.state.createdAt - a.state.createdAt);
  }

  manager(runId: string): PoolManager | undefined {
    return this.managers.get(runId);
  }

  /** The run a job id (`<run>.<n>`) belongs to. */
  managerOfJob(id: string): PoolManager | undefined {
    return this.managers.get(id.slice(0, id.lastIndexOf('.')));
  }

  pools(): string[] {
    return [...new Set([...this.managers.values()].map((m) => m.state.pool))].sort();
  }

  runs(pool: string) {
    return this.managersOf(pool).map((m) => ({ runId: m.state.runId, name: m.state.name, finished: m.finished, createdAt: m.state.createdAt }));
  }

  hostViews(pool: string): PoolHostView[] {
    const all = this.managersOf(pool);
    const going = all.filter((m) => !m.finished);
    const shown = going.length ? going : all.slice(0, 1);
    const hosts = new Map<string, PoolHostView>();
    for (const m of shown)
      for (const h of m.state.hosts) {
        const v = hosts.get(h.name) ?? { host: h.name, state: m.hostState(h.name), slots: [] };
        if (h.error) v.error = h.error;
        const slots = m.slots().filter((s) => s.host === h.name);
        // Several runs at once share a host's slots in the view: a busy slot of any run counts.
        if (v.slots.length === 0) v.slots = slots.map((s) => ({ state: s.state, ...(s.job ? { job: s.job } : {}) }));
        else slots.forEach((s, i) => s.state === 'busy' && (v.slots[i] = { state: 'busy', ...(s.job ? { job: s.job } : {}) }));
        v.state = h.error ? 'error' : v.slots.some((s) => s.state === 'busy') ? 'busy' : v.state;
        hosts.set(h.name, v);
      }
    return [...hosts.values()];
  }

  eventLog(runId: string): string {
    return this.managers.get(runId)?.eventLog() ?? '';
  }

  hostOfPath(pool: string, p: string): string | undefined {
    for (const m of this.managersOf(pool))
      for (const j of m.state.jobs)
        for (const a of j.attempts) {
          const home = m.state.hosts.find((h) => h.name === a.host)?.home;
          if (home && p.startsWith(`${home.replace(/\/+$/, '')}/${a.dir}/`)) return a.host;
        }
    return undefined;
  }

  private prune(): void {
    const keep = this.o.keepRuns ?? 20;
    const finished = [...this.managers.values()].filter((m) => m.finished).sort((a, b) => b.state.createdAt - a.state.createdAt);
    for (const m of finished.slice(keep)) this.managers.delete(m.state.runId);
  }

  private changed(): void {
    if (this.disposed) return;
    const states = [...this.managers.values()].map((m) => m.state);
    this.o.store.save(states);
    for (const m of this.managers.values()) if (this.live.has(m.state.runId)) this.o.store.saveLog?.(m.state.runId, m.eventLog());
    this.changes.fire();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.changes.dispose();
  }
}
