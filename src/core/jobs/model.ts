/**
 * What the Jobs view shows, per connected host: the active jobs (from the latest batched poll),
 * the recent finished ones (accounting history plus what finished while we watched), and
 * whether the scheduler is reachable. Updated by the controller; read by the tree provider.
 * No `vscode` here, so it is unit-tested.
 */
import { Emitter } from '../event';
import type { Disposable } from '../cancel';
import { isTerminal, type Job } from '../scheduler/types';
import { EMPTY_FILTER, collectTags, type JobFilter } from './filter';

export interface HostJobs {
  readonly host: string;
  /** Queued, running, completing… in the order the scheduler listed them. */
  active: Job[];
  /** Left the queue, final state not known yet: still shown with the active ones. */
  leaving: Job[];
  /** Finished jobs, newest first (by id). */
  recent: Job[];
  /** A first poll has answered (until then the view says "Loading…"). */
  polled: boolean;
  /** When the query behind `active` was sent (ms since epoch): elapsed times are as of then. */
  polledAt?: number;
  /** `active` counts as stale once older than this (about two poll cycles). */
  staleAfterMs?: number;
  /** The scheduler does not answer: the message of the first failure. */
  degraded?: string;
  historyLoaded: boolean;
  historyError?: string;
  /** When the history was last loaded (ms since epoch). */
  historyAt?: number;
  /** Uid → user name on the host, for the uids its jobs name (who cancelled them). */
  users: Map<string, string>;
}

/** `undefined`: everything changed (hosts added/removed, filter). */
export type ModelChange = string | undefined;

export class JobsModel implements Disposable {
  private readonly hosts = new Map<string, HostJobs>();
  private filterValue: JobFilter = EMPTY_FILTER;
  private readonly emitter = new Emitter<ModelChange>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly maxRecent = 500) {}

  /** Keeps exactly these hosts, in this order; state of the kept ones is preserved. */
  setHosts(aliases: readonly string[]): void {
    const next = new Map<string, HostJobs>();
    for (const a of aliases) next.set(a, this.hosts.get(a) ?? { host: a, active: [], leaving: [], recent: [], polled: false, historyLoaded: false, users: new Map() });
    const same = next.size === this.hosts.size && [...next.keys()].every((k, i) => [...this.hosts.keys()][i] === k);
    this.hosts.clear();
    for (const [k, v] of next) this.hosts.set(k, v);
    if (!same) this.emitter.fire(undefined);
  }

  hostList(): readonly HostJobs[] {
    return [...this.hosts.values()];
  }

  get(host: string): HostJobs | undefined {
    return this.hosts.get(host);
  }

  /** The latest poll's jobs (sent at `at`); terminal ones are left to {@link addFinished}. */
  setActive(host: string, jobs: readonly Job[], at?: number): void {
    const h = this.hosts.get(host);
    if (!h) return;
    if (at !== undefined) h.polledAt = at;
    const active = jobs.filter((j) => !isTerminal(j.state));
    const ids = new Set(active.map((j) => j.id));
    const recentIds = new Set(h.recent.map((j) => j.id));
    const leaving = [...h.leaving.filter((j) => !ids.has(j.id)), ...h.active.filter((j) => !ids.has(j.id) && !recentIds.has(j.id))];
    const changed = !h.polled || !sameJobs(h.active, active) || leaving.length !== h.leaving.length;
    h.active = active;
    h.leaving = dedupe(leaving).slice(-this.maxRecent);
    h.polled = true;
    if (changed) this.emitter.fire(host);
  }

  /** A job reached a terminal state: out of the active list, first in the recent one. */
  addFinished(host: string, job: Job): void {
    const h = this.hosts.get(host);
    if (!h) return;
    h.active = h.active.filter((j) => j.id !== job.id);
    h.leaving = h.leaving.filter((j) => j.id !== job.id);
    h.recent = [job, ...h.recent.filter((j) => j.id !== job.id)].slice(0, this.maxRecent);
    this.emitter.fire(host);
  }

  /** Accounting history: its finished jobs, merged with those seen finishing (accounting wins). */
  setHistory(host: string, jobs: readonly Job[], at: number): void {
    const h = this.hosts.get(host);
    if (!h) return;
    const activeIds = new Set(h.active.map((j) => j.id));
    const byId = new Map<string, Job>();
    for (const j of h.recent) byId.set(j.id, j);
    for (const j of jobs) if (isTerminal(j.state) && !activeIds.has(j.id)) byId.set(j.id, j);
    h.leaving = h.leaving.filter((j) => !byId.has(j.id));
    h.recent = [...byId.values()].sort((a, b) => compareNewest(a, b)).slice(0, this.maxRecent);
    h.historyLoaded = true;
    h.historyAt = at;
    delete h.historyError;
    this.emitter.fire(host);
  }

  /** User names of uids looked up on the host: redraws when one is new. */
  setUserNames(host: string, names: ReadonlyMap<string, string>): void {
    const h = this.hosts.get(host);
    if (!h) return;
    let changed = false;
    for (const [uid, name] of names) {
      if (h.users.get(uid) === name) continue;
      h.users.set(uid, name);
      changed = true;
    }
    if (changed) this.emitter.fire(host);
  }

  /** The watcher plans its next poll `nextInMs` after the latest one (undefined: none planned). */
  setCycle(host: string, nextInMs: number | undefined): void {
    const h = this.hosts.get(host);
    if (h) h.staleAfterMs = Math.max(30_000, 2 * (nextInMs ?? 30_000));
  }

  setHistoryError(host: string, message: string): void {
    const h = this.hosts.get(host);
    if (!h) return;
    h.historyError = message;
    this.emitter.fire(host);
  }

  setDegraded(host: string, message: string | undefined): void {
    const h = this.hosts.get(host);
    if (!h || h.degraded === message) return;
    if (message === undefined) delete h.degraded;
    else h.degraded = message;
    this.emitter.fire(host);
  }

  get filter(): JobFilter {
    return this.filterValue;
  }

  setFilter(f: JobFilter): void {
    this.filterValue = f;
    this.emitter.fire(undefined);
  }

  /** A job by host and id, active first. */
  find(host: string, id: string): Job | undefined {
    const h = this.hosts.get(host);
    return h?.active.find((j) => j.id === id) ?? h?.leaving.find((j) => j.id === id) ?? h?.recent.find((j) => j.id === id);
  }

  /** What the active section shows: the queue plus the jobs leaving it. */
  shownActive(host: string): Job[] {
    const h = this.hosts.get(host);
    return h ? [...h.active, ...h.leaving] : [];
  }

  /** Tasks of an array (active and recent). */
  arrayTasks(host: string, arrayJobId: string): Job[] {
    const h = this.hosts.get(host);
    if (!h) return [];
    const of = (j: Job) => j.arrayJobId === arrayJobId || j.id.startsWith(`${arrayJobId}_`);
    return [...h.active.filter(of), ...h.leaving.filter(of), ...h.recent.filter(of)];
  }

  allTags(): string[] {
    return collectTags([...this.hosts.values()].flatMap((h) => [...h.active, ...h.leaving, ...h.recent]));
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

function dedupe(jobs: Job[]): Job[] {
  const seen = new Set<string>();
  return jobs.filter((j) => !seen.has(j.id) && seen.add(j.id));
}

function compareNewest(a: Job, b: Job): number {
  const na = Number(/^\d+/.exec(a.id)?.[0] ?? 0);
  const nb = Number(/^\d+/.exec(b.id)?.[0] ?? 0);
  return nb - na || a.id.localeCompare(b.id);
}

/** Same rows on screen: ids, states and every field shown. */
function sameJobs(a: readonly Job[], b: readonly Job[]): boolean {
  if (a.length !== b.length) return false;
  const key = (j: Job) => [j.id, j.state, j.rawState, j.reason, j.elapsed, j.timeLimit, j.nodes, j.name, j.partition, j.comment, j.startTime ?? '', j.endTime ?? '', JSON.stringify(j.dependencies ?? [])].join('\u0000');
  return a.every((j, i) => key(j) === key(b[i] as Job));
}
