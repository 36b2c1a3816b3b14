/**
 * The one place that picks a scheduler implementation (and so the only importer of a scheduler's
 * folder, enforced by eslint): per host, the scheduler the login node offers (SLURM, PBS Pro /
 * OpenPBS, Torque, Grid Engine; none), found with one probe (scheduler/detect.ts) the first time a host is
 * connected or used and cached until it disconnects, unless a setting names it
 * (`remoteHpc.schedulerByHost`, `remoteHpc.scheduler`). Commands run through the host's current
 * RemoteOps (so a reconnect is picked up without rebuilding anything). Also the remote user name
 * and home directory, looked up once per host, and the names of other uids (who cancelled a job),
 * one batched lookup for those not asked before. No `vscode`.
 */
import type { Logger } from '../log';
import type { RemoteOpsProvider } from '../remote/types';
import { runCommand, SchedulerError, type CommandRunner } from '../scheduler/command';
import { SlurmScheduler, slurmScriptFormat } from '../scheduler/slurm/slurmScheduler';
import { PbsScheduler, pbsScriptFormat } from '../scheduler/pbs/pbsScheduler';
import { TorqueScheduler, torqueScriptFormat } from '../scheduler/torque/torqueScheduler';
import { GridEngineScheduler, gridEngineScriptFormat } from '../scheduler/gridengine/gridEngineScheduler';
import { detectSchedulerCommand, SCHEDULER_KINDS, type DetectedScheduler, type SchedulerKind } from '../scheduler/detect';
import type { BatchScriptFormat, JobSubmitSpec, Scheduler } from '../scheduler/types';
import { poolOfHost, type PoolService } from '../scheduler/poolSpec';
import { PoolRuns, type PoolRunsOptions } from '../scheduler/pool/runs';
import { PoolScheduler } from '../scheduler/pool/poolScheduler';
import { LazyScheduler } from './lazyScheduler';
import { NoScheduler } from './noScheduler';
import { UserNameCache } from './userNames';

/** What a setting asks for: a scheduler by name, or `auto` (the probe's answer). */
export type SchedulerChoice = SchedulerKind | 'auto';

/** The scheduler for hosts nothing is known about yet (and for local job files): SLURM, as before detection existed. */
const DEFAULT_KIND: SchedulerKind = 'slurm';

const FORMATS: Partial<Record<SchedulerKind, BatchScriptFormat>> = { slurm: slurmScriptFormat, pbs: pbsScriptFormat, torque: torqueScriptFormat, gridengine: gridEngineScriptFormat };

export interface HostSchedulersOptions {
  /** The setting for `host` (`remoteHpc.schedulerByHost[host]`, else `remoteHpc.scheduler`); default auto. */
  choice?(host: string): SchedulerChoice;
  /** Host pools (`pool:<name>` hosts): their settings, store and local files; none without. */
  pools?: Omit<PoolRunsOptions, 'runner' | 'log'>;
  /** The local user, shown as the owner of pool jobs. */
  localUser?: string;
}

export class HostSchedulers {
  private readonly schedulers = new Map<string, LazyScheduler>();
  private readonly impls = new Map<string, { kind: SchedulerKind; scheduler: Scheduler }>();
  private readonly detected = new Map<string, Promise<DetectedScheduler>>();
  private readonly known = new Map<string, DetectedScheduler>();
  private readonly detectListeners = new Set<(host: string) => void>();
  private readonly submitListeners = new Set<(host: string, id: string, spec: JobSubmitSpec) => void>();
  private readonly users = new Map<string, Promise<string>>();
  private readonly homes = new Map<string, Promise<string>>();
  private readonly names = new Map<string, UserNameCache>();
  private readonly poolRuns: PoolRuns | undefined;
  private readonly poolSchedulers = new Map<string, PoolScheduler>();

  constructor(
    private readonly remote: RemoteOpsProvider,
    private readonly log: Logger,
    private readonly opts: HostSchedulersOptions = {},
  ) {
    if (opts.pools) this.poolRuns = new PoolRuns({ ...opts.pools, runner: (h) => this.runner(h), log });
  }

  /** The host pools' runs (undefined when pools are not set up). */
  get pools(): PoolService | undefined {
    return this.poolRuns;
  }

  dispose(): void {
    this.poolRuns?.dispose();
  }

  /** The runner of `host`: every command asks the provider for the current ops. */
  runner(host: string): CommandRunner {
    return { run: async (argv, opts) => (await this.remote.ops(host)).run(argv, opts) };
  }

  /** The host's scheduler: its commands wait for the host's scheduler to be known (one probe). */
  scheduler(host: string): Scheduler {
    const pool = poolOfHost(host);
    if (pool !== undefined && this.poolRuns) {
      let p = this.poolSchedulers.get(pool);
      if (!p) this.poolSchedulers.set(pool, (p = new PoolScheduler(pool, this.poolRuns)));
      return p;
    }
    let s = this.schedulers.get(host);
    if (!s) {
      s = new LazyScheduler(
        async () => this.implementation(host, (await this.detect(host)).kind),
        () => this.implementation(host, this.known.get(host)?.kind ?? this.configured(host) ?? DEFAULT_KIND),
        (spec, result) => {
          for (const l of this.submitListeners) l(host, result.id, spec);
        },
      );
      this.schedulers.set(host, s);
    }
    return s;
  }

  /**
   * How batch scripts carry options on `host` (its scheduler's directives, once known); without
   * a host (a local job file previewed before one is picked), the default scheduler's.
   */
  async scriptFormat(host?: string): Promise<BatchScriptFormat> {
    if (host === undefined) return FORMATS[DEFAULT_KIND] as BatchScriptFormat;
    return this.implementation(host, (await this.detect(host)).kind);
  }

  /**
   * Which scheduler `host` runs: the setting's when it names one, else the probe's (one command,
   * run once per host until {@link forget}; a failed probe is not cached and counts as the default).
   */
  detect(host: string): Promise<DetectedScheduler> {
    const configured = this.configured(host);
    if (configured) return Promise.resolve(this.remember(host, { kind: configured, evidence: 'set in remoteHpc.scheduler / remoteHpc.schedulerByHost' }));
    let p = this.detected.get(host);
    if (!p) {
      p = runCommand(this.runner(host), detectSchedulerCommand(), {
        timeoutMs: 30_000,
        classify: (command, code, output) => new SchedulerError(`${command}: ${output.split('\n')[0] || `exit code ${code}`}`, 'rejected', command, code, output),
      }).then(
        (d) => {
          this.log.info(`${host}: scheduler ${d.kind}${d.version ? ` ${d.version}` : ''} (${d.evidence})`);
          return this.remember(host, d);
        },
        (e: Error) => {
          this.log.warn(`${host}: could not tell the scheduler (${e.message}); using ${DEFAULT_KIND}`);
          if (this.detected.get(host) === p) this.detected.delete(host);
          return { kind: DEFAULT_KIND, evidence: `probe failed: ${e.message}` };
        },
      );
      this.detected.set(host, p);
    }
    return p;
  }

  /** The scheduler known for `host` so far (the setting's or the probe's), without asking. */
  knownScheduler(host: string): DetectedScheduler | undefined {
    return this.known.get(host);
  }

  /** Called with the host each time its scheduler becomes known. */
  onDetected(listener: (host: string) => void): { dispose(): void } {
    this.detectListeners.add(listener);
    return { dispose: () => this.detectListeners.delete(listener) };
  }

  /** Called with every job submitted through a host's scheduler (not a pool's), and its spec. */
  onSubmitted(listener: (host: string, id: string, spec: JobSubmitSpec) => void): { dispose(): void } {
    this.submitListeners.add(listener);
    return { dispose: () => this.submitListeners.delete(listener) };
  }

  private configured(host: string): SchedulerKind | undefined {
    const c = this.opts.choice?.(host) ?? 'auto';
    return c !== 'auto' && SCHEDULER_KINDS.includes(c) ? c : undefined;
  }

  private remember(host: string, d: DetectedScheduler): DetectedScheduler {
    const before = this.known.get(host);
    this.known.set(host, d);
    if (before?.kind !== d.kind || before.version !== d.version) for (const l of this.detectListeners) l(host);
    return d;
  }

  /** One implementation per host and kind, kept while the kind stays the same. */
  private implementation(host: string, kind: SchedulerKind): Scheduler {
    const have = this.impls.get(host);
    if (have?.kind === kind) return have.scheduler;
    const runner = this.runner(host);
    const opts = { log: this.log };
    const why = this.known.get(host)?.evidence ?? 'none found';
    const scheduler =
      kind === 'slurm'
        ? new SlurmScheduler(runner, opts)
        : kind === 'pbs'
          ? new PbsScheduler(runner, opts)
          : kind === 'torque'
            ? new TorqueScheduler(runner, opts)
            : kind === 'gridengine'
              ? new GridEngineScheduler(runner, opts)
              : new NoScheduler(kind, why, slurmScriptFormat);
    this.impls.set(host, { kind, scheduler });
    return scheduler;
  }

  /** The login name on `host` (`id -un`, else $USER). Cached; a failure is not. */
  user(host: string): Promise<string> {
    // A pool's jobs are the local user's (no login to ask).
    if (poolOfHost(host) !== undefined && this.poolRuns) return Promise.resolve(this.opts.localUser ?? 'you');
    return this.cached(this.users, host, async () => {
      const ops = await this.remote.ops(host);
      const res = await ops.run(['id', '-un'], { timeoutMs: 20_000 });
      const name = res.stdout.toString('utf8').trim();
      if (res.code === 0 && /^[^\s,]+$/.test(name) && !name.startsWith('-')) return name;
      const env = await ops.getenv(['USER', 'LOGNAME']);
      const fallback = env.USER ?? env.LOGNAME;
      if (!fallback) throw new Error(`Could not tell the user name on ${host}`);
      return fallback;
    });
  }

  home(host: string): Promise<string> {
    return this.cached(this.homes, host, async () => (await this.remote.ops(host)).home());
  }

  /**
   * Uid → user name on `host` for every uid known so far, after looking up those of `uids` not
   * asked before (one `getent passwd` for all of them); an unknown uid is left out.
   */
  userNames(host: string, uids: Iterable<string>): Promise<Map<string, string>> {
    let cache = this.names.get(host);
    if (!cache) {
      cache = new UserNameCache(this.runner(host), (e) => this.log.warn(`${host}: user names not looked up: ${e.message}`));
      this.names.set(host, cache);
    }
    return cache.resolve(uids);
  }

  /** Drops cached lookups of a host (e.g. after it disconnected). */
  forget(host: string): void {
    this.detected.delete(host);
    if (this.known.delete(host)) for (const l of this.detectListeners) l(host);
    this.users.delete(host);
    this.homes.delete(host);
    this.names.delete(host);
  }

  private cached(map: Map<string, Promise<string>>, host: string, fn: () => Promise<string>): Promise<string> {
    let p = map.get(host);
    if (!p) {
      p = fn();
      map.set(host, p);
      p.catch(() => {
        if (map.get(host) === p) map.delete(host);
      });
    }
    return p;
  }
}
