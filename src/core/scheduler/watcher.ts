/**
 * Watches the user's jobs on each host with as little load on the controller as possible:
 *
 * - one batched `list(user)` (squeue) per host per cycle, whatever the number of jobs;
 * - every 30 s while the view is visible and things change; doubling up to 5 min while the
 *   view is hidden or nothing changes; ±10 % jitter so many windows do not poll in step;
 * - no polling at all while the view is hidden and no job is active;
 * - jobs that leave the queue get their final state from one `finalState(ids)` (sacct) call;
 * - an unreachable controller is reported once (`degraded`), polled with backoff, and
 *   reported once more when it answers again (`recovered`).
 *
 * Pure logic: the clock and the scheduler are injected, so the state machine is unit-tested
 * with a fake clock.
 */
import type { Disposable } from '../cancel';
import { silentLogger, tagged, type Logger } from '../log';
import { isTerminal, type Job, type Scheduler } from './types';
import { taskInSet } from './formats';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface WatcherOptions {
  /** Poll interval while visible and changing (default 30 s). */
  intervalMs?: number;
  /** Longest interval when hidden, unchanged or failing (default 5 min). */
  maxIntervalMs?: number;
  /** Relative jitter on every delay (default 0.1 = ±10 %). */
  jitter?: number;
  random?: () => number;
  clock?: Clock;
  log?: Logger;
  /** Accounting lookback for final states (default 7 days). */
  finalStateDays?: number;
  /** Cycles to wait for accounting to report a terminal state before giving up (default 10). */
  finalStateAttempts?: number;
  /** Finished jobs kept per host for `recent()` (default 100). */
  keepFinished?: number;
}

export type WatchedScheduler = Pick<Scheduler, 'list' | 'finalState'>;

export interface WatcherEvents {
  /** The active job list of a host changed (ids, states, reasons, nodes…). */
  changed: (host: string, jobs: Job[]) => void;
  /** A job reached a terminal state (from accounting where possible: exit code included). */
  finished: (host: string, job: Job) => void;
  /** The host's scheduler stopped answering (emitted once per outage). */
  degraded: (host: string, error: Error) => void;
  recovered: (host: string) => void;
}

interface Awaiting {
  last?: Job;
  attempts: number;
}

interface HostState {
  host: string;
  scheduler: WatchedScheduler;
  user: string;
  jobs: Map<string, Job>;
  signature: string | undefined;
  intervalMs: number;
  timer: unknown;
  timerDue: number;
  inFlight: Promise<void> | undefined;
  again: Promise<void> | undefined;
  degraded: Error | undefined;
  failures: number;
  lastPoll: number;
  awaiting: Map<string, Awaiting>;
  expected: Set<string>;
  finished: Job[];
  /** Ids already reported finished (a job is reported once, however it was learnt). */
  reported: Set<string>;
  removed: boolean;
}

/** The array parent of a task id (`123_4` → `123`), from the job when known. */
function parentOf(id: string, last?: Job): string | undefined {
  return last?.arrayJobId ?? /^(\d+)_\d+$/.exec(id)?.[1];
}

export class JobWatcher implements Disposable {
  private readonly hosts = new Map<string, HostState>();
  private readonly listeners: { [E in keyof WatcherEvents]: Set<WatcherEvents[E]> } = {
    changed: new Set(),
    finished: new Set(),
    degraded: new Set(),
    recovered: new Set(),
  };
  private visible = false;
  private disposed = false;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly base: number;
  private readonly max: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly opts: WatcherOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.log = tagged(opts.log ?? silentLogger, 'jobs');
    this.base = opts.intervalMs ?? 30_000;
    this.max = Math.max(this.base, opts.maxIntervalMs ?? 300_000);
    this.jitter = opts.jitter ?? 0.1;
    this.random = opts.random ?? Math.random;
  }

  on<E extends keyof WatcherEvents>(event: E, listener: WatcherEvents[E]): Disposable {
    this.listeners[event].add(listener);
    return { dispose: () => this.listeners[event].delete(listener) };
  }

  /** Starts watching a host (polls at once when the view is visible). */
  addHost(host: string, scheduler: WatchedScheduler, user: string): void {
    if (this.hosts.has(host)) this.removeHost(host);
    const s: HostState = {
      host,
      scheduler,
      user,
      jobs: new Map(),
      signature: undefined,
      intervalMs: this.base,
      timer: undefined,
      timerDue: 0,
      inFlight: undefined,
      again: undefined,
      degraded: undefined,
      failures: 0,
      lastPoll: -Infinity,
      awaiting: new Map(),
      expected: new Set(),
      finished: [],
      reported: new Set(),
      removed: false,
    };
    this.hosts.set(host, s);
    if (this.visible) this.schedule(s, 0);
  }

  removeHost(host: string): void {
    const s = this.hosts.get(host);
    if (!s) return;
    s.removed = true;
    this.clearTimer(s);
    this.hosts.delete(host);
  }

  /** The view showing jobs became visible or hidden. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (!visible) return;
    for (const s of this.hosts.values()) {
      s.intervalMs = this.base;
      const due = Math.max(0, s.lastPoll + this.base - this.clock.now());
      if (s.timer === undefined || s.timerDue > this.clock.now() + due) this.schedule(s, due);
    }
  }

  get isVisible(): boolean {
    return this.visible;
  }

  /** Jobs just submitted: watched even while hidden, and their end is reported even if never seen queued. */
  track(host: string, ids: string[]): Promise<void> {
    const s = this.hosts.get(host);
    if (!s) return Promise.resolve();
    for (const id of ids) if (!s.jobs.has(id)) s.expected.add(id);
    return this.refreshNow(host);
  }

  /** Polls now (after submit, cancel…) and resets the interval. Resolves when the poll is done. */
  refreshNow(host?: string): Promise<void> {
    const targets = host === undefined ? [...this.hosts.values()] : [this.hosts.get(host)].filter((s): s is HostState => !!s);
    return Promise.all(
      targets.map((s) => {
        s.intervalMs = this.base;
        s.failures = 0;
        return this.pollSoon(s);
      }),
    ).then(() => undefined);
  }

  jobs(host: string): Job[] {
    return [...(this.hosts.get(host)?.jobs.values() ?? [])];
  }

  /** Jobs seen finishing since the host was added, newest first. */
  recent(host: string): Job[] {
    return [...(this.hosts.get(host)?.finished ?? [])];
  }

  degradedError(host: string): Error | undefined {
    return this.hosts.get(host)?.degraded;
  }

  /** When the next poll of `host` is due (ms since epoch on the clock), or undefined when idle. */
  nextPollAt(host: string): number | undefined {
    const s = this.hosts.get(host);
    return s?.timer === undefined ? undefined : s.timerDue;
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.hosts.values()) {
      s.removed = true;
      this.clearTimer(s);
    }
    this.hosts.clear();
    for (const set of Object.values(this.listeners)) set.clear();
  }

  // --- internals -------------------------------------------------------------------------

  private pollSoon(s: HostState): Promise<void> {
    this.clearTimer(s);
    if (s.inFlight) {
      // A poll that started before the caller's action may miss it: run one more after it.
      s.again ??= s.inFlight.then(() => {
        s.again = undefined;
        return this.poll(s);
      });
      return s.again;
    }
    return this.poll(s);
  }

  private poll(s: HostState): Promise<void> {
    if (s.inFlight) return s.inFlight;
    this.clearTimer(s);
    const p = this.cycle(s).finally(() => {
      s.inFlight = undefined;
    });
    s.inFlight = p;
    return p;
  }

  private async cycle(s: HostState): Promise<void> {
    if (s.removed || this.disposed) return;
    s.lastPoll = this.clock.now();
    let listed: Job[];
    try {
      listed = await s.scheduler.list(s.user);
    } catch (e) {
      if (s.removed || this.disposed) return;
      const err = e instanceof Error ? e : new Error(String(e));
      s.failures++;
      if (!s.degraded) {
        s.degraded = err;
        this.log.warn(`${s.host}: job list failed, backing off: ${err.message}`);
        this.emit('degraded', s.host, err);
      } else {
        this.log.debug(`${s.host}: job list still failing (${s.failures}): ${err.message}`);
      }
      if (!s.again) this.schedule(s, Math.min(this.max, this.base * 2 ** (s.failures - 1)));
      return;
    }
    if (s.removed || this.disposed) return;
    if (s.degraded) {
      s.degraded = undefined;
      this.log.info(`${s.host}: job list answers again`);
      this.emit('recovered', s.host);
    }
    s.failures = 0;

    const previous = s.jobs;
    const next = new Map<string, Job>();
    const listedIds = new Set(listed.map((j) => j.id));
    for (const job of listed) {
      s.expected.delete(job.id);
      s.awaiting.delete(job.id);
      // A tracked array id is seen once any of its tasks is listed; the tasks are followed from here.
      if (job.arrayJobId !== undefined) {
        s.expected.delete(job.arrayJobId);
        if (!s.awaiting.get(job.arrayJobId)?.last) s.awaiting.delete(job.arrayJobId);
      }
      if (isTerminal(job.state)) {
        // Some schedulers keep finished jobs listed for a while: report them once.
        if (!previous.has(job.id) || !isTerminal(previous.get(job.id)?.state ?? 'UNKNOWN')) this.finish(s, job);
        continue;
      }
      next.set(job.id, job);
    }
    for (const [id, job] of previous) if (!listedIds.has(id)) s.awaiting.set(id, { last: job, attempts: 0 });
    for (const id of s.expected) s.awaiting.set(id, s.awaiting.get(id) ?? { attempts: 0 });
    s.expected.clear();
    s.jobs = next;

    const signature = [...next.values()]
      .map((j) => [j.id, j.state, j.reason, j.nodes, j.name, j.partition, j.priority ?? '', j.comment].join('\u0000'))
      .sort()
      .join('\n');
    const changed = signature !== s.signature;
    s.signature = signature;
    if (changed) this.emit('changed', s.host, [...next.values()]);

    if (s.awaiting.size > 0) await this.resolveFinal(s);
    if (s.removed || this.disposed) return;

    if (s.again) return; // a follow-up poll is already queued; it schedules
    if (this.visible && changed) s.intervalMs = this.base;
    else s.intervalMs = Math.min(this.max, Math.max(this.base, s.intervalMs * 2));
    const active = s.jobs.size > 0 || s.awaiting.size > 0 || s.expected.size > 0;
    if (!this.visible && !active) {
      this.log.debug(`${s.host}: hidden and nothing active: polling stops`);
      return;
    }
    this.schedule(s, s.awaiting.size > 0 ? this.base : s.intervalMs);
  }

  private async resolveFinal(s: HostState): Promise<void> {
    const ids = [...s.awaiting.keys()];
    // Array tasks are asked for through their parent: one id for all of them, and the
    // siblings' records tell what happened to a task that left none (see below).
    const query = new Set<string>();
    for (const id of ids) query.add(parentOf(id, s.awaiting.get(id)?.last) ?? id);
    let records: Job[];
    try {
      records = await s.scheduler.finalState([...query], this.opts.finalStateDays);
    } catch (e) {
      this.log.warn(`${s.host}: final states unavailable: ${(e as Error).message}`);
      records = [];
    }
    if (s.removed || this.disposed) return;
    const byId = new Map(records.map((r) => [r.id, r]));
    const limit = this.opts.finalStateAttempts ?? 10;

    const resolved = new Map<string, Job[]>();
    for (const id of ids) {
      const a = s.awaiting.get(id) as Awaiting;
      const task = /^(\d+)_(\d+)$/.exec(id);
      let rec = byId.get(id);
      if (!rec && task) {
        // Tasks that never started are one record for the lot: `123_[4-9]`.
        const group = records.find((r) => r.arrayJobId === task[1] && r.arrayTaskId?.startsWith('[') && taskInSet(r.arrayTaskId, task[2] as string));
        if (group) rec = { ...group, id, arrayTaskId: task[2] as string };
        else if (a.attempts >= 2 && a.last?.state === 'PENDING' && records.some((r) => r.arrayJobId === task[1])) {
          // A pending task cancelled on its own leaves no accounting record at all (22.05),
          // while its siblings have theirs. Only after a few cycles: accounting also lags.
          rec = { ...a.last, state: 'CANCELLED', rawState: 'CANCELLED', reason: 'cancelled while pending (no accounting record)' };
        }
      }
      if (rec && isTerminal(rec.state)) {
        // Accounting may store names and comments lossily (quotes → backquotes, non-ASCII → '?'
        // in a latin1 database): keep what the queue showed when there is something.
        const last = a.last;
        resolved.set(id, [last ? { ...last, ...rec, id, name: last.name, comment: last.comment || rec.comment, tags: last.tags.length ? last.tags : rec.tags, workDir: last.workDir || rec.workDir } : { ...rec, id }]);
        continue;
      }
      if (!task && !a.last) {
        // A tracked array id whose tasks were never seen queued: report each task from accounting.
        const tasks = records.filter((r) => r.arrayJobId === id && !r.arrayTaskId?.startsWith('[') && !s.reported.has(r.id));
        if (tasks.length > 0 && tasks.every((t) => isTerminal(t.state))) {
          resolved.set(id, tasks);
          continue;
        }
      }
    }

    // Tasks of one array that left the queue together are reported together (one notice per
    // array), so a task whose record lags holds its siblings back — up to the attempt limit.
    const waiting = new Set(ids.filter((id) => !resolved.has(id)).map((id) => parentOf(id, s.awaiting.get(id)?.last)).filter((p): p is string => !!p));
    for (const id of ids) {
      const a = s.awaiting.get(id) as Awaiting;
      const jobs = resolved.get(id);
      const parent = parentOf(id, a.last);
      if (jobs && !(parent && waiting.has(parent) && a.attempts + 1 < limit)) {
        s.awaiting.delete(id);
        for (const j of jobs) this.finish(s, j);
        continue;
      }
      // Not in accounting yet, or still active there (lag, requeue): try again next cycle.
      a.attempts++;
      if (a.attempts >= limit) {
        s.awaiting.delete(id);
        this.log.warn(`${s.host}: no final state for job ${id} after ${a.attempts} tries`);
        if (jobs) for (const j of jobs) this.finish(s, j);
        else if (a.last) this.finish(s, { ...a.last, state: 'UNKNOWN', rawState: byId.get(id)?.rawState ?? 'UNKNOWN' });
      }
    }
  }

  private finish(s: HostState, job: Job): void {
    if (s.reported.has(job.id)) return;
    s.reported.add(job.id);
    if (s.reported.size > 5000) s.reported.delete(s.reported.values().next().value as string);
    s.finished.unshift(job);
    s.finished.length = Math.min(s.finished.length, this.opts.keepFinished ?? 100);
    this.emit('finished', s.host, job);
  }

  private schedule(s: HostState, delayMs: number): void {
    this.clearTimer(s);
    if (s.removed || this.disposed) return;
    const j = delayMs === 0 ? 0 : delayMs * this.jitter * (this.random() * 2 - 1);
    const delay = Math.max(0, Math.round(delayMs + j));
    s.timerDue = this.clock.now() + delay;
    s.timer = this.clock.setTimeout(() => {
      s.timer = undefined;
      void this.poll(s);
    }, delay);
  }

  private clearTimer(s: HostState): void {
    if (s.timer !== undefined) this.clock.clearTimeout(s.timer);
    s.timer = undefined;
  }

  private emit<E extends keyof WatcherEvents>(event: E, ...args: Parameters<WatcherEvents[E]>): void {
    for (const l of [...this.listeners[event]]) {
      try {
        (l as (...a: Parameters<WatcherEvents[E]>) => void)(...args);
      } catch (e) {
        this.log.error(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}
