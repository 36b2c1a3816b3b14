/**
 * How a job looks in the Jobs view: state class, codicon + theme colour, one-line description,
 * tooltip text and the `contextValue` the menus match on. Pure (no `vscode`): the tree maps the
 * icon and colour ids onto ThemeIcon / ThemeColor.
 */
import { isTerminal, NO_TIME_LIMIT, PARTITION_TIME_LIMIT, type Job, type JobState } from '../scheduler/types';
import { durationSeconds, formatDuration, normaliseDuration } from '../scheduler/formats';

/** Uid → user name on a host, for "CANCELLED by …" (a uid not in it is shown as it is). */
export type UserNames = ReadonlyMap<string, string>;

/** The three buckets the menus care about. */
export type StateClass = 'pending' | 'running' | 'finished';

const PENDING_STATES: ReadonlySet<JobState> = new Set<JobState>(['PENDING', 'REQUEUED']);

export function stateClass(state: JobState): StateClass {
  if (isTerminal(state)) return 'finished';
  if (PENDING_STATES.has(state)) return 'pending';
  return 'running';
}

/** Held by the user or an admin (`scontrol release` applies). */
export function isHeld(job: Pick<Job, 'reason' | 'rawState' | 'state'>): boolean {
  return !isTerminal(job.state) && (/^Job(?:Held|Hold)(?:User|Admin)$/i.test(job.reason) || /REQUEUE_HOLD|SPECIAL_EXIT/.test(job.rawState));
}

export interface IconSpec {
  /** Codicon id, e.g. `pass`, `sync~spin`. */
  id: string;
  /** Theme colour id, e.g. `testing.iconPassed`. */
  color?: string;
}

const ICONS: Record<JobState, IconSpec> = {
  PENDING: { id: 'clock', color: 'charts.yellow' },
  CONFIGURING: { id: 'loading~spin', color: 'charts.blue' },
  RUNNING: { id: 'sync~spin', color: 'charts.blue' },
  COMPLETING: { id: 'loading~spin', color: 'charts.blue' },
  SUSPENDED: { id: 'debug-pause', color: 'charts.orange' },
  STOPPED: { id: 'debug-pause', color: 'charts.orange' },
  REQUEUED: { id: 'debug-restart', color: 'charts.yellow' },
  RESIZING: { id: 'sync~spin', color: 'charts.blue' },
  SIGNALING: { id: 'zap', color: 'charts.orange' },
  STAGE_OUT: { id: 'cloud-upload', color: 'charts.blue' },
  COMPLETED: { id: 'pass', color: 'testing.iconPassed' },
  FAILED: { id: 'error', color: 'testing.iconFailed' },
  CANCELLED: { id: 'circle-slash', color: 'disabledForeground' },
  TIMEOUT: { id: 'watch', color: 'charts.orange' },
  OUT_OF_MEMORY: { id: 'error', color: 'testing.iconFailed' },
  NODE_FAIL: { id: 'error', color: 'testing.iconFailed' },
  PREEMPTED: { id: 'debug-restart', color: 'charts.orange' },
  BOOT_FAIL: { id: 'error', color: 'testing.iconFailed' },
  DEADLINE: { id: 'watch', color: 'charts.orange' },
  REVOKED: { id: 'circle-slash', color: 'disabledForeground' },
  SPECIAL_EXIT: { id: 'warning', color: 'charts.orange' },
  UNKNOWN: { id: 'question' },
};

const HELD_ICON: IconSpec = { id: 'debug-pause', color: 'charts.yellow' };

export function stateIcon(job: Pick<Job, 'state' | 'reason' | 'rawState'>): IconSpec {
  return isHeld(job) ? HELD_ICON : ICONS[job.state];
}

export function iconForState(state: JobState): IconSpec {
  return ICONS[state];
}

/** Who cancelled the job: their user name when known, else the uid; undefined when nobody is named. */
export function cancelledByText(job: Pick<Job, 'cancelledBy'>, users?: UserNames): string | undefined {
  return job.cancelledBy === undefined ? undefined : (users?.get(job.cancelledBy) ?? job.cancelledBy);
}

/**
 * What a pending job's dependencies wait for: `waits for 41 (afterok)`, `waits for 41, 42
 * (afterany)`, `waits for 41 (afterok) or singleton`; `never starts: 41 (afterok) not met` once
 * that can no longer happen. Undefined without dependencies.
 */
export function dependencyText(job: Pick<Job, 'dependencies' | 'dependencyAny'>): string | undefined {
  const deps = job.dependencies ?? [];
  if (deps.length === 0) return undefined;
  const never = job.dependencyAny ? deps.every((d) => d.never) : deps.some((d) => d.never);
  const shown = never && !job.dependencyAny ? deps.filter((d) => d.never) : deps;
  const groups: { kind: string; ids: string[] }[] = [];
  for (const d of shown) {
    const last = groups[groups.length - 1];
    if (last && last.kind === d.kind && d.jobId !== undefined && last.ids.length) last.ids.push(d.jobId);
    else groups.push({ kind: d.kind, ids: d.jobId !== undefined ? [d.jobId] : [] });
  }
  const list = groups.map((g) => (g.ids.length ? `${g.ids.join(', ')} (${g.kind})` : g.kind)).join(job.dependencyAny ? ' or ' : ', ');
  return never ? `never starts: ${list} not met` : `waits for ${list}`;
}

/**
 * `PENDING (Priority)`, `RUNNING`, `FAILED (exit 3)`, `CANCELLED by alice`, `PENDING · waits for
 * 41 (afterok)` — the state word first, so it stays readable in a narrow sidebar.
 */
export function stateText(job: Job, users?: UserNames): string {
  const by = cancelledByText(job, users);
  const word = by !== undefined && job.state === 'CANCELLED' ? `${job.state} by ${by}` : job.state;
  if (stateClass(job.state) === 'pending') {
    const waits = dependencyText(job);
    if (waits) return `${word} · ${waits}`;
    if (job.reason) return `${word} (${job.reason})`;
  }
  if (isTerminal(job.state) && job.state !== 'COMPLETED' && job.state !== 'CANCELLED') {
    if (job.signal) return `${word} (signal ${job.signal})`;
    if (job.exitCode) return `${word} (exit ${job.exitCode})`;
  }
  return word;
}

/**
 * The state as a row's description starts with it — short and lower case like the host and
 * array summaries, so it stays readable in a narrow sidebar beside a long name: `running`,
 * `pending (Priority)`, `held`, `waits for 41 (afterok)`, `failed (exit 3)`, `cancelled by alice`.
 */
export function shortStateText(job: Job, users?: UserNames): string {
  const word = job.state.toLowerCase().replace(/_/g, ' ');
  if (stateClass(job.state) === 'pending') {
    if (isHeld(job)) return /Admin$/i.test(job.reason) ? 'held by admin' : 'held';
    return dependencyText(job) ?? (job.reason ? `${word} (${job.reason})` : word);
  }
  const by = job.state === 'CANCELLED' ? cancelledByText(job, users) : undefined;
  if (by !== undefined) return `${word} by ${by}`;
  if (isTerminal(job.state) && job.state !== 'COMPLETED' && job.state !== 'CANCELLED') {
    if (job.signal) return `${word} (signal ${job.signal})`;
    if (job.exitCode) return `${word} (exit ${job.exitCode})`;
  }
  return word;
}

/**
 * A duration or limit as every part of the UI shows it: `2:43`, `1:02:03`, `1-02:03:04`; `no
 * limit`, `partition limit` for limits that are no duration.
 */
export function durationText(v: string): string {
  if (v === NO_TIME_LIMIT || /^INFINITE$/i.test(v)) return 'no limit';
  if (v === PARTITION_TIME_LIMIT) return 'partition limit';
  return normaliseDuration(v);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * When a job ended, short, on the cluster's clock: `ended 14:03` today, `ended yesterday 14:03`,
 * `ended Mon 14:03` within a week, `ended 3 May 14:03` this year, else `ended 3 May 2023`.
 * Undefined without an end time.
 */
export function endedText(endTime: string | undefined, now: number): string | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(endTime ?? '');
  if (!m) return undefined;
  const [y, mo, d, hh, mm] = m.slice(1).map(Number) as [number, number, number, number, number];
  const clock = `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
  const today = new Date(now);
  const day = (date: Date) => Date.UTC(date.getFullYear(), date.getMonth(), date.getDate());
  const daysAgo = Math.round((day(today) - Date.UTC(y, mo - 1, d)) / 86_400_000);
  if (daysAgo <= 0) return `ended ${clock}`;
  if (daysAgo === 1) return `ended yesterday ${clock}`;
  if (daysAgo < 7) return `ended ${WEEKDAYS[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()]} ${clock}`;
  if (y === today.getFullYear()) return `ended ${d} ${MONTHS[mo - 1]} ${clock}`;
  return `ended ${d} ${MONTHS[mo - 1]} ${y}`;
}

/** When the job's fields were polled (ms since epoch) and the time now: elapsed times tick between polls. */
export interface LiveTime {
  polledAt?: number;
  now: number;
}

/**
 * A running job's elapsed time now: the polled elapsed time plus the time since that poll, never
 * past the time limit — `limitReached` says it got there (the job may be ending or in grace).
 */
function liveElapsed(job: Pick<Job, 'elapsed' | 'timeLimit' | 'state'>, at?: LiveTime): { text: string; limitReached: boolean } {
  const polled = durationSeconds(job.elapsed);
  if (job.state !== 'RUNNING' || polled === undefined) return { text: durationText(job.elapsed), limitReached: false };
  const seconds = polled + (at?.polledAt !== undefined ? Math.max(0, Math.floor((at.now - at.polledAt) / 1000)) : 0);
  const limit = durationSeconds(job.timeLimit);
  if (limit !== undefined && seconds >= limit) return { text: formatDuration(limit), limitReached: true };
  return { text: formatDuration(seconds), limitReached: false };
}

/**
 * `0:05 / 1:00:00`, `0:05 / no limit`; just the limit while pending (`limit 5:00`, `no limit`);
 * `(time limit reached)` once there.
 */
export function timeText(job: Pick<Job, 'elapsed' | 'timeLimit' | 'state'>, at?: LiveTime): string {
  const live = liveElapsed(job, at);
  const elapsed = live.text && !(stateClass(job.state) === 'pending' && /^0(:0+)+$/.test(live.text)) ? live.text : '';
  const limit = job.timeLimit ? durationText(job.timeLimit) : '';
  if (elapsed && limit) return `${elapsed} / ${limit}${live.limitReached ? ' (time limit reached)' : ''}`;
  if (limit) return /^\d/.test(limit) ? `limit ${limit}` : limit;
  return elapsed;
}

/**
 * `as of 2 min ago` when the host's job list is stale — its last answer older than about two poll
 * cycles, or the scheduler unreachable — else undefined (also before any answer).
 */
export function staleText(h: { polledAt?: number; staleAfterMs?: number; degraded?: string }, now: number): string | undefined {
  if (h.polledAt === undefined) return undefined;
  const age = Math.max(0, now - h.polledAt);
  if (!h.degraded && age <= (h.staleAfterMs ?? 60_000)) return undefined;
  const s = Math.floor(age / 1000);
  return `as of ${s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h`} ago`;
}

/** Tree label: `123 name` (`123_4 name` for an array task). */
export function jobLabel(job: Pick<Job, 'id' | 'name'>): string {
  return job.name ? `${job.id} ${job.name}` : job.id;
}

/** What the texts of a job row depend on besides the job. */
export interface JobTextOptions {
  /** Elapsed times tick from the poll (running jobs of a current list). */
  at?: LiveTime;
  users?: UserNames;
  /** Now (ms since epoch), for "ended …" of finished jobs; without it no end time is shown. */
  now?: number;
}

/** One line beside the label: short state (· ended …) · elapsed / limit · partition · nodes · #tags. */
export function jobDescription(job: Job, o: JobTextOptions = {}): string {
  const ended = isTerminal(job.state) && o.now !== undefined ? endedText(job.endTime, o.now) : undefined;
  const parts = [shortStateText(job, o.users), ended, timeText(job, o.at), job.partition, job.nodes, job.tags.map((t) => `#${t}`).join(' ')];
  return parts.filter(Boolean).join(' · ');
}

/** Menus match on these: `job.pending`, `job.pending.held`, `job.running.task`, `job.finished`… */
export function jobContextValue(job: Job): string {
  const parts = ['job', stateClass(job.state)];
  if (isHeld(job)) parts.push('held');
  if (job.arrayJobId !== undefined) parts.push('task');
  return parts.join('.');
}

/** Array parents: `job.array.active` while any task is queued or running, else `job.array.finished`. */
export function arrayContextValue(tasks: readonly Job[]): string {
  return tasks.some((t) => !isTerminal(t.state)) ? 'job.array.active' : 'job.array.finished';
}

/** Markdown-safe text (the tooltip is a MarkdownString with theme icons on). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+!|<>~$]/g, (c) => `\\${c}`);
}

function row(name: string, value: string | number | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return `**${name}:** ${escapeMarkdown(String(value))}`;
}

/** Tooltip body (Markdown): everything the row has no room for, submit time and work dir included. */
export function jobTooltip(job: Job, host: string, users?: UserNames): string {
  const icon = stateIcon(job).id.replace(/~spin$/, '');
  const head = `$(${icon}) **${escapeMarkdown(jobLabel(job))}** — ${escapeMarkdown(stateText(job, users))}`;
  const rows = [
    row('Host', host),
    row('Partition', job.partition),
    row('Elapsed', job.elapsed && durationText(job.elapsed)),
    row('Time limit', job.timeLimit && durationText(job.timeLimit)),
    row('Reason', job.reason),
    row('Nodes', job.nodes ? `${job.nodes}${job.nodeCount ? ` (${job.nodeCount})` : ''}` : undefined),
    row('Submitted', prettyTime(job.submitTime)),
    // A pending job's start time is the scheduler's estimate (SLURM: what `squeue --start` prints).
    row(stateClass(job.state) === 'pending' ? 'Estimated start' : 'Started', prettyTime(job.startTime)),
    row(isTerminal(job.state) ? 'Ended' : 'Expected end', prettyTime(job.endTime)),
    row('Exit code', job.exitCode !== undefined ? `${job.exitCode}${job.signal ? ` (signal ${job.signal})` : ''}` : undefined),
    row('Work dir', job.workDir),
    row('Tags', job.tags.join(', ')),
    row('Comment', job.comment),
    row('Priority', job.priority),
    row('Nice', job.nice || undefined),
  ].filter((r): r is string => r !== undefined);
  return [head, '', ...rows].join('  \n');
}

/** `2024-05-01T10:11:12` → `2024-05-01 10:11:12`. */
function prettyTime(t: string | undefined): string | undefined {
  return t ? t.replace('T', ' ') : undefined;
}

/** Host row: `2 running · 1 pending`, or undefined when nothing is active. */
export function hostSummary(jobs: readonly Job[]): string | undefined {
  let running = 0;
  let pending = 0;
  for (const j of jobs) {
    const c = stateClass(j.state);
    if (c === 'running') running++;
    else if (c === 'pending') pending++;
  }
  const parts = [running ? `${running} running` : '', pending ? `${pending} pending` : ''].filter(Boolean);
  return parts.length ? parts.join(' · ') : undefined;
}

/** Array row: `3 running · 5 pending · 2 completed`, states in a stable order. */
export function arraySummary(tasks: readonly Job[]): string {
  const counts = new Map<string, number>();
  const order: string[] = [];
  const sorted = [...tasks].sort((a, b) => rank(a.state) - rank(b.state));
  for (const t of sorted) {
    const key = t.state.toLowerCase().replace(/_/g, ' ');
    if (!counts.has(key)) order.push(key);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return order.map((k) => `${counts.get(k)} ${k}`).join(' · ');
}

const RANK: JobState[] = ['RUNNING', 'COMPLETING', 'CONFIGURING', 'PENDING', 'REQUEUED', 'SUSPENDED', 'STOPPED', 'FAILED', 'OUT_OF_MEMORY', 'TIMEOUT', 'NODE_FAIL', 'CANCELLED', 'COMPLETED'];
function rank(s: JobState): number {
  const i = RANK.indexOf(s);
  return i < 0 ? RANK.length : i;
}

/** The state an array row shows: the "most alive" task, else the worst outcome, else COMPLETED. */
export function arrayState(tasks: readonly Job[]): JobState {
  if (tasks.length === 0) return 'UNKNOWN';
  const active = tasks.filter((t) => !isTerminal(t.state));
  if (active.length) return [...active].sort((a, b) => rank(a.state) - rank(b.state))[0]?.state ?? 'UNKNOWN';
  const bad = tasks.filter((t) => t.state !== 'COMPLETED').sort((a, b) => rank(a.state) - rank(b.state))[0];
  return bad ? bad.state : 'COMPLETED';
}
