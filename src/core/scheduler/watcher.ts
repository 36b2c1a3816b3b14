/**
 * Watches the user's jobs on each host with as little load on the controller as possible:
 *
 * - one batched `list(user)` (squeue) per host per cycle, whatever the number of jobs;
 * - a job somebody looks at is *watched*: every job while the view is visible, a job just
 *   submitted ({@link JobWatcher.track}) and a job whose end someone waits for
 *   ({@link JobWatcher.setWatched}, e.g. its output is tailed). While a watched job is active
 *   the host is polled every 10 s, backing off when nothing changes to at most 20 s — and not
 *   at all (10 s) while a watched job was just submitted or runs near or past its time limit;
 * - visible with nothing active: backing off to 1 min; hidden and nothing watched: only when
 *   jobs are active and their end would be announced ({@link JobWatcher.setNotifying}), backing
 *   off to 5 min; nothing at all otherwise; ±10 % jitter so many windows do not poll in step;
 * - never more than 6 scheduler commands per host in any minute (squeue and sacct, plus what
 *   {@link JobWatcher.noteQuery} is told about): a poll waits for room, keeping one for sacct;
 * - jobs that leave the queue get their final state from one `finalState(ids)` (sacct) call;
 * - an unreachable controller is reported once (`degraded`), polled with backoff but never less
 *   often than a healthy host would be (so its return is seen at the next poll), and
 *   reported once more when it answers again (`recovered`).
 *
 * Pure logic: the clock and the scheduler are injected, so the state machine is unit-tested
 * with a fake clock.
 */
import type { Disposable } from '../cancel';
import { silentLogger, tagged, type Logger } from '../log';
import { isTerminal, type Job, type Scheduler } from './types';
import { durationSeconds, taskInSet } from './formats';

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

/** How often to poll; every field has the default in {@link POLL_POLICY}. */
export interface PollPolicy {
  /** Poll interval while something is watched and changing. */
  intervalMs: number;
  /** Longest interval when nothing is watched (hidden, notifications on) or failing. */
  maxIntervalMs: number;
  /** Longest interval while a watched job is active. */
  watchedMaxMs: number;
  /** Longest interval while a watched job was just submitted or runs near / past its limit. */
  urgentMaxMs: number;
  /** Longest interval while the view is visible and nothing is active. */
  visibleIdleMaxMs: number;
  /** A tracked job is watched this long after it was submitted… */
  submitWatchMs: number;
  /** …and urgent this long. */
  submitUrgentMs: number;
  /** A running job is urgent this close to its time limit (and after it). */
  nearLimitMs: number;
  /** Scheduler commands per host in any 60 s (`Infinity`: no cap). */
  maxQueriesPerMinute: number;
}

const POLL_POLICY: PollPolicy = {
  intervalMs: 10_000,
  maxIntervalMs: 300_000,
  watchedMaxMs: 20_000,
  urgentMaxMs: 10_000,
  visibleIdleMaxMs: 60_000,
  submitWatchMs: 600_000,
  submitUrgentMs: 120_000,
  nearLimitMs: 60_000,
  maxQueriesPerMinute: 6,
};

/** The policy before issue 15 (30 s while visible and changing, else doubling to 5 min, no cap), for the bench. */
export const LEGACY_POLL_POLICY: PollPolicy = {
  ...POLL_POLICY,
  intervalMs: 30_000,
  watchedMaxMs: 300_000,
  urgentMaxMs: 300_000,
  visibleIdleMaxMs: 300_000,
  maxQueriesPerMinute: Infinity,
};

export interface WatcherOptions extends Partial<PollPolicy> {
  /** Relative jitter on every delay (default 0.1 = ±10 %). */
  jitter?: number;
  random?: () => number;
  clock?: Clock;
  log?: Logger;
  /** Accounting lookback for final states (default 7 days). */
  finalStateDays?: number;
  /** Cycles to wait for accounting to report a terminal state before giving up (default 10). */
  finalStateAttempts?: number;
  /**
   * And at least this long since the job left the queue (default 60 s): slurmdbd can lag the
   * controller by many seconds on a busy cluster, which a few fast cycles would not outlast.
   */
  finalStateWaitMs?: number;
  /** Finished jobs kept per host for `recent()` (default 100). */
  keepFinished?: number;
}

export type WatchedScheduler = Pick<Scheduler, 'list' | 'finalState' | 'listsLocally'>;

export interface WatcherEvents {
  /** The active job list of a host changed (ids, states, reasons, nodes…). */
  changed: (host: string, jobs: Job[]) => void;
  /** A job reached a terminal state (from accounting where possible: exit code included). */
  finished: (host: string, job: Job) => void;
  /** A list call answered at `at`; the next poll is planned `nextInMs` later (undefined: none planned). */
  polled: (host: string, at: number, nextInMs: number | undefined) => void;
  /** The host's scheduler stopped answering (emitted once per outage). */
  degraded: (host: string, error: Error) => void;
  recovered: (host: string) => void;
}

interface Awaiting {
  last?: Job;
  attempts: number;
  /** When the job left the queue (or was expected in it and was not seen). */
  since: number;
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
  /** Ids submitted through {@link JobWatcher.track}, with when. */
  tracked: Map<string, number>;
  /** When scheduler commands were issued in the last minute (for the per-minute cap). */
  queries: number[];
  /** Pacing: when the commands issued so far would have been spent at 60 s / cap each (a leaky bucket). */
  paceAt: number;
  /** Callers of a poll that waits for room under the cap. */
  waiters: (() => void)[];
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
    polled: new Set(),
    degraded: new Set(),
    recovered: new Set(),
  };
  private visible = false;
  private notifying = true;
  private disposed = false;
  /** Job ids someone waits on, per host (kept for hosts not added yet). */
  private readonly watchedIds = new Map<string, ReadonlySet<string>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly policy: PollPolicy;
  private readonly base: number;
  private readonly max: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly opts: WatcherOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.log = tagged(opts.log ?? silentLogger, 'jobs');
    const defined = Object.fromEntries(Object.entries(opts).filter(([k, v]) => k in POLL_POLICY && v !== undefined)) as Partial<PollPolicy>;
    this.policy = { ...POLL_POLICY, ...defined };
    this.base = this.policy.intervalMs;
    this.max = Math.max(this.base, this.policy.maxIntervalMs);
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
      tracked: new Map(),
      queries: [],
      paceAt: -Infinity,
      waiters: [],
      removed: false,
    };
    this.hosts.set(host, s);
    if (this.visible || this.watchedIds.get(host)?.size) this.schedule(s, 0);
  }

  removeHost(host: string): void {
    const s = this.hosts.get(host);
    if (!s) return;
    s.removed = true;
    this.clearTimer(s);
    this.hosts.delete(host);
    for (const w of s.waiters.splice(0)) w();
  }

  /**
   * The jobs of `host` whose end someone waits for (a tailed output): watched whether or not the
   * view is visible. A host that was idle polls soon to learn about them.
   */
  setWatched(host: string, ids: Iterable<string>): void {
    const set = new Set(ids);
    const before = this.watchedIds.get(host);
    if (set.size) this.watchedIds.set(host, set);
    else this.watchedIds.delete(host);
    const s = this.hosts.get(host);
    if (!s || s.inFlight || ![...set].some((id) => !before?.has(id))) return;
    s.intervalMs = this.base;
    if (s.timer === undefined || s.timerDue > this.clock.now() + this.base) this.schedule(s, Math.max(0, s.lastPoll + this.base - this.clock.now()));
  }

  /** Whether hidden, unwatched active jobs are polled at all (their end would be announced). */
  setNotifying(on: boolean): void {
    this.notifying = on;
  }

  /** Another scheduler command ran for `host` (history, details…): counted under the per-minute cap. */
  noteQuery(host: string): void {
    this.hosts.get(host)?.queries.push(this.clock.now());
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
    const now = this.clock.now();
    for (const id of ids) {
      if (!s.jobs.has(id)) s.expected.add(id);
      s.tracked.set(id, now);
    }
    return this.refreshNow(host);
  }

  /**
   * Polls now (after submit, cancel…) — or as soon as the per-minute cap allows — and resets the
   * interval. Resolves when the poll is done.
   */
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
      for (const w of s.waiters.splice(0)) w();
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
        return this.pollWhenAllowed(s);
      });
      return s.again;
    }
    return this.pollWhenAllowed(s);
  }

  /** Polls now, or — when the cap leaves no room — at the first moment it does. */
  private pollWhenAllowed(s: HostState): Promise<void> {
    if (s.removed || this.disposed) return Promise.resolve();
    const wait = this.capWait(s, true);
    if (wait <= 0) return this.poll(s);
    const done = new Promise<void>((resolve) => s.waiters.push(resolve));
    this.setTimer(s, wait);
    return done;
  }

  private poll(s: HostState): Promise<void> {
    if (s.inFlight) return s.inFlight;
    this.clearTimer(s);
    const p = this.cycle(s).finally(() => {
      s.inFlight = undefined;
      for (const w of s.waiters.splice(0)) w();
    });
    s.inFlight = p;
    return p;
  }

  /**
   * Milliseconds until a cycle fits under the per-minute cap (≤ 0: now). Room for sacct is kept
   * while jobs are active, and cycles are paced — each command costs 60 s / cap — so a burst of
   * refreshes (several submits) cannot spend the minute and leave a long silence after. A refresh
   * asked for (`burst`) may run one command ahead of the pace.
   */
  private capWait(s: HostState, burst = false): number {
    const cap = this.policy.maxQueriesPerMinute;
    if (!Number.isFinite(cap) || s.scheduler.listsLocally) return 0;
    const now = this.clock.now();
    while (s.queries.length && (s.queries[0] as number) <= now - 60_000) s.queries.shift();
    const reserve = Math.min(cap, s.jobs.size + s.awaiting.size + s.expected.size > 0 ? 2 : 1);
    const over = s.queries.length + reserve - cap;
    const window = over <= 0 ? 0 : (s.queries[over - 1] as number) + 60_000 - now;
    return Math.max(window, s.paceAt - now - (burst ? 60_000 / cap : 0));
  }

  /** A scheduler command is issued now. */
  private spend(s: HostState): void {
    const now = this.clock.now();
    s.queries.push(now);
    const cap = this.policy.maxQueriesPerMinute;
    if (Number.isFinite(cap)) s.paceAt = Math.max(s.paceAt, now) + 60_000 / cap;
  }

  private async cycle(s: HostState): Promise<void> {
    if (s.removed || this.disposed) return;
    s.lastPoll = this.clock.now();
    this.spend(s);
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
      // Backing off, but never past the interval a healthy host would be polled at now: a
      // controller that comes back is seen at the next poll (not up to 5 min later).
      // Counted from when the failed poll started: squeue takes ~18 s to give up on a stopped
      // controller, and waiting a whole interval after that would miss its return by as much.
      const now = this.clock.now();
      const cap = this.pollCap(s, now) ?? this.max;
      if (!s.again) this.schedule(s, Math.max(0, Math.min(cap, this.base * 2 ** (s.failures - 1)) - (now - s.lastPoll)));
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
    const leftAt = this.clock.now();
    for (const [id, job] of previous) if (!listedIds.has(id)) s.awaiting.set(id, { last: job, attempts: 0, since: leftAt });
    for (const id of s.expected) s.awaiting.set(id, s.awaiting.get(id) ?? { attempts: 0, since: leftAt });
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

    const polledAt = s.lastPoll;
    if (s.again) {
      this.emit('polled', s.host, polledAt, undefined);
      return; // a follow-up poll is already queued; it schedules
    }
    const now = this.clock.now();
    for (const [id, at] of s.tracked) if (now - at > this.policy.submitWatchMs || !this.present(s, id)) s.tracked.delete(id);
    const cap = this.pollCap(s, now);
    if (cap === undefined) {
      this.log.debug(`${s.host}: nobody looks: polling stops`);
      this.emit('polled', s.host, polledAt, undefined);
      return;
    }
    const watched = this.watchedNow(s);
    if (changed && (this.visible || watched)) s.intervalMs = this.base;
    else s.intervalMs = Math.min(cap, Math.max(this.base, s.intervalMs * 2));
    s.intervalMs = Math.min(s.intervalMs, cap);
    this.schedule(s, s.awaiting.size > 0 ? this.base : s.intervalMs);
    this.emit('polled', s.host, polledAt, s.timerDue - now);
  }

  /** Whether a job of the host (listed, leaving or expected) is watched (the visible view aside). */
  private isAnyWatched(s: HostState): boolean {
    return [...s.jobs.values()].some((j) => this.isWatched(s, j.id, j.arrayJobId)) || [...s.awaiting.keys(), ...s.expected].some((id) => this.isWatched(s, id));
  }

  private active(s: HostState): boolean {
    return s.jobs.size > 0 || s.awaiting.size > 0 || s.expected.size > 0;
  }

  /** Something active that somebody looks at (the visible view, a tail, a submit). */
  private watchedNow(s: HostState): boolean {
    return this.active(s) && (this.visible || this.isAnyWatched(s));
  }

  /** The longest interval the host is polled at now, or undefined when nobody looks (no polling). */
  private pollCap(s: HostState, now: number): number | undefined {
    const watched = this.watchedNow(s);
    if (!this.visible && !watched && !(this.active(s) && this.notifying)) return undefined;
    return Math.max(this.base, this.urgent(s, now) ? this.policy.urgentMaxMs : watched ? this.policy.watchedMaxMs : this.visible ? this.policy.visibleIdleMaxMs : this.max);
  }

  /** Is the job (or its array) listed, leaving or expected? */
  private present(s: HostState, id: string): boolean {
    if (s.jobs.has(id) || s.awaiting.has(id) || s.expected.has(id)) return true;
    for (const j of s.jobs.values()) if (j.arrayJobId === id) return true;
    for (const a of s.awaiting.keys()) if (parentOf(a, s.awaiting.get(a)?.last) === id) return true;
    return false;
  }

  /** Just submitted, or waited on (the visible view is handled by the caller). */
  private isWatched(s: HostState, id: string, arrayJobId?: string): boolean {
    const ids = this.watchedIds.get(s.host);
    return [id, arrayJobId].some((x) => x !== undefined && (s.tracked.has(x) || !!ids?.has(x)));
  }

  /** A watched job was just submitted, or runs within `nearLimitMs` of its time limit (or past it). */
  private urgent(s: HostState, now: number): boolean {
    for (const at of s.tracked.values()) if (now - at <= this.policy.submitUrgentMs) return true;
    for (const j of s.jobs.values()) {
      if (j.state !== 'RUNNING' || !(this.visible || this.isWatched(s, j.id, j.arrayJobId))) continue;
      const elapsed = durationSeconds(j.elapsed);
      const limit = durationSeconds(j.timeLimit);
      if (elapsed === undefined || limit === undefined) continue;
      if ((limit - elapsed) * 1000 - (now - s.lastPoll) <= this.policy.nearLimitMs) return true;
    }
    return false;
  }

  private async resolveFinal(s: HostState): Promise<void> {
    const ids = [...s.awaiting.keys()];
    // Array tasks are asked for through their parent: one id for all of them, and the
    // siblings' records tell what happened to a task that left none (see below).
    const query = new Set<string>();
    for (const id of ids) query.add(parentOf(id, s.awaiting.get(id)?.last) ?? id);
    let records: Job[];
    this.spend(s);
    try {
      records = await s.scheduler.finalState([...query], this.opts.finalStateDays);
    } catch (e) {
      this.log.warn(`${s.host}: final states unavailable: ${(e as Error).message}`);
      records = [];
    }
    if (s.removed || this.disposed) return;
    const byId = new Map(records.map((r) => [r.id, r]));
    const limit = this.opts.finalStateAttempts ?? 10;
    const waitMs = this.opts.finalStateWaitMs ?? 60_000;
    const now = this.clock.now();
    /** No try is left after `attempts` of them: enough cycles and enough time have passed. */
    const exhausted = (a: Awaiting, attempts: number): boolean => attempts >= limit && now - a.since >= waitMs;

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
      if (jobs && !(parent && waiting.has(parent) && !exhausted(a, a.attempts + 1))) {
        s.awaiting.delete(id);
        for (const j of jobs) this.finish(s, j);
        continue;
      }
      // Not in accounting yet, or still active there (lag, requeue): try again next cycle.
      a.attempts++;
      if (exhausted(a, a.attempts)) {
        s.awaiting.delete(id);
        this.log.warn(`${s.host}: no final state for job ${id} after ${a.attempts} tries in ${Math.round((now - a.since) / 1000)} s`);
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
    const j = delayMs === 0 ? 0 : delayMs * this.jitter * (this.random() * 2 - 1);
    this.setTimer(s, Math.max(Math.round(delayMs + j), this.capWait(s)));
  }

  private setTimer(s: HostState, delayMs: number): void {
    this.clearTimer(s);
    if (s.removed || this.disposed) return;
    const delay = Math.max(0, delayMs);
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
