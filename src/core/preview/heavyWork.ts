/**
 * Where heavy preview work runs (Make Video, gallery thumbnails, Convert to WebM): on the login
 * node under `nice`, or as a short batch job through the host's Scheduler, a per-host choice
 * (`remoteHpc.preview.heavyWork`). Either way the work is a script in a private work folder,
 * run by `sh`; a runner hands back its exit code and output as RemoteOps.run does, reports
 * queued / running / done, and on cancel stops the work (kills the login-node process, cancels
 * the job) before it returns, so the caller may remove the folder.
 */
import { CancelledError, delay } from '../cancel';
import { silentLogger, type Logger } from '../log';
import type { RemoteOps, RunResult } from '../remote/types';
import { SchedulerError } from '../scheduler/command';
import { isTerminal, type JobState, type JobSubmitSpec, type Scheduler } from '../scheduler/types';
import { PREVIEW_JOB_TAG } from '../scheduler/tags';
import { quoteArg } from '../ssh/quote';

// ------------------------------------------------------------------ the setting

/** What a batch job of preview work asks for. */
interface BatchResources {
  partition?: string;
  account?: string;
  /** Time limit as the scheduler takes it (`10`, `0:30:00`); default 10 minutes. */
  time: string;
  cpus: number;
  /** `2G`, `500M`; the cluster's default when absent. */
  mem?: string;
  /** Further scheduler options, one argv word each. */
  extraArgs?: string[];
}

export type HeavyWorkChoice = { runOn: 'login' } | { runOn: 'batch'; batch: BatchResources };

/** Remote preview work on a login node yields to interactive users. */
export const DEFAULT_NICE = 10;
const DEFAULT_BATCH_TIME = '10';
const DEFAULT_BATCH_CPUS = 2;

function record(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

function text(x: unknown): string | undefined {
  if (typeof x === 'number' && Number.isFinite(x)) return String(x);
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
}

/**
 * One host's choice from `remoteHpc.preview.heavyWork` (`*` overlaid by the host's own entry,
 * key by key); partition and account default to `fallback` (the host's `jobs.defaults`). Pure.
 */
export function heavyWorkFor(setting: unknown, host: string, fallback: { partition?: string; account?: string } = {}): HeavyWorkChoice {
  const all = record(setting);
  const e = { ...record(all['*']), ...record(all[host]) };
  if (e.runOn !== 'batch') return { runOn: 'login' };
  const cpus = typeof e.cpus === 'number' && Number.isInteger(e.cpus) && e.cpus >= 1 ? e.cpus : DEFAULT_BATCH_CPUS;
  const batch: BatchResources = { time: text(e.time) ?? DEFAULT_BATCH_TIME, cpus };
  const partition = text(e.partition) ?? fallback.partition;
  const account = text(e.account) ?? fallback.account;
  const mem = text(e.memory);
  const extra = Array.isArray(e.extraArgs) ? e.extraArgs.filter((w): w is string => typeof w === 'string' && w !== '') : [];
  if (partition) batch.partition = partition;
  if (account) batch.account = account;
  if (mem) batch.mem = mem;
  if (extra.length) batch.extraArgs = extra;
  return { runOn: 'batch', batch };
}

// ------------------------------------------------------------------ private work folders

/**
 * A private work folder in `parent`: made by `mktemp -d` (mode 0700 whatever the umask, a name
 * nobody can take first) and chmod'ed 0700 again, so no group member can swap a script in it.
 */
export async function privateRemoteDir(ops: RemoteOps, parent: string, prefix: string): Promise<string> {
  const stem = `${parent === '/' ? '' : parent}/${prefix}`;
  const r = await ops.run(['mktemp', '-d', `${stem}XXXXXXXXXX`], { timeoutMs: 20_000 });
  const dir = r.stdout.toString('utf8').replace(/\n$/, '');
  if (r.code !== 0 || !dir.startsWith(stem)) {
    // mktemp names its template ("failed to create directory via template '…': Permission denied"): only the reason is the user's.
    const reason = r.stderr.toString('utf8').trim().split('\n').pop()?.split(': ').pop() || `exit ${r.code}`;
    throw new Error(`Could not write in ${parent}: ${reason}`);
  }
  await chmodRemote(ops, '700', [dir]);
  return dir;
}

async function chmodRemote(ops: RemoteOps, mode: string, paths: string[]): Promise<void> {
  const r = await ops.run(['chmod', mode, '--', ...paths], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`chmod ${mode} failed: ${r.stderr.toString('utf8').trim()}`);
}

/** Writes files into a private work folder, each readable by the user alone. */
export async function writePrivateFiles(ops: RemoteOps, dir: string, files: Record<string, string | Buffer>): Promise<void> {
  const paths = Object.keys(files).map((name) => `${dir}/${name}`);
  for (const [name, data] of Object.entries(files)) await ops.writeFileAtomic(`${dir}/${name}`, Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'), { create: true, overwrite: true });
  await chmodRemote(ops, '600', paths);
}

/**
 * `~/.cache/remote-hpc` (made 0700 if missing): where work with no folder of its own (batch
 * thumbnails, conversions kept out of the source folder) gets its private folder. In the home
 * directory because compute nodes see it; a login node's /tmp is its own.
 */
export async function remoteWorkParent(ops: RemoteOps): Promise<string> {
  const home = await ops.home();
  const dir = `${home === '/' ? '' : home}/.cache/remote-hpc`;
  const r = await ops.run(['mkdir', '-p', '-m', '700', '--', dir], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`Could not make ${dir}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
  return dir;
}

// ------------------------------------------------------------------ runners

type HeavyPhase = 'queued' | 'running' | 'done';

export interface HeavyStatus {
  phase: HeavyPhase;
  where: 'login' | 'batch';
  jobId?: string;
  /** Why a job waits (`Priority`, `Resources`), as the scheduler says. */
  reason?: string;
}

/** "Batch job 12 queued (Priority)" / "Batch job 12 running"; undefined for the login node and for done. */
export function batchStatusMessage(s: HeavyStatus): string | undefined {
  if (s.where !== 'batch' || s.phase === 'done') return undefined;
  return s.phase === 'queued' ? `Batch job ${s.jobId ?? ''} queued${s.reason ? ` (${s.reason})` : ''}` : `Batch job ${s.jobId ?? ''} running`;
}

interface HeavyJob {
  /** The host's current RemoteOps. */
  ops: RemoteOps;
  /** Absolute path of the script (run by `sh`), in `workDir`. */
  script: string;
  /** The private work folder; a batch job's output files go there too. */
  workDir: string;
  /** Job name shown by the scheduler. */
  name: string;
  signal?: AbortSignal;
  onStatus?(s: HeavyStatus): void;
  /** Largest stdout / stderr read back from a batch job (default 64 MiB). */
  maxOutputBytes?: number;
}

export interface HeavyRunner {
  readonly where: 'login' | 'batch';
  /** Niceness the work should ask for (a batch job has its own allocation: 0). */
  readonly nice: number;
  /** Runs `sh <script>`; throws CancelledError once a cancelled run has stopped. */
  run(job: HeavyJob): Promise<RunResult>;
}

/**
 * Kills the process whose pid is in $1 if it still runs and its command line still names the
 * work folder $2 (a recycled pid is left alone), and waits up to 5 s for it to go.
 */
const KILL_SCRIPT = `p=$(cat "$1" 2>/dev/null) || exit 0
case "$p" in ''|*[!0-9]*) exit 0;; esac
if [ -r "/proc/$p/cmdline" ] && ! tr '\\0' ' ' < "/proc/$p/cmdline" | grep -qF -- "$2"; then exit 0; fi
kill -TERM "$p" 2>/dev/null || exit 0
i=0
while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "$p" 2>/dev/null || true`;

/**
 * On the login node, over RemoteOps.run. The wrapper records its pid and `exec`s the script (which
 * `exec`s its program in turn), so one pid is the work from start to end: on cancel it is killed
 * by that pid too, since over plain exec closing the channel may not reach it.
 */
export function loginRunner(nice: number): HeavyRunner {
  return {
    where: 'login',
    nice,
    async run(job) {
      const { ops } = job;
      const pidFile = `${job.workDir}/pid`;
      job.onStatus?.({ phase: 'running', where: 'login' });
      try {
        const res = await ops.run(['sh', '-c', 'echo $$ > "$1" && exec sh "$2"', 'sh', pidFile, job.script], { signal: job.signal });
        if (job.signal?.aborted) throw new CancelledError();
        job.onStatus?.({ phase: 'done', where: 'login' });
        return res;
      } catch (err) {
        if (!job.signal?.aborted) throw err;
        await ops.run(['sh', '-c', KILL_SCRIPT, 'sh', pidFile, job.workDir], { timeoutMs: 15_000 }).catch(() => undefined);
        throw new CancelledError();
      }
    },
  };
}

interface BatchRunnerOptions {
  scheduler: Scheduler;
  /** The login name on the host (whose queue is polled). */
  user(): Promise<string>;
  batch: BatchResources;
  log?: Logger;
  /** Poll interval at the start, growing to 10 s over a few minutes (default 1000 ms). */
  pollMs?: number;
}

const QUEUED: ReadonlySet<JobState> = new Set<JobState>(['PENDING', 'CONFIGURING', 'REQUEUED', 'SUSPENDED', 'STOPPED']);
const STATUS_FILE = 'exit-status';
/** Job output paths, relative to the job's folder: no user text reaches the scheduler's filename patterns. */
const JOB_OUT = 'job.out';
const JOB_ERR = 'job.err';

/**
 * As a batch job: `sbatch` of a wrapper (on stdin) that runs the script in its folder and writes
 * its exit code there; the queue is polled for queued → running → gone; the code and the job's
 * output files are read back. A job gone without an exit code was stopped by the scheduler
 * (time limit, memory, node failure): accounting says how.
 */
function batchRunner(o: BatchRunnerOptions): HeavyRunner {
  const log = o.log ?? silentLogger;
  const pollMs = o.pollMs ?? 1000;
  const { scheduler, batch } = o;

  async function readBounded(ops: RemoteOps, path: string, max: number): Promise<Buffer | undefined> {
    const [st] = await ops.stat([path]);
    if (!st) return undefined;
    if (st.size > max) throw new Error(`The batch job wrote more than ${max} bytes to ${path}`);
    return ops.readFile(path, { offset: 0, length: max + 1 });
  }

  /** Polls until the job left the queue (or ended); reports queued / running on change. */
  async function waitGone(id: string, job: HeavyJob, user: string, signal?: AbortSignal, limitMs = Infinity): Promise<void> {
    const t0 = Date.now();
    let last = '';
    let failures = 0;
    for (;;) {
      const elapsed = Date.now() - t0;
      if (elapsed > limitMs) throw new Error(`Job ${id} is still in the queue after ${Math.round(limitMs / 1000)} s`);
      await delay(Math.min(10_000, pollMs + elapsed / 20), signal);
      if (signal?.aborted) return;
      let state: JobState | undefined;
      let reason = '';
      try {
        const j = (await scheduler.list(user)).find((x) => x.id === id);
        state = j?.state;
        reason = j?.reason ?? '';
        failures = 0;
      } catch (e) {
        if (++failures >= 5) throw e;
        log.debug(`[heavy] polling job ${id}: ${String(e)}`);
        continue;
      }
      if (state === undefined || isTerminal(state)) return;
      const phase: HeavyPhase = QUEUED.has(state) ? 'queued' : 'running';
      const key = `${phase}\0${reason}`;
      if (key !== last) {
        last = key;
        job.onStatus?.({ phase, where: 'batch', jobId: id, ...(phase === 'queued' && reason ? { reason } : {}) });
      }
    }
  }

  /** Why a job that wrote no exit code ended, from accounting (which may lag a few seconds). */
  async function endedHow(id: string): Promise<string> {
    for (let i = 0; i < 5; i++) {
      const [j] = await scheduler.finalState([id]).catch(() => []);
      if (j && j.state !== 'PENDING' && j.state !== 'RUNNING') {
        const hint = j.state === 'TIMEOUT' ? ` (time limit ${batch.time}: raise it in remoteHpc.preview.heavyWork)` : j.state === 'OUT_OF_MEMORY' ? ' (ask for more memory in remoteHpc.preview.heavyWork)' : '';
        return `${j.rawState || j.state}${hint}`;
      }
      await delay(1000);
    }
    return 'without an exit code';
  }

  return {
    where: 'batch',
    nice: 0,
    async run(job) {
      const max = job.maxOutputBytes ?? 64 * 1024 * 1024;
      const status = `${job.workDir}/${STATUS_FILE}`;
      const wrapper = [
        '#!/bin/sh',
        '# Remote HPC preview work; its folder is removed when the job is over.',
        `sh ${quoteArg(job.script)}`,
        `echo $? > ${quoteArg(`${status}.tmp`)} && mv -f -- ${quoteArg(`${status}.tmp`)} ${quoteArg(status)}`,
        '',
      ].join('\n');
      const spec: JobSubmitSpec = {
        scriptText: wrapper,
        cwd: job.workDir,
        name: job.name,
        time: batch.time,
        cpusPerTask: batch.cpus,
        output: JOB_OUT,
        error: JOB_ERR,
        tags: [PREVIEW_JOB_TAG],
        ...(batch.partition ? { partition: batch.partition } : {}),
        ...(batch.account ? { account: batch.account } : {}),
        ...(batch.mem ? { mem: batch.mem } : {}),
        ...(batch.extraArgs ? { extraArgs: batch.extraArgs } : {}),
      };
      if (job.signal?.aborted) throw new CancelledError();
      const user = await o.user();
      const { id } = await scheduler.submit(spec);
      log.info(`[heavy] ${job.name}: batch job ${id}`);
      job.onStatus?.({ phase: 'queued', where: 'batch', jobId: id });
      try {
        await waitGone(id, job, user, job.signal);
      } catch (err) {
        if (!job.signal?.aborted) {
          await scheduler.cancel([id]).catch(() => undefined);
          throw err;
        }
      }
      if (job.signal?.aborted) {
        // Cancelled: the job is stopped and waited for, so nothing writes into the folder any more.
        await scheduler.cancel([id]).catch((e: unknown) => log.warn(`[heavy] scancel ${id}: ${String(e)}`));
        await waitGone(id, job, user, undefined, 120_000).catch((e: unknown) => log.warn(`[heavy] ${String(e)}`));
        throw new CancelledError();
      }
      // The exit code file may take a moment to show on the login node (NFS attribute caches).
      let code: Buffer | undefined;
      for (let i = 0; i < 6 && !code; i++) {
        code = await readBounded(job.ops, status, 64);
        if (!code) await delay(500);
      }
      const stdout = (await readBounded(job.ops, `${job.workDir}/${JOB_OUT}`, max)) ?? Buffer.alloc(0);
      const stderr = (await readBounded(job.ops, `${job.workDir}/${JOB_ERR}`, max)) ?? Buffer.alloc(0);
      if (!code) {
        const last = stderr.toString('utf8').trim().split('\n').slice(-2).join(' ');
        throw new Error(`Batch job ${id} ended ${await endedHow(id)}${last ? `: ${last}` : ''}`);
      }
      job.onStatus?.({ phase: 'done', where: 'batch', jobId: id });
      const n = Number.parseInt(code.toString('utf8').trim(), 10);
      return { code: Number.isFinite(n) ? n : null, stdout, stderr };
    },
  };
}

export interface ChooseRunnerOptions {
  choice: HeavyWorkChoice;
  /** Niceness on the login node. */
  nice: number;
  scheduler(): Scheduler;
  user(): Promise<string>;
  host: string;
  log?: Logger;
  /** Told when the host has no scheduler and the work falls back to the login node. */
  onFallback?(message: string): void;
}

/** The runner for a host's choice; a host without a scheduler runs on the login node (and says so). */
export async function chooseRunner(o: ChooseRunnerOptions): Promise<HeavyRunner> {
  if (o.choice.runOn === 'login') return loginRunner(o.nice);
  const scheduler = o.scheduler();
  try {
    const ping = await scheduler.ping();
    if (!ping.up) throw new Error(`The batch scheduler on ${o.host} is not answering (${ping.message}); preview work is set to run as a batch job there.`);
  } catch (e) {
    if (!(e instanceof SchedulerError && e.kind === 'not-found')) throw e;
    const message = `${o.host} has no batch scheduler (${e.command} not found): preview work runs on the login node, under nice ${o.nice}.`;
    (o.log ?? silentLogger).warn(`[heavy] ${message}`);
    o.onFallback?.(message);
    return loginRunner(o.nice);
  }
  return batchRunner({ scheduler, user: o.user, batch: o.choice.batch, ...(o.log ? { log: o.log } : {}) });
}
