/**
 * Keeps the JobsModel up to date: connected hosts are watched by one JobWatcher (one batched
 * squeue per host per cycle, every 10–20 s while somebody looks — the view is visible, a job was
 * just submitted, or its end is awaited ({@link JobsController.whenFinished}: a tailed output) —
 * at most 6 scheduler commands per host a minute, backing off to 5 min while nobody looks and
 * jobs whose end would be announced are active, nothing at all otherwise); finished jobs move to "Recent" and are
 * announced in batches; an unreachable scheduler marks the host degraded until it answers.
 * No `vscode`: the view's visibility, the settings and the notifier are handed in.
 */
import type { Disposable } from '../cancel';
import { Emitter } from '../event';
import { tagged, type Logger } from '../log';
import { isTerminal, type Job, type Scheduler } from '../scheduler/types';
import { JobWatcher, type Clock, type WatchedScheduler } from '../scheduler/watcher';
import type { JobsModel } from './model';
import { summariseFinished, type FinishedNotice } from './notices';

export interface JobsSettings {
  pollIntervalSeconds: number;
  /** 0 hides the Recent group. */
  historyDays: number;
  notifyStates: readonly string[];
}

/** The HostService as the jobs feature sees it. */
interface HostsLike {
  list(): readonly { alias: string; status: string }[];
  onDidChange(listener: (e: unknown) => void): Disposable;
}

interface SchedulersLike {
  scheduler(host: string): Pick<Scheduler, 'list' | 'finalState' | 'history' | 'listsLocally'>;
  user(host: string): Promise<string>;
  /** Uid → user name for every uid known on the host, after looking up `uids` (one batched lookup). */
  userNames(host: string, uids: Iterable<string>): Promise<Map<string, string>>;
  forget(host: string): void;
}

export interface JobsControllerOptions {
  hosts: HostsLike;
  schedulers: SchedulersLike;
  model: JobsModel;
  log: Logger;
  settings(): JobsSettings;
  /** Called with the notices of one host's batch of finished jobs. */
  onNotices(notices: FinishedNotice[]): void;
  clock?: Clock;
  /** Finished jobs are collected this long before being announced (default 1.5 s). */
  noticeDelayMs?: number;
  /** History older than this is reloaded when the view shows again (default 5 min). */
  historyMaxAgeMs?: number;
  /** Watcher jitter (tests set 0). */
  jitter?: number;
  /** Scheduler commands per host a minute (default the watcher's 6; tests that poll fast lift it). */
  maxQueriesPerMinute?: number;
}

export class JobsController implements Disposable {
  private watcher: JobWatcher;
  private watcherSubs: Disposable[] = [];
  private readonly subs: Disposable[] = [];
  /** Hosts handed to the watcher (or being looked up for it), by alias. */
  private readonly watched = new Map<string, { token: object }>();
  private readonly pendingNotices = new Map<string, { jobs: Job[]; timer: unknown }>();
  /** Jobs (or array parents) the user cancelled from our UI, per host, with when that stops mattering. */
  private readonly ownCancels = new Map<string, Map<string, number>>();
  private readonly historyLoads = new Map<string, Promise<void>>();
  /** Hosts the watcher has (user known). */
  private readonly added = new Set<string>();
  private readonly pendingTrack = new Map<string, Set<string>>();
  private readonly finishedEmitter = new Emitter<{ host: string; job: Job }>();
  /** Jobs whose end someone awaits, `host\0id` → number of waiters. */
  private readonly awaited = new Map<string, number>();
  private visible = false;
  private interval: number;
  private historyDays: number;
  private disposed = false;
  private readonly log: Logger;
  private readonly clock: Clock;

  constructor(private readonly o: JobsControllerOptions) {
    this.log = tagged(o.log, 'jobs');
    this.clock = o.clock ?? {
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    const s = o.settings();
    this.interval = s.pollIntervalSeconds;
    this.historyDays = s.historyDays;
    this.watcher = this.createWatcher();
    this.subs.push(o.hosts.onDidChange(() => this.syncHosts()));
    this.syncHosts();
  }

  get model(): JobsModel {
    return this.o.model;
  }

  get isVisible(): boolean {
    return this.visible;
  }

  /** The Jobs view became visible or hidden. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    this.watcher.setVisible(visible);
    if (visible) for (const h of this.o.model.hostList()) void this.loadHistory(h.host, false);
  }

  /** Polls now (all hosts, or one) and reloads the history. */
  async refresh(host?: string): Promise<void> {
    const hosts = host === undefined ? this.o.model.hostList().map((h) => h.host) : [host];
    // Hosts whose first lookup failed get another chance.
    for (const h of hosts) if (!this.watched.has(h)) this.watch(h);
    await Promise.all([this.watcher.refreshNow(host), ...hosts.map((h) => this.loadHistory(h, true))]);
  }

  /** Jobs just submitted: watched even while the view is hidden, and their end announced. */
  track(host: string, ids: string[]): Promise<void> {
    if (!this.added.has(host)) {
      // The host is still being set up (user lookup): track once it is watched.
      const set = this.pendingTrack.get(host) ?? new Set<string>();
      for (const id of ids) set.add(id);
      this.pendingTrack.set(host, set);
      return Promise.resolve();
    }
    return this.watcher.track(host, ids);
  }

  /** Polls a host now (after cancel, hold…). */
  refreshNow(host: string): Promise<void> {
    return this.watcher.refreshNow(host);
  }

  /**
   * Resolves when `id` on `host` is known to have ended (at once when the model already has it
   * finished). `dispose()` stops listening.
   */
  whenFinished(host: string, id: string): { promise: Promise<Job>; dispose(): void } {
    let sub: Disposable | undefined;
    let awaiting = false;
    const release = () => {
      sub?.dispose();
      if (awaiting) this.await(host, id, -1);
      awaiting = false;
    };
    const promise = new Promise<Job>((resolve) => {
      const known = this.o.model.find(host, id);
      if (known && isTerminal(known.state)) return resolve(known);
      // Someone waits for this end (a tailed output): the job is watched while they do.
      awaiting = true;
      this.await(host, id, +1);
      sub = this.finishedEmitter.event((e) => {
        if (e.host === host && e.job.id === id) {
          release();
          resolve(e.job);
        }
      });
    });
    return { promise, dispose: release };
  }

  /** Settings changed: a new poll interval rebuilds the watcher; new history days reload history. */
  settingsChanged(): void {
    const s = this.o.settings();
    this.watcher.setNotifying(s.notifyStates.length > 0);
    if (s.pollIntervalSeconds !== this.interval) {
      this.interval = s.pollIntervalSeconds;
      for (const d of this.watcherSubs.splice(0)) d.dispose();
      this.watcher.dispose();
      this.watcher = this.createWatcher();
      const hosts = [...this.watched.keys()];
      this.watched.clear();
      this.added.clear();
      for (const h of hosts) this.watch(h);
      this.watcher.setVisible(this.visible);
      for (const h of new Set([...this.awaited.keys()].map((k) => k.split('\0')[0] as string))) this.watcher.setWatched(h, this.awaitedIds(h));
    }
    if (s.historyDays !== this.historyDays) {
      this.historyDays = s.historyDays;
      for (const h of this.o.model.hostList()) void this.loadHistory(h.host, true);
    }
  }

  /** Loads the Recent group from accounting (at most one load per host at a time). */
  loadHistory(host: string, force: boolean): Promise<void> {
    const h = this.o.model.get(host);
    if (!h) return Promise.resolve();
    const days = this.o.settings().historyDays;
    if (days <= 0) return Promise.resolve();
    const fresh = h.historyLoaded && h.historyAt !== undefined && this.clock.now() - h.historyAt < (this.o.historyMaxAgeMs ?? 300_000);
    if (!force && fresh) return Promise.resolve();
    const running = this.historyLoads.get(host);
    if (running) return running;
    const p = (async () => {
      try {
        const user = await this.o.schedulers.user(host);
        this.watcher.noteQuery(host);
        const jobs = await this.o.schedulers.scheduler(host).history(days, user);
        if (!this.disposed) this.o.model.setHistory(host, jobs, this.clock.now());
        await this.resolveNames(host, jobs);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.log.warn(`${host}: job history unavailable: ${msg}`);
        if (!this.disposed) this.o.model.setHistoryError(host, msg.split('\n')[0] ?? msg);
      } finally {
        this.historyLoads.delete(host);
      }
    })();
    this.historyLoads.set(host, p);
    return p;
  }

  dispose(): void {
    this.disposed = true;
    for (const d of [...this.subs.splice(0), ...this.watcherSubs.splice(0)]) d.dispose();
    this.watcher.dispose();
    for (const p of this.pendingNotices.values()) this.clock.clearTimeout(p.timer);
    this.pendingNotices.clear();
    this.finishedEmitter.dispose();
  }

  // --- internals -------------------------------------------------------------------------

  private createWatcher(): JobWatcher {
    const w = new JobWatcher({
      intervalMs: Math.max(5, this.interval) * 1000,
      maxIntervalMs: Math.max(300, this.interval) * 1000,
      log: this.o.log,
      ...(this.o.clock ? { clock: this.o.clock } : {}),
      ...(this.o.jitter !== undefined ? { jitter: this.o.jitter } : {}),
      ...(this.o.maxQueriesPerMinute !== undefined ? { maxQueriesPerMinute: this.o.maxQueriesPerMinute } : {}),
    });
    w.setNotifying(this.o.settings().notifyStates.length > 0);
    this.watcherSubs.push(
      w.on('finished', (host, job) => this.onFinished(host, job)),
      w.on('polled', (host, _at, nextInMs) => this.o.model.setCycle(host, nextInMs)),
      w.on('degraded', (host, err) => this.o.model.setDegraded(host, err.message.split('\n')[0] ?? 'unreachable')),
      w.on('recovered', (host) => this.o.model.setDegraded(host, undefined)),
    );
    return w;
  }

  private syncHosts(): void {
    if (this.disposed) return;
    const connected = this.o.hosts
      .list()
      .filter((h) => h.status === 'connected')
      .map((h) => h.alias);
    const keep = new Set(connected);
    for (const host of [...this.watched.keys()]) {
      if (keep.has(host)) continue;
      this.watched.delete(host);
      this.added.delete(host);
      this.pendingTrack.delete(host);
      this.watcher.removeHost(host);
      this.o.schedulers.forget(host);
      const pending = this.pendingNotices.get(host);
      if (pending) this.clock.clearTimeout(pending.timer);
      this.pendingNotices.delete(host);
    }
    this.o.model.setHosts(connected);
    for (const host of connected) if (!this.watched.has(host)) this.watch(host);
  }

  private watch(host: string): void {
    const token = {};
    this.watched.set(host, { token });
    void (async () => {
      let user: string;
      try {
        user = await this.o.schedulers.user(host);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.log.warn(`${host}: cannot watch jobs: ${msg}`);
        if (this.watched.get(host)?.token === token) {
          this.o.model.setDegraded(host, msg);
          this.watched.delete(host);
          this.pendingTrack.delete(host);
        }
        return;
      }
      if (this.disposed || this.watched.get(host)?.token !== token) return;
      this.o.model.setDegraded(host, undefined);
      const scheduler = this.o.schedulers.scheduler(host);
      // The model shows every poll's answer (elapsed times move even when the watcher sees no change).
      const watched: WatchedScheduler = {
        ...(scheduler.listsLocally ? { listsLocally: true } : {}),
        list: async (u) => {
          const at = this.clock.now();
          const jobs = await scheduler.list(u);
          if (!this.disposed && this.watched.get(host)?.token === token) this.o.model.setActive(host, jobs, at);
          return jobs;
        },
        finalState: (ids, days) => scheduler.finalState(ids, days),
      };
      this.watcher.addHost(host, watched, user);
      this.added.add(host);
      const pending = this.pendingTrack.get(host);
      this.pendingTrack.delete(host);
      if (pending?.size) void this.watcher.track(host, [...pending]);
      if (this.visible) void this.loadHistory(host, false);
    })();
  }

  /**
   * The user is cancelling these jobs (or whole arrays, by parent id) from our UI, which confirms
   * it itself: their CANCELLED end is not announced again (for the next hour).
   */
  expectCancel(host: string, ids: readonly string[]): void {
    let m = this.ownCancels.get(host);
    if (!m) this.ownCancels.set(host, (m = new Map()));
    const until = this.clock.now() + 3_600_000;
    for (const id of ids) m.set(id, until);
  }

  private cancelledByUs(host: string, job: Job): boolean {
    const m = this.ownCancels.get(host);
    if (!m || job.state !== 'CANCELLED') return false;
    const now = this.clock.now();
    for (const [id, until] of m) if (until < now) m.delete(id);
    return m.has(job.id) || (job.arrayJobId !== undefined && m.has(job.arrayJobId));
  }

  private await(host: string, id: string, delta: number): void {
    const key = `${host}\0${id}`;
    const n = (this.awaited.get(key) ?? 0) + delta;
    if (n > 0) this.awaited.set(key, n);
    else this.awaited.delete(key);
    if (!this.disposed) this.watcher.setWatched(host, this.awaitedIds(host));
  }

  private awaitedIds(host: string): string[] {
    return [...this.awaited.keys()].filter((k) => k.startsWith(`${host}\0`)).map((k) => k.slice(host.length + 1));
  }

  /**
   * Looks up the user names of the uids these jobs name that the model does not know yet, into
   * the model; undefined when there is nothing to look up. Never rejects (uids stay shown).
   */
  private resolveNames(host: string, jobs: readonly Job[]): Promise<void> | undefined {
    const known = this.o.model.get(host)?.users;
    const uids = new Set(jobs.map((j) => j.cancelledBy).filter((u): u is string => u !== undefined && !known?.has(u)));
    if (uids.size === 0) return undefined;
    return this.o.schedulers.userNames(host, uids).then(
      (names) => {
        if (!this.disposed) this.o.model.setUserNames(host, names);
      },
      (e: unknown) => this.log.warn(`${host}: user names: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private onFinished(host: string, job: Job): void {
    this.o.model.addFinished(host, job);
    void this.resolveNames(host, [job]);
    this.finishedEmitter.fire({ host, job });
    let p = this.pendingNotices.get(host);
    if (!p) {
      p = { jobs: [], timer: undefined };
      this.pendingNotices.set(host, p);
    }
    p.jobs.push(job);
    p.timer ??= this.clock.setTimeout(() => this.announce(host), this.o.noticeDelayMs ?? 1500);
  }

  /**
   * Announces what finished in the last moments, one notice per array. Tasks of an array that
   * still has tasks in the queue are held back until its last task ends (a node with few CPUs runs
   * an array's tasks one after another).
   */
  private announce(host: string): void {
    const batch = this.pendingNotices.get(host);
    if (!batch || this.disposed) return;
    const ended = new Set(batch.jobs.map((j) => j.id));
    const queued = this.o.model.shownActive(host).filter((j) => !ended.has(j.id) && !isTerminal(j.state));
    const unfinishedArrays = new Set(queued.map((j) => j.arrayJobId).filter((a): a is string => a !== undefined));
    const held = batch.jobs.filter((j) => j.arrayJobId !== undefined && unfinishedArrays.has(j.arrayJobId));
    const ready = batch.jobs.filter((j) => !held.includes(j));
    if (held.length) this.pendingNotices.set(host, { jobs: held, timer: undefined });
    else this.pendingNotices.delete(host);
    const announced = ready.filter((j) => !this.cancelledByUs(host, j));
    const show = () => {
      if (this.disposed) return;
      const notices = summariseFinished(host, announced, this.o.settings().notifyStates, this.o.model.get(host)?.users);
      if (notices.length) this.o.onNotices(notices);
    };
    // "cancelled by <name>": the lookup started when the job ended; wait for it if still going.
    const names = this.resolveNames(host, announced);
    if (names) void names.then(show);
    else show();
  }
}
