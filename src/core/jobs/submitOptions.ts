/**
 * "Submit Job" on a batch script: what goes on the submit command line. Three sources, in order of
 * precedence: what the user picked in the quick pick, the script's own directive lines (read by
 * the host's {@link Scheduler}), and the
 * per-host defaults from `remoteHpc.jobs.defaults`. Options the script already sets are not
 * repeated on the command line (where they would silently override it). Pure.
 */
import { MAIL_EVENTS, type JobSubmitSpec, type MailEvent, type Scheduler, type ScriptDirectives } from '../scheduler/types';
import { commentWithTags, isTag, tagsFromComment } from '../scheduler/tags';
import { splitShellWords } from '../scheduler/shellWords';
import { isDependency } from '../scheduler/formats';

/** One host's entry in `remoteHpc.jobs.defaults`. */
export interface HostJobDefaults {
  partition?: string;
  account?: string;
  time?: string;
  /** Further sbatch options, one argv word each (`--qos=debug`). */
  extraArgs?: string[];
  /** Job-end mail: who gets it (`--mail-user`) and when (`--mail-type`). */
  mailUser?: string;
  mailType?: MailEvent[];
}

/** The keys of a host's defaults, in the order they are shown. */
export const DEFAULT_KEYS = ['partition', 'account', 'time', 'extraArgs', 'mailUser', 'mailType'] as const satisfies readonly (keyof HostJobDefaults)[];

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
}

function safeWords(s: string): string[] {
  try {
    return splitShellWords(s);
  } catch {
    return [];
  }
}

/** Mail events from a list or a comma-separated string (`"END,FAIL"`), known ones only, once each. */
function mailEvents(x: unknown): MailEvent[] {
  const words = typeof x === 'string' ? x.split(',') : Array.isArray(x) ? x : [];
  const known = words.filter((w): w is string => typeof w === 'string').map((w) => w.trim().toLowerCase()).filter((w): w is MailEvent => (MAIL_EVENTS as readonly string[]).includes(w));
  return [...new Set(known)];
}

/** One entry of `remoteHpc.jobs.defaults` (or the cluster's settings file), unknown keys and bad values dropped. */
export function readEntry(x: unknown): HostJobDefaults {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return {};
  const o = x as Record<string, unknown>;
  const out: HostJobDefaults = {};
  const partition = str(o.partition);
  const account = str(o.account);
  const time = str(o.time);
  if (partition) out.partition = partition;
  if (account) out.account = account;
  if (time) out.time = time;
  const extra = o.extraArgs;
  // Options only: a bare word would be taken for the script (the cluster's file is read, not trusted).
  const words = (typeof extra === 'string' ? safeWords(extra) : Array.isArray(extra) ? extra.filter((w): w is string => typeof w === 'string') : []).filter((w) => w.startsWith('-'));
  if (words.length) out.extraArgs = words;
  const mailUser = str(o.mailUser);
  if (mailUser && !/[\n\r,]/.test(mailUser)) out.mailUser = mailUser;
  const mail = mailEvents(o.mailType);
  if (mail.length) out.mailType = mail;
  return out;
}

/** Where a host default came from: the local settings or the cluster's settings file. */
export type DefaultOrigin = 'local' | 'cluster';

/**
 * Local defaults over the cluster's (local wins key by key; extra args are the local ones when
 * set, else the cluster's), with where each value came from.
 */
export function mergeDefaults(local: HostJobDefaults, cluster: HostJobDefaults): { defaults: HostJobDefaults; origin: Partial<Record<keyof HostJobDefaults, DefaultOrigin>> } {
  const defaults: HostJobDefaults = {};
  const origin: Partial<Record<keyof HostJobDefaults, DefaultOrigin>> = {};
  for (const k of DEFAULT_KEYS) {
    const [v, o] = local[k] !== undefined ? [local[k], 'local' as const] : cluster[k] !== undefined ? [cluster[k], 'cluster' as const] : [undefined, undefined];
    if (v === undefined || o === undefined) continue;
    (defaults as Record<string, unknown>)[k] = v;
    origin[k] = o;
  }
  return { defaults, origin };
}

/** The defaults for `host`: the `*` entry, overlaid by the host's own (extra args are added up). */
export function defaultsFor(setting: unknown, host: string): HostJobDefaults {
  if (typeof setting !== 'object' || setting === null || Array.isArray(setting)) return {};
  const all = setting as Record<string, unknown>;
  const star = readEntry(all['*']);
  const own = readEntry(all[host]);
  const merged: HostJobDefaults = { ...star, ...own };
  const extra = [...(star.extraArgs ?? []), ...(own.extraArgs ?? [])];
  if (extra.length) merged.extraArgs = extra;
  else delete merged.extraArgs;
  return merged;
}

/** What the user chose in the quick pick; undefined = keep the script's / default value. */
export interface SubmitOverrides {
  name?: string;
  partition?: string;
  account?: string;
  time?: string;
  /** Replaces the default extra args. */
  extraArgs?: string[];
  tags?: string[];
  nice?: number;
  /** `afterok:123`, `afterany:1:2,singleton`. */
  dependency?: string;
  hold?: boolean;
  /** '' asks for no mail address on the command line (the scheduler's default). */
  mailUser?: string;
  /** [] asks for no mail. */
  mailType?: MailEvent[];
}

type OptionSource = 'you' | 'script' | 'default';

export interface Resolved<T> {
  value: T | undefined;
  source: OptionSource | undefined;
}

export interface ResolvedSubmit {
  name: Resolved<string>;
  partition: Resolved<string>;
  account: Resolved<string>;
  time: Resolved<string>;
  extraArgs: Resolved<string[]>;
  tags: Resolved<string[]>;
  nice: Resolved<number>;
  dependency: Resolved<string>;
  mailUser: Resolved<string>;
  /** From the script: as written there (`END,FAIL`); else the events. */
  mailType: Resolved<MailEvent[] | string>;
  hold: boolean;
}

function pick<T>(override: T | undefined, script: T | undefined, def: T | undefined): Resolved<T> {
  if (override !== undefined) return { value: override, source: 'you' };
  if (script !== undefined) return { value: script, source: 'script' };
  if (def !== undefined) return { value: def, source: 'default' };
  return { value: undefined, source: undefined };
}

/** Every option's effective value and where it came from (shown in the quick pick). */
export function resolveSubmit(defaults: HostJobDefaults, directives: ScriptDirectives, overrides: SubmitOverrides): ResolvedSubmit {
  const scriptTags = directives.comment !== undefined ? tagsFromComment(directives.comment) : undefined;
  return {
    name: pick(overrides.name, directives.name, undefined),
    partition: pick(overrides.partition, directives.partition, defaults.partition),
    account: pick(overrides.account, directives.account, defaults.account),
    time: pick(overrides.time, directives.time, defaults.time),
    extraArgs: pick(overrides.extraArgs, undefined, defaults.extraArgs),
    tags: pick(overrides.tags, scriptTags?.length ? scriptTags : undefined, undefined),
    nice: pick(overrides.nice, directives.nice, undefined),
    dependency: pick(overrides.dependency, directives.dependency, undefined),
    mailUser: pick(overrides.mailUser, directives.mailUser, defaults.mailUser),
    mailType: pick<MailEvent[] | string>(overrides.mailType, directives.mailType, defaults.mailType),
    hold: overrides.hold === true,
  };
}

/** The comment without its `tags=…` part (ours to rewrite). */
export function commentWithoutTags(comment: string): string {
  return comment
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !/^tags=/.test(p))
    .join('; ')
    .replace(/(?:^|\s)tags=\S*/g, '')
    .trim();
}

/**
 * The submit spec for a script on the cluster, run from its folder. Options whose value comes
 * from the script itself are left out (the scheduler reads them from the script).
 */
export function scriptSubmitSpec(scriptPath: string, cwd: string, r: ResolvedSubmit, directives: ScriptDirectives): JobSubmitSpec {
  const spec: JobSubmitSpec = { script: scriptPath, cwd };
  const mine = <T>(o: Resolved<T>): T | undefined => (o.source === 'you' || o.source === 'default' ? o.value : undefined);
  const name = mine(r.name);
  const partition = mine(r.partition);
  const account = mine(r.account);
  const time = mine(r.time);
  const nice = mine(r.nice);
  if (name !== undefined && name !== directives.name) spec.name = name;
  if (partition !== undefined && partition !== directives.partition) spec.partition = partition;
  if (account !== undefined && account !== directives.account) spec.account = account;
  if (time !== undefined && time !== directives.time) spec.time = time;
  if (nice !== undefined && nice !== directives.nice) spec.nice = nice;
  const dependency = mine(r.dependency);
  if (dependency !== undefined && dependency !== directives.dependency) spec.dependency = dependency;
  const extra = mine(r.extraArgs);
  if (extra?.length) spec.extraArgs = extra;
  const mailUser = mine(r.mailUser);
  if (mailUser) spec.mailUser = mailUser;
  const mailType = mine(r.mailType);
  if (Array.isArray(mailType) && mailType.length) spec.mailEvents = mailType;
  if (r.tags.source === 'you') {
    // --comment on the command line replaces the script's: keep its text, swap the tags.
    const base = directives.comment !== undefined ? commentWithoutTags(directives.comment) : '';
    const comment = commentWithTags(base || undefined, r.tags.value ?? []);
    if (comment !== undefined) spec.comment = comment;
  }
  if (r.hold) spec.hold = true;
  return spec;
}

/**
 * A time limit as people read it: `2` → `2 min`, `1:30:00` → `1 h 30 min`, `2-00` → `2 days`
 * (SLURM's forms: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S). Anything else is shown as written.
 */
export function timeLimitText(t: string): string {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t.trim());
  if (!m) return /^(?:UNLIMITED|INFINITE)$/i.test(t.trim()) ? 'no limit' : t;
  const [, d, a, b, c] = m;
  const n = (x: string | undefined) => Number(x ?? 0);
  // With a day part the numbers are D-H[:M[:S]]; without, M, M:S or H:M:S.
  const [days, hours, mins, secs] = d !== undefined ? [n(d), n(a), n(b), n(c)] : c !== undefined ? [0, n(a), n(b), n(c)] : [0, 0, n(a), n(b)];
  let total = ((days * 24 + hours) * 60 + mins) * 60 + secs;
  if (total === 0) return '0 min';
  const parts: string[] = [];
  for (const [size, unit] of [[86400, 'day'], [3600, 'h'], [60, 'min'], [1, 's']] as const) {
    const k = Math.floor(total / size);
    total -= k * size;
    if (k) parts.push(unit === 'day' ? `${k} day${k === 1 ? '' : 's'}` : `${k} ${unit}`);
  }
  return parts.join(' ');
}

/** What the script sets that the pick does not offer to change (`array 0-9 · output logs/%j.out`). */
export function scriptOnlyText(directives: ScriptDirectives): string | undefined {
  const parts = (['array', 'output', 'error'] as const).filter((k) => directives[k] !== undefined).map((k) => `${k} ${directives[k]}`);
  return parts.length ? parts.join(' · ') : undefined;
}

/** Input-box checks; undefined when fine. An empty time limit is fine (no limit asked for). */
export function checkTime(v: string, scheduler: Pick<Scheduler, 'checkTimeLimit'>): string | undefined {
  return v.trim() === '' ? undefined : scheduler.checkTimeLimit(v.trim());
}

export function parseTags(v: string): { tags: string[]; error?: string } {
  const tags = v
    .split(/[\s,]+/)
    .map((t) => t.trim().replace(/^#/, ''))
    .filter(Boolean);
  const bad = tags.find((t) => !isTag(t));
  return bad ? { tags, error: `Tag "${bad}" must not contain ';' or '='` } : { tags: [...new Set(tags)] };
}

export function checkExtraArgs(v: string): string | undefined {
  let words: string[];
  try {
    words = splitShellWords(v);
  } catch {
    return 'Unbalanced quotes';
  }
  const bad = words.find((w) => !w.startsWith('-'));
  return bad ? `"${bad}" must start with '-' (write --option=value as one word)` : undefined;
}

export function checkDependency(v: string): string | undefined {
  return v.trim() === '' || isDependency(v.trim()) ? undefined : 'Like afterok:123, afterany:1:2 or singleton';
}

export function parseNice(v: string): { nice?: number; error?: string } {
  const t = v.trim();
  if (t === '') return {};
  if (!/^-?\d+$/.test(t)) return { error: 'A whole number (positive lowers the priority)' };
  return { nice: Number(t) };
}

/** How the submit pick names a scheduler's program, its queues and an example of its options. */
export function submitWords(kind: string): { program: string; queue: string; example: string } {
  if (kind === 'pbs') return { program: 'qsub', queue: 'Queue', example: '-Pproject -lplace=scatter' };
  if (kind === 'torque') return { program: 'qsub', queue: 'Queue', example: '-lfeature=gpu' };
  if (kind === 'gridengine') return { program: 'qsub', queue: 'Queue', example: '-P project -l gpu=1' };
  return { program: 'sbatch', queue: 'Partition', example: '--qos=debug --mail-type=END' };
}
