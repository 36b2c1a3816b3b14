/**
 * `*.pool.json`: a list of jobs for a host pool, glimpse's Builder as a file. Each job is an argv
 * (`commands`: the program and its arguments, never a shell line), local `files` copied into the
 * job's folder on the host before it starts, a `name`, and `repeat` (how many copies; the file's
 * `repeat` is the default, glimpse's SetRepeat). Validated by hand with the same rules as
 * schemas/pool.schema.json. {@link PoolJobBuilder} is the same in code (AddJob / SetRepeat /
 * MakeJobSpecs). No `vscode`.
 */
import type { JobSpecError } from './jobSpec';

export interface PoolJobEntry {
  /** Program and arguments, one argv word each. */
  commands: string[];
  /** Local paths (relative to the `.pool.json`'s folder) copied into the job's working folder. */
  files?: string[];
  name?: string;
  repeat?: number;
}

export interface PoolFile {
  $schema?: string;
  /** Which pool (`remoteHpc.pools` key) runs it; asked for when absent. */
  pool?: string;
  /** A name for the run (shown in the Jobs view and the event log). */
  name?: string;
  /** Default repeat of every job (1 when absent). */
  repeat?: number;
  jobs: PoolJobEntry[];
}

/** One job to run: a file entry with its repeat expanded. */
export interface PoolJobSpec {
  name: string;
  argv: string[];
  files: string[];
  /** Which copy of its entry this is (0-based), exported to the job as RHPC_POOL_REPEAT. */
  repeatIndex: number;
}

/** At most this many jobs in one run (a typo in `repeat` must not launch a million jobs). */
export const MAX_POOL_JOBS = 10_000;

const ONE_LINE = /^[^\n\r\0]*$/;
const FILE_KEYS = new Set(['$schema', 'pool', 'name', 'repeat', 'jobs']);
const JOB_KEYS = new Set(['commands', 'files', 'name', 'repeat']);

/** The name a copied file gets in the job's folder, or why it cannot be copied under its own name. */
export function copiedName(file: string): { name?: string; error?: string } {
  const name = file.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  if (name === '' || name === '.' || name === '..') return { error: `"${file}" names no file` };
  return { name };
}

/** Checks a parsed `*.pool.json`; an empty list means it is valid. */
export function validatePoolFile(obj: unknown): JobSpecError[] {
  const errors: JobSpecError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return [{ path: '', message: 'A pool job list must be a JSON object' }];
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FILE_KEYS.has(k)) err(`/${k}`, `Unknown property "${k}"`);
  for (const k of ['pool', 'name'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '' || !ONE_LINE.test(v))) err(`/${k}`, `"${k}" must be a non-empty string on one line`);
  }
  checkRepeat(o.repeat, '/repeat', err);
  if (!Array.isArray(o.jobs) || o.jobs.length === 0) {
    err('/jobs', '"jobs" must be a non-empty array');
    return errors;
  }
  let total = 0;
  o.jobs.forEach((j: unknown, i) => {
    const at = `/jobs/${i}`;
    if (typeof j !== 'object' || j === null || Array.isArray(j)) return void err(at, 'A job must be an object');
    const job = j as Record<string, unknown>;
    for (const k of Object.keys(job)) if (!JOB_KEYS.has(k)) err(`${at}/${k}`, `Unknown property "${k}"`);
    if (!Array.isArray(job.commands) || job.commands.length === 0) err(`${at}/commands`, '"commands" must be a non-empty array of strings (the program, then its arguments)');
    else
      job.commands.forEach((c: unknown, n) => {
        if (typeof c !== 'string' || c.includes('\0')) err(`${at}/commands/${n}`, '"commands" items must be strings');
        else if (n === 0 && c.trim() === '') err(`${at}/commands/0`, 'The program must not be empty');
      });
    if (job.files !== undefined) {
      if (!Array.isArray(job.files)) err(`${at}/files`, '"files" must be an array of strings');
      else {
        const seen = new Set<string>();
        job.files.forEach((f: unknown, n) => {
          if (typeof f !== 'string' || !ONE_LINE.test(f) || f.trim() === '') return void err(`${at}/files/${n}`, '"files" items must be non-empty strings on one line');
          const { name, error } = copiedName(f);
          if (error) return void err(`${at}/files/${n}`, error);
          if (seen.has(name as string)) err(`${at}/files/${n}`, `Two files would both be copied as "${name}"`);
          seen.add(name as string);
        });
      }
    }
    if (job.name !== undefined && (typeof job.name !== 'string' || !ONE_LINE.test(job.name))) err(`${at}/name`, '"name" must be a string on one line');
    checkRepeat(job.repeat, `${at}/repeat`, err);
    const r = typeof job.repeat === 'number' ? job.repeat : typeof o.repeat === 'number' ? o.repeat : 1;
    total += Number.isInteger(r) && r > 0 ? r : 0;
  });
  if (total > MAX_POOL_JOBS) err('/jobs', `${total} jobs in one run; at most ${MAX_POOL_JOBS}`);
  return errors;
}

function checkRepeat(v: unknown, path: string, err: (path: string, message: string) => void): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) err(path, '"repeat" must be a whole number, at least 1');
}

/** The parsed file, or an Error naming every problem. */
export function parsePoolFile(text: string): PoolFile {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new Error(`Not valid JSON: ${(e as Error).message}`);
  }
  const errors = validatePoolFile(obj);
  if (errors.length) throw new Error(errors.map((e) => `${e.path || '/'}: ${e.message}`).join('\n'));
  return obj as PoolFile;
}

/** glimpse's Builder: jobs added one by one, with a default repeat. */
export class PoolJobBuilder {
  private repeat = 1;
  private readonly entries: PoolJobEntry[] = [];

  /** The default number of copies of jobs that set none. */
  setRepeat(repeat: number): this {
    checkRepeat(repeat, '/repeat', (_p, m) => {
      throw new Error(m);
    });
    this.repeat = repeat;
    return this;
  }

  addJob(job: PoolJobEntry): this {
    this.entries.push(job);
    return this;
  }

  /** Every job, each entry's copies in a row; throws on an invalid entry. */
  makeJobSpecs(): PoolJobSpec[] {
    return poolJobSpecs(parsePoolFile(JSON.stringify({ repeat: this.repeat, jobs: this.entries })));
  }
}

/** The jobs of a valid file, repeats expanded, named `name` or the program's name, `#n` for copies. */
export function poolJobSpecs(file: PoolFile): PoolJobSpec[] {
  const out: PoolJobSpec[] = [];
  for (const e of file.jobs) {
    const n = e.repeat ?? file.repeat ?? 1;
    const base = e.name ?? (e.commands[0] as string).split('/').pop() ?? 'job';
    for (let i = 0; i < n; i++) out.push({ name: n > 1 ? `${base} #${i + 1}` : base, argv: [...e.commands], files: [...(e.files ?? [])], repeatIndex: i });
  }
  return out;
}

/**
 * Run on Pool on a plain script: `repeat` jobs, each `bash <script>` in its own folder with the
 * script copied there (`#n` names and RHPC_POOL_REPEAT 0..repeat-1 tell the copies apart).
 */
export function scriptJobSpecs(script: string, repeat: number): PoolJobSpec[] {
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_POOL_JOBS) throw new Error(`Repeat must be a whole number from 1 to ${MAX_POOL_JOBS}`);
  return new PoolJobBuilder().setRepeat(repeat).addJob({ name: script, commands: ['bash', script], files: [script] }).makeJobSpecs();
}

/** A pool as `remoteHpc.pools` names it: hosts from the Hosts list, each with the same number of slots. */
export interface PoolConfig {
  hosts: string[];
  slotsPerHost: number;
}

/** The Jobs view's name for a pool: one more "host" whose scheduler is the pool. */
const POOL_HOST_PREFIX = 'pool:';

export function poolHostAlias(pool: string): string {
  return `${POOL_HOST_PREFIX}${pool}`;
}

/** The pool a Jobs view host stands for, or undefined for a real host. */
export function poolOfHost(host: string): string | undefined {
  return host.startsWith(POOL_HOST_PREFIX) ? host.slice(POOL_HOST_PREFIX.length) : undefined;
}

/** Why `value` (one entry of `remoteHpc.pools`) is not a pool; undefined when it is. */
export function checkPoolConfig(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object with "hosts" and "slotsPerHost"';
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.hosts) || v.hosts.length === 0 || !v.hosts.every((h) => typeof h === 'string' && h.trim() !== '' && !h.startsWith(POOL_HOST_PREFIX))) return '"hosts" must be a non-empty list of host aliases';
  if (v.slotsPerHost !== undefined && (typeof v.slotsPerHost !== 'number' || !Number.isInteger(v.slotsPerHost) || v.slotsPerHost < 1 || v.slotsPerHost > 256)) return '"slotsPerHost" must be a whole number from 1 to 256';
  return undefined;
}

/** glimpse's resource states, for slots and hosts. */
export type ResourceState = 'free' | 'busy' | 'done' | 'unknown' | 'error';

/** One host of a pool as the Jobs view shows it: its state and each slot's. */
export interface PoolHostView {
  host: string;
  state: ResourceState;
  error?: string;
  slots: { state: ResourceState; job?: string }[];
}

/** What features use of the pool runs (the implementation is the scheduler factory's). */
export interface PoolService {
  /** Starts a run of `jobs` on `pool`; local files are resolved against `baseDir`. Resolves with the run id. */
  start(run: { pool: string; name: string; jobs: PoolJobSpec[]; baseDir?: string }): Promise<string>;
  /** Pools with runs this profile knows (running or finished). */
  pools(): string[];
  /** The hosts and slots of a pool, over its runs still going (the latest run when none is). */
  hostViews(pool: string): PoolHostView[];
  /** The runs of a pool, newest first. */
  runs(pool: string): { runId: string; name: string; finished: boolean; createdAt: number }[];
  eventLog(runId: string): string;
  /** The real host that holds a path of a pool job's folder (for reading outputs), else undefined. */
  hostOfPath(pool: string, path: string): string | undefined;
  /** Fires when a run, job or slot changed. */
  onDidChange(listener: () => void): { dispose(): void };
}
