/**
 * Starts an interactive app (see ./appTemplates, ./appEnvironment): a private folder on the cluster (0700, its
 * script 0600: the script holds the token), a batch job through the Scheduler, then three bounded
 * waits — in the queue, for the readiness line in the job's output, for the port to answer — and
 * a forward of the node's port through the host's cached session. Any failure or cancel after
 * the submit cancels the job. The token is made here with `crypto`; it travels only inside the
 * script's bytes (stdin of a `cat` over the session) and in the URL handed back to open: never
 * in argv, settings or logs. No `vscode`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { CancelledError, delay, TimeLimitError } from '../cancel';
import type { Logger } from '../log';
import type { RemoteOps } from '../remote/types';
import { isTerminal, type Job, type Scheduler } from '../scheduler/types';
import type { AppEnvironment } from './appEnvironment';
import { matchReadiness, renderAppScript, type AppResources, type AppTemplate } from './appTemplates';
import { timeLeftText } from '../jobs/timeLeft';
import { outputTail } from './jobServers';

/** A wait's length in words (`30 min`, `5 s`), as time-left warnings say it. */
const spanText = (ms: number) => timeLeftText(ms / 1000);
import { ForwardTargetError, type ForwardTarget, type PortForward } from './portForwards';

type AppPhase = 'preparing' | 'queued' | 'starting' | 'forwarding' | 'ready';

export interface AppProgress {
  phase: AppPhase;
  /** One line for a progress notification (never the token). */
  message: string;
  jobId?: string;
}

export interface AppLaunchDeps {
  /** The host alias (whose session carries the forward). */
  host: string;
  scheduler: Pick<Scheduler, 'submit' | 'cancel' | 'expandNodeList'>;
  ops: Pick<RemoteOps, 'run' | 'stat' | 'readFile'>;
  forwards: { open(target: ForwardTarget, opts?: { path?: string }): Promise<PortForward> };
  /** The job as the queue (or the Jobs view's model) knows it now; undefined when it is not listed. */
  jobState(id: string): Promise<Job | undefined>;
  log: Logger;
  /** Between looks at the queue and the output (default 2 s). */
  pollMs?: number;
  /** Longest wait in the queue (default 30 min). */
  queueTimeoutMs?: number;
  /** Longest wait for the port to answer once the server said it is ready (default 30 s). */
  forwardTimeoutMs?: number;
}

export interface AppLaunchRequest {
  template: AppTemplate;
  /** {folder}: absolute, or `~/…`. */
  folder: string;
  environment: AppEnvironment;
  resources: AppResources;
}

export interface LaunchedApp {
  jobId: string;
  node: string;
  forward: PortForward;
  /** The forward's URL with the token as the template asks (hand it to the browser only; never log or show it). */
  openUrl: string;
  /** The job's private folder on the cluster (script and output). */
  jobDir: string;
}

/** App folders with nothing in them touched for this many days go when the next app starts. */
export const APP_DIR_KEEP_DAYS = 30;
/**
 * Makes the private folder under `~/.cache/remote-hpc/apps` (umask 077: mktemp's folder is 0700)
 * and prints it. First removes the folders of earlier apps in which nothing changed for
 * APP_DIR_KEEP_DAYS (the folder itself and every file in it, so a long job's growing output
 * keeps its folder); find neither follows links nor leaves the folder, and a failure there does
 * not stop the start.
 */
const MAKE_DIR = [
  'umask 077 && base="$HOME/.cache/remote-hpc/apps" && mkdir -p -- "$base"',
  `{ find "$base" -mindepth 1 -maxdepth 1 -type d -mtime +${APP_DIR_KEEP_DAYS} -exec sh -c 'for d; do [ -n "$(find "$d" -mtime -${APP_DIR_KEEP_DAYS + 1} -print -quit)" ] || rm -rf -- "$d"; done' sh {} + 2>/dev/null || true; }`,
  'd=$(mktemp -d "$base/$1.XXXXXX") && chmod 700 -- "$d" && printf "%s\\n" "$d"',
].join(' && ');
/** Writes stdin to `$1`, mode 0600, refusing to follow a file already there. */
const WRITE_PRIVATE = 'umask 077 && set -C && cat > "$1" && chmod 600 -- "$1"';

/** The output file's last lines, for a message: printable, the token taken out. */
function lastLines(text: string, token: string, n = 6): string {
  const lines = text
    .split(token)
    .join('<token>')
    // eslint-disable-next-line no-control-regex -- control characters are what is replaced
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
    .split('\n')
    .map((l) => l.trimEnd().slice(0, 300))
    .filter((l) => l !== '');
  return lines.slice(-n).join('\n');
}

/** Waits `ms`; a cancel ends the wait with a CancelledError. */
async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await delay(ms, signal);
  if (signal?.aborted) throw new CancelledError();
}

async function runOk(ops: AppLaunchDeps['ops'], argv: string[], what: string, stdin?: string): Promise<string> {
  const r = await ops.run(argv, { timeoutMs: 30_000, ...(stdin !== undefined ? { stdin } : {}) });
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.toString('utf8').trim().slice(0, 300) || 'no message'}`);
  return r.stdout.toString('utf8');
}

/** Submits the app's job and waits until its server answers through a local forward. */
export async function launchApp(deps: AppLaunchDeps, req: AppLaunchRequest, opts: { signal?: AbortSignal; onProgress?(p: AppProgress): void } = {}): Promise<LaunchedApp> {
  const { template: t, resources: r } = req;
  const poll = deps.pollMs ?? 2000;
  const progress = (p: AppProgress) => opts.onProgress?.(p);
  const token = randomBytes(24).toString('hex');
  const port = randomInt(20_000, 60_000);
  progress({ phase: 'preparing', message: `Preparing ${t.name}…` });
  const jobDir = (await runOk(deps.ops, ['sh', '-c', MAKE_DIR, 'sh', t.id], 'Making the app folder')).trim();
  if (!jobDir.startsWith('/') || jobDir.includes('\n')) throw new Error(`Making the app folder gave no folder (${JSON.stringify(jobDir.slice(0, 100))})`);
  const script = `${jobDir}/app.sh`;
  const output = `${jobDir}/output.log`;
  await runOk(deps.ops, ['sh', '-c', WRITE_PRIVATE, 'sh', script], 'Writing the app script', renderAppScript(t, { port, token, folder: req.folder, jobDir, environment: req.environment }));
  if (opts.signal?.aborted) throw new CancelledError();
  const { id } = await deps.scheduler.submit({
    script,
    cwd: jobDir,
    name: `rhpc-${t.id}`,
    output,
    ...(r.partition ? { partition: r.partition } : {}),
    ...(r.account ? { account: r.account } : {}),
    ...(r.time ? { time: r.time } : {}),
    ...(r.cpus ? { cpusPerTask: r.cpus } : {}),
    ...(r.mem ? { mem: r.mem } : {}),
    ...(r.gpus ? { gpus: r.gpus } : {}),
  });
  deps.log.info(`[apps] ${deps.host}: ${t.name} submitted as job ${id} (folder ${jobDir})`);
  progress({ phase: 'queued', message: `${t.name}: job ${id} submitted…`, jobId: id });
  try {
    const job = await waitRunning(deps, id, t.name, poll, opts.signal, progress);
    const node = deps.scheduler.expandNodeList(job.nodes)[0];
    if (!node) throw new Error(`Job ${id} runs, but the scheduler names no node for it.`);
    progress({ phase: 'starting', message: `${t.name} is starting on ${node} (job ${id})…`, jobId: id });
    const ready = await waitReady(deps, { id, t, output, port, token, poll }, opts.signal);
    progress({ phase: 'forwarding', message: `Forwarding ${node}:${ready.port}…`, jobId: id });
    const forward = await forwardWhenListening(deps, { host: deps.host, jobId: id, node, port: ready.port }, ready.path, poll, opts.signal);
    const openUrl = t.tokenParam ? `${forward.url}${forward.url.includes('?') ? '&' : '?'}${t.tokenParam}=${encodeURIComponent(token)}` : forward.url;
    deps.log.info(`[apps] ${deps.host}: ${t.name} (job ${id}) ready on ${node}:${ready.port} → 127.0.0.1:${forward.localPort}`);
    progress({ phase: 'ready', message: `${t.name} is ready (job ${id}).`, jobId: id });
    return { jobId: id, node, forward, openUrl, jobDir };
  } catch (e) {
    // Nothing is left running for an app that did not come up.
    await deps.scheduler.cancel([id]).catch((c: unknown) => deps.log.warn(`[apps] ${deps.host}: cancelling job ${id}: ${c instanceof Error ? c.message : String(c)}`));
    deps.log.info(`[apps] ${deps.host}: job ${id} cancelled (${e instanceof CancelledError ? 'cancelled by the user' : (e as Error).message})`);
    if (e instanceof TimeLimitError || e instanceof CancelledError) throw e;
    throw e instanceof Error ? new Error(`${e.message} Job ${id} was cancelled.`) : e;
  }
}

/** Polls a job may be missing from the queue (just submitted, the list lags) before it counts as gone. */
const UNLISTED_POLLS = 10;

async function waitRunning(deps: AppLaunchDeps, id: string, name: string, poll: number, signal: AbortSignal | undefined, progress: (p: AppProgress) => void): Promise<Job> {
  const limit = deps.queueTimeoutMs ?? 30 * 60_000;
  const end = Date.now() + limit;
  let unlisted = 0;
  let last = '';
  for (;;) {
    const job = await deps.jobState(id);
    if (job?.state === 'RUNNING' && job.nodes) return job;
    if (job && isTerminal(job.state)) throw new Error(`Job ${id} ended (${job.rawState || job.state}) before ${name} started${job.reason ? `: ${job.reason}` : ''}.`);
    // Just submitted, a job may not be listed yet; listed never, or no more, it is gone.
    if (!job && ++unlisted > UNLISTED_POLLS) throw new Error(`Job ${id} is not in the queue any more; it did not start.`);
    if (job) {
      unlisted = 0;
      const line = job.state === 'PENDING' ? `${name}: job ${id} waits in the queue${job.reason ? ` (${job.reason})` : ''}…` : `${name}: job ${id} is ${job.state.toLowerCase()}…`;
      if (line !== last) progress({ phase: 'queued', message: (last = line), jobId: id });
    }
    if (Date.now() > end) throw new TimeLimitError(`Job ${id} still waited in the queue after ${spanText(limit)}${job?.reason ? ` (${job.reason})` : ''}; it was cancelled. Try a partition with free nodes, or fewer resources.`);
    await sleep(poll, signal);
  }
}

async function waitReady(deps: AppLaunchDeps, a: { id: string; t: AppTemplate; output: string; port: number; token: string; poll: number }, signal: AbortSignal | undefined) {
  const limitMs = a.t.readySeconds * 1000;
  const end = Date.now() + limitMs;
  let text = '';
  for (;;) {
    text = await outputTail(deps.ops, [a.output], 64 * 1024).catch(() => text);
    const ready = matchReadiness(a.t, text, a.port);
    if (ready) return ready;
    const job = await deps.jobState(a.id);
    if (!job || isTerminal(job.state)) {
      const tail = lastLines(await outputTail(deps.ops, [a.output], 16 * 1024).catch(() => text), a.token);
      throw new Error(`${a.t.name} (job ${a.id}) ended before it said it was ready${job ? ` (${job.rawState || job.state})` : ''}.${tail ? ` Its output ends:\n${tail}\n` : ' It printed nothing.'}`);
    }
    if (Date.now() > end) {
      const tail = lastLines(text, a.token);
      throw new TimeLimitError(`${a.t.name} (job ${a.id}) did not say it was ready within ${spanText(limitMs)}; it was cancelled.${tail ? ` Its output ends:\n${tail}` : ' It printed nothing: is the program in your environment (remoteHpc.interactiveApps.environment)?'}`);
    }
    await sleep(a.poll, signal);
  }
}

async function forwardWhenListening(deps: AppLaunchDeps, target: ForwardTarget, path: string, poll: number, signal: AbortSignal | undefined): Promise<PortForward> {
  const limit = deps.forwardTimeoutMs ?? 30_000;
  const end = Date.now() + limit;
  for (;;) {
    try {
      return await deps.forwards.open(target, { path });
    } catch (e) {
      if (!(e instanceof ForwardTargetError)) throw e;
      if (Date.now() > end) throw new TimeLimitError(`${e.message} (tried for ${spanText(limit)})`);
    }
    await sleep(Math.min(poll, 1000), signal);
  }
}
