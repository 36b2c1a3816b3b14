/**
 * Host pools in VS Code: each pool with runs is one more "host" of the Jobs view (`pool:<name>`,
 * its scheduler the pool), its outputs read from the host that ran the job; the Run on Pool,
 * Create or Edit Pool and Show Pool Event Log commands; the store that keeps runs across
 * reloads (global state) and their event logs (files in global storage). Thin: the runs are
 * src/core's.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { routedOps } from '../core/remote/routedOps';
import type { RemoteOps, RemoteOpsProvider } from '../core/remote/types';
import type { Job } from '../core/scheduler/types';
import { checkPoolConfig, MAX_POOL_JOBS, parsePoolFile, poolHostAlias, poolJobSpecs, poolOfHost, scriptJobSpecs, type PoolConfig, type PoolJobSpec, type PoolService } from '../core/scheduler/poolSpec';
import { setting, settingScopes, updateSetting } from '../config/settings';
import type { JobsContext } from './context';
import type { JobsHosts } from './deps';
import { isJobsNode } from './tree';

const RUNS_KEY = 'remoteHpc.pool.runs';
/** Local files a job copies: at most this big each (they go through one SSH channel). */
const MAX_COPY_BYTES = 512 * 1024 * 1024;

/** `remoteHpc.pools`, the valid entries only (a bad one is reported when used). */
function poolConfigs(): Map<string, PoolConfig> {
  const v = setting('pools');
  const out = new Map<string, PoolConfig>();
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [name, c] of Object.entries(v as Record<string, unknown>)) {
    if (checkPoolConfig(c) !== undefined) continue;
    const p = c as { hosts: string[]; slotsPerHost?: number };
    out.set(name, { hosts: p.hosts, slotsPerHost: p.slotsPerHost ?? 1 });
  }
  return out;
}

function poolConfig(name: string): PoolConfig | undefined {
  const raw = (setting('pools') as Record<string, unknown> | undefined)?.[name];
  if (raw === undefined) return undefined;
  const why = checkPoolConfig(raw);
  if (why) throw new Error(`remoteHpc.pools["${name}"] ${why}`);
  return poolConfigs().get(name);
}

/** What HostSchedulers needs to run pools: settings, the run store, local files. */
export function poolOptions(context: vscode.ExtensionContext) {
  const logs = path.join(context.globalStorageUri.fsPath, 'pool-logs');
  const logWriter = new LatestWriter();
  return {
    config: poolConfig,
    readFile: async (file: string, baseDir: string | undefined) => {
      const uri = path.isAbsolute(file) || baseDir === undefined ? vscode.Uri.file(file) : vscode.Uri.joinPath(vscode.Uri.parse(baseDir), file);
      const st = await vscode.workspace.fs.stat(uri);
      if (st.size > MAX_COPY_BYTES) throw new Error(`${file} is larger than ${MAX_COPY_BYTES >> 20} MB`);
      return Buffer.from(await vscode.workspace.fs.readFile(uri));
    },
    store: {
      load: () => {
        const v = context.globalState.get<unknown>(RUNS_KEY);
        return Array.isArray(v) ? (v as never[]) : [];
      },
      save: (runs: unknown[]) => void context.globalState.update(RUNS_KEY, runs),
      saveLog: (runId: string, text: string) => logWriter.write(path.join(logs, `${runId}.log`), text),
    },
  };
}

/** The file a run's event log is saved to. */
function logFile(context: vscode.ExtensionContext, runId: string): vscode.Uri {
  return vscode.Uri.joinPath(context.globalStorageUri, 'pool-logs', `${runId}.log`);
}

/** Writes each file's latest text at most once a second, one write at a time (a log changes every round). */
class LatestWriter {
  private readonly pending = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  write(file: string, text: string): void {
    this.pending.set(file, text);
    this.timer ??= setTimeout(() => void this.flush(), 1000);
  }

  private async flush(): Promise<void> {
    const batch = [...this.pending];
    this.pending.clear();
    for (const [file, text] of batch) await writeAtomic(file, text).catch(() => undefined);
    this.timer = undefined;
    if (this.pending.size) this.timer = setTimeout(() => void this.flush(), 1000);
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, text, 'utf8');
  await fs.rename(tmp, file);
}

/** The Hosts list as the Jobs view's controller sees it: each pool with runs is one more host, connected while one of its hosts is. */
export function hostsWithPools(hosts: JobsHosts, pools: PoolService | undefined): Pick<JobsHosts, 'list'> & { onDidChange(l: (e: unknown) => void): vscode.Disposable } {
  return {
    list: () => {
      const real = hosts.list();
      if (!pools) return real;
      const connected = new Set(real.filter((h) => h.status === 'connected').map((h) => h.alias));
      const configs = poolConfigs();
      const extra = pools.pools().map((p) => ({ alias: poolHostAlias(p), status: (configs.get(p)?.hosts ?? []).some((h) => connected.has(h)) ? 'connected' : 'disconnected' }));
      return [...real, ...extra];
    },
    onDidChange: (l) => {
      const subs = [hosts.onDidChange(l), ...(pools ? [pools.onDidChange(() => l(undefined))] : [])];
      return { dispose: () => subs.forEach((s) => s.dispose()) };
    },
  };
}

/** Remote ops where a pool "host" reads each path from the pool host that holds it. */
export function remoteWithPools(remote: RemoteOpsProvider, pools: PoolService | undefined): RemoteOpsProvider {
  return {
    ops: (host) => {
      const pool = poolOfHost(host);
      if (pool === undefined || !pools) return remote.ops(host);
      return Promise.resolve(
        routedOps((p) => {
          const real = p === undefined ? undefined : pools.hostOfPath(pool, p);
          const first = pools.hostViews(pool).find((v) => v.state !== 'error')?.host;
          if (!real && !first) return Promise.reject(new Error(`No host of pool ${pool} holds ${p ?? 'that'}`));
          return remote.ops((real ?? first) as string);
        }),
      );
    },
    onDidInvalidate: (l) => remote.onDidInvalidate(l),
  };
}

/**
 * Where to read a job's files: a pool job's own host (its folders are there, and pool hosts need
 * not share a file system), else the job's host. A pool job not known yet reads through the pool.
 */
export function jobOps(remote: RemoteOpsProvider, t: { host: string; job?: Pick<Job, 'nodes'> }): Promise<RemoteOps> {
  const own = poolOfHost(t.host) !== undefined ? t.job?.nodes : undefined;
  return remote.ops(own || t.host);
}

async function pickPool(file?: string): Promise<string> {
  const configs = poolConfigs();
  if (file !== undefined) {
    if (!configs.has(file)) throw new Error(`The job list names pool "${file}", which is not in remoteHpc.pools (Create or Edit Pool…)`);
    return file;
  }
  if (configs.size === 0) throw new Error('No host pools yet: add one with Create or Edit Pool…');
  if (configs.size === 1) return [...configs.keys()][0] as string;
  const pick = await vscode.window.showQuickPick(
    [...configs].map(([name, c]) => ({ label: name, description: `${c.hosts.join(', ')} · ${c.slotsPerHost} slot${c.slotsPerHost === 1 ? '' : 's'} each` })),
    { title: 'Run on which pool?' },
  );
  if (!pick) throw new CancelledError();
  return pick.label;
}

/** How many copies of a script to run (each its own job, RHPC_POOL_REPEAT 0, 1, …). */
async function askRepeat(script: string, pool: string): Promise<number> {
  const v = await vscode.window.showInputBox({
    title: `Run ${script} on pool ${pool}`,
    prompt: 'How many times (each run is one job, told apart by $RHPC_POOL_REPEAT: 0, 1, …)',
    value: '1',
    validateInput: (s) => (/^\d+$/.test(s.trim()) && Number(s) >= 1 && Number(s) <= MAX_POOL_JOBS ? undefined : `A whole number from 1 to ${MAX_POOL_JOBS}`),
    ignoreFocusOut: true,
  });
  if (v === undefined) throw new CancelledError();
  return Number(v.trim());
}

/** Run on Pool: a `.pool.json` (local or hpc:) or a local script, as one run. */
export async function runOnPool(ctx: JobsContext, pools: PoolService | undefined, arg?: unknown): Promise<void> {
  if (!pools) throw new Error('Host pools are not available');
  let uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({ title: 'Run which job list or script on a pool?', filters: { 'Pool job list or script': ['json', 'sh', 'bash'] }, canSelectMany: false });
    if (!picked?.[0]) throw new CancelledError();
    uri = picked[0];
  }
  const base = path.posix.basename(uri.path);
  const baseDir = vscode.Uri.joinPath(uri, '..').toString();
  let jobs: PoolJobSpec[];
  let pool: string;
  let name: string;
  if (/\.pool\.json$/i.test(base)) {
    const file = parsePoolFile(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8'));
    pool = await pickPool(file.pool);
    jobs = poolJobSpecs(file);
    name = file.name ?? base.replace(/\.pool\.json$/i, '');
  } else if (/\.(sh|bash)$/i.test(base)) {
    pool = await pickPool();
    jobs = scriptJobSpecs(base, await askRepeat(base, pool));
    name = base;
  } else throw new Error('Run on Pool works on a .pool.json job list or a shell script.');
  const runId = await pools.start({ pool, name, jobs, baseDir });
  const host = poolHostAlias(pool);
  void ctx.controller.refresh(host).then(() => ctx.controller.track(host, jobs.map((_, i) => `${runId}.${i + 1}`)));
  void vscode.window.showInformationMessage(`Pool ${pool}: run ${name} started (${jobs.length} job${jobs.length === 1 ? '' : 's'}).`);
}

/** Create or Edit Pool: name, hosts from the Hosts list, slots per host, written to remoteHpc.pools. */
export async function editPool(ctx: JobsContext, arg?: unknown): Promise<void> {
  const configs = poolConfigs();
  let name = isJobsNode(arg) ? poolOfHost(arg.host) : undefined;
  if (name === undefined) {
    const NEW = '$(add) New pool…';
    const pick = await vscode.window.showQuickPick([NEW, ...configs.keys()], { title: 'Create or edit which pool?', ignoreFocusOut: true });
    if (!pick) throw new CancelledError();
    if (pick === NEW) {
      name = await vscode.window.showInputBox({
        title: 'New pool',
        prompt: 'A name for the pool',
        validateInput: (v) => (!/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/.test(v) ? 'Letters, digits, space, . _ -' : configs.has(v) ? 'That pool exists' : undefined),
        ignoreFocusOut: true,
      });
      if (!name) throw new CancelledError();
    } else name = pick;
  }
  const current = configs.get(name);
  const hosts = await vscode.window.showQuickPick(
    ctx.hosts.list().map((h) => ({ label: h.alias, picked: current?.hosts.includes(h.alias) ?? false })),
    { title: `Hosts of pool ${name}`, canPickMany: true, ignoreFocusOut: true },
  );
  if (!hosts?.length) throw new CancelledError();
  const slots = await vscode.window.showInputBox({
    title: `Slots per host in pool ${name}`,
    prompt: 'How many jobs one host runs at once',
    value: String(current?.slotsPerHost ?? 1),
    validateInput: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 256 ? undefined : 'A whole number from 1 to 256'),
    ignoreFocusOut: true,
  });
  if (!slots) throw new CancelledError();
  // Written where it is set already (workspace or user), else to the user settings.
  const scope = settingScopes('pools').at(-1);
  const all = { ...((scope?.value as Record<string, unknown> | undefined) ?? {}) };
  all[name] = { hosts: hosts.map((h) => h.label), slotsPerHost: Number(slots) };
  await updateSetting('pools', all, scope?.target);
  void vscode.window.showInformationMessage(`Pool ${name}: ${hosts.length} host${hosts.length === 1 ? '' : 's'} × ${slots} slot${slots === '1' ? '' : 's'} saved in remoteHpc.pools.`);
}

/** Show Pool Event Log: a run of the pool (newest first), its saved log opened. */
export async function showPoolLog(context: vscode.ExtensionContext, pools: PoolService | undefined, arg?: unknown): Promise<void> {
  if (!pools) throw new Error('Host pools are not available');
  const pool = isJobsNode(arg) ? poolOfHost(arg.host) : undefined;
  const runs = (pool !== undefined ? [pool] : pools.pools()).flatMap((p) => pools.runs(p).map((r) => ({ ...r, pool: p })));
  if (runs.length === 0) throw new Error('No pool runs yet');
  const pick =
    runs.length === 1
      ? runs[0]
      : await vscode.window.showQuickPick(
          runs.map((r) => ({ ...r, label: r.name, description: `${r.pool} · ${r.runId} · ${new Date(r.createdAt).toLocaleString()}${r.finished ? '' : ' · running'}` })),
          { title: 'Event log of which run?' },
        );
  if (!pick) throw new CancelledError();
  const file = logFile(context, pick.runId);
  await writeAtomic(file.fsPath, pools.eventLog(pick.runId));
  await vscode.window.showTextDocument(file, { preview: true });
}
