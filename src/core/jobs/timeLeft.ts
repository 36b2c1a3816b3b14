/**
 * Time left warnings: a running job (batch or interactive allocation) about to reach its time
 * limit gets one warning, at `minutes` before it. Computed from what the Jobs view's poll
 * already has (the limit and the elapsed time as of the poll, which ticks on between polls): no
 * scheduler call of its own. A timer wakes it at the next job's moment, so a warning does not
 * wait for the next poll. No `vscode`.
 */
import type { Disposable } from '../cancel';
import { durationSeconds } from '../scheduler/formats';
import type { Job } from '../scheduler/types';
import type { HostJobs } from './model';

/** Seconds a running job has left before its limit, as of `now`; undefined without a limit (or when not running). */
export function timeLeftSeconds(job: Pick<Job, 'state' | 'elapsed' | 'timeLimit'>, polledAt: number | undefined, now: number): number | undefined {
  if (job.state !== 'RUNNING') return undefined;
  const limit = durationSeconds(job.timeLimit);
  const elapsed = durationSeconds(job.elapsed);
  if (limit === undefined || elapsed === undefined) return undefined;
  const since = polledAt === undefined ? 0 : Math.max(0, (now - polledAt) / 1000);
  return Math.max(0, limit - elapsed - since);
}

/** `45 s`, `9 min`, `1 h 05 min`, `2 days 3 h`. */
export function timeLeftText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

export interface TimeLeftWarning {
  host: string;
  job: Job;
  /** Seconds left when warned. */
  leftSeconds: number;
}

export interface TimeLeftClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Longest sleep between checks (a job's limit may change in a poll while it sleeps). */
const MAX_SLEEP_MS = 10 * 60_000;

export class TimeLeftWatch implements Disposable {
  /** `host\0id` of the jobs warned about (kept while they are listed). */
  private readonly warned = new Set<string>();
  private timer: unknown;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly model: { hostList(): readonly Pick<HostJobs, 'host' | 'active' | 'polledAt'>[]; onDidChange(listener: () => void): { dispose(): void } },
    private readonly opts: {
      clock: TimeLeftClock;
      /** Minutes before the limit to warn at; 0 turns warnings off. */
      minutes: () => number;
      warn: (w: TimeLeftWarning) => void;
    },
  ) {
    this.subscription = model.onDidChange(() => this.check());
    this.check();
  }

  /** Looks at every listed running job now, warns those within the window, sleeps until the next one's moment. */
  check(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const window = Math.max(0, this.opts.minutes()) * 60;
    const now = this.opts.clock.now();
    const listed = new Set<string>();
    let next = Infinity;
    for (const h of this.model.hostList()) {
      for (const job of h.active) {
        const key = `${h.host}\0${job.id}`;
        listed.add(key);
        if (window === 0 || this.warned.has(key)) continue;
        const left = timeLeftSeconds(job, h.polledAt, now);
        if (left === undefined) continue;
        if (left <= window) {
          this.warned.add(key);
          this.opts.warn({ host: h.host, job, leftSeconds: left });
        } else next = Math.min(next, left - window);
      }
    }
    for (const k of this.warned) if (!listed.has(k)) this.warned.delete(k);
    if (next !== Infinity) this.timer = this.opts.clock.setTimeout(() => this.check(), Math.min(MAX_SLEEP_MS, Math.ceil(next * 1000)));
  }

  dispose(): void {
    this.subscription.dispose();
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
