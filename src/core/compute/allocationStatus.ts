/**
 * What an interactive allocation's terminal says while it waits: the job id read from the
 * scheduler's own first words on the terminal (srun/salloc: "job 123 queued and waiting for
 * resources", "Granted job allocation 123"), then a line each time the queue's answer for that
 * job changes (reason, estimated start, as squeue reports StartTime for a pending job, the same
 * value `squeue --start` prints). Plain text in, plain text out; no `vscode`.
 */
import type { Job } from '../scheduler/types';

/** Only the start of a terminal's output is read for the id (srun's words come first). */
const SCAN_LIMIT = 8192;

export interface AllocationEvent {
  id: string;
  /** The allocation is granted (the user's shell starts next). */
  granted: boolean;
}

const PATTERNS: readonly { re: RegExp; granted: boolean }[] = [
  { re: /\b(?:srun|salloc): job (\d{1,12}) queued and waiting for resources/, granted: false },
  { re: /\bsalloc: Pending job allocation (\d{1,12})/, granted: false },
  { re: /\b(?:srun|salloc): job (\d{1,12}) has been allocated resources/, granted: true },
  { re: /\bsalloc: Granted job allocation (\d{1,12})/, granted: true },
  // SESSION_SHELL's own line on the node.
  { re: /^Interactive session: job (\d{1,12}) on /m, granted: true },
];

/**
 * Reads the beginning of an allocation's terminal output for its job id. It stops reading once
 * the allocation is granted or past {@link SCAN_LIMIT} characters, so the user's shell on the
 * node (which could print anything) cannot name another job.
 */
export class AllocationScanner {
  private text = '';
  private done = false;
  private known: string | undefined;

  /** Feeds output; returns what the new text told (undefined: nothing new). */
  feed(chunk: string): AllocationEvent | undefined {
    if (this.done) return undefined;
    const start = Math.max(0, this.text.length - 200);
    this.text = (this.text + chunk).slice(0, SCAN_LIMIT);
    if (this.text.length >= SCAN_LIMIT) this.done = true;
    let found: AllocationEvent | undefined;
    for (const { re, granted } of PATTERNS) {
      const m = re.exec(this.text.slice(start));
      if (!m?.[1]) continue;
      // Once an id is known, a different one is not believed.
      if (this.known !== undefined && m[1] !== this.known) continue;
      if (granted || !found) found = { id: m[1], granted };
    }
    if (!found) return undefined;
    if (found.granted) this.done = true;
    if (this.known === found.id && !found.granted) return undefined;
    this.known = found.id;
    return found;
  }

  get id(): string | undefined {
    return this.known;
  }
}

/** `2026-12-02T21:30:00` (scheduler-local, no zone) as epoch ms in this machine's zone, or undefined. */
function localTime(s: string | undefined): number | undefined {
  if (!s || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(s)) return undefined;
  const t = new Date(s).getTime();
  return Number.isFinite(t) ? t : undefined;
}

function inText(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 1) return 'in less than a minute';
  if (min < 120) return `in ${min} min`;
  const h = Math.round(min / 60);
  return h < 48 ? `in about ${h} h` : `in about ${Math.round(h / 24)} days`;
}

/** Remote text shown in the terminal: printable, short. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, '?').slice(0, 120);
}

/**
 * One line for a pending allocation as the queue lists it ("job 123 waits: Priority; estimated
 * start 21:30 (in 12 min)"), undefined once it is no longer pending or not listed.
 */
export function queueStatusText(job: Pick<Job, 'id' | 'state' | 'reason' | 'startTime'> | undefined, now: number): string | undefined {
  if (!job || job.state !== 'PENDING') return undefined;
  const reason = job.reason ? clean(job.reason) : 'waiting';
  const start = localTime(job.startTime);
  const at = (s: string) => (start !== undefined && start - now < 20 * 3_600_000 ? s.slice(11, 16) : s.slice(0, 16).replace('T', ' '));
  const estimate = start === undefined || !job.startTime ? 'no start estimate yet' : start <= now ? 'the scheduler expects it to start now' : `estimated start ${at(job.startTime)} (${inText(start - now)})`;
  return `Job ${clean(job.id)} is waiting in the queue (${reason}); ${estimate}.`;
}
